// pmset (macOS): whether the CPU is thermally throttled, for the probe report
// (a throttled Mac's results say less about its disk).
//
// Parses: `pmset -g therm` and `pmset -g thermlog`. Intel Macs report CPU
// limits ("CPU_Speed_Limit = 100"); Apple Silicon prints only "Note: No ...
// has been recorded" lines.
// Real captures: tests/fixtures/pmset/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_PMSET_H_
#define QDT_AGENT_PROBES_PMSET_H_

#include <optional>

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

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PMSET_H_
