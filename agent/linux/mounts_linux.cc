// Linux: mounts come from /proc/self/mountinfo (proc(5)).
#include "absl/strings/str_cat.h"
#include "agent/volumes.h"
#include "common/file_util.h"

namespace qdt::agent {

absl::StatusOr<std::vector<MountEntry>> ListMounts() {
  // A machine with thousands of mounts (containers) still has far less than this.
  auto text = ReadFile("/proc/self/mountinfo", 16 << 20);
  if (!text.ok()) return absl::UnavailableError(text.status().message());
  return ParseMountInfo(*text);
}

}  // namespace qdt::agent
