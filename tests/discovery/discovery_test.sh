#!/usr/bin/env bash
# Discovery end to end, confined to a network namespace this test creates:
# its own loopback (multicast on), a private D-Bus system bus and an
# avahi-daemon with allow-interfaces=lo. Two qdt-agent --advertise announce
# themselves there; the console (through dns_sd.h, Discovery) must list both
# with their addresses and ports, drop one that stops, and say once that the
# daemon is not running. Nothing leaves the namespace. Exit 77 (skipped) when
# namespaces or Avahi are not available. Needs qdt-agent, qdt-console and
# console_unit_test built.
#
#   discovery_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
for tool in unshare ip dbus-daemon avahi-daemon avahi-publish-service; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed"; exit 77; }
done
if ! unshare --net --mount --fork true 2>/dev/null; then
  echo "SKIP: cannot create network namespaces here (needs root / CAP_SYS_ADMIN)"
  exit 77
fi
work="$(mktemp -d "$build/test-tmp/discovery-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export QDT_TEST_WORK="$work" QDT_TEST_BUILD="$build" QDT_TEST_HERE="$here"
timeout 120 unshare --net --mount --fork bash "$here/in_namespace.sh"
