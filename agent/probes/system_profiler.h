// system_profiler (macOS): every mounted volume with the drive behind it
// (model, protocol, medium, SMART status) and the NVMe drives with model and
// serial, in one call. The macOS backend (platform_probe.h) starts from this
// and asks diskutil (diskutil.h) for what it leaves out.
//
// Parses: `system_profiler SPStorageDataType SPNVMeDataType -json` (either
// data type alone too).
// Real captures: tests/fixtures/system_profiler/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging. Fields the tool did not print
// stay empty / unset.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_SYSTEM_PROFILER_H_
#define QDT_AGENT_PROBES_SYSTEM_PROFILER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

// SPStorageDataType: mounted volumes and their drive.
struct SpVolume {
  std::string name, bsd_name, mount_point, file_system;
  uint64_t free_bytes = 0, size_bytes = 0;
  std::optional<bool> writable;
  std::string device_name;  // physical_drive.device_name, e.g. "APPLE SSD AP0256Z"
  std::string protocol;     // physical_drive.protocol
  std::string medium_type;  // "ssd", "rotational"
  std::string smart_status;
  std::optional<bool> internal;
};
// SPNVMeDataType: NVMe drives.
struct SpNvmeDrive {
  std::string model, serial, revision, bsd_name, smart_status;
  uint64_t size_bytes = 0;
};
struct SystemProfilerStorage {
  std::vector<SpVolume> volumes;
  std::vector<SpNvmeDrive> nvme;
};
// Either data type may be absent or empty (a VM shows no NVMe controller).
// Error when the text is not system_profiler JSON.
absl::StatusOr<SystemProfilerStorage> ParseSystemProfilerJson(absl::string_view text);

// Where a volume can be tested, as the console should offer it; nullopt for a
// volume that is not for tests. Since macOS 10.15 the system volume at "/" is
// sealed and read-only and the data lives on "/System/Volumes/Data"
// (Apple, "About the read-only system volume in macOS Catalina"); the agent's
// default allowed targets refuse the latter, and /Users/Shared on the data
// volume is not TCC-protected (docs/MACOS.md). So, when `has_data_volume`:
// "/" is hidden, "/System/Volumes/Data" is offered as "/Users/Shared", and
// the other /System mounts (Preboot, VM, Update, MobileAsset .AssetData
// cryptexes) are hidden. Every other volume is offered at its mount point.
inline constexpr char kMacosDataVolume[] = "/System/Volumes/Data";
inline constexpr char kMacosInternalTarget[] = "/Users/Shared";
std::optional<std::string> MacosTestPath(const SpVolume& volume, bool has_data_volume);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_SYSTEM_PROFILER_H_
