#include "agent/probes/system_profiler.h"

#include "agent/probes/parse_util.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {
namespace {

uint64_t U64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>()
         : it != j.end() && it->is_number_integer() && it->get<int64_t>() > 0
             ? static_cast<uint64_t>(it->get<int64_t>())
             : 0;
}

}  // namespace

absl::StatusOr<SystemProfilerStorage> ParseSystemProfilerJson(absl::string_view text) {
  auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("system_profiler: not JSON (run it with -json)");
  }
  SystemProfilerStorage out;
  if (auto it = doc.find("SPStorageDataType"); it != doc.end() && it->is_array()) {
    for (const auto& v : *it) {
      SpVolume vol;
      vol.name = JsonString(v, "_name");
      vol.bsd_name = JsonString(v, "bsd_name");
      vol.mount_point = JsonString(v, "mount_point");
      vol.file_system = JsonString(v, "file_system");
      vol.free_bytes = U64(v, "free_space_in_bytes");
      vol.size_bytes = U64(v, "size_in_bytes");
      if (v.contains("writable")) vol.writable = ParseYesNo(JsonString(v, "writable"));
      if (auto pd = v.find("physical_drive"); pd != v.end() && pd->is_object()) {
        vol.device_name = JsonString(*pd, "device_name");
        vol.protocol = JsonString(*pd, "protocol");
        vol.medium_type = JsonString(*pd, "medium_type");
        vol.smart_status = JsonString(*pd, "smart_status");
        if (pd->contains("is_internal_disk"))
          vol.internal = ParseYesNo(JsonString(*pd, "is_internal_disk"));
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
        drive.model = JsonString(d, "device_model");
        drive.serial = JsonString(d, "device_serial");
        drive.revision = JsonString(d, "device_revision");
        drive.bsd_name = JsonString(d, "bsd_name");
        drive.smart_status = JsonString(d, "smart_status");
        drive.size_bytes = U64(d, "size_in_bytes");
        out.nvme.push_back(std::move(drive));
      }
    }
  }
  return out;
}

std::optional<std::string> MacosTestPath(const SpVolume& volume, bool has_data_volume) {
  const std::string& m = volume.mount_point;
  if (m.empty()) return std::nullopt;  // not mounted
  if (!has_data_volume) return m;      // macOS before 10.15: one volume at "/"
  if (m == kMacosDataVolume) return std::string(kMacosInternalTarget);
  if (m == "/" || m.rfind("/System/", 0) == 0) return std::nullopt;
  return m;
}

}  // namespace qdt::agent
