#!/usr/bin/env bash
# The acceptance test of QDT on a real Mac (and on the CI's macOS runners: the
# workflow .github/workflows/macos.yml runs this very script). It installs the
# package (optional), waits for the daemon, runs `qdt-agent doctor`, a Setup
# Check through qdtctl, and collects the output of every macOS tool the agent
# reads into OUT/qdt-acceptance-<host>-<date>.tar.gz, with a MANIFEST (command,
# exit code, seconds, macOS version, uname -a). Send that file to the QDT team.
# Installed as /Library/QDT/acceptance.sh.
#
# usage: sudo acceptance.sh [options]
#   --pkg PATH          check the package's signature (reported, not fatal when
#                       unsigned), then install it (installer -pkg PATH -target /)
#   --target DIR        folder the Setup Check writes to (default /Users/Shared)
#   --out DIR           where the tarball goes (default /Users/Shared/QDT-acceptance)
#   --uninstall         run /Library/QDT/uninstall.sh at the end
#   --no-run            collect only: no daemon wait, doctor or Setup Check
#   --file-size SIZE    qdtctl start --file-size (default: the agent's, 1G)
#   --allow-no-fda      a doctor FAIL of "full disk access" alone is not a failure
#                       (a CI runner cannot grant it; the target must not need it)
#   --any-verdict       the Setup Check passes when the run ends with a verdict,
#                       pass or fail (a CI runner's virtual disk is no show drive)
# Exit 0 when every check passed, 1 when the install, the daemon, the doctor or
# the Setup Check failed, 2 on a usage error or when not run as root.
#
# Runs on macOS's own bash 3.2: no associative arrays, no `timeout` (macOS has
# none): every command runs under run_bounded, a bounded wait in bash.
set -uo pipefail

prefix=${QDT_ACCEPT_PREFIX:-/Library/QDT}
support=${QDT_ACCEPT_SUPPORT:-/Library/Application Support/QDT}
agent_log=${QDT_ACCEPT_LOG:-/Library/Logs/QDT/agent.log}
label=com.qdt.agent
pkg=""
target=/Users/Shared
out=/Users/Shared/QDT-acceptance
uninstall=0
run_checks=1
file_size=""
allow_no_fda=0
any_verdict=0
daemon_wait_s=${QDT_ACCEPT_DAEMON_WAIT:-90}

die() { printf 'acceptance.sh: %s\n' "$*" >&2; exit 2; }
say() { printf '==> %s\n' "$*" >&2; }
need_value() { [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"; }

args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --pkg) need_value "$1" $#; pkg=$2; shift ;;
    --target) need_value "$1" $#; target=$2; shift ;;
    --out) need_value "$1" $#; out=$2; shift ;;
    --file-size) need_value "$1" $#; file_size=$2; shift ;;
    --uninstall) uninstall=1 ;;
    --no-run) run_checks=0 ;;
    --allow-no-fda) allow_no_fda=1 ;;
    --any-verdict) any_verdict=1 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
  shift
done

[ -z "$pkg" ] || [ -f "$pkg" ] || die "--pkg: \"$pkg\" is not a file"
[ -d "$target" ] || die "--target: \"$target\" is not a folder"
size_re='^[1-9][0-9]{0,5}[KMG]?$'
[ -z "$file_size" ] || [[ $file_size =~ $size_re ]] || die "--file-size: \"$file_size\" is not a size like 256M or 1G"
case "$daemon_wait_s" in
  [1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;;
  *) die "QDT_ACCEPT_DAEMON_WAIT: \"$daemon_wait_s\" is not 1..999 seconds" ;;
esac
# installer(8) and powermetrics(1) need root, and so do reading the rig token
# (mode 600) and uninstall.sh. Collecting alone works without (powermetrics
# and smartctl then fail, and the MANIFEST says so).
if [ "$(id -u)" -ne 0 ] && { [ -n "$pkg" ] || [ "$uninstall" = 1 ] || [ "$run_checks" = 1 ]; }; then
  die "run it as root: sudo $0 ${args[*]-} (installing, powermetrics and the rig token need root; --no-run alone collects without)"
fi
mkdir -p "$out" || die "--out: cannot create \"$out\""

host=$(hostname -s 2>/dev/null || hostname)
host=$(printf '%s' "$host" | tr -c 'A-Za-z0-9._-' '_')
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="qdt-acceptance-$host-$stamp"
work=$(mktemp -d "${TMPDIR:-/tmp}/qdt-acceptance.XXXXXX") || die "mktemp failed"
dir="$work/$name"
mkdir -p "$dir"
trap 'rm -rf "$work"' EXIT
manifest="$dir/MANIFEST"
summary="$dir/SUMMARY"
# The system's tools come from the system's folders, after anything already on
# PATH (the agent's launchd PATH is /Library/QDT/bin:/usr/bin:/bin:/usr/sbin:/sbin).
PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"
export PATH

