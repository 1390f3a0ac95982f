#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs each
# parser's fuzzer for FUZZ_SECONDS (default 60), seeded with the real captured
# output in tests/fixtures (journal: a real events.log; start_request: the
# text-format requests in tests/fixtures/start_request, encoded with protoc).
# Exits non-zero on the first crash; the crashing input is left in
# build-fuzz/findings/.
#
#   ./fuzz.sh [TARGET ...]      e.g. ./fuzz.sh fio_stream smartctl
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"

qdt_setup
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

build="$QDT_ROOT/build-fuzz"
seconds="${FUZZ_SECONDS:-60}"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$QDT_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQDT_BUILD_FUZZERS=ON -DQDT_BUILD_TESTS=OFF -DQDT_BUILD_CONSOLE=OFF >/dev/null
fi

declare -A seeds=(
  [fio_stream]=fio [powermetrics]=powermetrics [pmset]=pmset [smartctl]=smartctl
  [diskutil]=diskutil [system_profiler]=system_profiler [mountinfo]="" [profile]=""
  [plist]=diskutil [iostat]=iostat [smartctl_text]=smartctl [diskstats]=diskstats [ioreg]=ioreg
  [mdutil]=mdutil [sysctl]=sysctl [journal]=journal [start_request]=""
)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fio_stream powermetrics pmset smartctl diskutil system_profiler
  mountinfo profile plist iostat smartctl_text diskstats ioreg mdutil sysctl journal start_request)

qdt_say "building ${#targets[@]} fuzz targets"
cmake --build "$build" -j "${QDT_JOBS:-2}" --target "${targets[@]/%/_fuzz}"

mkdir -p "$build/findings"
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  if [ -n "${seeds[$t]:-}" ]; then
    cp "$QDT_ROOT/tests/fixtures/${seeds[$t]}"/* "$corpus/" 2>/dev/null || true
  fi
  case "$t" in
    mountinfo) [ -r /proc/self/mountinfo ] && cp /proc/self/mountinfo "$corpus/self" ;;
    diskstats) [ -r /proc/diskstats ] && cp /proc/diskstats "$corpus/live" ;;
    profile) cp "$QDT_ROOT"/common/profiles/*.json "$corpus/" ;;
    start_request)
      for f in "$QDT_ROOT"/tests/fixtures/start_request/*.txtpb; do
        seed="$corpus/$(basename "$f" .txtpb).bin"
        protoc --encode=qdt.v1.StartRunRequest -I "$QDT_ROOT/proto" "$QDT_ROOT/proto/qdt/v1/agent.proto" \
          <"$f" >"$seed"
      done ;;
  esac
  qdt_say "fuzzing $t for ${seconds} s"
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/findings/${t}-" -print_final_stats=1 "$corpus" 2>"$build/findings/$t.log" ||
    { echo "fuzz.sh: $t crashed; see $build/findings/$t.log" >&2; tail -30 "$build/findings/$t.log" >&2; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$build/findings/$t.log" | tail -2
done
qdt_say "no crash in ${#targets[@]} targets x ${seconds} s"
