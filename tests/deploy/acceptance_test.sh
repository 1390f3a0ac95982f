#!/usr/bin/env bash
# deploy/macos/acceptance.sh without a Mac: stand-ins for the macOS tools
# (fake_macos_tools/fake_tool.sh, linked under each tool's name) first on PATH
# and a throwaway /Library/QDT (QDT_ACCEPT_PREFIX). Checks that the tarball
# holds every output with its MANIFEST line and exit code, that a hanging tool
# is cut at its bound (with the child it started), that a missing tool is
# recorded and not fatal, and (as root) the PASS/FAIL summary and exit code of
# the install, doctor and Setup Check steps.
#
# usage: acceptance_test.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
script=$src/deploy/macos/acceptance.sh
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/qdt-acceptance-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fakebin=$work/fakebin
mkdir -p "$fakebin"
for t in sw_vers system_profiler diskutil plutil ioreg notifyutil powermetrics sysctl pmset iostat \
  mdutil tmutil systemsetup pgrep launchctl pkgutil spctl installer; do
  ln -s "$here/fake_macos_tools/fake_tool.sh" "$fakebin/$t"
done
export PATH="$fakebin:$PATH"
export FAKE_PIDS=$work/hang.pids FAKE_LOG=$work/calls.log

# A throwaway /Library/QDT: the bundled programs except fio (the missing tool).
make_prefix() {  # DIR
  mkdir -p "$1/bin" "$1/support" "$1/logs"
  local t
  for t in qdt-agent qdtctl smartctl; do ln -s "$here/fake_macos_tools/fake_tool.sh" "$1/bin/$t"; done
  ln -s "$here/fake_macos_tools/fake_tool.sh" "$1/uninstall.sh"
  echo "tok" >"$1/support/token"
  printf 'agent started\nlistening on 0.0.0.0:50551\n' >"$1/logs/agent.log"
}

