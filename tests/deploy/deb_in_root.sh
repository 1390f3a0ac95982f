#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs inside deb_test.sh's private mount, network and PID namespaces, with dpkg
# and the agent chrooted into a throwaway root (throwaway_root.sh).
# usage: deb_in_root.sh WORK_DIR DEB
set -euo pipefail

work=$1
deb=$2
fail() { echo "FAIL: $*" >&2; [ -f "$work/agent.log" ] && sed 's/^/  agent: /' "$work/agent.log" >&2; exit 1; }

# shellcheck source=throwaway_root.sh
. "$(dirname "${BASH_SOURCE[0]}")/throwaway_root.sh"
throwaway_root_mount "$work"
in_root() { chroot "$r" "$@"; }

cp "$deb" "$r/tmp/qdt-agent.deb"
in_root dpkg -i /tmp/qdt-agent.deb >"$work/dpkg-install.log" 2>&1 || { cat "$work/dpkg-install.log"; fail "dpkg -i"; }
grep 'qdt-agent:' "$work/dpkg-install.log" || true
# shellcheck disable=SC2016  # ${Status} is dpkg-query's, not the shell's
status() { in_root dpkg-query -W -f='${Status}' qdt-agent 2>/dev/null || true; }
[ "$(status)" = "install ok installed" ] || fail "not installed: $(status)"

# What postinst made.
[ -f "$r/etc/qdt/agent.json" ] || fail "postinst made no /etc/qdt/agent.json"
[ "$(stat -c %a "$r/etc/qdt/token")" = 600 ] || fail "token mode is $(stat -c %a "$r/etc/qdt/token"), not 600"
grep -Eqx '[0-9a-f]{64}' "$r/etc/qdt/token" || fail "token is not 64 hex digits"

# The unit as systemd would run it: ExecStart's words, StateDirectory= made
# first, UMask= and NoNewPrivileges= applied.
unit="$r/usr/lib/systemd/system/qdt-agent.service"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
state_dir=$(sed -n 's/^StateDirectory=//p' "$unit")
umask_value=$(sed -n 's/^UMask=//p' "$unit")
# LimitNOFILE=: every client connection is a descriptor (issue 15: 1024 let a
# burst of idle connections make the agent deaf).
nofile=$(sed -n 's/^LimitNOFILE=//p' "$unit")
[ "${nofile:-0}" -ge 4096 ] 2>/dev/null || fail "LimitNOFILE= is \"$nofile\", not at least 4096"
# Applied as systemd would (soft and hard); a container without
# CAP_SYS_RESOURCE cannot raise its hard limit: then as far as it allows.
if (ulimit -n "$nofile") 2>/dev/null; then nofile_applied=$nofile; else nofile_applied=$(ulimit -Hn); fi
read -r -a cmd <<<"$exec_start"
echo "ExecStart: ${cmd[*]}"
config=""
for ((i = 0; i < ${#cmd[@]}; i++)); do
  [ "${cmd[$i]}" = "--config" ] && config=${cmd[$((i + 1))]}
done
[ -n "$config" ] || fail "ExecStart names no --config: $exec_start"
read -r token_file listen < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c.get("tokenFile") or c["token_file"], c["listen"])' "$r$config")
port=${listen##*:}
in_root qdt-agent --config "$config" --check-config >"$work/check-config.json" || fail "--check-config"
in_root install -d -m 0700 "/var/lib/$state_dir"

start_agent() {
  (umask "$umask_value" && ulimit -n "$nofile_applied" && exec chroot "$r" setpriv --no-new-privs "${cmd[@]}") >>"$work/agent.log" 2>&1 &
  agent_pid=$!
}
stop_agent() {
  kill -TERM "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
}
wait_info() {
  local i
  for ((i = 0; i < 150; i++)); do
    if in_root qdtctl --agent "127.0.0.1:$port" --token-file "$token_file" info >"$work/info.txt" 2>&1; then
      return 0
    fi
    kill -0 "$agent_pid" 2>/dev/null || fail "qdt-agent exited: $(cat "$work/info.txt")"
    sleep 0.2
  done
  fail "qdtctl info never answered: $(cat "$work/info.txt")"
}

start_agent
wait_info
echo "qdtctl info (token from $token_file):"
sed 's/^/  /' "$work/info.txt"
version=$(dpkg-deb -f "$deb" Version)
grep -Eq "^ *qdt-agent +$version " "$work/info.txt" || fail "info does not show the package's version $version"
grep -q '/usr/bin/fio' "$work/info.txt" || fail "info does not show the fio the config names"
if in_root qdtctl --agent "127.0.0.1:$port" --token "$(printf '0%.0s' {1..64})" info >"$work/bad.txt" 2>&1; then
  fail "a wrong token was accepted"
fi
grep -qi 'token' "$work/bad.txt" || fail "the wrong-token error does not say token: $(cat "$work/bad.txt")"
[ -n "$(ls -A "$r/var/lib/$state_dir")" ] || fail "the agent kept nothing in /var/lib/$state_dir"
grep -q "open files: limit $nofile_applied" "$work/agent.log" ||
  fail "the agent does not log its open-file limit $nofile_applied"
stop_agent

# A reinstall (what an upgrade does) keeps an edited config and the token.
token_before=$(cat "$r/etc/qdt/token")
python3 - "$r/etc/qdt/agent.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["defaultFileSizeBytes"] = "268435456"
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
in_root dpkg -i /tmp/qdt-agent.deb >"$work/dpkg-reinstall.log" 2>&1 || { cat "$work/dpkg-reinstall.log"; fail "reinstall"; }
[ "$(cat "$r/etc/qdt/token")" = "$token_before" ] || fail "the reinstall changed the token"
grep -q 268435456 "$r/etc/qdt/agent.json" || fail "the reinstall overwrote the edited config"
start_agent
wait_info
stop_agent

# Purge: nothing of the package is left. Every change to the root is in the
# overlay's upper layer; what may remain is dpkg's own bookkeeping and the
# folders that existed before (copied up when something was made in them).
in_root dpkg --purge qdt-agent >"$work/dpkg-purge.log" 2>&1 || { cat "$work/dpkg-purge.log"; fail "purge"; }
if [ "$(status)" = "install ok installed" ]; then fail "still installed after purge"; fi
mapfile -t leftovers < <(throwaway_root_leftovers "$work")
if [ ${#leftovers[@]} -gt 0 ]; then fail "left after purge: ${leftovers[*]}"; fi
echo "purge left nothing ($(find "$work/upper" -mindepth 1 | wc -l) paths in the overlay, all dpkg bookkeeping or pre-existing folders)"
