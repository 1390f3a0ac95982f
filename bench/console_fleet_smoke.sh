#!/usr/bin/env bash
# Smoke run of bench/console_fleet for ./test.sh: 3 agents for 3 s must reach
# the console's store completely, and the report (PDF + HTML) and CSV of that
# store must be written (console_fleet exits 1 otherwise), and the benchmark
# must leave nothing in its temporary folder.
#
#   bench/console_fleet_smoke.sh BUILD_DIR
set -euo pipefail
build="${1:?usage: console_fleet_smoke.sh BUILD_DIR}"
scratch="$(mktemp -d)"
runtime="$(mktemp -d)"  # Qt's XDG runtime folder: not the benchmark's to clean
chmod 700 "$runtime"
trap 'rm -rf "$scratch" "$runtime"' EXIT
TMPDIR="$scratch" XDG_RUNTIME_DIR="$runtime" QT_QPA_PLATFORM=offscreen \
  "$build/bench/console_fleet" --agents 3 --rate 2 --seconds 3 --warmup 1
left="$(find "$scratch" -mindepth 1 | head -5)"
if [[ -n "$left" ]]; then
  echo "console_fleet left behind: $left" >&2
  exit 1
fi
echo "console_fleet smoke: every sample stored, nothing left behind"
