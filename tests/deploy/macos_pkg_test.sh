#!/usr/bin/env bash
# The macOS package without a Mac.
# 1. build-pkg.sh --stage-only lays out the payload, scripts and Distribution
#    file (with and without the console); the launchd plist, the Distribution
#    file and the MDM profile are parsed and checked against the payload
#    (check_macos_pkg.py). An fio older than 3.42 is refused.
# 2. The whole build-pkg.sh, with stand-ins for the Apple tools that log every
#    call (fake_apple/fake_apple.py): signed and notarized, unsigned, without
#    identities (stops, writes nothing), with a rejected notarization; what was
#    signed how and in which order is checked against the product
#    (check_signing.py).
# 3. As root, the install is played in a throwaway root with stand-ins for
#    launchctl, sysctl and pkgutil (pkg_in_root.sh).
#
# usage: macos_pkg_test.sh BUILD_DIR CONSOLE_BUILT(ON|OFF)   exit 77 = install part skipped
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

build=$(cd "$1" && pwd)
console_built=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/qdt-pkg-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^project(qdt VERSION \([0-9][0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

# Stand-ins for the bundled tools: small programs (build-pkg.sh checks that a
# bundled tool is a binary for the Mac's architecture, and runs --version).
tool() {  # PATH "FIRST LINE OF --version"
  mkdir -p "$(dirname "$1")"
  printf '#include <stdio.h>\nint main(void) { puts("%s"); return 0; }\n' "$2" >"$1.c"
  cc -o "$1" "$1.c" || fail "cc $1.c"
}
tool "$work/tools/fio" "fio-3.42"
tool "$work/tools/fio-3.41/fio" "fio-3.41"
tool "$work/tools/fio-git/fio" "fio-3.42-17-g41880b9b"
tool "$work/tools/smartctl" "smartctl 7.4 2023-08-01 r5530 [Darwin 24.1.0 arm64] (stand-in)"
fio="$work/tools/fio"
smartctl="$work/tools/smartctl"

stage_pkg() {  # OUT [build-pkg.sh options]
  local out=$1
  shift
  bash "$src/deploy/macos/build-pkg.sh" --stage-only --build-dir "$build" --out "$out" --fio "$fio" --smartctl "$smartctl" "$@" \
    >"$out.log" 2>&1 || { cat "$out.log"; fail "build-pkg.sh --stage-only $*"; }
}

echo "== build-pkg.sh --stage-only --no-console"
stage_pkg "$work/no-console" --no-console
python3 "$here/check_macos_pkg.py" "$work/no-console/stage" "$version" no-console
if [ "$console_built" = ON ]; then
  echo "== build-pkg.sh --stage-only"
  stage_pkg "$work/console"
  # The console's configured Info.plist: its bundle id is the one the daemon's plist names.
  python3 "$here/check_macos_pkg.py" "$work/console/stage" "$version" with-console "$build/console/Info.plist"
fi
if bash "$src/deploy/macos/build-pkg.sh" --stage-only --build-dir "$build" --out "$work/nosmart" \
  --fio "$fio" --smartctl "$work/absent/smartctl" >"$work/nosmart.log" 2>&1; then
  fail "build-pkg.sh staged a package without smartctl"
fi
grep -q -- '--smartctl: no smartctl found at "'"$work"'/absent/smartctl"' "$work/nosmart.log" \
  || fail "no clear error without smartctl: $(cat "$work/nosmart.log")"
if bash "$src/deploy/macos/build-pkg.sh" --bogus >"$work/bogus.log" 2>&1; then fail "build-pkg.sh took --bogus"; fi
grep -q 'unknown argument "--bogus"' "$work/bogus.log" || fail "build-pkg.sh --bogus: $(cat "$work/bogus.log")"
if [ "$(uname -s)" != Darwin ]; then
  if bash "$src/deploy/macos/build-pkg.sh" --unsigned --out "$work/x" >"$work/linux.log" 2>&1; then fail "build-pkg.sh ran on $(uname -s)"; fi
  grep -q 'on macOS only' "$work/linux.log" || fail "no clear error off macOS: $(cat "$work/linux.log")"
fi

echo "== fio older than 3.42 is refused (page cache), a git build of 3.42 is taken"
if bash "$src/deploy/macos/build-pkg.sh" --stage-only --build-dir "$build" --out "$work/old-fio" \
  --fio "$work/tools/fio-3.41/fio" --smartctl "$smartctl" >"$work/old-fio.log" 2>&1; then
  fail "build-pkg.sh staged a package with fio 3.41"
fi
grep -q 'is fio 3.41; the package needs 3.42 or newer: older fio cannot drop the page cache on macOS' "$work/old-fio.log" \
  || fail "no clear error for fio 3.41: $(cat "$work/old-fio.log")"
[ ! -e "$work/old-fio" ] || fail "a refused fio left $work/old-fio"
stage_pkg "$work/git-fio" --no-console --fio "$work/tools/fio-git/fio"

echo "== fio and smartctl built from unpacked source releases (configure + make)"
src_release() {  # DIR PROGRAM "FIRST LINE OF --version"
  mkdir -p "$1"
  printf '#include <stdio.h>\nint main(void) { puts("%s"); return 0; }\n' "$3" >"$1/$2.c"
  printf '#!/bin/sh\necho "$*" >configured-with\n' >"$1/configure"
  chmod 0755 "$1/configure"
  printf '%s: %s.c\n\tcc -o %s %s.c\n' "$2" "$2" "$2" "$2" >"$1/Makefile"
}
src_release "$work/src/fio-3.42" fio "fio-3.42"
src_release "$work/src/smartmontools-7.4" smartctl "smartctl 7.4 2023-08-01 r5530 [Darwin 24.1.0 arm64] (built here)"
stage_pkg "$work/from-source" --no-console --fio-source "$work/src/fio-3.42" --smartmontools-source "$work/src/smartmontools-7.4"
[ "$(cat "$work/src/fio-3.42/configured-with")" = --disable-native ] || fail "fio configured with: $(cat "$work/src/fio-3.42/configured-with")"
cmp -s "$work/src/fio-3.42/fio" "$work/from-source/stage/agent-root/Library/QDT/bin/fio" || fail "the staged fio is not the one built from source"
"$work/from-source/stage/agent-root/Library/QDT/bin/smartctl" | grep -q 'built here' || fail "the staged smartctl is not the one built from source"
rm "$work/src/smartmontools-7.4/configure"
if bash "$src/deploy/macos/build-pkg.sh" --stage-only --build-dir "$build" --out "$work/no-configure" \
  --fio "$fio" --smartmontools-source "$work/src/smartmontools-7.4" >"$work/no-configure.log" 2>&1; then
  fail "build-pkg.sh took a smartmontools source without configure"
fi
grep -qF -- "--smartmontools-source: \"$work/src/smartmontools-7.4\" has no configure script" "$work/no-configure.log" \
  || fail "no clear error: $(cat "$work/no-configure.log")"

# 2. The whole build with stand-ins for the Apple tools.
fake="$work/fake-bin"
mkdir -p "$fake"
for t in uname sysctl lipo otool install_name_tool codesign security pkgbuild plutil productbuild \
  xcrun pkgutil spctl macdeployqt cmake; do
  ln -s "$here/fake_apple/fake_apple.py" "$fake/$t"
done
# A Homebrew-like library: fio needs it by absolute path, the agent through an
# absolute rpath; build-pkg.sh must copy it in and point both at @rpath.
mkdir -p "$work/brew/lib"
cp "$(readlink -f "$(ldconfig -p | awk '/libz\.so\.1 / {print $NF; exit}')")" "$work/brew/lib/libqdtfake.1.dylib"
app_id="Developer ID Application: QDT Test (ABCDE12345)"
installer_id="Developer ID Installer: QDT Test (ABCDE12345)"
qt_lib=$(ldconfig -p | awk '/libQt6Core\.so\.6 / {print $NF; exit}')
[ -n "$qt_lib" ] || qt_lib="$work/brew/lib/libqdtfake.1.dylib"
mac_build() {  # NAME [build-pkg.sh options]: OUT=$work/NAME, log $work/NAME.calls
  local name=$1
  shift
  env PATH="$fake:$PATH" FAKE_APPLE_LOG="$work/$name.calls" FAKE_APPLE_STATE="$work/$name.state" \
    FAKE_IDENTITIES="$app_id
$installer_id" \
    FAKE_OTOOL_DEPS="{\"fio\": [\"$work/brew/lib/libqdtfake.1.dylib\"], \"qdt-agent\": [\"@rpath/libqdtfake.1.dylib\"]}" \
    FAKE_OTOOL_RPATHS="{\"qdt-agent\": [\"$work/brew/lib\"]}" FAKE_QT_LIB="$(readlink -f "$qt_lib")" \
    bash "$src/deploy/macos/build-pkg.sh" --build-dir "$build" --out "$work/$name" \
    --fio "$fio" --smartctl "$smartctl" "$@" >"$work/$name.log" 2>&1
}
console_flag=()
[ "$console_built" = ON ] || console_flag=(--no-console)

echo "== no identities and no --unsigned: stops, names what is missing, writes nothing"
if mac_build none "${console_flag[@]}" --build-dir "$work/none-build"; then fail "build-pkg.sh built without identities"; fi
for want in 'missing --app-sign "Developer ID Application: NAME (TEAMID)" --sign "Developer ID Installer: NAME (TEAMID)"' \
  '--unsigned for a test build' 'Nothing was built or written.'; do
  grep -qF -- "$want" "$work/none.log" || fail "no \"$want\" in: $(cat "$work/none.log")"
done
if [ -e "$work/none" ] || [ -e "$work/none-build" ]; then fail "a refused build wrote $(ls -d "$work"/none*)"; fi
[ ! -s "$work/none.calls" ] || fail "a refused build ran Apple tools: $(cat "$work/none.calls")"
if mac_build half --app-sign "$app_id"; then fail "build-pkg.sh built without --sign"; fi
grep -qF 'missing --sign "Developer ID Installer' "$work/half.log" || fail "no missing --sign: $(cat "$work/half.log")"
grep -qF 'missing --app-sign' "$work/half.log" && fail "--app-sign named missing though given"
[ ! -e "$work/half" ] || fail "a refused build wrote $work/half"
if mac_build unknown --app-sign "Developer ID Application: Somebody Else (ZZZZZ99999)" \
  --sign "Developer ID Installer: Somebody Else (ZZZZZ99999)"; then fail "signed with an identity not in the keychain"; fi
grep -qF 'is not a valid code-signing identity in the keychain' "$work/unknown.log" || fail "$(cat "$work/unknown.log")"
[ ! -e "$work/unknown" ] || fail "a refused build wrote $work/unknown"
if mac_build mixed --app-sign "$app_id" --sign "Developer ID Installer: Somebody Else (ZZZZZ99999)"; then fail "two teams"; fi
grep -qF 'is not of the team ABCDE12345' "$work/mixed.log" || fail "$(cat "$work/mixed.log")"

echo "== signed and notarized"
mac_build signed "${console_flag[@]}" --app-sign "$app_id" --sign "$installer_id" --notarize qdt-notary \
  || { cat "$work/signed.log"; fail "the signed build failed"; }
python3 "$here/check_signing.py" "$work/signed" "$work/signed.calls" "$work/signed.state" signed "$version" \
  "$app_id" "$installer_id" qdt-notary ABCDE12345

echo "== --unsigned"
mac_build unsigned "${console_flag[@]}" --unsigned || { cat "$work/unsigned.log"; fail "the unsigned build failed"; }
python3 "$here/check_signing.py" "$work/unsigned" "$work/unsigned.calls" "$work/unsigned.state" unsigned "$version"
grep -q 'UNSIGNED: for testing only' "$work/unsigned.log" || fail "the unsigned build does not say so at the end"

echo "== a library built for a newer macOS than the package's is refused; --min-macos moves the floor"
if FAKE_OTOOL_MINOS='{"libqdtfake.1.dylib": "15.0"}' mac_build too-new --no-console --unsigned; then
  fail "a library for macOS 15.0 went into a package for 14.0"
fi
grep -qF 'libqdtfake.1.dylib needs macOS 15.0, but the package is for macOS 14.0 and later: build on macOS 14.0' "$work/too-new.log" \
  || fail "no clear error for a too-new library: $(cat "$work/too-new.log")"
[ ! -e "$work/too-new/QDT-$version-unsigned.pkg" ] || fail "a package was written"
FAKE_OTOOL_MINOS='{"libqdtfake.1.dylib": "15.0"}' mac_build for15 "${console_flag[@]}" --unsigned --min-macos 15.0 \
  || { cat "$work/for15.log"; fail "--min-macos 15.0 with a 15.0 library failed"; }
python3 - "$work/for15/QDT-$version-unsigned.pkg" "$console_built" <<'PY' || fail "the package for macOS 15 does not say so"
import io, plistlib, sys, tarfile, xml.etree.ElementTree as ET
with tarfile.open(sys.argv[1]) as t:
    dist = ET.fromstring(t.extractfile("Distribution").read())
    readme = t.extractfile("Resources/README.txt").read().decode()
    console = t.extractfile("qdt-console.pkg").read() if sys.argv[2] == "ON" else None
mins = [v.get("min") for v in dist.iter("os-version")]
assert mins == ["15.0"], f"allowed-os-versions {mins}"
assert "with macOS 15.0 or later" in readme, readme[:200]
if console:
    with tarfile.open(fileobj=io.BytesIO(console)) as t:
        info = plistlib.load(t.extractfile("payload/Applications/QDT Console.app/Contents/Info.plist"))
    assert info["LSMinimumSystemVersion"] == "15.0", info["LSMinimumSystemVersion"]
PY
if mac_build bad-min --unsigned --min-macos 14; then fail "took --min-macos 14"; fi
grep -qF -- '--min-macos: "14" is not a macOS version like 14.0' "$work/bad-min.log" || fail "$(cat "$work/bad-min.log")"

echo "== notarization rejected: no pkg left, Apple's log kept, nothing stapled"
if FAKE_NOTARY_STATUS=Invalid mac_build rejected --no-console --app-sign "$app_id" --sign "$installer_id" --notarize qdt-notary; then
  fail "a rejected notarization passed"
fi
grep -q 'status "Invalid" (submission 2efe2717-52ef-43a5-96dc-0797e4ca1041)' "$work/rejected.log" || fail "$(cat "$work/rejected.log")"
[ ! -e "$work/rejected/QDT-$version.pkg" ] || fail "the rejected pkg is still there"
[ -s "$work/rejected/notary-log.json" ] || fail "no notary log kept"
if grep -qF '"args": ["stapler", "staple"' "$work/rejected.calls"; then fail "a rejected product was stapled"; fi
grep -qF '"args": ["notarytool", "log", "2efe2717-52ef-43a5-96dc-0797e4ca1041"' "$work/rejected.calls" \
  || fail "Apple's log was not fetched for the rejected submission"

# shellcheck source=throwaway_root.sh
. "$here/throwaway_root.sh"
if ! why=$(throwaway_root_possible "$work"); then echo "SKIP: the install part: $why"; exit 77; fi
echo "== install, update, uninstall in a throwaway root"
unshare --mount --net --pid --fork --kill-child bash "$here/pkg_in_root.sh" "$work/root" "$work/no-console/stage"
echo "PASS"
