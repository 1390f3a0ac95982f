// smartctl (smartmontools, Linux and macOS): a drive's model, serial and
// temperature, for the probe report and for the thermal monitor where no
// sysfs sensor exists (every Mac; SATA drives without drivetemp).
//
// Parses:
//   `smartctl -j -a <device>`  ParseSmartctlJson (smartctl >= 7.0)
//   `smartctl -a <device>`     ParseSmartctlText (older smartctl, or when the
//                              JSON form is broken)
// Real captures: tests/fixtures/smartctl/ (provenance in
// tests/fixtures/SOURCES.md).
//
// ParseSmartctlJson and ParseSmartctlText are pure (text in, value out; no
// I/O). ReadSmartctl RUNS the tool, through the CommandRunner it is given, and
// may wait up to 40 s (two calls of at most 20 s).
//
// Thread-safety: the parsers are thread-safe (no shared state); ReadSmartctl
// is as thread-safe as its runner.
#ifndef QDT_AGENT_PROBES_SMARTCTL_H_
#define QDT_AGENT_PROBES_SMARTCTL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/probes/command_runner.h"

namespace qdt::agent {

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

// smartctl's text report (`smartctl -a`). Same fields as the JSON form.
struct SmartctlText {
  std::string model, serial, firmware;
  std::string health;                         // "PASSED", "FAILED!"; empty when not printed
  std::optional<double> temperature_c;        // "Temperature: 32 Celsius"
  std::vector<double> sensor_temperatures_c;  // "Temperature Sensor N: X Celsius"
  std::optional<int64_t> warning_temp_time_min, critical_temp_time_min;
  std::optional<double> warning_temp_threshold_c, critical_temp_threshold_c;
  std::vector<std::string> failed_logs;  // "Read 1 entries from Error Information Log failed: ..."
};
// Error when the text has no smartctl banner ("smartctl N.N ...").
absl::StatusOr<SmartctlText> ParseSmartctlText(absl::string_view text);

// What `smartctl` says about one drive.
struct SmartctlReading {
  std::optional<double> temperature_c;
  std::string model, serial;
  std::string error;  // empty when smartctl answered
};
// Runs `<smartctl> -j -a <device>`; when that is not JSON smartctl understood
// (smartctl < 7 has no -j), runs `<smartctl> -a <device>` and reads the text
// report. Non-zero exit bits are not an error when a report came out: Apple
// SSDs answer only some logs and smartctl sets bit 2 for the rest. `runner`
// must not be null; `smartctl` is the path ResolveSmartctl chose (empty: no
// smartctl, and `error` says so).
SmartctlReading ReadSmartctl(CommandRunner* runner, const std::string& smartctl,
                             const std::string& device);

// Which smartctl the agent runs, as an absolute path — never one found on
// PATH: a root daemon that runs a user-writable /opt/homebrew/bin/smartctl
// every 10 s hands root to whoever can write there (issue 13). `requested`
// (--smartctl / AgentConfig.smartctl_path) must be absolute. Empty: on macOS
// the smartctl bundled next to the agent (`agent_path`'s folder, i.e.
// /Library/QDT/bin/smartctl from the pkg); on Linux /usr/sbin/smartctl, then
// /usr/bin/smartctl (the Debian package). The file must be a regular,
// executable file that neither its group nor others can write, and when the
// agent runs as root it must belong to root. "" with `note` saying why when
// there is none (the agent then reports no drive temperature on macOS).
struct SmartctlChoice {
  std::string path;
  std::string note;
};
SmartctlChoice ResolveSmartctl(const std::string& requested, bool macos,
                               const std::string& agent_path);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_SMARTCTL_H_
