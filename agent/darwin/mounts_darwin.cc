// macOS: mounts come from getmntinfo(3).
#include <sys/mount.h>
#include <sys/param.h>
#include <sys/ucred.h>

#include "agent/volumes.h"

namespace qdt::agent {

absl::StatusOr<std::vector<MountEntry>> ListMounts() {
  struct statfs* mounts = nullptr;
  int n = ::getmntinfo(&mounts, MNT_NOWAIT);
  if (n <= 0) return absl::UnavailableError("getmntinfo failed");
  std::vector<MountEntry> out;
  for (int i = 0; i < n; ++i) {
    MountEntry m;
    m.mount_point = mounts[i].f_mntonname;
    m.device = mounts[i].f_mntfromname;
    m.fs_type = mounts[i].f_fstypename;
    m.read_only = (mounts[i].f_flags & MNT_RDONLY) != 0;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace qdt::agent
