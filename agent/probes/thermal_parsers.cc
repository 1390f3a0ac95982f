#include "agent/probes/thermal_parsers.h"

#include <dirent.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {
namespace {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

}  // namespace

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

absl::StatusOr<SmartctlInfo> ParseSmartctlJson(absl::string_view text) {
  auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("smartctl")) {
    return absl::InvalidArgumentError("smartctl output: not smartctl JSON (run smartctl -j)");
  }
  SmartctlInfo info;
  auto str = [&](const char* key) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  info.model = str("model_name");
  info.serial = str("serial_number");
  const auto& sc = doc["smartctl"];
  if (sc.contains("exit_status") && sc["exit_status"].is_number_integer()) {
    info.exit_status = sc["exit_status"].get<int>();
  }
  if (doc.contains("temperature") && doc["temperature"].is_object() &&
      doc["temperature"].contains("current") && doc["temperature"]["current"].is_number()) {
    info.temperature_c = doc["temperature"]["current"].get<double>();
  }
  auto log = doc.find("nvme_smart_health_information_log");
  if (log != doc.end() && log->is_object()) {
    if (log->contains("temperature_sensors") && (*log)["temperature_sensors"].is_array()) {
      for (const auto& v : (*log)["temperature_sensors"]) {
        if (v.is_number()) info.sensor_temperatures_c.push_back(v.get<double>());
      }
    }
    if (log->contains("warning_temp_time") && (*log)["warning_temp_time"].is_number_integer()) {
      info.warning_temp_time_min = (*log)["warning_temp_time"].get<int64_t>();
    }
    if (log->contains("critical_comp_time") && (*log)["critical_comp_time"].is_number_integer()) {
      info.critical_temp_time_min = (*log)["critical_comp_time"].get<int64_t>();
    }
    if (!info.temperature_c && log->contains("temperature") && (*log)["temperature"].is_number()) {
      info.temperature_c = (*log)["temperature"].get<double>();
    }
  }
  return info;
}

std::vector<HwmonTemperature> ReadDriveHwmon(const std::string& sysfs_root) {
  std::vector<HwmonTemperature> out;
  std::string dir = sysfs_root + "/class/hwmon";
  std::vector<std::string> entries;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (absl::StartsWith(e->d_name, "hwmon")) entries.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(entries.begin(), entries.end());
  for (const std::string& h : entries) {
    std::string base = dir + "/" + h;
    auto name = ReadSmallFile(base + "/name");
    if (!name || (*name != "nvme" && *name != "drivetemp")) continue;
    auto input = ReadSmallFile(base + "/temp1_input");
    int64_t millideg;
    if (!input || !absl::SimpleAtoi(*input, &millideg)) continue;
    HwmonTemperature t;
    t.hwmon = h;
    t.name = *name;
    t.label = ReadSmallFile(base + "/temp1_label").value_or("");
    t.celsius = millideg / 1000.0;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace qdt::agent
