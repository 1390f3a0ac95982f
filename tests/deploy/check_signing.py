#!/usr/bin/env python3
"""Checks what build-pkg.sh did with the Apple tools (tests/deploy/fake_apple
logs every call) against the product it wrote.

usage: check_signing.py OUT LOG STATE signed|unsigned VERSION [APP_ID INSTALLER_ID PROFILE TEAM]

- every Mach-O in the product's payloads was passed to codesign (itself, or
  the framework or app that contains it) after its last install_name_tool
  change: with --sign APP_ID, --options runtime and --timestamp when signed,
  ad hoc (--sign -) without the runtime when unsigned; the programs with their
  com.qdt.* identifier and the repo's entitlements;
- every signature came before the pkgbuild that packed the file;
- signed: productbuild --sign INSTALLER_ID, then notarytool submit --wait with
  the profile, then stapler staple, then pkgutil --check-signature and spctl;
  the MDM profile beside the pkg names the team and the identifiers the
  programs were signed with;
- unsigned: no identity anywhere, no notarization, the README in the pkg
  starts with the testing-only notice and the title says so;
- the payload holds smartctl, fio, both licences and the relocated library.
Exit 1 with every problem found."""
import io
import json
import os
import plistlib
import re
import sys
import tarfile
import xml.etree.ElementTree as ET

problems = []
HERE = os.path.dirname(os.path.abspath(__file__))
ENTITLEMENTS = os.path.realpath(os.path.join(HERE, "..", "..", "deploy", "macos", "qdt.entitlements"))


def check(ok, what):
    if not ok:
        problems.append(what)
    return ok


def is_binary(data):
    return data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


def opt(args, name):
    return args[args.index(name) + 1] if name in args else None


