// One-shot picture of the machine for `qdt-agent probe --platform=...`: the
// testable volumes with their drives, the drive temperature, the thermal
// pressure, drive activity and whether QLab runs. On macOS the agent also
// serves its volume list from ProbeMacosVolumes, once per request.
//
// These backends DO I/O: ProbeLinux reads sysfs and procfs and sleeps for the
// activity window; both run tools through the CommandRunner (smartctl, pgrep;
// macOS: system_profiler, diskutil, iostat, powermetrics, pmset). The macOS
// backend only runs tools, so it works wherever those tools are on PATH:
// tests/integration/failure_test.cc runs it on Linux with fake tools that
// print the captures in tests/fixtures. The parsing is in the per-tool files
// (diskutil.h, smartctl.h, ...).
//
// Thread-safety: as thread-safe as the runner (no shared state of their own).
#ifndef QDT_AGENT_PROBES_PLATFORM_PROBE_H_
#define QDT_AGENT_PROBES_PLATFORM_PROBE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct ProbeReport {
  std::string platform;  // "linux" or "macos"
  std::vector<qdt::v1::Volume> volumes;
  std::optional<double> drive_temperature_c;
  std::string temperature_source;
  qdt::v1::ThermalPressure thermal_pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  bool qlab_running = false;
  // macOS `pmset -g therm`: the CPU speed limit in percent (100 = not
  // throttled); Apple Silicon records none ("No ... has been recorded").
  std::optional<int> cpu_speed_limit;
  // Reads + writes on each volume's drive over one second while probing, in
  // MB/s (Linux: /proc/diskstats twice; macOS: `iostat -d -w 1 -c 2`): other
  // I/O on a drive under test skews its result. Keyed by physical device.
  std::map<std::string, double> drive_activity_mb_s;
  std::vector<std::string> notes;  // tools that failed, and why
};

// `sysfs_root` is "/sys" and `proc_root` "/proc" outside tests;
// `activity_window` is how long the drive activity is measured (zero: not
// measured).
// `smartctl`: the absolute path ResolveSmartctl chose, empty = none.
ProbeReport ProbeLinux(CommandRunner* runner, const std::string& smartctl,
                       const std::string& sysfs_root, const std::string& proc_root = "/proc",
                       absl::Duration activity_window = absl::Seconds(1));
ProbeReport ProbeMacos(CommandRunner* runner, const std::string& smartctl);

// The volumes part of ProbeMacos (system_profiler, then diskutil list -plist
// and diskutil info -plist per volume for the physical drive and what
// system_profiler left out). Problems go to `notes`; `internal_device` gets
// the internal drive: the whole disk behind the data volume (diskutil's
// chain), else system_profiler's first NVMe drive, else "/dev/disk0" (with a
// note) on a Mac with a data volume.
std::vector<qdt::v1::Volume> ProbeMacosVolumes(CommandRunner* runner,
                                               std::vector<std::string>* notes,
                                               std::string* internal_device);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PLATFORM_PROBE_H_
