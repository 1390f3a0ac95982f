#include "agent/run/device_counter.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "absl/strings/str_cat.h"
#include "agent/probes/diskstats.h"
#include "agent/probes/diskutil.h"
#include "agent/probes/ioreg.h"
#include "common/errno_status.h"
#include "common/file_util.h"

namespace qdt::agent {
namespace {

// /proc/diskstats has a line per block device: a few KB even with hundreds.
constexpr size_t kMaxDiskstatsBytes = 4u << 20;
constexpr uint64_t kSectorBytes = 512;  // whatever the device's block size

absl::StatusOr<std::vector<DiskstatsEntry>> ReadDiskstats(const std::string& proc_root) {
  auto text = ReadFile(proc_root + "/diskstats", kMaxDiskstatsBytes);
  if (!text.ok()) return text.status();
  return ParseDiskstats(*text);
}

CounterChoice ChooseLinux(const std::string& target, const std::string& proc_root) {
  CounterChoice choice;
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) {
    choice.note = ErrnoText(errno);
    return choice;
  }
  const uint32_t major_no = major(st.st_dev), minor_no = minor(st.st_dev);
  auto rows = ReadDiskstats(proc_root);
  if (!rows.ok()) {
    choice.note = std::string(rows.status().message());
    return choice;
  }
  for (const DiskstatsEntry& row : *rows) {
    if (row.major == major_no && row.minor == minor_no) {
      choice.whole_disk = row.name;  // its temperature sensor, if it has one
      choice.counter = std::make_unique<DiskstatsCounter>(proc_root, row.name);
      return choice;
    }
  }
  choice.note = absl::StrCat("its file system is on device ", major_no, ":", minor_no,
                             ", which the kernel does not count (tmpfs, a network share or "
                             "another virtual file system)");
  return choice;
}

CounterChoice ChooseMacos(const std::string& target, CommandRunner* runner) {
  CounterChoice choice;
  auto info = runner->Run({"diskutil", "info", "-plist", target}, absl::Seconds(20));
  if (!info.ok() || info->exit_code != 0) {
    choice.note = "diskutil does not know its device (a network share or a disk image?)";
    return choice;
  }
  auto volume = ParseDiskutilInfoPlist(info->out);
  if (!volume.ok()) {
    choice.note = std::string(volume.status().message());
    return choice;
  }
  auto list_out = runner->Run({"diskutil", "list", "-plist"}, absl::Seconds(20));
  auto list = list_out.ok() ? ParseDiskutilList(list_out->out)
                            : absl::StatusOr<DiskutilList>(list_out.status());
  if (!list.ok()) {
    choice.note = absl::StrCat("diskutil list: ", list.status().message());
    return choice;
  }
  const std::vector<std::string> chain = PhysicalChain(*list, volume->device_identifier);
  const std::string disk = chain.empty() ? volume->parent_whole_disk : chain.back();
  choice.whole_disk = disk;
  choice.bus_protocol = volume->bus_protocol;
  auto counter = std::make_unique<IoregCounter>(runner, disk);
  if (auto first = counter->BytesRead(); !first.ok()) {
    choice.note = absl::StrCat(disk, ": ", first.status().message());
    return choice;
  }
  choice.counter = std::move(counter);
  return choice;
}

}  // namespace

DiskstatsCounter::DiskstatsCounter(std::string proc_root, std::string device)
    : proc_root_(std::move(proc_root)), device_(std::move(device)) {}

absl::StatusOr<uint64_t> DiskstatsCounter::BytesRead() {
  auto rows = ReadDiskstats(proc_root_);
  if (!rows.ok()) return rows.status();
  for (const DiskstatsEntry& row : *rows) {
    if (row.name == device_) return row.sectors_read * kSectorBytes;
  }
  return absl::NotFoundError(absl::StrCat(device_, " is no longer in /proc/diskstats"));
}

IoregCounter::IoregCounter(CommandRunner* runner, std::string bsd_name)
    : runner_(runner), bsd_name_(std::move(bsd_name)) {}

absl::StatusOr<uint64_t> IoregCounter::BytesRead() {
  auto out = runner_->Run({"ioreg", "-r", "-c", "IOBlockStorageDriver", "-l", "-w", "0", "-d", "2"},
                          absl::Seconds(5));
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("ioreg exited with ", out->exit_code));
  }
  auto drivers = ParseIoregBlockDrivers(out->out);
  if (!drivers.ok()) return drivers.status();
  for (const IoregBlockDriver& d : *drivers) {
    if (d.bsd_name == bsd_name_) return d.bytes_read;
  }
  return absl::NotFoundError(absl::StrCat("ioreg lists no counters for ", bsd_name_));
}

CounterChoice ChooseDeviceCounter(const std::string& target, Platform platform,
                                  CommandRunner* runner, const std::string& proc_root) {
  CounterChoice choice = platform == Platform::kMacOS && runner != nullptr
                             ? ChooseMacos(target, runner)
                             : ChooseLinux(target, proc_root);
  if (choice.counter == nullptr) {
    choice.note = absl::StrCat("no device counter for \"", target, "\": ", choice.note);
  }
  return choice;
}

}  // namespace qdt::agent
