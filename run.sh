#!/usr/bin/env bash
# The main job: set up what is missing, build, start a local qdt-agent on
# loopback, and run the Setup Check on a scratch folder of this machine's disk
# through qdtctl. When a display is present (DISPLAY / WAYLAND_DISPLAY, or
# macOS) the console opens too, connected to that agent, and follows the run;
# the agent is stopped when the console is closed. --no-console keeps the
# terminal-only flow. Stops the agent it started when it ends or is interrupted.
#
#   ./run.sh [--target DIR] [--profile NAME] [--time-scale X] [--file-size SIZE] [--no-console]
#
# Exit code: qdtctl's (0 pass, 1 the drive fails its target, 2 usage/connection, 3 run did not finish).
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"

target="$QDT_ROOT/build/scratch"
profile="setup-check"
time_scale=""
file_size=""
console=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    --time-scale) time_scale="$2"; shift 2 ;;
    --file-size) file_size="$2"; shift 2 ;;
    --no-console) console=no; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

qdt_setup
qdt_build

state="$QDT_BUILD/run-state"
mkdir -p "$state" "$target"
port_file="$state/agent.port"
rm -f "$port_file"

qdt_say "starting qdt-agent (state $state, log $state/agent.log)"
"$QDT_BUILD/agent/qdt-agent" --listen 127.0.0.1:0 --port-file "$port_file" \
  --state-dir "$state" --token-file "$state/token" >"$state/agent.log" 2>&1 &
agent_pid=$!
# shellcheck disable=SC2317  # called through trap
stop_agent() {
  if kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
}
trap stop_agent EXIT
trap 'stop_agent; exit 130' INT TERM

for _ in $(seq 1 100); do
  [ -s "$port_file" ] && break
  if ! kill -0 "$agent_pid" 2>/dev/null; then
    echo "run.sh: qdt-agent exited; its log:" >&2
    cat "$state/agent.log" >&2
    exit 2
  fi
  sleep 0.1
done
[ -s "$port_file" ] || { echo "run.sh: qdt-agent did not start listening within 10 s" >&2; exit 2; }
agent="127.0.0.1:$(cat "$port_file")"

ctl=("$QDT_BUILD/console/qdtctl" --agent "$agent" --token-file "$state/token")
"${ctl[@]}" info
console_pid=""
if [ "$console" = auto ] && [ -x "$QDT_BUILD/console/qdt-console" ] &&
  { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "$(uname -s)" = Darwin ]; }; then
  qdt_say "opening qdt-console on $agent (close it to stop the agent)"
  "$QDT_BUILD/console/qdt-console" --state-dir "$state/console" --agent "$agent" \
    --token-file "$state/token" >"$state/console.log" 2>&1 &
  console_pid=$!
fi
args=(start --profile "$profile" --target "$target" --wait)
[ -n "$time_scale" ] && args+=(--time-scale "$time_scale")
[ -n "$file_size" ] && args+=(--file-size "$file_size")
qdt_say "running $profile on $target"
set +e
"${ctl[@]}" "${args[@]}"
rc=$?
set -e
if [ -n "$console_pid" ]; then
  qdt_say "the verdict is in the console; close it to finish"
  wait "$console_pid" || true
fi
exit $rc
