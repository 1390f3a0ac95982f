#!/bin/sh
# Removes QDT from this Mac: the launchd daemon, the programs, the console app,
# and (unless --keep-data) the config, the rig token, the kept runs and the
# logs. Installed as /Library/QDT/uninstall.sh.
#
# usage: sudo /Library/QDT/uninstall.sh [--keep-data] [--volume PATH]
#   --keep-data    keep /Library/Application Support/QDT (config, token, runs) and the logs
#   --volume PATH  uninstall from another volume's system (default /); the daemon is
#                  only stopped on /
set -eu

label=com.qdt.agent
keep_data=0
volume=/
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-data) keep_data=1 ;;
    --volume)
      [ $# -ge 2 ] || { echo "uninstall.sh: --volume needs a path" >&2; exit 2; }
      volume=$2
      shift
      ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -d "$volume" ] || { echo "uninstall.sh: --volume: \"$volume\" is not a folder" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "uninstall.sh: run it as root: sudo $0" >&2
  exit 1
fi
root=${volume%/}

if [ "$volume" = "/" ] && launchctl print "system/$label" >/dev/null 2>&1; then
  echo "stopping the agent ($label)"
  launchctl bootout "system/$label" || true
fi

remove() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    echo "removing $1"
    rm -rf "$1"
  fi
}
remove "$root/Library/LaunchDaemons/$label.plist"
remove "$root/Library/QDT"
remove "$root/Applications/QDT Console.app"
remove "$root/private/etc/paths.d/qdt"
if [ "$keep_data" -eq 0 ]; then
  remove "$root/Library/Application Support/QDT"
  remove "$root/Library/Logs/QDT"
else
  echo "kept $root/Library/Application Support/QDT and $root/Library/Logs/QDT"
fi

for id in com.qdt.agent com.qdt.console; do
  if pkgutil --volume "$volume" --pkg-info "$id" >/dev/null 2>&1; then
    pkgutil --volume "$volume" --forget "$id" >/dev/null
  fi
done
echo "QDT is uninstalled"
