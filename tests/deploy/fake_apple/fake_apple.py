#!/usr/bin/env python3
"""Stand-ins for the Apple tools deploy/macos/build-pkg.sh runs, for
macos_pkg_test on Linux. The test links each tool name (codesign, lipo, otool,
install_name_tool, pkgbuild, productbuild, plutil, xcrun, pkgutil, spctl,
security, macdeployqt, uname, sysctl, cmake) to this file in a folder put first
on PATH; the name it is called by picks the tool.

Every call is appended to $FAKE_APPLE_LOG as one JSON line {"tool", "args"},
so the test can check which files were signed, with which options, in which
order. Mach-O state (dependencies, ids, rpaths, signatures) lives in
$FAKE_APPLE_STATE (JSON) so that otool reports what install_name_tool changed
and codesign --verify fails on a file modified after it was signed, as the real
tools do. Output formats follow the real tools' (the man pages of otool(1),
lipo(1), codesign(1), security(1), pkgutil(1), spctl(8), notarytool(1)); they
are not captures: where this file and a real Mac disagree, the Mac is right.

Environment:
  FAKE_APPLE_LOG, FAKE_APPLE_STATE  the call log and the state file (required)
  FAKE_IDENTITIES     identities in the keychain, one per line ("Developer ID ...")
  FAKE_OTOOL_DEPS     JSON {file name: [install names]}: a Mach-O's dependencies
  FAKE_OTOOL_RPATHS   JSON {file name: [paths]}: its LC_RPATH entries
  FAKE_OTOOL_MINOS    JSON {file name: "X.Y"}: its minimum macOS (default 14.0)
  FAKE_NOTARY_STATUS  what notarytool answers (default Accepted)
  FAKE_QT_LIB         an ELF file macdeployqt copies in as Qt frameworks/plug-ins
"""
import io
import json
import os
import plistlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

TOOL = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]
HERE = os.path.dirname(os.path.realpath(__file__))


def log():
    with open(os.environ["FAKE_APPLE_LOG"], "a") as f:
        f.write(json.dumps({"tool": TOOL, "args": ARGS}) + "\n")


def load_state():
    try:
        with open(os.environ["FAKE_APPLE_STATE"]) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"seq": 0, "files": {}, "products": {}}


def save_state(state):
    with open(os.environ["FAKE_APPLE_STATE"], "w") as f:
        json.dump(state, f, indent=1)


def fail(msg, code=1):
    print(f"{TOOL}: {msg}", file=sys.stderr)
    sys.exit(code)


