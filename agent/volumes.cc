#include "agent/volumes.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"

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

namespace {

std::optional<std::string> ReadTrimmed(const std::string& path) {
  auto text = ReadFileTrimmed(path, 64 * 1024);  // a sysfs attribute is one line
  if (!text.ok()) return std::nullopt;
  return *text;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::StatusOr<BlockDeviceInfo> ReadBlockDevice(const std::string& sysfs_root,
                                                const std::string& device) {
  std::string name = device;
  if (absl::StartsWith(name, "/dev/")) name = name.substr(5);
  if (name.empty() || name.find('/') != std::string::npos) {
    return absl::NotFoundError(absl::StrCat("\"", device, "\" is not a block device"));
  }
  // A partition (sda1, nvme0n1p2, mmcblk0p1) maps to its whole device.
  std::string whole = name;
  while (!whole.empty() && !IsDir(sysfs_root + "/block/" + whole)) {
    if (std::isdigit(static_cast<unsigned char>(whole.back()))) {
      while (!whole.empty() && std::isdigit(static_cast<unsigned char>(whole.back())))
        whole.pop_back();
      if (!whole.empty() && whole.back() == 'p' && whole.size() > 1 &&
          std::isdigit(static_cast<unsigned char>(whole[whole.size() - 2]))) {
        whole.pop_back();
      }
    } else {
      whole.clear();
    }
  }
  if (whole.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no block device for \"", device, "\" in ", sysfs_root));
  }
  BlockDeviceInfo info;
  info.name = whole;
  std::string base = sysfs_root + "/block/" + whole;
  info.model = ReadTrimmed(base + "/device/model").value_or("");
  info.serial = ReadTrimmed(base + "/device/serial").value_or("");
  if (auto r = ReadTrimmed(base + "/queue/rotational")) info.rotational = *r == "1";
  uint64_t sectors = 0;
  if (auto sz = ReadTrimmed(base + "/size"); sz && absl::SimpleAtoi(*sz, &sectors)) {
    info.size_bytes = sectors * 512;  // sysfs counts 512-byte sectors whatever the drive's block
  }
  if (absl::StartsWith(whole, "nvme"))
    info.protocol = "NVMe";
  else if (absl::StartsWith(whole, "vd"))
    info.protocol = "virtio";
  else if (absl::StartsWith(whole, "sd"))
    info.protocol = "SCSI/SATA";
  else if (absl::StartsWith(whole, "mmcblk"))
    info.protocol = "MMC";
  return info;
}

absl::StatusOr<std::vector<qdt::v1::Volume>> ListVolumes(const std::string& sysfs_root) {
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
    if (auto dev = ReadBlockDevice(sysfs_root, m.device); dev.ok()) {
      v.set_model(dev->model);
      v.set_physical_device(dev->name);
      v.set_serial(dev->serial);
      v.set_protocol(dev->protocol);
      if (dev->rotational.has_value()) {
        // rotational=1 is also what many virtual disks report: it is the kernel's word.
        v.set_solid_state(*dev->rotational ? qdt::v1::Volume::SOLID_STATE_NO
                                           : qdt::v1::Volume::SOLID_STATE_YES);
      }
    }
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
