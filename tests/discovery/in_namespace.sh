#!/usr/bin/env bash
# Runs inside the namespace made by discovery_test.sh.
set -euo pipefail
work="$QDT_TEST_WORK"; build="$QDT_TEST_BUILD"; here="$QDT_TEST_HERE"
ip link set lo up
ip link set lo multicast on
# A private /run: the host's D-Bus and Avahi (if any) are not touched.
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon
dbus-daemon --config-file="$here/bus.conf" --fork --nopidfile
avahi-daemon -f "$here/avahi.conf" --no-chroot --no-drop-root --no-rlimits -D
for _ in $(seq 50); do avahi-daemon -c 2>/dev/null && break; sleep 0.1; done
avahi-daemon -c || { echo "FAIL: avahi-daemon did not start"; exit 1; }
cleanup() {
  if [ -n "${agent_pid:-}" ]; then kill "$agent_pid" 2>/dev/null || true; fi
  avahi-daemon -k 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$work/state"
"$build/agent/qdt-agent" --listen 127.0.0.1:0 --port-file "$work/port" --state-dir "$work/state" \
  --advertise-name "qdt-agent discovery test" 2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(cat "$work/port")"
export QT_QPA_PLATFORM=offscreen
found="$("$build/console/qdt-console" --discover --discover-seconds 15 2>"$work/console.log" || true)"
echo "found: $found"
if ! grep -q "^qdt-agent discovery test	127.0.0.1:$port	" <<<"$found"; then
  echo "FAIL: the console did not discover 127.0.0.1:$port"
  cat "$work/agent.log" "$work/console.log" "$work/state/advertise.stderr" 2>/dev/null
  exit 1
fi
grep -q 'advertising "qdt-agent discovery test" as _qdt._tcp' "$work/agent.log" ||
  { echo "FAIL: the agent did not log its announcement"; exit 1; }
# Once the agent stops, its announcement goes with it.
kill "$agent_pid"
wait "$agent_pid" || true
agent_pid=""
for _ in $(seq 50); do
  avahi-browse -rpt _qdt._tcp 2>/dev/null | grep -q "127.0.0.1;$port;" || break
  sleep 0.2
done
if avahi-browse -rpt _qdt._tcp 2>/dev/null | grep -q "127.0.0.1;$port;"; then
  echo "FAIL: the announcement outlived the agent"
  exit 1
fi
echo "PASS: discovered 127.0.0.1:$port by DNS-SD on lo; gone after the agent stopped"