# run_bounded SECONDS FILE COMMAND...: runs COMMAND with stdout in $dir/FILE and
# stderr in $dir/FILE.err, kills its whole process group after SECONDS, and
# appends "FILE<TAB>exit<TAB>seconds<TAB>status<TAB>command" to the MANIFEST
# (status ok, failed, timeout (exit 124) or missing (exit 127)). Never fails.
run_bounded() {
  local limit=$1 file=$2
  shift 2
  local started=$SECONDS rc status pid
  if ! command -v "$1" >/dev/null 2>&1; then
    printf '%s: not found\n' "$1" >"$dir/$file.err"
    : >"$dir/$file"
    printf '%s\t127\t0\tmissing\t%s\n' "$file" "$*" >>"$manifest"
    return 0
  fi
  # Job control puts the command in its own process group, so that a timeout
  # ends the command and everything it started.
  set -m
  "$@" >"$dir/$file" 2>"$dir/$file.err" </dev/null &
  pid=$!
  set +m
  local deadline=$((SECONDS + limit)) timed_out=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      timed_out=1
      kill -TERM -- "-$pid" 2>/dev/null
      sleep 1
      kill -KILL -- "-$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null
  rc=$?
  if [ "$timed_out" = 1 ]; then
    rc=124
    status=timeout
    printf 'acceptance.sh: cut after %s s\n' "$limit" >>"$dir/$file.err"
  elif [ "$rc" = 0 ]; then
    status=ok
  else
    status=failed
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$rc" "$((SECONDS - started))" "$status" "$*" >>"$manifest"
  return 0
}

# The exit code run_bounded recorded for FILE.
exit_of() { awk -F'\t' -v f="$1" '$1 == f { rc = $2 } END { print (rc == "" ? 127 : rc) }' "$manifest"; }

results=""
fatal=0
check() {  # NAME PASS|FAIL|INFO DETAIL
  results="$results$(printf '%-5s %-16s %s' "$2" "$1" "$3")
"
  [ "$2" != FAIL ] || fatal=1
  say "$2 $1: $3"
}

{
  printf '# QDT acceptance %s on %s\n' "$stamp" "$host"
  printf '# options: pkg=%s target=%s uninstall=%s run=%s allow-no-fda=%s any-verdict=%s\n' \
    "${pkg:-none}" "$target" "$uninstall" "$run_checks" "$allow_no_fda" "$any_verdict"
  printf '# sw_vers: %s\n' "$(sw_vers 2>&1 | tr '\n\t' '  ')"
  printf '# uname -a: %s\n' "$(uname -a 2>&1)"
  printf '# file\texit\tseconds\tstatus\tcommand\n'
} >"$manifest"

qdtctl=$prefix/bin/qdtctl
token=$support/token
qdtctl_args=(--agent 127.0.0.1:50551 --token-file "$token")

# ---- Install ----
if [ -n "$pkg" ]; then
  # pkgutil(1) --check-signature, spctl(8) --assess --type install: an
  # unsigned test package fails both; that is reported, and installer(8)
  # installs it anyway when run from the command line.
  run_bounded 60 pkgutil-check-signature.txt pkgutil --check-signature "$pkg"
  run_bounded 60 spctl-assess.txt spctl -a -vv -t install "$pkg"
  if [ "$(exit_of pkgutil-check-signature.txt)" = 0 ]; then
    check signature PASS "$(head -1 "$dir/pkgutil-check-signature.txt")"
  else
    check signature INFO "unsigned or not trusted (see pkgutil-check-signature.txt, spctl-assess.txt)"
  fi
  run_bounded 900 installer.txt installer -pkg "$pkg" -target /
  if [ "$(exit_of installer.txt)" = 0 ]; then
    check install PASS "installer -pkg $pkg -target /"
  else
    check install FAIL "installer exited $(exit_of installer.txt) (installer.txt.err)"
  fi
fi