# run_acceptance NAME [options...]: runs acceptance.sh with OUT=$work/NAME.out,
# unpacks the tarball into $work/NAME; sets rc.
run_acceptance() {
  local name=$1
  shift
  local prefix=$work/$name.prefix
  make_prefix "$prefix"
  rc=0
  QDT_ACCEPT_PREFIX=$prefix QDT_ACCEPT_SUPPORT=$prefix/support QDT_ACCEPT_LOG=$prefix/logs/agent.log \
    QDT_ACCEPT_DAEMON_WAIT=5 bash "$script" --target "$work" --out "$work/$name.out" "$@" \
    >"$work/$name.stdout" 2>"$work/$name.stderr" || rc=$?
  local tarballs=("$work/$name.out"/qdt-acceptance-*.tar.gz)
  [ -f "${tarballs[0]}" ] || fail "$name: no tarball in $work/$name.out (stderr: $(cat "$work/$name.stderr"))"
  [ ${#tarballs[@]} = 1 ] || fail "$name: ${#tarballs[@]} tarballs"
  mkdir -p "$work/$name"
  tar -xzf "${tarballs[0]}" -C "$work/$name"
  dir=$(echo "$work/$name"/qdt-acceptance-*)
  [ -d "$dir" ] || fail "$name: the tarball has no qdt-acceptance-* folder"
}

# manifest_field FILE COLUMN: the column (2 exit, 3 seconds, 4 status, 5 command) of FILE's line.
manifest_field() { awk -F'\t' -v f="$1" -v c="$2" '$1 == f { print $c }' "$dir/MANIFEST"; }

expect_line() {  # FILE EXIT STATUS
  local got_exit got_status
  got_exit=$(manifest_field "$1" 2)
  got_status=$(manifest_field "$1" 4)
  [ -n "$got_exit" ] || fail "no MANIFEST line for $1: $(cat "$dir/MANIFEST")"
  if [ "$got_exit" != "$2" ] || [ "$got_status" != "$3" ]; then
    fail "$1: MANIFEST says exit $got_exit status $got_status, expected $2 $3"
  fi
  [ -f "$dir/$1" ] || fail "$1 is listed in the MANIFEST but not in the tarball"
}

expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$dir/$1" || fail "$1 does not hold \"$2\": $(head -c 400 "$dir/$1")"
}

echo "== collection only (--no-run), powermetrics hangs, the bundled fio is missing"
FAKE_HANG=powermetrics run_acceptance collect --no-run
[ "$rc" = 0 ] || fail "collect: exit $rc, expected 0 (a missing or hanging tool is not fatal): $(cat "$work/collect.stderr")"
# Every output the brief lists, with the agent's own arguments.
expect_line sw_vers.txt 0 ok
expect_in sw_vers.txt "ProductVersion:"
expect_line uname.txt 0 ok
expect_line system_profiler-storage.json 0 ok
expect_in system_profiler-storage.json '"SPNVMeDataType"'
expect_line system_profiler-storage.txt 0 ok
expect_in system_profiler-storage.txt "Apple SSD Controller"
expect_line system_profiler-agent.json 0 ok
expect_line diskutil-list.plist 0 ok
expect_in diskutil-list.plist "<plist"
expect_line diskutil-info-root.plist 0 ok
expect_line diskutil-info-target.plist 0 ok
expect_line ioreg-blockstorage.txt 0 ok
expect_in ioreg-blockstorage.txt "IOBlockStorageDriver"
expect_line smartctl-disk0.json 0 ok
expect_in smartctl-disk0.json '"name": "/dev/disk0"'
# The target's disk: plutil's APFSPhysicalStore disk4s2 -> disk4.
expect_line smartctl-disk4.json 0 ok
expect_in smartctl-disk4.json '"name": "/dev/disk4"'
expect_line notifyutil-thermalpressure.txt 0 ok
expect_in notifyutil-thermalpressure.txt "com.apple.system.thermalpressurelevel"
expect_line sysctl.txt 0 ok
for k in kern.aiomax kern.aioprocmax kern.aiothreads hw.optional.arm64; do expect_in sysctl.txt "$k:"; done
expect_line pmset-assertions.txt 0 ok
expect_line pmset-batt.txt 0 ok
expect_in pmset-batt.txt "AC Power"
expect_line iostat.txt 0 ok
expect_line agent.log 0 ok
expect_in agent.log "listening on 0.0.0.0:50551"
# pgrep -x QLab exits 1 when QLab is not running: recorded as failed, not fatal.
expect_line pgrep-qlab.txt 1 failed
# The hanging tool is cut at its bound, the child it started too.
expect_line powermetrics-thermal.txt 124 timeout
expect_in powermetrics-thermal.txt.err "cut after 20 s"
[ -s "$FAKE_PIDS" ] || fail "the hanging stand-in did not record its pids"
read -r hang_pid child_pid <"$FAKE_PIDS"
for pid in "$hang_pid" "$child_pid"; do
  if kill -0 "$pid" 2>/dev/null; then fail "pid $pid of the hanging stand-in still runs"; fi
done
# The missing tool: recorded with exit 127, and collection went on after it.
expect_line fio-version.txt 127 missing
expect_in fio-version.txt.err "not found"
grep -q '^# sw_vers: ProductName:' "$dir/MANIFEST" || fail "no sw_vers in the MANIFEST header"
grep -q '^# uname -a: ' "$dir/MANIFEST" || fail "no uname -a in the MANIFEST header"
# The agent's exact commands (agent/probes/, agent/run/).
grep -qxF "powermetrics --samplers thermal -i 1000 -n 1" "$work/calls.log" || fail "powermetrics not called as the agent calls it"
grep -qxF "ioreg -r -c IOBlockStorageDriver -l -w 0 -d 2" "$work/calls.log" || fail "ioreg not called as the agent calls it"
grep -qxF "system_profiler SPStorageDataType SPNVMeDataType -json" "$work/calls.log" || fail "system_profiler not called as the agent calls it"
grep -qxF "diskutil info -plist $work" "$work/calls.log" || fail "diskutil info -plist TARGET not called"
# No check ran: no daemon, doctor or Setup Check outputs.
[ ! -e "$dir/doctor.txt" ] || fail "--no-run ran the doctor"
grep -q 'RESULT: PASS' "$work/collect.stdout" || fail "no RESULT: PASS: $(cat "$work/collect.stdout")"
# Every MANIFEST line names a file of the tarball (the agent.log line aside when absent).
lines=0
while IFS=$'\t' read -r file code _ status _; do
  case "$file" in '#'*) continue ;; esac
  lines=$((lines + 1))
  [ -f "$dir/$file" ] || fail "MANIFEST line for $file (exit $code, $status) but no such file in the tarball"
done <"$dir/MANIFEST"
echo "collection: $lines MANIFEST lines, hang cut, missing tool recorded"

