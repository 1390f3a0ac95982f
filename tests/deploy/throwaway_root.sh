# shellcheck shell=bash
# A throwaway root for install tests, sourced inside private mount, network
# and PID namespaces (unshare -m -n -p -f): / seen through an overlay whose
# upper layer records every change, so that what an install and an uninstall
# leave behind can be listed exactly, and the machine itself is not touched.

# throwaway_root_possible WORK: whether this machine lets us make one (root,
# unshare, an overlay over /); prints why not. Called outside the namespaces.
throwaway_root_possible() {
  local work=$1 tool
  if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, overlay mount)"; return 1; fi
  for tool in unshare chroot ip mount; do
    command -v "$tool" >/dev/null || { echo "$tool not found"; return 1; }
  done
  mkdir -p "$work/probe/upper" "$work/probe/work" "$work/probe/root"
  if ! unshare --mount --net sh -c "mount --make-rprivate / && mount -t overlay qdt-probe \
      -o lowerdir=/,upperdir=$work/probe/upper,workdir=$work/probe/work $work/probe/root" \
      >"$work/probe.log" 2>&1; then
    echo "cannot mount an overlay of / in a new mount namespace: $(cat "$work/probe.log")"
    return 1
  fi
  rm -rf "$work/probe" "$work/probe.log"
}

# throwaway_root_mount WORK: mounts WORK/root and brings up the namespace's
# loopback (the only network there is); sets $r to the root.
throwaway_root_mount() {
  local work=$1
  mount --make-rprivate /
  mkdir -p "$work/upper" "$work/overlay-work" "$work/root"
  mount -t overlay qdt-root -o "lowerdir=/,upperdir=$work/upper,workdir=$work/overlay-work" "$work/root"
  r="$work/root"
  mount -t proc proc "$r/proc"
  mount --rbind /dev "$r/dev"
  mount --rbind /sys "$r/sys"
  mount -t tmpfs tmpfs "$r/run"
  mount -t tmpfs tmpfs "$r/tmp"
  ip link set lo up
}

# throwaway_root_leftovers WORK [FOLDER...]: prints every path the overlay
# holds that is neither dpkg's bookkeeping, nor in /tmp or /run, nor a folder
# that existed before (copied up when something was made inside it), nor one
# of FOLDER (system folders the test made to stand for the real OS's).
throwaway_root_leftovers() {
  local work=$1 path rel system
  shift
  while IFS= read -r -d '' path; do
    rel=${path#"$work/upper"}
    case "$rel" in
      /var/lib/dpkg/info/qdt-*) echo "$rel"; continue ;;  # a package's own dpkg entries
      /var/lib/dpkg/* | /var/log/dpkg.log | /var/log/alternatives.log) continue ;;
      /tmp | /tmp/* | /run | /run/*) continue ;;
    esac
    if [ -d "$path" ] && [ ! -L "$path" ] && [ -d "$rel" ]; then continue; fi
    for system in "$@"; do
      if [ "$rel" = "$system" ] && [ -d "$path" ]; then continue 2; fi
    done
    echo "$rel"
  done < <(find "$work/upper" -mindepth 1 -print0)
}