run_id=""
if [ "$run_checks" = 1 ]; then
  # ---- The daemon: launchd has it, and it answers ----
  # launchctl(1): `launchctl print system/<label>` describes a loaded system daemon.
  daemon_ok=0
  deadline=$((SECONDS + daemon_wait_s))
  while :; do
    if launchctl print "system/$label" >/dev/null 2>&1 && [ -r "$token" ] \
      && "$qdtctl" "${qdtctl_args[@]}" info >/dev/null 2>&1; then
      daemon_ok=1
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 2
  done
  run_bounded 20 launchctl-print.txt launchctl print "system/$label"
  run_bounded 30 qdtctl-info.txt "$qdtctl" "${qdtctl_args[@]}" info
  if [ "$daemon_ok" = 1 ]; then
    check daemon PASS "launchd runs $label and qdtctl info answers"
  else
    check daemon FAIL "no answer within ${daemon_wait_s} s (launchctl-print.txt, qdtctl-info.txt, agent.log)"
  fi

  # ---- qdt-agent doctor ----
  run_bounded 180 doctor.txt "$prefix/bin/qdt-agent" doctor --target "$target" \
    --fio "$prefix/bin/fio" --smartctl "$prefix/bin/smartctl"
  doctor_rc=$(exit_of doctor.txt)
  fails=$(grep -c '^FAIL ' "$dir/doctor.txt")
  fda_fails=$(grep -c '^FAIL  full disk access ' "$dir/doctor.txt")
  case "$doctor_rc" in
    0) check doctor PASS "ready" ;;
    1) check doctor PASS "ready, with warnings (doctor.txt)" ;;
    2)
      if [ "$allow_no_fda" = 1 ] && [ "$fails" -gt 0 ] && [ "$fails" = "$fda_fails" ]; then
        check doctor PASS "not ready for want of Full Disk Access only (--allow-no-fda)"
      else
        check doctor FAIL "not ready: $(grep '^FAIL ' "$dir/doctor.txt" | tr -s ' ' | tr '\n' ';')"
      fi
      ;;
    *) check doctor FAIL "qdt-agent doctor exited $doctor_rc (doctor.txt.err)" ;;
  esac

  # ---- The Setup Check ----
  start=("$qdtctl" "${qdtctl_args[@]}" start --target "$target" --profile setup-check --wait --lines)
  [ -z "$file_size" ] || start+=(--file-size "$file_size")
  run_bounded 1200 setup-check.txt "${start[@]}"
  sc_rc=$(exit_of setup-check.txt)
  run_id=$(sed -n 's/^run \([A-Za-z0-9._-]*\) started: .*/\1/p' "$dir/setup-check.txt" | head -1)
  # qdtctl's exit codes (qdtctl --help): 0 pass, 1 the drive fails its target,
  # 2 usage or connection error, 3 the run did not finish.
  if [ "$sc_rc" = 0 ]; then
    check setup-check PASS "run $run_id: the drive meets the Setup Check"
  elif [ "$sc_rc" = 1 ] && [ "$any_verdict" = 1 ]; then
    check setup-check PASS "run $run_id ended with a verdict: the drive misses its targets (--any-verdict)"
  else
    check setup-check FAIL "qdtctl start --wait exited $sc_rc${run_id:+ (run $run_id)} (setup-check.txt)"
  fi
  if [ -n "$run_id" ]; then
    run_bounded 30 qdtctl-get.txt "$qdtctl" "${qdtctl_args[@]}" get "$run_id"
    run_bounded 30 qdtctl-get.json "$qdtctl" "${qdtctl_args[@]}" get "$run_id" --json
  fi
  run_bounded 30 qdtctl-volumes.txt "$qdtctl" "${qdtctl_args[@]}" volumes
fi

# ---- What macOS says: the tools the agent reads (agent/probes/, agent/run/,
# agent/doctor.cc), with the agent's own arguments where it has them ----
say "collecting the macOS tools' output"
# The target's volume and its whole disk. df(1) -P: "Filesystem ... Mounted on".
target_dev=$(df -P "$target" 2>/dev/null | awk 'NR == 2 { print $1 }')
target_mount=$(df -P "$target" 2>/dev/null | awk 'NR == 2 { for (i = 6; i <= NF; i++) printf "%s%s", (i > 6 ? " " : ""), $i }')
run_bounded 20 diskutil-info-target.plist diskutil info -plist "$target"
# An APFS volume lives in a synthesized container disk; its physical store is
# the disk SMART can read. diskutil(8) info -plist keys APFSPhysicalStores
# (array of dicts with APFSPhysicalStore) and ParentWholeDisk; plutil(1)
# -extract KEYPATH raw prints one value.
target_disk=""
for key in APFSPhysicalStores.0.APFSPhysicalStore ParentWholeDisk; do
  [ -z "$target_disk" ] || break
  target_disk=$(plutil -extract "$key" raw -o - "$dir/diskutil-info-target.plist" 2>/dev/null)
