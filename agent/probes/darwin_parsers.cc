#include "agent/probes/darwin_parsers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {
namespace {

std::optional<bool> YesNo(absl::string_view v) {
  if (absl::StartsWith(v, "Yes") || v == "yes") return true;
  if (absl::StartsWith(v, "No") || v == "no") return false;
  return std::nullopt;
}

// "245.1 GB (245107195904 Bytes) (exactly ...)" -> 245107195904
uint64_t BytesInParens(absl::string_view v) {
  size_t open = v.find('(');
  size_t bytes = v.find(" Bytes)");
  uint64_t n = 0;
  if (open == absl::string_view::npos || bytes == absl::string_view::npos || bytes < open) return 0;
  return absl::SimpleAtoi(v.substr(open + 1, bytes - open - 1), &n) ? n : 0;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t U64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>()
         : it != j.end() && it->is_number_integer() && it->get<int64_t>() > 0
             ? static_cast<uint64_t>(it->get<int64_t>())
             : 0;
}

}  // namespace

absl::StatusOr<DiskutilInfo> ParseDiskutilInfo(absl::string_view text) {
  DiskutilInfo d;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (kv.size() != 2) continue;
    absl::string_view key = absl::StripAsciiWhitespace(kv[0]);
    absl::string_view value = absl::StripAsciiWhitespace(kv[1]);
    if (key == "Device Identifier")
      d.device_identifier = std::string(value);
    else if (key == "Part of Whole")
      d.part_of_whole = std::string(value);
    else if (key == "Volume Name")
      d.volume_name = std::string(value);
    else if (key == "Mount Point")
      d.mount_point = std::string(value);
    else if (key == "File System Personality")
      d.file_system = std::string(value);
    else if (key == "Protocol")
      d.protocol = std::string(value);
    else if (key == "SMART Status")
      d.smart_status = std::string(value);
    else if (key == "Solid State")
      d.solid_state = YesNo(value);
    else if (key == "Volume Read-Only")
      d.volume_read_only = YesNo(value);
    else if (key == "Media OS Use Only")
      d.os_use_only = YesNo(value);
    else if (key == "APFS Container")
      d.apfs_container = std::string(value);
    else if (key == "APFS Physical Store")
      d.apfs_physical_store = std::string(value);
    else if (key == "Disk Size")
      d.disk_size_bytes = BytesInParens(value);
  }
  if (d.device_identifier.empty()) {
    return absl::InvalidArgumentError("diskutil info: no \"Device Identifier\" line");
  }
  return d;
}

absl::StatusOr<SystemProfilerStorage> ParseSystemProfilerJson(absl::string_view text) {
  auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("system_profiler: not JSON (run it with -json)");
  }
  SystemProfilerStorage out;
  if (auto it = doc.find("SPStorageDataType"); it != doc.end() && it->is_array()) {
    for (const auto& v : *it) {
      SpVolume vol;
      vol.name = Str(v, "_name");
      vol.bsd_name = Str(v, "bsd_name");
      vol.mount_point = Str(v, "mount_point");
      vol.file_system = Str(v, "file_system");
      vol.free_bytes = U64(v, "free_space_in_bytes");
      vol.size_bytes = U64(v, "size_in_bytes");
      if (v.contains("writable")) vol.writable = YesNo(Str(v, "writable"));
      if (auto pd = v.find("physical_drive"); pd != v.end() && pd->is_object()) {
        vol.device_name = Str(*pd, "device_name");
        vol.protocol = Str(*pd, "protocol");
        vol.medium_type = Str(*pd, "medium_type");
        vol.smart_status = Str(*pd, "smart_status");
        if (pd->contains("is_internal_disk")) vol.internal = YesNo(Str(*pd, "is_internal_disk"));
      }
      out.volumes.push_back(std::move(vol));
    }
  }
  if (auto it = doc.find("SPNVMeDataType"); it != doc.end() && it->is_array()) {
    for (const auto& controller : *it) {
      auto items = controller.find("_items");
      if (items == controller.end() || !items->is_array()) continue;
      for (const auto& d : *items) {
        SpNvmeDrive drive;
        drive.model = Str(d, "device_model");
        drive.serial = Str(d, "device_serial");
        drive.revision = Str(d, "device_revision");
        drive.bsd_name = Str(d, "bsd_name");
        drive.smart_status = Str(d, "smart_status");
        drive.size_bytes = U64(d, "size_in_bytes");
        out.nvme.push_back(std::move(drive));
      }
    }
  }
  return out;
}

}  // namespace qdt::agent
