#include "agent/probes/platform.h"

#include "absl/strings/str_cat.h"

namespace qdt::agent {

Platform HostPlatform() {
#if defined(__APPLE__)
  return Platform::kMacOS;
#else
  return Platform::kLinux;
#endif
}

absl::StatusOr<Platform> ParsePlatform(const std::string& value) {
  if (value == "auto") return HostPlatform();
  if (value == "linux") return Platform::kLinux;
  if (value == "macos") return Platform::kMacOS;
  return absl::InvalidArgumentError(
      absl::StrCat("--platform: \"", value, "\" is not one of auto, linux, macos"));
}

}  // namespace qdt::agent