done
[ -n "$target_disk" ] || target_disk=${target_dev#/dev/}
target_disk=$(printf '%s' "$target_disk" | sed -n 's/^\(disk[0-9][0-9]*\).*/\1/p')
printf '# target: %s on %s (%s), whole disk %s\n' "$target" "${target_mount:-?}" "${target_dev:-?}" \
  "${target_disk:-?}" >>"$manifest"

run_bounded 20 sw_vers.txt sw_vers
run_bounded 10 uname.txt uname -a
run_bounded 20 df-target.txt df -k "$target"
run_bounded 180 system_profiler-storage.json system_profiler SPNVMeDataType SPStorageDataType SPUSBDataType SPThunderboltDataType -json
run_bounded 180 system_profiler-storage.txt system_profiler SPNVMeDataType SPStorageDataType SPUSBDataType SPThunderboltDataType
run_bounded 60 system_profiler-agent.json system_profiler SPStorageDataType SPNVMeDataType -json
run_bounded 30 diskutil-list.plist diskutil list -plist
run_bounded 30 diskutil-list.txt diskutil list
run_bounded 30 diskutil-info-root.plist diskutil info -plist /
[ -z "$target_mount" ] || run_bounded 30 diskutil-info-target-volume.plist diskutil info -plist "$target_mount"
run_bounded 30 ioreg-blockstorage.txt ioreg -r -c IOBlockStorageDriver -l -w 0 -d 2
run_bounded 30 smartctl-disk0.json "$prefix/bin/smartctl" -j -a /dev/disk0
run_bounded 30 smartctl-disk0.txt "$prefix/bin/smartctl" -a /dev/disk0
if [ -n "$target_disk" ] && [ "$target_disk" != disk0 ]; then
  run_bounded 30 "smartctl-$target_disk.json" "$prefix/bin/smartctl" -j -a "/dev/$target_disk"
fi
run_bounded 20 smartctl-version.txt "$prefix/bin/smartctl" --version
# notify(3): the thermal pressure level the agent reads through notify_get_state.
run_bounded 10 notifyutil-thermalpressure.txt notifyutil -g com.apple.system.thermalpressurelevel
run_bounded 20 powermetrics-thermal.txt powermetrics --samplers thermal -i 1000 -n 1
run_bounded 10 sysctl.txt sysctl kern.aiomax kern.aioprocmax kern.aiothreads hw.optional.arm64
run_bounded 10 pmset-assertions.txt pmset -g assertions
run_bounded 10 pmset-batt.txt pmset -g batt
run_bounded 10 pmset-therm.txt pmset -g therm
run_bounded 15 iostat.txt iostat -d -w 1 -c 2 ${target_disk:+"$target_disk"}
run_bounded 15 mdutil-target.txt mdutil -s "$target"
run_bounded 15 tmutil-status.txt tmutil status
run_bounded 15 systemsetup-networktime.txt systemsetup -getusingnetworktime
run_bounded 5 pgrep-qlab.txt pgrep -x QLab
run_bounded 20 fio-version.txt "$prefix/bin/fio" --version
if [ -f "$agent_log" ]; then
  # The last 8 MiB at most.
  run_bounded 20 agent.log tail -c 8388608 "$agent_log"
else
  printf 'agent.log\t127\t0\tmissing\t%s\n' "$agent_log" >>"$manifest"
fi

# ---- Uninstall ----
if [ "$uninstall" = 1 ]; then
  run_bounded 120 uninstall.txt "$prefix/uninstall.sh"
  if [ "$(exit_of uninstall.txt)" = 0 ] && [ ! -e "$prefix/bin/qdt-agent" ]; then
    check uninstall PASS "$prefix/uninstall.sh removed $prefix/bin"
  else
    check uninstall FAIL "uninstall.sh exited $(exit_of uninstall.txt) (uninstall.txt.err)"
  fi
fi

missing=$(awk -F'\t' '$4 == "missing" { n++ } END { print n + 0 }' "$manifest")
failed=$(awk -F'\t' '$4 == "failed" || $4 == "timeout" { n++ } END { print n + 0 }' "$manifest")
total=$(awk -F'\t' '!/^#/ { n++ } END { print n + 0 }' "$manifest")
check collection INFO "$total commands: $missing missing, $failed failed or cut (MANIFEST)"
printf '%s' "$results" >"$summary"
tarball="$out/$name.tar.gz"
if tar -czf "$tarball" -C "$work" "$name"; then
  chmod a+r "$tarball" 2>/dev/null
else
  check tarball FAIL "tar could not write $tarball"
fi

echo
echo "QDT acceptance on $host ($(sw_vers -productVersion 2>/dev/null || uname -sr))"
printf '%s' "$results"
echo "tarball: $tarball"
if [ "$fatal" = 1 ]; then
  echo "RESULT: FAIL"
  exit 1
fi
echo "RESULT: PASS"
