#include "agent/volumes.h"

#include <sys/statvfs.h>

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace qdt::agent {
namespace {

std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3') {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out.push_back(static_cast<char>(v));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view text) {
  std::vector<MountEntry> mounts;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    ++line_no;
    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 0;
    for (size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        dash = i;
        break;
      }
    }
    if (f.size() < 7 || dash == 0 || dash + 2 >= f.size()) {
      return absl::InvalidArgumentError(absl::StrCat("mountinfo line ", line_no, ": \"", line,
                                                     "\" has no \" - fstype source\" part"));
    }
    MountEntry m;
    m.mount_point = Unescape(f[4]);
    m.fs_type = std::string(f[dash + 1]);
    m.device = Unescape(f[dash + 2]);
    for (absl::string_view opt : absl::StrSplit(f[5], ',')) {
      if (opt == "ro") m.read_only = true;
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool IsDiskFilesystem(absl::string_view fs_type) {
  static const std::set<std::string, std::less<>> kDisk = {
      "ext2",  "ext3", "ext4", "xfs",   "btrfs", "f2fs",     "zfs",   "apfs", "hfs",
      "exfat", "vfat", "ntfs", "ntfs3", "jfs",   "reiserfs", "msdos", "ufs"};
  return kDisk.count(fs_type) > 0;
}

absl::StatusOr<std::vector<qdt::v1::Volume>> ListVolumes() {
  auto mounts = ListMounts();
  if (!mounts.ok()) return mounts.status();
  std::vector<qdt::v1::Volume> volumes;
  std::set<std::string> seen_devices;
  for (const MountEntry& m : *mounts) {
    if (!IsDiskFilesystem(m.fs_type)) continue;
    // A bind mount shows the same device again; the first mount point is the volume.
    if (!seen_devices.insert(m.device).second) continue;
    qdt::v1::Volume v;
    v.set_mount_point(m.mount_point);
    v.set_device(m.device);
    v.set_fs_type(m.fs_type);
    v.set_read_only(m.read_only);
    struct statvfs st;
    if (::statvfs(m.mount_point.c_str(), &st) == 0) {
      v.set_free_bytes(static_cast<uint64_t>(st.f_bavail) * st.f_frsize);
      v.set_total_bytes(static_cast<uint64_t>(st.f_blocks) * st.f_frsize);
    }
    volumes.push_back(std::move(v));
  }
  return volumes;
}

}  // namespace qdt::agent