def main(out, log_path, state_path, mode, version, app_id, installer_id, profile, team):
    signed = mode == "signed"
    calls = [json.loads(l) for l in open(log_path)]
    state = json.load(open(state_path))
    stage = os.path.join(out, "stage")
    product = os.path.join(out, f"QDT-{version}.pkg" if signed else f"QDT-{version}-unsigned.pkg")
    if not check(os.path.isfile(product), f"no product {product}"):
        return
    other = os.path.join(out, f"QDT-{version}-unsigned.pkg" if signed else f"QDT-{version}.pkg")
    check(not os.path.exists(other), f"{other} exists too")

    # The product archive: Distribution, Resources/, component pkgs (tarballs
    # written by the stand-in pkgbuild: payload/ = the staged root).
    with tarfile.open(product) as t:
        members = {m.name: m for m in t.getmembers()}
        dist = t.extractfile("Distribution").read().decode()
        readme = t.extractfile("Resources/README.txt").read().decode()
        components = {n: t.extractfile(n).read() for n in members if n.endswith(".pkg")}
    machos = {}  # staged path -> component pkg name
    payload_files = set()
    for name, blob in components.items():
        root = {"qdt-agent.pkg": "agent-root", "qdt-console.pkg": "console-root"}[name]
        with tarfile.open(fileobj=io.BytesIO(blob)) as t:
            for m in t.getmembers():
                if not m.name.startswith("payload/"):
                    continue
                rel = m.name[len("payload/"):]
                payload_files.add(rel)
                if m.isfile() and is_binary(t.extractfile(m).read(4)):
                    machos[os.path.join(stage, root, rel)] = name

    for rel in ("Library/QDT/bin/qdt-agent", "Library/QDT/bin/qdtctl", "Library/QDT/bin/fio",
                "Library/QDT/bin/smartctl", "Library/QDT/lib/libqdtfake.1.dylib",
                "Library/QDT/share/licenses/smartmontools.txt", "Library/QDT/share/licenses/fio.txt",
                "Library/QDT/acceptance.sh", "Library/LaunchDaemons/com.qdt.agent.plist"):
        check(rel in payload_files, f"the payload has no {rel}")
    check(len(machos) >= 5, f"only {len(machos)} Mach-O files in the payloads: {sorted(machos)}")
    if "qdt-console.pkg" in components:
        # The app as Installer puts it in /Applications: versioned, with its icon.
        app = "payload/Applications/QDT Console.app/Contents"
        with tarfile.open(fileobj=io.BytesIO(components["qdt-console.pkg"])) as t:
            names = set(t.getnames())
            info = plistlib.load(t.extractfile(f"{app}/Info.plist"))
        check(info.get("CFBundleShortVersionString") == version and info.get("CFBundleVersion") == version,
              f"the app's version is {info.get('CFBundleShortVersionString')!r}/{info.get('CFBundleVersion')!r}")
        icon = info.get("CFBundleIconFile", "")
        icon = icon if icon.endswith(".icns") else icon + ".icns"
        check(f"{app}/Resources/{icon}" in names, f"the app has no Resources/{icon}")
        check(f"{app}/MacOS/{info.get('CFBundleExecutable')}" in names,
              f"CFBundleExecutable {info.get('CFBundleExecutable')!r} is not in Contents/MacOS")

    # Positions of the calls.
    def idx(pred):
        return [i for i, c in enumerate(calls) if pred(c)]
    signs = idx(lambda c: c["tool"] == "codesign" and "--sign" in c["args"])
    sign_of = {}
    for i in signs:
        sign_of.setdefault(os.path.normpath(calls[i]["args"][-1]), []).append(i)
    changes = {}
    for i in idx(lambda c: c["tool"] == "install_name_tool"):
        changes.setdefault(os.path.normpath(calls[i]["args"][-1]), []).append(i)
    pkgbuild_at = {os.path.basename(c["args"][-1]): i for i, c in enumerate(calls)
                   if c["tool"] == "pkgbuild" and "--analyze" not in c["args"]}

    def covering(path):
        """The codesign calls that cover PATH: its own, its framework's, its app's main executable's."""
        own = sign_of.get(path, [])
        if own:
            return path, own
        m = re.match(r"(.*\.framework)/", path)
        if m and m.group(1) in sign_of:
            return m.group(1), sign_of[m.group(1)]
        m = re.match(r"(.*\.app)/Contents/MacOS/", path)
        if m and m.group(1) in sign_of:
            return m.group(1), sign_of[m.group(1)]
        return None, []

    app_sign_at = None
    for path, pkg in sorted(machos.items()):
        target, at = covering(path)
        if not check(at, f"{path} was never passed to codesign"):
            continue
        last = at[-1]
        args = calls[last]["args"]
        if signed:
            check(opt(args, "--sign") == app_id, f"{target}: signed with {opt(args, '--sign')!r}")
            check(opt(args, "--options") == "runtime", f"{target}: no --options runtime")
            check("--timestamp" in args, f"{target}: no --timestamp")
        else:
            check(opt(args, "--sign") == "-", f"{target}: --unsigned but signed with {opt(args, '--sign')!r}")
            check("--options" not in args, f"{target}: an ad hoc signature with the hardened runtime")
        if "/Library/QDT/bin/" in path:
            name = os.path.basename(path)
            check(opt(args, "--identifier") == f"com.qdt.{name.replace('qdt-agent', 'agent')}",
                  f"{path}: identifier {opt(args, '--identifier')!r}")
            if signed:
                ent = opt(args, "--entitlements")
                check(ent and os.path.realpath(ent) == ENTITLEMENTS, f"{path}: entitlements {ent!r}")
        for ch in changes.get(path, []):
            check(ch < last, f"{path}: install_name_tool (call {ch}) after codesign (call {last}) "
                  "breaks the signature")
        check(last < pkgbuild_at.get(pkg, -1), f"{target}: signed after pkgbuild {pkg}")
        if target.endswith(".app"):
            app_sign_at = last
            if signed:
                ent = opt(args, "--entitlements")
                check(ent and os.path.realpath(ent) == ENTITLEMENTS, f"the app: entitlements {ent!r}")
    if app_sign_at is not None:
        nested = [i for p, at in sign_of.items() if ".app/" in p for i in at]
        check(all(i < app_sign_at for i in nested), "the app was signed before code inside it")
    # codesign --verify on each, after its signature.
    verified = {os.path.normpath(c["args"][-1]) for c in calls if c["tool"] == "codesign" and "--verify" in c["args"]}
    for path in machos:
        target, _ = covering(path)
        check(target in verified or any(target.startswith(v + "/") for v in verified),
              f"{target}: never codesign --verify'd")

    # Relocation really happened (the stand-in otool answers from its state).
    files = state["files"]
    fio = files.get(os.path.realpath(os.path.join(stage, "agent-root/Library/QDT/bin/fio")), {})
    check("@rpath/libqdtfake.1.dylib" in fio.get("deps", []), f"fio's dependencies: {fio.get('deps')}")
    agent = files.get(os.path.realpath(os.path.join(stage, "agent-root/Library/QDT/bin/qdt-agent")), {})
    check(agent.get("rpaths") == ["@executable_path/../lib"], f"qdt-agent's rpaths: {agent.get('rpaths')}")

    # The product: signing, notarization, checks, in this order.
    pb = idx(lambda c: c["tool"] == "productbuild")
    sub = idx(lambda c: c["tool"] == "xcrun" and c["args"][:2] == ["notarytool", "submit"])
    staple = idx(lambda c: c["tool"] == "xcrun" and c["args"][:2] == ["stapler", "staple"])
    pkgutil = idx(lambda c: c["tool"] == "pkgutil" and c["args"][:1] == ["--check-signature"])
    spctl = idx(lambda c: c["tool"] == "spctl")
    if not check(len(pb) == 1, f"productbuild ran {len(pb)} times"):
        return
    pb_args = calls[pb[0]]["args"]
    check(all(i < pb[0] for i in signs), "codesign after productbuild")
    check(pkgutil, "no pkgutil --check-signature")
    if signed:
        check(opt(pb_args, "--sign") == installer_id, f"productbuild --sign {opt(pb_args, '--sign')!r}")
        if check(len(sub) == 1 and len(staple) == 1, f"notarytool submit {len(sub)}×, stapler staple {len(staple)}×"):
            s = calls[sub[0]]["args"]
            check(os.path.realpath(s[2]) == os.path.realpath(product), f"notarized {s[2]}")
            check(opt(s, "--keychain-profile") == profile and "--wait" in s, f"notarytool args {s}")
            check(pb[0] < sub[0] < staple[0], "not productbuild → notarytool → stapler")
            check(pkgutil and spctl and staple[0] < pkgutil[0] and staple[0] < spctl[0],
                  "pkgutil/spctl did not check the stapled product")
        check(spctl and calls[spctl[-1]]["args"][:4] == ["-a", "-vv", "-t", "install"],
              "no spctl -a -vv -t install")
        check("UNSIGNED" not in readme and "UNSIGNED" not in (ET.fromstring(dist).findtext("title") or ""),
              "a signed product says UNSIGNED")
        mc_path = os.path.join(out, "qdt-pppc.mobileconfig")
        if check(os.path.isfile(mc_path), "no MDM profile beside the signed pkg"):
            text = open(mc_path).read()
            check("@TEAM_ID@" not in text and team in text, "the MDM profile's team is not filled in")
            mc = plistlib.loads(text.encode())
            tcc = [p for p in mc["PayloadContent"] if p["PayloadType"] == "com.apple.TCC.configuration-profile-policy"]
            entries = tcc[0]["Services"]["SystemPolicyAllFiles"] if tcc else []
            signed_ids = {os.path.basename(c["args"][-1]): opt(c["args"], "--identifier") for c in calls
                          if c["tool"] == "codesign" and "--identifier" in c["args"]}
            for e in entries:
                prog = os.path.basename(e["Identifier"])
                m = re.search(r'identifier "([^"]+)"', e["CodeRequirement"])
                check(m and m.group(1) == signed_ids.get(prog),
                      f"the profile requires {prog} to be {m and m.group(1)!r}, it was signed as {signed_ids.get(prog)!r}")
                check(f'certificate leaf[subject.OU] = "{team}"' in e["CodeRequirement"],
                      f"{prog}'s requirement does not name team {team}")
    else:
        check("--sign" not in pb_args, "an unsigned build passed --sign to productbuild")
        check(not sub and not staple, "an unsigned build was notarized")
        check(readme.startswith("UNSIGNED TEST BUILD, FOR TESTING ONLY."),
              f"the pkg's README does not start with the testing-only notice: {readme[:80]!r}")
        title = ET.fromstring(dist).findtext("title") or ""
        check("(UNSIGNED, for testing only)" in title, f"the title is {title!r}")
        check(not os.path.exists(os.path.join(out, "qdt-pppc.mobileconfig")), "an MDM profile for an unsigned build")
    check(f"QDT {version} for Apple Silicon" in readme and "@" not in readme.split("\n")[0],
          "the README has no version line or an unfilled placeholder")


if __name__ == "__main__":
    if len(sys.argv) not in (6, 10) or sys.argv[4] not in ("signed", "unsigned"):
        sys.exit(__doc__)
    a = sys.argv[1:] + [None] * (10 - len(sys.argv))
    main(*a)
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    print(f"signing ({sys.argv[4]}): " + ("ok" if not problems else f"{len(problems)} problems"))
    sys.exit(1 if problems else 0)
