#!/usr/bin/env python3
"""Checks the macOS package's launchd plist, productbuild Distribution file
and config against each other and against the staged payload.

usage: check_macos_pkg.py STAGE VERSION with-console|no-console [CONSOLE_INFO_PLIST]
STAGE is build-pkg.sh --stage-only's OUT/stage; CONSOLE_INFO_PLIST the console's
configured Info.plist (its bundle id must be the one the daemon's plist names).
Also checks the example MDM profile deploy/macos/qdt-pppc.mobileconfig.
Exit 1 with every problem found."""
import json
import os
import plistlib
import re
import sys
import uuid
import xml.etree.ElementTree as ET

AGENT = "/Library/QDT/bin/qdt-agent"
CONSOLE_ID = "com.qdt.console"
MOBILECONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "macos",
                            "qdt-pppc.mobileconfig")
SUPPORT = "/Library/Application Support/QDT"
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def main(stage, version, console):
    root = f"{stage}/agent-root"
    with open(f"{root}/Library/LaunchDaemons/com.qdt.agent.plist", "rb") as f:
        plist = plistlib.load(f)  # raises on anything that is not a plist
    check(plist.get("Label") == "com.qdt.agent", f"Label is {plist.get('Label')!r}")
    args = plist.get("ProgramArguments", [])
    check(args[:1] == [AGENT], f"ProgramArguments[0] is {args[:1]}, not {AGENT}")
    config = None
    if "--config" in args and args.index("--config") + 1 < len(args):
        config = args[args.index("--config") + 1]
    check(config == f"{SUPPORT}/agent.json", f"--config is {config!r}")
    for a in args:
        check(a.startswith("/") or a.startswith("--"), f"ProgramArguments: {a!r} is not absolute")
    check(plist.get("RunAtLoad") is True, "RunAtLoad is not true")
    check(plist.get("KeepAlive") is True or isinstance(plist.get("KeepAlive"), dict),
          "KeepAlive is not set")
    for key in ("StandardOutPath", "StandardErrorPath", "WorkingDirectory"):
        check(str(plist.get(key, "")).startswith("/"), f"{key} is {plist.get(key)!r}, not absolute")
    check(plist.get("StandardOutPath", "").startswith("/Library/Logs/QDT/"),
          "the log is not in /Library/Logs/QDT (uninstall.sh removes that folder)")
    # launchd.plist(5): unspecified or Standard = "light resource limits ... throttling its CPU
    # usage and I/O bandwidth"; Interactive is not throttled (docs/MACOS.md).
    check(plist.get("ProcessType") == "Interactive",
          f"ProcessType is {plist.get('ProcessType')!r}: launchd throttles the daemon's I/O "
          "unless it is Interactive")
    # Login Items › "Allow in the Background" names the daemon after the app these ids
    # name (launchd.plist(5), AssociatedBundleIdentifiers): the console's bundle id.
    check(plist.get("AssociatedBundleIdentifiers") == [CONSOLE_ID],
          f"AssociatedBundleIdentifiers is {plist.get('AssociatedBundleIdentifiers')!r}, not [{CONSOLE_ID!r}]: "
          "Login Items would show a bare executable name")
    check(plist.get("LowPriorityIO") is False and plist.get("LowPriorityBackgroundIO") is False,
          "LowPriorityIO / LowPriorityBackgroundIO not false: the daemon's I/O may be throttled")
    # A root daemon runs tools found on its PATH: only folders root owns, never Homebrew's
    # (user-writable: anyone could plant a "smartctl" that root then runs).
    path = plist.get("EnvironmentVariables", {}).get("PATH", "")
    allowed = {"/Library/QDT/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"}
    check(path != "", "the daemon has no PATH (its tools would not be found)")
    for d in path.split(":"):
        check(d in allowed, f"PATH holds {d!r}: a root daemon's PATH must hold only {sorted(allowed)}")

    check(os.access(f"{root}{AGENT}", os.X_OK), f"{AGENT} is not in the payload")

    with open(f"{root}/Library/QDT/share/agent.json") as f:
        cfg = json.load(f)
    fio = cfg.get("fioPath") or cfg.get("fio_path")
    check(fio == "/Library/QDT/bin/fio", f"the config's fio is {fio!r}")
    check(os.access(f"{root}{fio}", os.X_OK), f"{fio} is not in the payload")
    # smartctl runs as root every 10 s during a run: only the bundled one, by its
    # absolute path (never Homebrew's user-writable /opt/homebrew/bin/smartctl).
    smartctl = cfg.get("smartctlPath") or cfg.get("smartctl_path")
    check(smartctl == "/Library/QDT/bin/smartctl", f"the config's smartctl is {smartctl!r}")
    check(os.access(f"{root}/Library/QDT/bin/smartctl", os.X_OK), "smartctl is not in the payload")
    notice = f"{root}/Library/QDT/share/licenses/smartmontools.txt"
    check(os.path.isfile(notice) and "GNU General Public License" in open(notice).read(),
          "the payload has no smartmontools licence notice")
    for key, value in cfg.items():
        if key.endswith("Path") or key.endswith("_path"):
            check(str(value).startswith("/Library/QDT/"),
                  f"config {key} is {value!r}: the agent must run only what the package bundles")
    for key in ("tokenFile", "stateDir"):
        check(str(cfg.get(key, "")).startswith(SUPPORT), f"config {key} is {cfg.get(key)!r}")

    for rel in ("Library/QDT/share/licenses/fio.txt", "Library/QDT/share/licenses/smartmontools.txt"):
        path = f"{root}/{rel}"
        check(os.path.isfile(path) and "General Public License version 2" in open(path).read()
              and "source" in open(path).read(), f"{rel}: no GPL-2 notice with the source offer")
    check(os.access(f"{root}/Library/QDT/acceptance.sh", os.X_OK), "the payload has no acceptance.sh")
    readme_path = f"{stage}/resources/README.txt"
    readme = open(readme_path).read() if os.path.isfile(readme_path) else ""
    check(f"QDT {version} for Apple Silicon Macs with macOS 14.0 or later" in readme,
          "the Installer README has no version line naming macOS 14.0")
    check("@" not in readme, "the Installer README has an unfilled @PLACEHOLDER@")
    check("UNSIGNED" not in readme, "a --stage-only README says UNSIGNED")

    dist_path = f"{stage}/Distribution.xml"
    text = open(dist_path).read()
    check("@VERSION@" not in text, "Distribution.xml still says @VERSION@")
    dist = ET.parse(dist_path).getroot()  # raises on bad XML
    check(dist.tag == "installer-gui-script", f"root element is {dist.tag}")
    options = dist.find("options")
    check(options is not None and options.get("hostArchitectures") == "arm64",
          "options hostArchitectures is not exactly arm64")
    check(options is not None and options.get("rootVolumeOnly") == "true", "not rootVolumeOnly")
    # Show Macs run macOS 14 or 15 (build-pkg.sh --min-macos, default 14.0).
    mins = [v.get("min") for v in dist.iter("os-version")]
    check(mins == ["14.0"], f"allowed-os-versions min is {mins}, not ['14.0']")
    check_el = dist.find("installation-check")
    script = "".join(s.text or "" for s in dist.findall("script"))
    fn = (check_el.get("script") if check_el is not None else "").split("(")[0]
    check(fn and f"function {fn}(" in script, f"installation-check {fn!r} is not defined")
    check("hw.optional.arm64" in script, "the installation check does not ask for Apple Silicon")
    refs = {p.get("id"): p for p in dist.findall("pkg-ref") if p.text}
    expected = {"com.qdt.agent": "qdt-agent.pkg"}
    if console:
        expected["com.qdt.console"] = "qdt-console.pkg"
    check(set(refs) == set(expected), f"pkg-refs are {sorted(refs)}, not {sorted(expected)}")
    for pid, ref in refs.items():
        check(ref.text == expected.get(pid), f"pkg-ref {pid} names {ref.text}")
        check(ref.get("version") == version, f"pkg-ref {pid} version {ref.get('version')}")
    outline = [l.get("choice") for l in dist.iter("line")]
    choices = {c.get("id"): c for c in dist.findall("choice")}
    check(set(outline) == set(choices), f"outline {outline} vs choices {sorted(choices)}")
    for cid, c in choices.items():
        for ref in c.findall("pkg-ref"):
            check(ref.get("id") in refs, f"choice {cid} refers to unknown package {ref.get('id')}")
    check(("console" in choices) == console, f"console choice present: {'console' in choices}")
    check(version in (dist.findtext("title") or ""), "the title has no version")
    check("@" not in (dist.findtext("title") or ""), "the title has an unfilled placeholder")
    rm = dist.find("readme")
    check(rm is not None and rm.get("file") == "README.txt", "the Distribution shows no README.txt")


