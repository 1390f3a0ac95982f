#include "agent/probes/pmset.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/parse_util.h"

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

absl::StatusOr<std::string> ParsePmsetPowerSource(absl::string_view text) {
  constexpr absl::string_view kField = "pmset -g batt: power source: ";
  if (text.size() > kMaxPmsetBattBytes) {
    return absl::InvalidArgumentError(absl::StrCat(kField, "output of ", text.size(),
                                                   " bytes is more than ", kMaxPmsetBattBytes));
  }
  absl::string_view first;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    first = absl::StripAsciiWhitespace(line);
    if (!first.empty()) break;
  }
  if (first.empty()) return absl::InvalidArgumentError(absl::StrCat(kField, "no output"));
  constexpr absl::string_view kPrefix = "Now drawing from '";
  absl::string_view source = first;
  if (!absl::ConsumePrefix(&source, kPrefix) || !absl::ConsumeSuffix(&source, "'")) {
    return absl::InvalidArgumentError(absl::StrCat(kField, "first line \"", PrintableExcerpt(first),
                                                   "\" is not \"Now drawing from '<source>'\""));
  }
  for (absl::string_view known : {"AC Power", "Battery Power", "UPS Power"}) {
    if (source == known) return std::string(known);
  }
  return absl::InvalidArgumentError(absl::StrCat(kField, "\"", PrintableExcerpt(source),
                                                 "\" is not AC Power, Battery Power or UPS Power"));
}

}  // namespace qdt::agent