def is_binary(path):
    """ELF (what this Linux machine builds) or Mach-O counts as a Mach-O here."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError:
        return False
    return magic in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


def macho(state, path):
    """The state of one file, made from FAKE_OTOOL_* when first seen."""
    key = os.path.realpath(path)
    if key not in state["files"]:
        name = os.path.basename(path)
        deps = json.loads(os.environ.get("FAKE_OTOOL_DEPS", "{}")).get(name, [])
        rpaths = json.loads(os.environ.get("FAKE_OTOOL_RPATHS", "{}")).get(name, [])
        state["files"][key] = {
            "id": f"/opt/homebrew/lib/{name}" if ".dylib" in name else None,
            "deps": list(deps), "rpaths": list(rpaths), "modified": 0, "signed": None}
    return state["files"][key]


def bump(state):
    state["seq"] += 1
    return state["seq"]


def identities():
    return [l.strip() for l in os.environ.get("FAKE_IDENTITIES", "").splitlines() if l.strip()]


# ---------------------------------------------------------------- tools
def uname():
    print("arm64" if ARGS == ["-m"] else "Darwin")


def sysctl():
    if ARGS != ["-n", "hw.optional.arm64"]:
        fail(f"unknown oid {ARGS}")
    print(1)


def lipo():
    if len(ARGS) != 2 or ARGS[0] != "-archs":
        fail("only -archs FILE")
    if not is_binary(ARGS[1]):
        fail(f"fatal error: can't figure out the architecture type of: {ARGS[1]}")
    print(os.environ.get("FAKE_LIPO_ARCHS", "arm64"))


def otool():
    if len(ARGS) != 2 or ARGS[0] not in ("-L", "-l"):
        fail("only -L FILE or -l FILE")
    path = ARGS[1]
    if not is_binary(path):
        fail(f"{path}: is not an object file")
    state = load_state()
    m = macho(state, path)
    save_state(state)
    if ARGS[0] == "-L":
        print(f"{path}:")
        for dep in ([m["id"]] if m["id"] else []) + m["deps"] + ["/usr/lib/libSystem.B.dylib"]:
            print(f"\t{dep} (compatibility version 1.0.0, current version 1.0.0)")
    else:
        # LC_BUILD_VERSION as otool -l prints it (platform 1 = macOS).
        minos = json.loads(os.environ.get("FAKE_OTOOL_MINOS", "{}")).get(os.path.basename(path), "14.0")
        print(f"Load command 9\n      cmd LC_BUILD_VERSION\n  cmdsize 32\n platform 1\n"
              f"    minos {minos}\n      sdk 15.0\n   ntools 1\n     tool 3\n  version 1115.7.3")
        for i, rp in enumerate(m["rpaths"]):
            print(f"Load command {20 + i}\n          cmd LC_RPATH\n      cmdsize 32\n"
                  f"         path {rp} (offset 12)")


def install_name_tool():
    path = ARGS[-1]
    if not os.access(path, os.W_OK):
        fail(f"can't open {path} for writing")
    state = load_state()
    m = macho(state, path)
    opts = ARGS[:-1]
    i = 0
    while i < len(opts):
        o = opts[i]
        if o == "-id":
            m["id"] = opts[i + 1]; i += 2
        elif o == "-change":
            if opts[i + 1] in m["deps"]:
                m["deps"][m["deps"].index(opts[i + 1])] = opts[i + 2]
            i += 3
        elif o == "-add_rpath":
            if opts[i + 1] in m["rpaths"]:
                fail(f"for: {path} would duplicate path, file already has LC_RPATH for: {opts[i + 1]}")
            m["rpaths"].append(opts[i + 1]); i += 2
        elif o == "-delete_rpath":
            if opts[i + 1] not in m["rpaths"]:
                fail(f"no LC_RPATH load command with path: {opts[i + 1]} found in: {path}")
            m["rpaths"].remove(opts[i + 1]); i += 2
        else:
            fail(f"unknown option {o}")
    m["modified"] = bump(state)
    save_state(state)


def codesign():
    state = load_state()
    path = ARGS[-1]
    if "--verify" in ARGS:
        return verify(state, path, "--deep" in ARGS)
    if "--sign" not in ARGS:
        fail("only --sign or --verify")
    identity = ARGS[ARGS.index("--sign") + 1]
    if identity != "-" and identity not in identities():
        fail(f"{identity}: no identity found")
    ent = ARGS[ARGS.index("--entitlements") + 1] if "--entitlements" in ARGS else None
    if ent:
        with open(ent, "rb") as f:
            plistlib.load(f)  # codesign refuses entitlements that are not a plist
    if os.path.isdir(path):
        state["files"].setdefault(os.path.realpath(path), {"modified": 0, "signed": None})
        entry = state["files"][os.path.realpath(path)]
    elif is_binary(path):
        entry = macho(state, path)
    else:
        fail(f"{path}: code object is not a Mach-O (this stand-in signs only binaries and bundles)")
    entry["signed"] = {"seq": bump(state), "identity": identity,
                       "runtime": "--options" in ARGS and ARGS[ARGS.index("--options") + 1] == "runtime",
                       "timestamp": "--timestamp" in ARGS}
    save_state(state)
    print(f"{path}: signed")


def signed_ok(state, path):
    e = state["files"].get(os.path.realpath(path))
    return e is not None and e["signed"] is not None and e["signed"]["seq"] > e["modified"]


def verify(state, path, deep):
    if not signed_ok(state, path):
        fail(f"{path}: code object is not signed at all (or changed since it was signed)", 1)
    if deep and os.path.isdir(path):
        for root, _, files in os.walk(path):
            for name in files:
                f = os.path.join(root, name)
                if os.path.islink(f) or not is_binary(f):
                    continue
                covered = signed_ok(state, f)
                if not covered and ".framework" in root:
                    covered = signed_ok(state, root[:root.index(".framework") + len(".framework")])
                if not covered and not f.startswith(os.path.join(path, "Contents", "MacOS")):
                    fail(f"{f}: nested code is not signed at all", 1)
    print(f"{path}: valid on disk\n{path}: satisfies its Designated Requirement")


def security():
    if not ARGS or ARGS[0] != "find-identity":
        fail("only find-identity")
    want = ARGS[ARGS.index("-p") + 1] if "-p" in ARGS else None
    ids = [i for i in identities() if want != "codesigning" or "Application" in i]
    for n, i in enumerate(ids, 1):
        print(f'  {n}) {n:040X} "{i}"')
    print(f"     {len(ids)} valid identities found")


def opt(name, required=True):
    if name in ARGS:
        return ARGS[ARGS.index(name) + 1]
    if required:
        fail(f"{name} is required")
    return None


def pkgbuild():
    root = opt("--root")
    if "--analyze" in ARGS:
        apps = sorted(os.path.relpath(os.path.join(d, n), root)
                      for d, dirs, _ in os.walk(root) for n in dirs if n.endswith(".app"))
        with open(ARGS[-1], "wb") as f:
            plistlib.dump([{"BundleHasStrictIdentifier": True, "BundleIsRelocatable": True,
                            "BundleIsVersionChecked": True, "BundleOverwriteAction": "upgrade",
                            "RootRelativeBundlePath": a} for a in apps], f)
        return
    info = {"identifier": opt("--identifier"), "version": opt("--version"),
            "install-location": opt("--install-location")}
    comp = opt("--component-plist", required=False)
    if comp:
        with open(comp, "rb") as f:
            info["components"] = plistlib.load(f)
    with tarfile.open(ARGS[-1], "w:gz") as t:
        t.add(root, arcname="payload")
        scripts = opt("--scripts", required=False)
        if scripts:
            t.add(scripts, arcname="scripts")
        data = json.dumps(info).encode()
        ti = tarfile.TarInfo("PackageInfo.json")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))


def plutil():
    if ARGS[0] == "-replace" and ARGS[2] == "-bool":
        path = ARGS[-1]
        with open(path, "rb") as f:
            data = plistlib.load(f)
        index, key = ARGS[1].split(".", 1)
        data[int(index)][key] = ARGS[3].upper() in ("YES", "TRUE")
        with open(path, "wb") as f:
            plistlib.dump(data, f)
    elif ARGS[0] == "-replace" and ARGS[2] == "-string":
        path = ARGS[-1]
        with open(path, "rb") as f:
            data = plistlib.load(f)
        if not isinstance(data, dict):
            fail(f"{path}: not a dictionary")
        data[ARGS[1]] = ARGS[3]
        with open(path, "wb") as f:
            plistlib.dump(data, f)
    elif ARGS[0] == "-extract" and ARGS[2] == "raw":
        with open(ARGS[-1], "rb") as f:
            raw = f.read()
        try:
            data = json.loads(raw)
        except ValueError:
            data = plistlib.loads(raw)
        if ARGS[1] not in data:
            fail(f"Could not extract value, error: No value at that key path or invalid key path: {ARGS[1]}")
        print(data[ARGS[1]])
    else:
        fail(f"unsupported {ARGS}")


def productbuild():
    dist, pkgs, out = opt("--distribution"), opt("--package-path"), ARGS[-1]
    resources = opt("--resources", required=False)
    identity = opt("--sign", required=False)
    if identity and identity not in identities():
        fail(f"Could not find appropriate signing identity for \"{identity}\"")
    root = ET.parse(dist).getroot()
    names = [r.text for r in root.iter("pkg-ref") if r.text]
    for n in names:
        if not os.path.isfile(os.path.join(pkgs, n)):
            fail(f"{n} not found in {pkgs}")
    readme = root.find("readme")
    if readme is not None and not (resources and os.path.isfile(os.path.join(resources, readme.get("file")))):
        fail(f"readme {readme.get('file')} not found in the resources")
    with tarfile.open(out, "w:gz") as t:
        t.add(dist, arcname="Distribution")
        if resources:
            t.add(resources, arcname="Resources")
        for n in names:
            t.add(os.path.join(pkgs, n), arcname=n)
    state = load_state()
    state["products"][os.path.realpath(out)] = {"signed": identity, "notarized": False, "stapled": False}
    save_state(state)


def xcrun():
    if ARGS[:1] == ["--find"]:
        print(f"/Applications/Xcode.app/Contents/Developer/usr/bin/{ARGS[1]}")
        return
    state = load_state()
    if ARGS[:2] == ["notarytool", "submit"]:
        product = state["products"].get(os.path.realpath(ARGS[2]))
        status = os.environ.get("FAKE_NOTARY_STATUS", "Accepted")
        if product is None or not product["signed"]:
            status = "Invalid"  # Apple refuses an unsigned product archive
        if status == "Accepted":
            product["notarized"] = True
        save_state(state)
        print(json.dumps({"id": "2efe2717-52ef-43a5-96dc-0797e4ca1041",
                          "message": "Processing complete", "status": status}))
    elif ARGS[:2] == ["notarytool", "log"]:
        with open(ARGS[-1], "w") as f:
            json.dump({"status": "Invalid", "issues": [{"message": "stand-in log"}]}, f)
    elif ARGS[:2] == ["stapler", "staple"]:
        product = state["products"].get(os.path.realpath(ARGS[2]))
        if not product or not product["notarized"]:
            fail("Could not find base64 encoded ticket in response", 65)
        product["stapled"] = True
        save_state(state)
        print("The staple and validate action worked!")
    elif ARGS[:2] == ["stapler", "validate"]:
        product = state["products"].get(os.path.realpath(ARGS[2]))
        if not product or not product["stapled"]:
            fail(f"{ARGS[2]} does not have a ticket stapled to it.", 65)
        print("The validate action worked!")
    else:
        fail(f"unsupported {ARGS}")


def pkgutil():
    if ARGS[:1] != ["--check-signature"]:
        fail(f"unsupported {ARGS}")
    product = load_state()["products"].get(os.path.realpath(ARGS[1]))
    print(f"Package \"{os.path.basename(ARGS[1])}\":")
    if not product or not product["signed"]:
        print("   Status: no signature")
        sys.exit(1)
    print("   Status: signed by a developer certificate issued by Apple for distribution")
    if product["stapled"]:
        print("   Notarization: trusted by the Apple notary service")
    print(f"   Certificate Chain:\n    1. {product['signed']}")


def spctl():
    product = load_state()["products"].get(os.path.realpath(ARGS[-1]), {})
    if product.get("stapled"):
        print(f"{ARGS[-1]}: accepted\nsource=Notarized Developer ID\norigin={product['signed']}")
    elif product.get("signed"):
        print(f"{ARGS[-1]}: rejected\nsource=Unnotarized Developer ID")
        sys.exit(3)
    else:
        print(f"{ARGS[-1]}: rejected\nsource=no usable signature")
        sys.exit(3)


def macdeployqt():
    app = ARGS[0]
    exe_dir = os.path.join(app, "Contents", "MacOS")
    if not os.path.isdir(exe_dir) or not os.listdir(exe_dir):
        fail(f"{app}: no executable in Contents/MacOS")
    lib = os.environ["FAKE_QT_LIB"]
    for fw in ("QtCore", "QtWidgets"):
        base = os.path.join(app, "Contents", "Frameworks", f"{fw}.framework")
        os.makedirs(os.path.join(base, "Versions", "A"), exist_ok=True)
        shutil.copy(lib, os.path.join(base, "Versions", "A", fw))
        if not os.path.islink(os.path.join(base, "Versions", "Current")):
            os.symlink("A", os.path.join(base, "Versions", "Current"))
            os.symlink(f"Versions/Current/{fw}", os.path.join(base, fw))
    plugins = os.path.join(app, "Contents", "PlugIns", "platforms")
    os.makedirs(plugins, exist_ok=True)
    shutil.copy(lib, os.path.join(plugins, "libqcocoa.dylib"))
    os.makedirs(os.path.join(app, "Contents", "Resources"), exist_ok=True)
    with open(os.path.join(app, "Contents", "Resources", "qt.conf"), "w") as f:
        f.write("[Paths]\nPlugins = PlugIns\n")


def real(tool):
    fake_dir = os.path.dirname(os.path.abspath(sys.argv[0]))
    for d in os.environ["PATH"].split(os.pathsep):
        p = os.path.join(d, tool)
        if os.path.abspath(d) != fake_dir and os.access(p, os.X_OK):
            return p
    fail(f"no real {tool} on PATH")


def cmake():
    """Real CMake, except that `--install --component console` lays the console
    out as the macOS build would (qdt-console.app with its Info.plist and icon):
    a Linux build installs a bare bin/qdt-console."""
    if "--install" not in ARGS or opt("--component", required=False) != "console":
        os.execv(real("cmake"), [real("cmake")] + ARGS)
    build, prefix = opt("--install"), opt("--prefix")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([real("cmake"), "--install", build, "--component", "console", "--prefix", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        contents = os.path.join(prefix, "qdt-console.app", "Contents")
        os.makedirs(os.path.join(contents, "MacOS"), exist_ok=True)
        shutil.copy(os.path.join(tmp, "bin", "qdt-console"), os.path.join(contents, "MacOS"))
    info = os.path.join(build, "console", "Info.plist")
    if not os.path.isfile(info):
        fail(f"no configured Info.plist at {info}")
    shutil.copy(info, os.path.join(contents, "Info.plist"))
    # console/CMakeLists.txt puts the icon into Contents/Resources (MACOSX_PACKAGE_LOCATION).
    icns = os.path.join(HERE, "..", "..", "..", "console", "resources", "qdt.icns")
    if not os.path.isfile(icns):
        fail(f"no icon at {icns}")
    os.makedirs(os.path.join(contents, "Resources"), exist_ok=True)
    shutil.copy(icns, os.path.join(contents, "Resources"))


if __name__ == "__main__":
    log()
    tools = {f.__name__: f for f in (uname, sysctl, lipo, otool, install_name_tool, codesign, security,
                                     pkgbuild, plutil, productbuild, xcrun, pkgutil, spctl, macdeployqt,
                                     cmake)}
    if TOOL not in tools:
        fail(f"fake_apple.py does not stand in for {TOOL}")
    tools[TOOL]()
