// Testable volumes of this machine. The platform part (agent/linux,
// agent/darwin, chosen in CMake) lists mounts; which of them are testable and
// their sizes are decided here. Richer drive facts (model, serial, protocol,
// temperature) come from the platform probes.
#ifndef QDT_AGENT_VOLUMES_H_
#define QDT_AGENT_VOLUMES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct MountEntry {
  std::string mount_point;
  std::string device;   // mount source, e.g. /dev/vda1
  std::string fs_type;  // e.g. ext4, apfs
  bool read_only = false;
};

// Parses Linux /proc/self/mountinfo text (proc(5)): octal escapes in paths
// (\040 for a space) are decoded. Malformed lines are an error naming the line.
absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(absl::string_view text);

// Whether a filesystem type holds user data worth testing (not proc, tmpfs, ...).
bool IsDiskFilesystem(absl::string_view fs_type);

// What Linux sysfs says about the block device behind a mount source.
struct BlockDeviceInfo {
  std::string name;                // whole device, e.g. "nvme0n1", "vda", "sda"
  std::string model, serial;       // empty when the driver does not say
  std::string protocol;            // "NVMe", "virtio", "SCSI/SATA", "MMC"; empty when unknown
  std::optional<bool> rotational;  // queue/rotational
  uint64_t size_bytes = 0;         // size (512-byte sectors) x 512
};
// `device` is a mount source such as "/dev/nvme0n1p2" or "/dev/vda"; the
// partition is mapped to its whole device. NotFound when sysfs has no such
// device (a network or virtual file system). `sysfs_root` is "/sys" outside tests.
absl::StatusOr<BlockDeviceInfo> ReadBlockDevice(const std::string& sysfs_root,
                                                const std::string& device);

// The platform's mounts (platform-specific implementation).
absl::StatusOr<std::vector<MountEntry>> ListMounts();

// Disk-backed mounts with free and total bytes (statvfs) and, where sysfs
// knows the device, model, serial, protocol and solid state.
absl::StatusOr<std::vector<qdt::v1::Volume>> ListVolumes(const std::string& sysfs_root = "/sys");

}  // namespace qdt::agent

#endif  // QDT_AGENT_VOLUMES_H_
