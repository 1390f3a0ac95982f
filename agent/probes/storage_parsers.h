// Pure parsers for the storage tools of DESIGN.md §6 that darwin_parsers.h
// does not cover: Apple property lists (`diskutil info -plist`, `diskutil list
// -plist`), macOS `iostat`, smartctl's text report (smartctl without -j, or
// one whose JSON output is broken) and Linux /proc/diskstats. Text in, value
// out; no I/O. Fields a tool did not print stay empty / unset. Tested on real
// captured output in tests/fixtures (provenance in SOURCES.md).
#ifndef QDT_AGENT_PROBES_STORAGE_PARSERS_H_
#define QDT_AGENT_PROBES_STORAGE_PARSERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {

// An XML property list (Apple's PropertyList-1.0 DTD) as JSON: dict -> object,
// array -> array, string / date / data -> string (data stays base64),
// integer -> integer, real -> number, true / false -> boolean. Nesting deeper
// than 64 and anything that is not a plist is an error naming the offset.
absl::StatusOr<nlohmann::json> ParsePlist(absl::string_view text);

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
// containers with their volumes and physical stores.
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

// macOS `iostat [-d] -w N [-c M] [disks]`: a row per report, a column group
// per disk ("KB/t tps MB/s"); the cpu and load-average columns are skipped.
// The first row is the average since boot.
struct IostatDisk {
  double kb_per_transfer = 0, transfers_per_s = 0, mb_per_s = 0;
};
struct IostatReport {
  std::vector<std::string> disks;             // header order, e.g. {"disk0", "disk4"}
  std::vector<std::vector<IostatDisk>> rows;  // rows[i][d] for disks[d]
};
absl::StatusOr<IostatReport> ParseIostat(absl::string_view text);

// smartctl's text report (`smartctl -a`). Same fields as the JSON form.
struct SmartctlText {
  std::string model, serial, firmware;
  std::string health;                         // "PASSED", "FAILED!"; empty when not printed
  std::optional<double> temperature_c;        // "Temperature: 32 Celsius"
  std::vector<double> sensor_temperatures_c;  // "Temperature Sensor N: X Celsius"
  std::optional<int64_t> warning_temp_time_min, critical_temp_time_min;
  std::optional<double> warning_temp_threshold_c, critical_temp_threshold_c;
  std::vector<std::string> failed_logs;  // "Read 1 entries from Error Information Log failed: ..."
};
// Error when the text has no smartctl banner ("smartctl N.N ...").
absl::StatusOr<SmartctlText> ParseSmartctlText(absl::string_view text);

// Linux /proc/diskstats (Documentation/admin-guide/iostats.rst): one line per
// block device; sectors are 512 bytes whatever the device's block size.
struct DiskstatsEntry {
  uint32_t major = 0, minor = 0;
  std::string name;
  uint64_t reads_completed = 0, sectors_read = 0, read_ms = 0;
  uint64_t writes_completed = 0, sectors_written = 0, write_ms = 0;
  uint64_t in_flight = 0, io_ms = 0;
};
// Lines with fewer than 14 fields are an error naming the line number.
absl::StatusOr<std::vector<DiskstatsEntry>> ParseDiskstats(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_STORAGE_PARSERS_H_
