#include "agent/probes/smartctl.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "agent/probes/parse_util.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {
namespace {

// "52 Celsius" -> 52; "0" -> 0 when `unit` is empty.
std::optional<double> Number(absl::string_view value, absl::string_view unit) {
  std::vector<absl::string_view> words = absl::StrSplit(value, ' ', absl::SkipEmpty());
  if (words.empty()) return std::nullopt;
  if (!unit.empty() && (words.size() < 2 || words[1] != unit)) return std::nullopt;
  std::string digits;
  for (char c : words[0]) {
    if (c != ',') digits += c;  // "2,354,229,498"
  }
  double d = 0;
  if (!absl::SimpleAtod(digits, &d)) return std::nullopt;
  return d;
}

}  // namespace

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

absl::StatusOr<SmartctlText> ParseSmartctlText(absl::string_view text) {
  SmartctlText r;
  bool banner = false;
  for (absl::string_view raw : absl::StrSplit(text, absl::ByAnyChar("\r\n"))) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (absl::StartsWith(line, "smartctl ")) banner = true;
    if (absl::StartsWith(line, "Read ") && absl::StrContains(line, " failed")) {
      r.failed_logs.emplace_back(line);
      continue;
    }
    absl::string_view raw_key, value;
    if (!SplitField(line, &raw_key, &value)) continue;
    // smartctl aligns some keys with two spaces ("Warning  Comp. ...").
    const std::string key = absl::StrJoin(absl::StrSplit(raw_key, ' ', absl::SkipEmpty()), " ");
    if (key == "Model Number" || key == "Device Model") {
      r.model = std::string(value);
    } else if (key == "Serial Number") {
      if (value != "--") r.serial = std::string(value);  // masked in public reports
    } else if (key == "Firmware Version") {
      r.firmware = std::string(value);
    } else if (key == "SMART overall-health self-assessment test result") {
      r.health = std::string(value);
    } else if (key == "Temperature") {
      r.temperature_c = Number(value, "Celsius");
    } else if (absl::StartsWith(key, "Temperature Sensor ")) {
      if (auto t = Number(value, "Celsius")) r.sensor_temperatures_c.push_back(*t);
    } else if (key == "Warning Comp. Temperature Time") {
      if (auto t = Number(value, "")) r.warning_temp_time_min = static_cast<int64_t>(*t);
    } else if (key == "Critical Comp. Temperature Time") {
      if (auto t = Number(value, "")) r.critical_temp_time_min = static_cast<int64_t>(*t);
    } else if (key == "Warning Comp. Temp. Threshold") {
      r.warning_temp_threshold_c = Number(value, "Celsius");
    } else if (key == "Critical Comp. Temp. Threshold") {
      r.critical_temp_threshold_c = Number(value, "Celsius");
    }
  }
  if (!banner) {
    return absl::InvalidArgumentError("smartctl: no \"smartctl N.N\" banner line: not its report");
  }
  return r;
}

SmartctlReading ReadSmartctl(CommandRunner* runner, const std::string& smartctl,
                             const std::string& device) {
  SmartctlReading r;
  if (smartctl.empty()) {
    r.error = "no smartctl (qdt-agent --smartctl)";
    return r;
  }
  auto json = runner->Run({smartctl, "-j", "-a", device}, absl::Seconds(20));
  if (!json.ok()) {
    r.error = std::string(json.status().message());
    return r;
  }
  if (json->exit_code == 127) {
    r.error = "smartctl is not installed";
    return r;
  }
  if (auto info = ParseSmartctlJson(json->out); info.ok()) {
    r.temperature_c = info->temperature_c;
    r.model = info->model;
    r.serial = info->serial;
    return r;
  }
  auto text = runner->Run({smartctl, "-a", device}, absl::Seconds(20));
  if (!text.ok()) {
    r.error = std::string(text.status().message());
    return r;
  }
  auto report = ParseSmartctlText(text->out);
  if (!report.ok()) {
    r.error = absl::StrCat("smartctl ", device, " exited with ", text->exit_code, ": ",
                           report.status().message());
    return r;
  }
  r.temperature_c = report->temperature_c;
  r.model = report->model;
  r.serial = report->serial;
  return r;
}

namespace {

// Why `path` may not be run as smartctl by this agent; empty when it may.
std::string SmartctlProblem(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "not found";
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return "not an executable file";
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::StrFormat(
        "writable by its group or by anyone (mode %04o): a root agent will not run it",
        st.st_mode & 07777);
  }
  if (::geteuid() == 0 && st.st_uid != 0) {
    return absl::StrCat("owned by uid ", st.st_uid, ", not root: a root agent will not run it");
  }
  return "";
}

}  // namespace

SmartctlChoice ResolveSmartctl(const std::string& requested, bool macos,
                               const std::string& agent_path) {
  SmartctlChoice c;
  if (!requested.empty()) {
    if (requested[0] != '/') {
      c.note = absl::StrCat("--smartctl: \"", requested, "\" is not an absolute path");
      return c;
    }
    if (std::string why = SmartctlProblem(requested); !why.empty()) {
      c.note = absl::StrCat("--smartctl: ", requested, ": ", why);
      return c;
    }
    c.path = requested;
    return c;
  }
  std::vector<std::string> candidates;
  if (macos) {
    const size_t slash = agent_path.rfind('/');
    if (slash != std::string::npos) candidates.push_back(agent_path.substr(0, slash) + "/smartctl");
  } else {
    candidates = {"/usr/sbin/smartctl", "/usr/bin/smartctl"};
  }
  std::vector<std::string> problems;
  for (const std::string& p : candidates) {
    std::string why = SmartctlProblem(p);
    if (why.empty()) {
      c.path = p;
      return c;
    }
    problems.push_back(absl::StrCat(p, ": ", why));
  }
  c.note = absl::StrCat(
      "no usable smartctl (", absl::StrJoin(problems, "; "), ")",
      macos ? ": the pkg installs one next to qdt-agent; or pass --smartctl /absolute/path"
            : ": apt-get install smartmontools, or pass --smartctl /absolute/path");
  return c;
}

}  // namespace qdt::agent
