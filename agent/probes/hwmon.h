// Drive temperatures from Linux hwmon, for the thermal monitor
// (thermal_monitor.h) and the Linux probe: the kernel's nvme driver and the
// drivetemp module (SATA) expose them as /sys/class/hwmon/hwmonN, with no tool
// to run.
//
// Reads (I/O!): <sysfs_root>/class/hwmon/*/{name,temp1_input,temp1_label}.
// temp1_input is in m°C. The hwmon index is not fixed across boots or
// machines, so sources are found by name ("nvme", "drivetemp").
// Real captures: tests/fixtures/hwmon/ (`grep .` listings of real sysfs trees,
// which tests turn into a fake tree; provenance in tests/fixtures/SOURCES.md).
// Thread-safety: thread-safe (no shared state; only reads files).
#ifndef QDT_AGENT_PROBES_HWMON_H_
#define QDT_AGENT_PROBES_HWMON_H_

#include <optional>
#include <string>
#include <vector>

namespace qdt::agent {

struct HwmonTemperature {
  std::string hwmon;  // e.g. "hwmon3"
  std::string name;   // "nvme" or "drivetemp"
  std::string label;  // temp1_label when present, e.g. "Composite"
  double celsius = 0;
};

// Every nvme / drivetemp source under <sysfs_root>/class/hwmon, sorted by
// folder name ("hwmon10" before "hwmon2"). The root is a parameter so tests can use a fake tree; it
// is
// "/sys" outside tests. Sources without a readable value are skipped; no
// hwmon folder is an empty list, not an error.
std::vector<HwmonTemperature> ReadDriveHwmon(const std::string& sysfs_root);

// The sensor of one block device (e.g. "nvme0n1", "sda"): the nvme /
// drivetemp hwmon whose `device` link resolves to the same device as
// <sysfs_root>/class/block/<name>/device (an NVMe namespace's and its
// controller's hwmon both lead to the controller; drivetemp's to the SCSI
// device); a partition ("nvme0n1p2") is its disk's. Unset for a device
// without one (loop, dm, virtio, most USB sticks).
std::optional<HwmonTemperature> ReadBlockDeviceHwmon(const std::string& sysfs_root,
                                                     const std::string& block_name);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_HWMON_H_
