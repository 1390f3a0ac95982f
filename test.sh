#!/usr/bin/env bash
# Same set-up as run.sh, then the lint (scripts/lint.py: clang thread-safety
# analysis, function size in agent/), then the whole test suite (ctest): unit
# tests, integration tests with real fio and real gRPC on loopback, and
# end-to-end tests of the qdt-agent and qdtctl processes.
#
#   ./test.sh [ctest arguments, e.g. -L unit or -R Reconnect]
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"

qdt_setup
qdt_build
qdt_lint
qdt_say "running the test suite"
cd "$QDT_BUILD"
ctest --output-on-failure -j "${QDT_JOBS:-2}" --timeout 600 "$@"
