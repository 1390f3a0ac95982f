#!/usr/bin/env bash
# The Linux packages from CPack, end to end: the .deb and the .tar.gz are built
# from this build tree; the .deb is installed into a throwaway root (an overlay
# of / inside private mount, network and PID namespaces, so the machine itself
# is not touched and the only network is the namespace's own loopback);
# qdt-agent is started exactly as the unit's ExecStart says and `qdtctl info`
# answers with the token the config names; a reinstall keeps the config and the
# token; then the package is purged and nothing of it is left in the root.
#
# usage: deb_test.sh BUILD_DIR        exit 77 = skipped (not root, no dpkg)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cpack dpkg dpkg-deb python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

work=$(mktemp -d /tmp/qdt-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=throwaway_root.sh
. "$here/throwaway_root.sh"
if ! why=$(throwaway_root_possible "$work"); then echo "SKIP: $why"; exit 77; fi

# 1. Build the packages.
echo "== cpack"
if ! (cd "$build" && cpack -G "DEB;TGZ" -B "$work/pkg") >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"; fail "cpack failed"
fi
debs=("$work"/pkg/qdt-agent_*.deb)
deb=${debs[0]}
tgzs=("$work"/pkg/qdt-*-Linux.tar.gz)
tgz=${tgzs[0]}
[ -f "$deb" ] || fail "no qdt-agent .deb in $work/pkg: $(ls "$work/pkg")"
[ -f "$tgz" ] || fail "no .tar.gz in $work/pkg: $(ls "$work/pkg")"

# 2. What the .deb says of itself.
echo "== $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
grep -Eq '(^|, )fio( |,|$)' <<<"$depends" || fail "Depends does not name fio: $depends"
grep -q 'libgrpc++' <<<"$depends" || fail "Depends misses the gRPC library (dpkg-shlibdeps): $depends"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/bin/qdt-agent ./usr/bin/qdtctl ./usr/lib/systemd/system/qdt-agent.service \
         ./usr/share/qdt/agent.json; do
  grep -qxF "$f" <<<"$contents" || fail "$f is not in the .deb"
done
if grep -q '^\./etc/' <<<"$contents"; then fail "the .deb ships files in /etc (postinst makes them)"; fi
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do [ -x "$work/control/$s" ] || fail "no executable $s"; done

# The unit: the hardening the brief asks for, and systemd's own exposure score.
dpkg-deb -x "$deb" "$work/x"
unit_x="$work/x/usr/lib/systemd/system/qdt-agent.service"
for key in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'StateDirectory=qdt' 'ProtectHome=' 'PrivateTmp=yes'; do
  grep -q "^$key" "$unit_x" || fail "unit lacks $key"
done
if command -v systemd-analyze >/dev/null; then
  systemd-analyze security --offline=true --threshold=50 "$unit_x" >"$work/security.txt" 2>&1 \
    || { tail -3 "$work/security.txt"; fail "systemd-analyze security: exposure over 5.0"; }
  grep 'Overall exposure' "$work/security.txt"
fi

# The console's package, when the console is built: the app and its menu entry.
consoles=("$work"/pkg/qdt-console_*.deb)
if [ -f "${consoles[0]}" ]; then
  console_files=$(dpkg-deb -c "${consoles[0]}" | awk '{print $NF}')
  for f in ./usr/bin/qdt-console ./usr/share/applications/qdt-console.desktop; do
    grep -qxF "$f" <<<"$console_files" || fail "$f is not in the console .deb"
  done
  dpkg-deb -f "${consoles[0]}" Depends | grep -q libqt6widgets6 || fail "the console .deb does not depend on Qt"
fi

# The tarball: the same programs, relocatable.
echo "== $(basename "$tgz")"
tar_list=$(tar tzf "$tgz")
for f in usr/bin/qdt-agent usr/bin/qdtctl usr/lib/systemd/system/qdt-agent.service usr/share/qdt/agent.json; do
  grep -q "^qdt-[^/]*-Linux/$f\$" <<<"$tar_list" || fail "$f is not in the tarball"
done
mkdir "$work/t" && tar xzf "$tgz" -C "$work/t"
tar_agents=("$work"/t/qdt-*-Linux/usr/bin/qdt-agent)
"${tar_agents[0]}" --help >/dev/null || fail "qdt-agent from the tarball does not run"

# 3. Install, run, reinstall, purge: in the throwaway root.
echo "== install into a throwaway root"
unshare --mount --net --pid --fork --kill-child bash "$here/deb_in_root.sh" "$work" "$deb"
echo "PASS"
