// Linux: mounts come from /proc/self/mountinfo (proc(5)).
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/volumes.h"

namespace qdt::agent {

absl::StatusOr<std::vector<MountEntry>> ListMounts() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return absl::UnavailableError("cannot read /proc/self/mountinfo");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseMountInfo(ss.str());
}

}  // namespace qdt::agent