def check_info_plist(path):
    with open(path, "rb") as f:
        info = plistlib.load(f)
    check(info.get("CFBundleIdentifier") == CONSOLE_ID,
          f"the console's CFBundleIdentifier is {info.get('CFBundleIdentifier')!r}, but the daemon's "
          f"AssociatedBundleIdentifiers names {CONSOLE_ID!r}")


def check_mobileconfig():
    """The example MDM profile: a Configuration whose TCC payload grants the agent
    (by path, with a code requirement naming com.qdt.agent) Full Disk Access and whose
    Service Management rule keeps the daemon com.qdt.agent allowed."""
    with open(MOBILECONFIG, "rb") as f:
        mc = plistlib.load(f)  # raises on anything that is not a plist
    check(mc.get("PayloadType") == "Configuration", f"PayloadType {mc.get('PayloadType')!r}")
    check(mc.get("PayloadScope") == "System", "the profile is not System-scoped (the daemon is root)")
    payloads = mc.get("PayloadContent", [])
    uuids = [mc.get("PayloadUUID")] + [p.get("PayloadUUID") for p in payloads]
    ids = [mc.get("PayloadIdentifier")] + [p.get("PayloadIdentifier") for p in payloads]
    for u in uuids:
        try:
            uuid.UUID(u)
        except (TypeError, ValueError):
            problems.append(f"PayloadUUID {u!r} is not a UUID")
    check(len(set(uuids)) == len(uuids) and len(set(ids)) == len(ids), "payload UUIDs or identifiers repeat")
    for p in payloads:
        check(p.get("PayloadVersion") == 1, f"{p.get('PayloadType')}: PayloadVersion {p.get('PayloadVersion')!r}")
    by_type = {p.get("PayloadType"): p for p in payloads}
    tcc = by_type.get("com.apple.TCC.configuration-profile-policy", {})
    fda = tcc.get("Services", {}).get("SystemPolicyAllFiles", [])
    agent = [e for e in fda if e.get("Identifier") == AGENT]
    if check(len(agent) == 1, f"no Full Disk Access entry for {AGENT}"):
        e = agent[0]
        check(e.get("IdentifierType") == "path", "a non-bundled binary must be identified by path")
        req = e.get("CodeRequirement", "")
        check(re.match(r'identifier "com\.qdt\.agent" and anchor apple generic', req) is not None,
              f"the agent's code requirement does not name com.qdt.agent: {req!r}")
        check('certificate leaf[subject.OU] = "@TEAM_ID@"' in req, "the requirement does not pin the team")
        check(e.get("Authorization") == "Allow" and "Allowed" not in e, "not exactly Authorization Allow")
    for e in fda:
        check(e.get("Identifier", "").startswith("/Library/QDT/bin/"), f"FDA for {e.get('Identifier')!r}")
    sm = by_type.get("com.apple.servicemanagement", {})
    rules = sm.get("Rules", [])
    check(any(r.get("RuleType") == "Label" and r.get("RuleValue") == "com.qdt.agent"
              and r.get("TeamIdentifier") == "@TEAM_ID@" for r in rules),
          f"no Service Management rule for the label com.qdt.agent of the team: {rules!r}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in ("with-console", "no-console"):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3] == "with-console")
    if len(sys.argv) == 5:
        check_info_plist(sys.argv[4])
    check_mobileconfig()
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    print("plist, Distribution, config, MDM profile: " + ("ok" if not problems else f"{len(problems)} problems"))
    sys.exit(1 if problems else 0)
