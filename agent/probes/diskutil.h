// diskutil (macOS): which volume is on which physical drive, and the facts
// about a volume the macOS backend (platform_probe.h) reports: protocol, solid
// state, SMART status, sizes. An APFS volume lives in a container whose
// "physical store" is a partition of the real drive; PhysicalChain walks that.
//
// Parses:
//   `diskutil info <device>`              ParseDiskutilInfo (text)
//   `diskutil info -plist <mount point>`  ParseDiskutilInfoPlist
//   `diskutil list -plist`                ParseDiskutilList
//   `diskutil list`                       ParseDiskutilListText
//   `diskutil apfs list`                  ParseDiskutilApfsList (text tree)
// Real captures: tests/fixtures/diskutil/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging. Fields the tool did not print
// stay empty / unset.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_DISKUTIL_H_
#define QDT_AGENT_PROBES_DISKUTIL_H_

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

// `diskutil info -plist <mount point or device>`.
struct DiskutilInfoPlist {
  std::string device_identifier;  // "disk1s5s1"
  std::string parent_whole_disk;  // "disk1": for an APFS volume, its container
  std::string volume_name, mount_point, filesystem_type;
  std::string bus_protocol;  // "PCI", "USB", "Apple Fabric", "Thunderbolt"
  std::string smart_status;  // "Verified", "Not Supported", "Failing"
  std::string media_name;    // the drive model on whole disks; often empty on volumes
  std::optional<bool> solid_state, internal, whole_disk, writable_volume;
  std::string apfs_container;                     // APFSContainerReference
  std::vector<std::string> apfs_physical_stores;  // e.g. {"disk0s2"}
  uint64_t total_size_bytes = 0;
  std::optional<uint64_t> free_bytes;  // APFSContainerFree for APFS, else FreeSpace
};
// diskutil's error form (<key>Error</key><true/>) becomes NotFound with its
// ErrorMessage ("Could not find disk: /Volumes/SMB"); other text is an error.
absl::StatusOr<DiskutilInfoPlist> ParseDiskutilInfoPlist(absl::string_view text);

// `diskutil list -plist`: whole disks with their partitions, and APFS
// containers with their volumes and physical stores. The text forms below
// fill the same structs.
struct DiskutilListEntry {
  std::string device_identifier, content, volume_name, mount_point;
  std::string role;  // APFS volume role from `diskutil apfs list`: "System", "Data", ...
  uint64_t size_bytes = 0;
};
struct DiskutilListDisk {
  std::string device_identifier;  // "disk0", "disk3"
  std::string content;            // "GUID_partition_scheme"
  uint64_t size_bytes = 0;
  std::optional<bool> os_internal;
  std::vector<DiskutilListEntry> partitions;
  std::vector<DiskutilListEntry> apfs_volumes;
  std::vector<std::string> apfs_physical_stores;  // partitions of other disks
};
struct DiskutilList {
  std::vector<DiskutilListDisk> disks;
  std::vector<std::string> whole_disks;
};
absl::StatusOr<DiskutilList> ParseDiskutilList(absl::string_view text);

// `diskutil list` (text): the same picture from the human table. Sizes there
// are rounded ("362.6 GB" -> 362600000000); mount points are not printed.
// Error when no "/dev/diskN (...):" header is found.
absl::StatusOr<DiskutilList> ParseDiskutilListText(absl::string_view text);

// `diskutil apfs list` (text tree): one entry per APFS container with its
// physical stores and volumes (role, name without "(Case-insensitive)",
// mount point; "Not Mounted" stays empty). Error when no container is found.
absl::StatusOr<DiskutilList> ParseDiskutilApfsList(absl::string_view text);

// The chain from a volume or partition to the physical whole disk behind it:
// "disk3s1" -> container "disk3" -> physical store "disk0s2" -> "disk0".
// Empty when the identifier is not in the list.
std::vector<std::string> PhysicalChain(const DiskutilList& list, const std::string& identifier);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_DISKUTIL_H_
