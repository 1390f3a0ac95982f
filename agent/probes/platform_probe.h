// One-shot picture of the machine for `qdt-agent probe --platform=...`: the
// testable volumes with their drives, the drive temperature, the thermal
// pressure and whether QLab runs. The macOS backend only runs tools through
// the CommandRunner (system_profiler, smartctl, powermetrics, pgrep), so it
// works wherever those tools are on PATH: on Linux, tests put fake ones that
// print captured output first on PATH.
#ifndef QDT_AGENT_PROBES_PLATFORM_PROBE_H_
#define QDT_AGENT_PROBES_PLATFORM_PROBE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/thermal_monitor.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct ProbeReport {
  std::string platform;  // "linux" or "macos"
  std::vector<qdt::v1::Volume> volumes;
  std::optional<double> drive_temperature_c;
  std::string temperature_source;
  qdt::v1::ThermalPressure thermal_pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  bool qlab_running = false;
  std::vector<std::string> notes;  // tools that failed, and why
};

// "auto", "linux" or "macos"; InvalidArgument naming the value otherwise.
absl::StatusOr<Platform> ParsePlatform(const std::string& value);

ProbeReport ProbeLinux(CommandRunner* runner, const std::string& sysfs_root);
ProbeReport ProbeMacos(CommandRunner* runner);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PLATFORM_PROBE_H_
