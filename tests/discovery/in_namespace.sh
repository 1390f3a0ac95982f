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
export QT_QPA_PLATFORM=offscreen
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  avahi-daemon -k 2>/dev/null || true
}
trap cleanup EXIT

# 1. No avahi-daemon yet (the bus is there): the console says so once,
# although it retries the browse every second, and Avahi's compatibility
# layer does not print its "*** WARNING ***" banner.
if "$build/console/qdt-console" --discover --discover-seconds 4 >"$work/none.out" \
    2>"$work/none.err"; then
  echo "FAIL: --discover found agents without a daemon"; cat "$work/none.out"; exit 1
fi
said="$(grep -c 'Avahi daemon not running: ' "$work/none.err" || true)"
if [ "$said" != 1 ]; then
  echo "FAIL: 'Avahi daemon not running' said $said times, not once"; cat "$work/none.err"; exit 1
fi
if grep -q 'WARNING' "$work/none.err"; then
  echo "FAIL: Avahi's compatibility warning was printed"; cat "$work/none.err"; exit 1
fi

avahi-daemon -f "$here/avahi.conf" --no-chroot --no-drop-root --no-rlimits -D
for _ in $(seq 50); do avahi-daemon -c 2>/dev/null && break; sleep 0.1; done
avahi-daemon -c || { echo "FAIL: avahi-daemon did not start"; exit 1; }

# 2. Two agents announce themselves; the console lists both, with their ports.
start_agent() {  # NAME DIR
  mkdir -p "$2"
  "$build/agent/qdt-agent" --listen 127.0.0.1:0 --port-file "$2/port" --state-dir "$2" \
    --advertise-name "$1" 2>"$2/agent.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$2/port" ] && break; sleep 0.1; done
  [ -s "$2/port" ] || { echo "FAIL: agent $1 did not start"; cat "$2/agent.log"; exit 1; }
}
start_agent "qdt-agent discovery test" "$work/a"
start_agent "qdt-agent second" "$work/b"
port_a="$(cat "$work/a/port")"; port_b="$(cat "$work/b/port")"
both_listed() {
  grep -q "^qdt-agent discovery test	127.0.0.1:$port_a	" <<<"$1" &&
    grep -q "^qdt-agent second	127.0.0.1:$port_b	" <<<"$1"
}
# --discover prints the first list it has: the two announcements may reach it
# a moment apart, so a list with one of them is looked at again.
found=""
for _ in 1 2 3 4 5; do
  found="$("$build/console/qdt-console" --discover --discover-seconds 15 2>"$work/console.log" ||
    true)"
  both_listed "$found" && break
  sleep 1
done
echo "found:"; echo "$found"
if ! both_listed "$found"; then
  echo "FAIL: the console did not list both agents (127.0.0.1:$port_a and :$port_b) at once"
  cat "$work"/*/agent.log "$work/console.log" "$work"/*/advertise.stderr 2>/dev/null
  exit 1
fi
if grep -q 'WARNING' "$work/console.log"; then
  echo "FAIL: Avahi's compatibility warning was printed"; cat "$work/console.log"; exit 1
fi
grep -q 'advertising "qdt-agent discovery test" as _qdt._tcp' "$work/a/agent.log" ||
  { echo "FAIL: the agent did not log its announcement"; exit 1; }

# 3. The first agent stops: a new console lists only the second one.
kill "${pids[0]}"
wait "${pids[0]}" || true
gone=""
for _ in $(seq 30); do
  found="$("$build/console/qdt-console" --discover --discover-seconds 15 2>>"$work/console.log" ||
    true)"
  if ! grep -q "127.0.0.1:$port_a" <<<"$found" &&
    grep -q "^qdt-agent second	127.0.0.1:$port_b	" <<<"$found"; then
    gone=yes; break
  fi
  sleep 0.5
done
[ -n "$gone" ] || { echo "FAIL: the stopped agent is still listed: $found"; exit 1; }
kill "${pids[1]}"
wait "${pids[1]}" || true
pids=()

# 4. One console that stays up while agents come and go, and the daemon
# stops: the Qt test function of console_unit_test (QSKIPped elsewhere).
QDT_DISCOVERY_AGENT="$build/agent/qdt-agent" \
  "$build/tests/console_unit_test" discoveryFollowsAgentsComingAndGoing ||
  { echo "FAIL: discoveryFollowsAgentsComingAndGoing"; exit 1; }
echo "PASS: two agents discovered through dns_sd.h on lo; a stopped agent is dropped; the" \
  "daemon's absence is said once"
