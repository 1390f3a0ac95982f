#!/usr/bin/env bash
# The macOS package without a Mac: build-pkg.sh --stage-only lays out the
# payload, scripts and Distribution file (with and without the console); the
# launchd plist and the Distribution file are parsed and checked against the
# payload (check_macos_pkg.py); then, as root, the install is played in a
# throwaway root with stand-ins for launchctl, sysctl and pkgutil
# (pkg_in_root.sh). pkgbuild, productbuild, otool and macdeployqt only exist
# on a Mac: that part of build-pkg.sh is not run here.
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
fio=$(command -v fio) || fail "fio not found"
# A stand-in smartctl (this machine has no drive SMART to read); it must
# answer --version, as build-pkg.sh checks the staged copy.
smartctl="$work/smartctl"
printf '#!/bin/sh\necho "smartctl 7.4 (stand-in for the macOS package test)"\n' >"$smartctl"
chmod 0755 "$smartctl"

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
  python3 "$here/check_macos_pkg.py" "$work/console/stage" "$version" with-console
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
  if bash "$src/deploy/macos/build-pkg.sh" --out "$work/x" >"$work/linux.log" 2>&1; then fail "build-pkg.sh ran on $(uname -s)"; fi
  grep -q 'on macOS only' "$work/linux.log" || fail "no clear error off macOS: $(cat "$work/linux.log")"
fi

# shellcheck source=throwaway_root.sh
. "$here/throwaway_root.sh"
if ! why=$(throwaway_root_possible "$work"); then echo "SKIP: the install part: $why"; exit 77; fi
echo "== install, update, uninstall in a throwaway root"
unshare --mount --net --pid --fork --kill-child bash "$here/pkg_in_root.sh" "$work/root" "$work/no-console/stage"
echo "PASS"
