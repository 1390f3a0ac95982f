#include "agent/probes/hwmon.h"

#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/file_util.h"

namespace qdt::agent {
namespace {

// A sysfs attribute, trimmed; unset when it cannot be read (a source that
// vanished, or an attribute this driver does not have).
std::optional<std::string> ReadAttribute(const std::string& path) {
  auto text = ReadFileTrimmed(path);
  if (!text.ok()) return std::nullopt;
  return *std::move(text);
}

}  // namespace

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
    auto name = ReadAttribute(base + "/name");
    if (!name || (*name != "nvme" && *name != "drivetemp")) continue;
    auto input = ReadAttribute(base + "/temp1_input");
    int64_t millideg;
    if (!input || !absl::SimpleAtoi(*input, &millideg)) continue;
    HwmonTemperature t;
    t.hwmon = h;
    t.name = *name;
    t.label = ReadAttribute(base + "/temp1_label").value_or("");
    t.celsius = millideg / 1000.0;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace qdt::agent
