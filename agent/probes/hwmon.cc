#include "agent/probes/hwmon.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

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

std::optional<HwmonTemperature> ReadBlockDeviceHwmon(const std::string& sysfs_root,
                                                     const std::string& block_name) {
  if (block_name.empty() || block_name.find('/') != std::string::npos) return std::nullopt;
  // A partition ("nvme0n1p2") has no device link: its disk, the folder above, has.
  char block[PATH_MAX];
  const std::string entry = sysfs_root + "/class/block/" + block_name;
  if (::realpath(entry.c_str(), block) == nullptr) return std::nullopt;
  std::string disk = block;
  if (::access((disk + "/partition").c_str(), F_OK) == 0) disk = disk.substr(0, disk.rfind('/'));
  char want[PATH_MAX];
  if (::realpath((disk + "/device").c_str(), want) == nullptr) return std::nullopt;  // loop, dm
  for (HwmonTemperature& t : ReadDriveHwmon(sysfs_root)) {
    char got[PATH_MAX];
    const std::string dev = sysfs_root + "/class/hwmon/" + t.hwmon + "/device";
    if (::realpath(dev.c_str(), got) != nullptr && std::string(got) == want) return std::move(t);
  }
  return std::nullopt;
}

}  // namespace qdt::agent
