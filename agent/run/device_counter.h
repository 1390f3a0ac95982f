// The drive's own count of the bytes it delivered: the kernel's cumulative
// read counter of the block device the target folder lives on. The run
// engine reads it at every fio sample and at every phase boundary and compares
// it with what fio says it read: a phase fio "read" from the page cache shows
// up as a drive that delivered (almost) nothing, and another program reading
// the same drive as a drive that delivered more than fio read.
//
// Linux: /proc/diskstats (sectors read x 512, Documentation/admin-guide/
// iostats.rst) of the device whose major:minor is the target's st_dev — the
// partition, LVM/dm or loop device the file system is mounted from.
// macOS: the "Bytes (Read)" statistic of the IOBlockStorageDriver of the whole
// physical disk behind the target (diskutil info -plist <target> → the APFS
// container → its physical store → the disk; `ioreg`, agent/probes/ioreg.h).
// A target without such a device (tmpfs, a network share, a disk image, a VM
// without stats) has no counter; the run then says "not cross-checked".
//
// Thread-safety: a DeviceCounter is used by one thread at a time.
#ifndef QDT_AGENT_RUN_DEVICE_COUNTER_H_
#define QDT_AGENT_RUN_DEVICE_COUNTER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"

namespace qdt::agent {

class DeviceCounter {
 public:
  virtual ~DeviceCounter() = default;
  // The device counted: "loop3", "nvme0n1p2", "disk4".
  virtual const std::string& device() const = 0;
  // Bytes the device has delivered to reads, cumulative (since it appeared).
  virtual absl::StatusOr<uint64_t> BytesRead() = 0;
  // About how long one BytesRead() takes: the finest a sampled idle gap can be
  // told apart (a file read on Linux, a process on macOS).
  virtual absl::Duration ReadCost() const = 0;
};

// Reads /proc/diskstats under `proc_root` ("/proc" outside tests).
class DiskstatsCounter final : public DeviceCounter {
 public:
  DiskstatsCounter(std::string proc_root, std::string device);
  const std::string& device() const override { return device_; }
  absl::StatusOr<uint64_t> BytesRead() override;
  absl::Duration ReadCost() const override { return absl::Milliseconds(1); }

 private:
  const std::string proc_root_, device_;
};

// Runs ioreg through the CommandRunner (which must outlive the counter).
class IoregCounter final : public DeviceCounter {
 public:
  IoregCounter(CommandRunner* runner, std::string bsd_name);
  const std::string& device() const override { return bsd_name_; }
  absl::StatusOr<uint64_t> BytesRead() override;
  absl::Duration ReadCost() const override { return absl::Milliseconds(100); }

 private:
  CommandRunner* const runner_;
  const std::string bsd_name_;
};

// The counter for a target folder, or why there is none (`note`, for the
// "not cross-checked: no device counter for <target>" flag).
struct CounterChoice {
  std::unique_ptr<DeviceCounter> counter;
  std::string note;
  // The disk behind the target whose counter is read — macOS: the whole
  // physical disk ("disk4", diskutil's chain) and its bus ("USB",
  // "PCI-Express", "Apple Fabric"); Linux: the /proc/diskstats device
  // ("nvme0n1p2", "loop3"), no bus — for the temperature of the drive under
  // test; empty when unknown.
  std::string whole_disk;
  std::string bus_protocol;
};
CounterChoice ChooseDeviceCounter(const std::string& target, Platform platform,
                                  CommandRunner* runner, const std::string& proc_root = "/proc");

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_DEVICE_COUNTER_H_
