#!/usr/bin/env bash
# One stand-in for every macOS tool acceptance.sh runs (tests/deploy/
# acceptance_test.sh links it under each tool's name): it prints output of the
# form the real tool prints (short, captured forms), or fails, or hangs.
#   FAKE_HANG=NAME      that tool hangs (and starts a child that hangs too;
#                       both pids go to $FAKE_PIDS)
#   FAKE_FAIL=NAME      that tool prints an error and exits 1
#   FAKE_DOCTOR=ok|fda|fail   what `qdt-agent doctor` finds (default ok)
#   FAKE_SC_RC=N        the exit code of `qdtctl start --wait` (default 0)
#   FAKE_LOG=FILE       every call is appended here, one line per call
set -u
tool=$(basename "$0")
[ -z "${FAKE_LOG:-}" ] || printf '%s %s\n' "$tool" "$*" >>"$FAKE_LOG"
if [ "${FAKE_HANG:-}" = "$tool" ]; then
  sleep 600 &
  printf '%s %s\n' "$$" "$!" >"${FAKE_PIDS:?FAKE_PIDS is needed with FAKE_HANG}"
  wait
  exit 0
fi
if [ "${FAKE_FAIL:-}" = "$tool" ]; then
  echo "$tool: stand-in failure" >&2
  exit 1
fi
case "$tool" in
  sw_vers)
    if [ "${1:-}" = -productVersion ]; then echo 15.1; exit 0; fi
    printf 'ProductName:\t\tmacOS\nProductVersion:\t\t15.1\nBuildVersion:\t\t24B83\n' ;;
  system_profiler)
    case " $* " in
      *" -json "*) printf '{\n  "SPNVMeDataType" : [ { "_name" : "Apple SSD Controller" } ]\n}\n' ;;
      *) printf 'NVMExpress:\n\n    Apple SSD Controller:\n\n      APPLE SSD AP0512Z:\n\n          Capacity: 500.28 GB\n' ;;
    esac ;;
  diskutil)
    case "$*" in
      "list -plist" | "info -plist "*)
        printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n<key>DeviceIdentifier</key><string>disk3s5</string>\n</dict>\n</plist>\n' ;;
      list) printf '/dev/disk0 (internal, physical):\n   #:   TYPE NAME   SIZE   IDENTIFIER\n   0:   GUID_partition_scheme   *500.3 GB   disk0\n' ;;
      *) echo "diskutil: stand-in: unexpected arguments: $*" >&2; exit 1 ;;
    esac ;;
  plutil)
    # plutil -extract KEYPATH raw -o - FILE
    case "${2:-}" in
      APFSPhysicalStores.0.APFSPhysicalStore) echo disk4s2 ;;
      *) echo "Could not extract value" >&2; exit 1 ;;
    esac ;;
  ioreg)
    printf '+-o IOBlockStorageDriver  <class IOBlockStorageDriver>\n    {\n      "Statistics" = {"Bytes (Read)"=1000,"Bytes (Write)"=2000}\n    }\n' ;;
  notifyutil) echo "com.apple.system.thermalpressurelevel 0" ;;
  powermetrics) printf '**** Thermal pressure ****\n\nCurrent pressure level: Nominal\n' ;;
  sysctl)
    for k in "$@"; do
      case "$k" in
        kern.aiomax) echo "kern.aiomax: 90" ;;
        kern.aioprocmax) echo "kern.aioprocmax: 16" ;;
        kern.aiothreads) echo "kern.aiothreads: 4" ;;
        hw.optional.arm64) echo "hw.optional.arm64: 1" ;;
        *) echo "sysctl: unknown oid '$k'" >&2; exit 1 ;;
      esac
    done ;;
  pmset)
    case "$*" in
      "-g assertions") printf 'Assertion status system-wide:\n   PreventUserIdleSystemSleep    0\n' ;;
      "-g batt") printf "Now drawing from 'AC Power'\n" ;;
      "-g therm") printf 'Note: No thermal warning level has been recorded\n' ;;
      *) echo "pmset: stand-in: unexpected arguments: $*" >&2; exit 1 ;;
    esac ;;
  iostat) printf '              disk4 \n    KB/t  tps  MB/s \n   40.00   10  0.39 \n    0.00    0  0.00 \n' ;;
  mdutil) printf '%s:\n\tIndexing disabled.\n' "${2:-/}" ;;
  tmutil) printf 'Backup session status:\n{\n    Running = 0;\n}\n' ;;
  systemsetup) echo "Network Time: On" ;;
  pgrep) exit 1 ;;
  launchctl)
    [ "$*" = "print system/com.qdt.agent" ] || { echo "launchctl: stand-in: unexpected: $*" >&2; exit 1; }
    printf 'system/com.qdt.agent = {\n\tstate = running\n\tpid = 4242\n}\n' ;;
  pkgutil) printf 'Package "QDT-unsigned.pkg":\n   Status: no signature\n'; exit 1 ;;
  spctl) echo "QDT-unsigned.pkg: rejected" >&2; exit 3 ;;
  installer) printf 'installer: Package name is QDT\ninstaller: The install was successful.\n' ;;
  smartctl)
    case "${1:-}" in
      --version) echo "smartctl 7.4 2023-08-01 r5530 [Darwin 24.1.0 arm64] (stand-in)" ;;
      -j) printf '{"smartctl": {"version": [7, 4], "exit_status": 0}, "device": {"name": "%s"}}\n' "${3:-}" ;;
      *) printf 'smartctl 7.4 2023-08-01 r5530 [Darwin 24.1.0 arm64]\nDevice: %s\n' "${2:-}" ;;
    esac ;;
  qdt-agent)
    [ "${1:-}" = doctor ] || { echo "qdt-agent: stand-in knows only doctor" >&2; exit 2; }
    case "${FAKE_DOCTOR:-ok}" in
      ok) printf 'ok    fio               fio-3.42\nready\n' ;;
      fda) printf 'ok    fio               fio-3.42\nFAIL  full disk access  no: TCC.db: Operation not permitted\nNOT READY (see the fixes above)\n'; exit 2 ;;
      fail) printf 'FAIL  fio               fio-3.33 at /x/fio: older than 3.42\nFAIL  full disk access  no\nNOT READY (see the fixes above)\n'; exit 2 ;;
    esac ;;
  qdtctl)
    while [ $# -gt 0 ]; do
      case "$1" in --agent | --token-file) shift 2 ;; *) break ;; esac
    done
    case "${1:-}" in
      info) printf 'agent        127.0.0.1:50551\nready        yes\n' ;;
      volumes) printf 'DEVICE  VOLUME\ndisk3s5 /\n' ;;
      start)
        echo "run r-20261202-0001 started: setup-check on /Users/Shared, 4 phases, 120 s"
        echo "verdict: stand-in"
        exit "${FAKE_SC_RC:-0}" ;;
      get) printf 'run       %s\nstate     FINISHED\n' "${2:-}" ;;
      *) echo "qdtctl: stand-in: unexpected: $*" >&2; exit 2 ;;
    esac ;;
  uninstall.sh) rm -f "$(dirname "$0")/bin/qdt-agent"; echo "QDT removed" ;;
  *) echo "fake_tool.sh: no stand-in for $tool" >&2; exit 70 ;;
esac
