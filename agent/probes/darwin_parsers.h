// Pure parsers for the macOS storage tools of DESIGN.md §6 (text in, value
// out). They run on any platform, so the macOS backend is tested on Linux on
// real captured output (tests/fixtures, provenance in SOURCES.md). Fields a
// tool did not print stay empty / unset.
#ifndef QDT_AGENT_PROBES_DARWIN_PARSERS_H_
#define QDT_AGENT_PROBES_DARWIN_PARSERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

// `diskutil info DEVICE` (text form): "Key: Value" lines.
struct DiskutilInfo {
  std::string device_identifier;  // "disk3s1"
  std::string part_of_whole;      // "disk3"
  std::string volume_name, mount_point, file_system;
  std::string protocol;      // "Apple Fabric", "PCI-Express", "USB", "Thunderbolt"
  std::string smart_status;  // "Verified", "Not Supported", "Failing"
  std::optional<bool> solid_state;
  std::optional<bool> volume_read_only;
  std::optional<bool> os_use_only;  // "Media OS Use Only": a system helper volume
  std::string apfs_container;       // "disk3"
  std::string apfs_physical_store;  // "disk0s2": the partition on the real drive
  uint64_t disk_size_bytes = 0;     // "Disk Size: 245.1 GB (245107195904 Bytes) ..."
};
// Error when the text has no "Device Identifier" (not diskutil info output).
absl::StatusOr<DiskutilInfo> ParseDiskutilInfo(absl::string_view text);

// `system_profiler SPStorageDataType -json`: mounted volumes and their drive.
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
// `system_profiler SPNVMeDataType -json`: NVMe drives.
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

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_DARWIN_PARSERS_H_
