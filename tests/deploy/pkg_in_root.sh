#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs inside macos_pkg_test.sh's private namespaces: the staged macOS payload
# is "installed" into a throwaway root (throwaway_root.sh) the way Installer
# does it (preinstall, payload, postinstall with $3 = /), with launchctl,
# sysctl and pkgutil replaced by the stand-ins in fake_macos/ (launchctl starts
# the daemon as its plist says). The agent must answer `qdtctl info` with the
# config's token; uninstall.sh must leave nothing.
# usage: pkg_in_root.sh WORK_DIR STAGE_DIR
set -euo pipefail

work=$1
stage=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
support="/Library/Application Support/QDT"
fail() {
  echo "FAIL: $*" >&2
  [ -f "$r/Library/Logs/QDT/agent.log" ] && sed 's/^/  agent: /' "$r/Library/Logs/QDT/agent.log" >&2
  exit 1
}

# shellcheck source=throwaway_root.sh
. "$here/throwaway_root.sh"
throwaway_root_mount "$work"
# The folders a Mac has before QDT comes.
system_folders=(/Library /Library/LaunchDaemons /Library/Logs "/Library/Application Support"
                /Applications /private /private/etc /private/etc/paths.d)
for d in "${system_folders[@]}"; do mkdir -p "$r$d"; done
mkdir -p "$r/tmp/fakebin" "$r/tmp/scripts" "$r/tmp/dist"
cp "$here/fake_macos/launchctl" "$here/fake_macos/sysctl" "$here/fake_macos/pkgutil" "$r/tmp/fakebin/"
cp "$stage"/scripts/* "$r/tmp/scripts/"
touch "$r/tmp/dist/QDT-test.pkg"

# As Installer runs a script: root, $1 the component package, $2 the install
# location, $3 the target volume, PACKAGE_PATH the .pkg the user opened.
mac() { chroot "$r" env PATH="/tmp/fakebin:/usr/bin:/bin:/usr/sbin:/sbin" "$@"; }
run_script() {
  mac QDT_FAKE_ARM64="${arm64-1}" PACKAGE_PATH=/tmp/dist/QDT-test.pkg \
    "/tmp/scripts/$1" /tmp/dist/QDT-test.pkg/Contents/qdt-agent.pkg / /
}
install_pkg() {
  run_script preinstall >"$work/preinstall.log" 2>&1 || fail "preinstall: $(cat "$work/preinstall.log")"
  cp -a "$stage/agent-root/." "$r/"
  run_script postinstall >"$work/postinstall.log" 2>&1 || fail "postinstall: $(cat "$work/postinstall.log")"
}
config_value() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get(sys.argv[2]) or c[sys.argv[3]])' \
    "$r$support/agent.json" "$1" "$2"
}
wait_info() {
  local token_file port i
  token_file=$(config_value tokenFile token_file)
  port=$(config_value listen listen)
  port=${port##*:}
  for ((i = 0; i < 150; i++)); do
    if mac /Library/QDT/bin/qdtctl --agent "127.0.0.1:$port" --token-file "$token_file" info \
      >"$work/info.txt" 2>&1; then
      return 0
    fi
    mac launchctl print system/com.qdt.agent >/dev/null || fail "the daemon is not running: $(cat "$work/info.txt")"
    sleep 0.2
  done
  fail "qdtctl info never answered: $(cat "$work/info.txt")"
}

# 1. An Intel Mac is refused before anything is installed.
for value in "" 0; do
  if arm64=$value run_script preinstall >"$work/intel.log" 2>&1; then
    fail "preinstall accepted an Intel Mac (hw.optional.arm64=\"$value\")"
  fi
  grep -q "Intel" "$work/intel.log" || fail "the Intel refusal does not say why: $(cat "$work/intel.log")"
done
echo "Intel Mac refused: $(head -1 "$work/intel.log")"

# 2. A bad token file beside the .pkg is refused by name, before anything is installed.
printf '  \n' >"$r/tmp/dist/qdt-token.txt"
if run_script preinstall >"$work/badtoken.log" 2>&1; then fail "preinstall accepted an empty token file"; fi
grep -q '/tmp/dist/qdt-token.txt' "$work/badtoken.log" || fail "the error does not name the file: $(cat "$work/badtoken.log")"
[ ! -e "$r/Library/QDT" ] || fail "a refused install left /Library/QDT"

# 3. Install with the rig token beside the .pkg: the daemon runs as its plist says.
printf 'rig-token-for-the-test-42\n' >"$r/tmp/dist/qdt-token.txt"
install_pkg
[ "$(cat "$r$support/token")" = "rig-token-for-the-test-42" ] || fail "the token is not the one beside the pkg"
[ "$(stat -c %a "$r$support/token")" = 600 ] || fail "token mode $(stat -c %a "$r$support/token")"
grep -q 'bootstrap system /Library/LaunchDaemons/com.qdt.agent.plist' "$r/tmp/fake-launchd/calls.log" \
  || fail "postinstall did not bootstrap the daemon: $(cat "$r/tmp/fake-launchd/calls.log")"
wait_info
echo "qdtctl info (token from the config's token file):"
sed 's/^/  /' "$work/info.txt"
grep -q 'fio .* at /Library/QDT/bin/fio' "$work/info.txt" || fail "the agent does not use the bundled fio"
grep -q 'macos probes' "$work/info.txt" || fail "the agent does not use the macOS probes"
[ -s "$r/Library/Logs/QDT/agent.log" ] || fail "nothing in /Library/Logs/QDT/agent.log"

# 4. An update (the same package again): the daemon is restarted, config and token kept.
install_pkg
grep -q 'stopping the running agent' "$work/preinstall.log" || fail "the update did not stop the agent first"
[ "$(cat "$r$support/token")" = "rig-token-for-the-test-42" ] || fail "the update changed the token"
wait_info

# 5. Uninstall: nothing left.
mac /Library/QDT/uninstall.sh >"$work/uninstall.log" 2>&1 || fail "uninstall: $(cat "$work/uninstall.log")"
if mac launchctl print system/com.qdt.agent >/dev/null; then fail "the daemon still runs after uninstall"; fi
mapfile -t leftovers < <(throwaway_root_leftovers "$work" "${system_folders[@]}")
[ ${#leftovers[@]} -eq 0 ] || fail "left after uninstall: ${leftovers[*]}"

# 6. Install with no token beside the .pkg: a new one is made and shown.
rm "$r/tmp/dist/qdt-token.txt"
install_pkg
token=$(cat "$r$support/token")
grep -Eqx '[0-9a-f]{64}' <<<"$token" || fail "the generated token is \"$token\""
grep -qF "rig token: $token" "$work/postinstall.log" || fail "postinstall did not show the new token"
wait_info
# --keep-data keeps the config, token and runs; a full uninstall then removes them.
mac /Library/QDT/uninstall.sh --keep-data >"$work/uninstall.log" 2>&1 || fail "uninstall --keep-data"
[ "$(cat "$r$support/token")" = "$token" ] || fail "--keep-data lost the token"
[ ! -e "$r/Library/QDT" ] || fail "--keep-data left the programs"
cp "$here/../../deploy/macos/uninstall.sh" "$r/tmp/uninstall.sh"
mac /tmp/uninstall.sh >"$work/uninstall.log" 2>&1 || fail "uninstall: $(cat "$work/uninstall.log")"
mapfile -t leftovers < <(throwaway_root_leftovers "$work" "${system_folders[@]}")
[ ${#leftovers[@]} -eq 0 ] || fail "left after uninstall: ${leftovers[*]}"
echo "install, update, uninstall (twice) left nothing"
