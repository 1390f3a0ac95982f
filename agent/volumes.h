// Testable volumes of this machine. The platform part (agent/linux,
// agent/darwin, chosen in CMake) lists mounts; which of them are testable and
// their sizes are decided here. Richer drive facts (model, serial, protocol,
// temperature) come from the platform probes.
#ifndef QDT_AGENT_VOLUMES_H_
#define QDT_AGENT_VOLUMES_H_

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

// The platform's mounts (platform-specific implementation).
absl::StatusOr<std::vector<MountEntry>> ListMounts();

// Disk-backed mounts with free and total bytes (statvfs).
absl::StatusOr<std::vector<qdt::v1::Volume>> ListVolumes();

}  // namespace qdt::agent

#endif  // QDT_AGENT_VOLUMES_H_
