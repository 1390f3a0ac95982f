#include "agent/probes/pmset.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace qdt::agent {

PmsetTherm ParsePmsetTherm(absl::string_view text) {
  PmsetTherm t;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "Note: No thermal warning level has been recorded")) {
      t.no_thermal_warning_recorded = true;
      continue;
    }
    std::vector<absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.size() != 2) continue;
    absl::string_view key = absl::StripAsciiWhitespace(kv[0]);
    int value;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &value)) continue;
    if (key == "CPU_Speed_Limit") t.cpu_speed_limit = value;
    if (key == "CPU_Scheduler_Limit") t.cpu_scheduler_limit = value;
    if (key == "CPU_Available_CPUs") t.cpu_available_cpus = value;
  }
  return t;
}

}  // namespace qdt::agent
