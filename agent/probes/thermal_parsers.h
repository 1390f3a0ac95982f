// Pure parsers for the thermal tools of DESIGN.md §6: text in, value out; no
// I/O, no logging. Values a tool did not report stay unset (never 0 °C).
// Tested on real captured output in tests/fixtures (provenance in SOURCES.md).
#ifndef QDT_AGENT_PROBES_THERMAL_PARSERS_H_
#define QDT_AGENT_PROBES_THERMAL_PARSERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// `powermetrics --samplers thermal` (macOS, root): the last "Current pressure
// level: X" line (Nominal, Moderate, Heavy, Trapping, Sleeping). UNKNOWN when
// the text has no thermal block (another sampler, or no root).
qdt::v1::ThermalPressure ParsePowermetricsThermal(absl::string_view text);

// `pmset -g therm` / `pmset -g thermlog`: Intel Macs report CPU limits; Apple
// Silicon prints only "Note: No ... has been recorded" lines.
struct PmsetTherm {
  std::optional<int> cpu_speed_limit;      // percent; 100 = not throttled
  std::optional<int> cpu_scheduler_limit;  // percent
  std::optional<int> cpu_available_cpus;
  bool no_thermal_warning_recorded = false;
};
PmsetTherm ParsePmsetTherm(absl::string_view text);

// `smartctl -j -a DEVICE` (JSON, smartctl >= 7.0).
struct SmartctlInfo {
  std::string model, serial;
  std::optional<double> temperature_c;            // temperature.current
  std::vector<double> sensor_temperatures_c;      // NVMe temperature_sensors
  std::optional<int64_t> warning_temp_time_min;   // NVMe warning_temp_time
  std::optional<int64_t> critical_temp_time_min;  // NVMe critical_comp_time
  int exit_status = 0;                            // smartctl's bit mask (smartctl.exit_status)
};
// Error when the text is not smartctl JSON.
absl::StatusOr<SmartctlInfo> ParseSmartctlJson(absl::string_view text);

// A drive temperature from Linux hwmon: /sys/class/hwmon/hwmonN with name
// "nvme" (NVMe Composite) or "drivetemp" (SATA); temp1_input is in m°C. The
// hwmon index is not fixed, so sources are found by name.
struct HwmonTemperature {
  std::string hwmon;  // e.g. "hwmon3"
  std::string name;   // "nvme" or "drivetemp"
  std::string label;  // temp1_label when present, e.g. "Composite"
  double celsius = 0;
};
// Reads <sysfs_root>/class/hwmon/*/{name,temp1_input,temp1_label}; the root is a
// parameter so tests can use a fake tree. Sources without a readable value are skipped.
std::vector<HwmonTemperature> ReadDriveHwmon(const std::string& sysfs_root);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_THERMAL_PARSERS_H_
