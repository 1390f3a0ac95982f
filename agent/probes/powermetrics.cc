#include "agent/probes/powermetrics.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace qdt::agent {

qdt::v1::ThermalPressure ParsePowermetricsThermal(absl::string_view text) {
  qdt::v1::ThermalPressure level = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  constexpr absl::string_view kKey = "Current pressure level:";
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, kKey)) continue;
    std::string value = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line));
    if (value == "nominal")
      level = qdt::v1::THERMAL_PRESSURE_NOMINAL;
    else if (value == "moderate")
      level = qdt::v1::THERMAL_PRESSURE_MODERATE;
    else if (value == "heavy")
      level = qdt::v1::THERMAL_PRESSURE_HEAVY;
    else if (value == "trapping")
      level = qdt::v1::THERMAL_PRESSURE_TRAPPING;
    else if (value == "sleeping")
      level = qdt::v1::THERMAL_PRESSURE_SLEEPING;
    else
      level = qdt::v1::THERMAL_PRESSURE_UNKNOWN;  // a level this parser does not know
  }
  return level;
}

}  // namespace qdt::agent