echo "== usage errors"
rc=0
bash "$script" --bogus >/dev/null 2>"$work/bogus.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q 'unknown argument "--bogus"' "$work/bogus.err"; } || fail "--bogus: exit $rc: $(cat "$work/bogus.err")"
rc=0
bash "$script" --no-run --target "$work/absent" >/dev/null 2>"$work/target.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q -- '--target: ".*absent" is not a folder' "$work/target.err"; } || fail "absent target: exit $rc"
rc=0
bash "$script" --no-run --target "$work" --file-size 1X >/dev/null 2>"$work/size.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q -- '--file-size: "1X"' "$work/size.err"; } || fail "--file-size 1X: exit $rc"

if [ "$(id -u)" -ne 0 ]; then
  rc=0
  bash "$script" --target "$work" --out "$work/nonroot" >/dev/null 2>"$work/nonroot.err" || rc=$?
  { [ "$rc" = 2 ] && grep -q 'run it as root' "$work/nonroot.err"; } || fail "not root: exit $rc: $(cat "$work/nonroot.err")"
  echo "SKIP: the checks (install, daemon, doctor, Setup Check) need root here"
  exit 77
fi

echo "== install, checks and uninstall: all pass"
FAKE_DOCTOR=ok run_acceptance full --pkg "$here/fake_macos_tools/fake_tool.sh" --uninstall
[ "$rc" = 0 ] || fail "full: exit $rc: $(cat "$work/full.stdout")"
expect_line pkgutil-check-signature.txt 1 failed
expect_line spctl-assess.txt 3 failed
expect_line installer.txt 0 ok
expect_line doctor.txt 0 ok
expect_line setup-check.txt 0 ok
expect_line qdtctl-get.txt 0 ok
expect_in qdtctl-get.txt "r-20261202-0001"
expect_line qdtctl-get.json 0 ok
expect_line uninstall.txt 0 ok
for c in "INFO  signature" "PASS  install" "PASS  daemon" "PASS  doctor" "PASS  setup-check" "PASS  uninstall"; do
  grep -q "^$c" "$dir/SUMMARY" || fail "SUMMARY lacks \"$c\": $(cat "$dir/SUMMARY")"
done
grep -qx "qdtctl --agent 127.0.0.1:50551 --token-file $work/full.prefix/support/token start --target $work --profile setup-check --wait --lines" \
  "$work/calls.log" || fail "qdtctl start not called as expected: $(grep qdtctl "$work/calls.log")"
[ ! -e "$work/full.prefix/bin/qdt-agent" ] || fail "--uninstall did not run uninstall.sh"

echo "== doctor: Full Disk Access only, without and with --allow-no-fda"
FAKE_DOCTOR=fda run_acceptance nofda
[ "$rc" = 1 ] || fail "nofda: exit $rc, expected 1"
grep -q '^FAIL  doctor' "$dir/SUMMARY" || fail "nofda: $(cat "$dir/SUMMARY")"
FAKE_DOCTOR=fda run_acceptance allowfda --allow-no-fda
[ "$rc" = 0 ] || fail "allowfda: exit $rc, expected 0: $(cat "$dir/SUMMARY")"
FAKE_DOCTOR=fail run_acceptance doctorfail --allow-no-fda
[ "$rc" = 1 ] || fail "doctorfail: exit $rc, expected 1 (a fio FAIL is not excused by --allow-no-fda)"
grep -q '^FAIL  doctor .*fio-3.33' "$dir/SUMMARY" || fail "doctorfail: $(cat "$dir/SUMMARY")"

echo "== Setup Check: drive misses its targets, without and with --any-verdict; run unfinished"
FAKE_SC_RC=1 run_acceptance verdict
[ "$rc" = 1 ] || fail "verdict: exit $rc, expected 1"
FAKE_SC_RC=1 run_acceptance anyverdict --any-verdict
[ "$rc" = 0 ] || fail "anyverdict: exit $rc, expected 0"
FAKE_SC_RC=3 run_acceptance unfinished --any-verdict
[ "$rc" = 1 ] || fail "unfinished: exit $rc, expected 1 (exit 3 = the run did not finish)"
grep -q '^FAIL  setup-check .*exited 3' "$dir/SUMMARY" || fail "unfinished: $(cat "$dir/SUMMARY")"

echo "== the daemon does not answer"
FAKE_FAIL=launchctl run_acceptance nodaemon
[ "$rc" = 1 ] || fail "nodaemon: exit $rc, expected 1"
grep -q '^FAIL  daemon' "$dir/SUMMARY" || fail "nodaemon: $(cat "$dir/SUMMARY")"
echo "PASS"
