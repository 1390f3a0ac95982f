// pmset (macOS): whether the CPU is thermally throttled, for the probe report
// (a throttled Mac's results say less about its disk), and what powers the
// Mac, for the run's record and the "on battery" flag (docs/VERDICTS.md).
//
// Parses: `pmset -g therm` and `pmset -g thermlog`. Intel Macs report CPU
// limits ("CPU_Speed_Limit = 100"); Apple Silicon prints only "Note: No ...
// has been recorded" lines. `pmset -g batt` (pmset(1)): its first line is
// "Now drawing from 'AC Power'" (or 'Battery Power', 'UPS Power': IOKit's
// kIOPMACPowerKey, kIOPMBatteryPowerKey, kIOPMUPSPowerKey in IOPSKeys.h);
// a Mac with a battery adds a line per battery, a desktop Mac prints only
// the first line.
// Real captures: tests/fixtures/pmset/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_PMSET_H_
#define QDT_AGENT_PROBES_PMSET_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

struct PmsetTherm {
  std::optional<int> cpu_speed_limit;      // percent; 100 = not throttled
  std::optional<int> cpu_scheduler_limit;  // percent
  std::optional<int> cpu_available_cpus;
  bool no_thermal_warning_recorded = false;
};
// Never an error: text without the keys leaves them unset.
PmsetTherm ParsePmsetTherm(absl::string_view text);

// pmset's output is a few lines; more than this is not pmset.
inline constexpr size_t kMaxPmsetBattBytes = 64 * 1024;

// What `pmset -g batt` says the Mac draws from: "AC Power", "Battery Power"
// or "UPS Power", from its first non-empty line. InvalidArgument naming the
// field ("pmset -g batt: power source: ...") for anything else: no output,
// more than kMaxPmsetBattBytes, a first line that is not "Now drawing from
// '<source>'", or a source that is not one of the three.
absl::StatusOr<std::string> ParsePmsetPowerSource(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PMSET_H_
