// Which backend the agent speaks to: the Linux one (sysfs, procfs) or the
// macOS one (diskutil, system_profiler, powermetrics, ...). Separate from the
// host so that the macOS backend can run, and be tested, on Linux with fake
// tools on PATH (`qdt-agent --platform=macos`).
//
// Pure: no I/O. Thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_PLATFORM_H_
#define QDT_AGENT_PROBES_PLATFORM_H_

#include <string>

#include "absl/status/statusor.h"

namespace qdt::agent {

enum class Platform { kLinux, kMacOS };

// The platform the agent was built for.
Platform HostPlatform();

// "auto" (HostPlatform()), "linux" or "macos"; InvalidArgument naming the
// value otherwise.
absl::StatusOr<Platform> ParsePlatform(const std::string& value);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PLATFORM_H_
