#include "agent/probes/platform_probe.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/probes/diskstats.h"
#include "agent/probes/diskutil.h"
#include "agent/probes/iostat.h"
#include "agent/probes/platform.h"
#include "agent/probes/pmset.h"
#include "agent/probes/qlab.h"
#include "agent/probes/smartctl.h"
#include "agent/probes/system_profiler.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/volumes.h"
#include "common/file_util.h"

namespace qdt::agent {
namespace {

absl::StatusOr<std::vector<DiskstatsEntry>> ReadDiskstats(const std::string& proc_root) {
  auto text = ReadFile(proc_root + "/diskstats");
  if (!text.ok()) return text.status();
  return ParseDiskstats(*text);
}

std::set<std::string> PhysicalDevices(const std::vector<qdt::v1::Volume>& volumes) {
  std::set<std::string> out;
  for (const auto& v : volumes) {
    if (!v.physical_device().empty()) out.insert(v.physical_device());
  }
  return out;
}

// diskutil list -plist: the whole disks, their partitions and the APFS
// containers with their physical stores, to walk volume -> drive.
std::optional<DiskutilList> ReadDiskutilList(CommandRunner* runner,
                                             std::vector<std::string>* notes) {
  std::optional<DiskutilList> list;
  auto dl = runner->Run({"diskutil", "list", "-plist"}, absl::Seconds(30));
  if (dl.ok() && dl->exit_code == 0) {
    auto l = ParseDiskutilList(dl->out);
    if (l.ok()) {
      list = std::move(*l);
    } else {
      notes->push_back(absl::StrCat("diskutil list -plist: ", l.status().message()));
    }
  } else {
    notes->push_back("diskutil list -plist failed: " +
                     (dl.ok() ? dl->err : std::string(dl.status().message())));
  }
  if (!list) {
    // The human table carries the same chain (older diskutil, or a broken plist).
    auto dt = runner->Run({"diskutil", "list"}, absl::Seconds(30));
    if (dt.ok() && dt->exit_code == 0) {
      if (auto l = ParseDiskutilListText(dt->out); l.ok()) list = std::move(*l);
    }
  }
  return list;
}

qdt::v1::Volume VolumeFromSystemProfiler(const SpVolume& v, const std::vector<SpNvmeDrive>& nvme) {
  qdt::v1::Volume vol;
  vol.set_mount_point(v.mount_point);
  vol.set_device(v.bsd_name);
  vol.set_fs_type(v.file_system);
  vol.set_model(v.device_name);
  vol.set_protocol(v.protocol);
  vol.set_free_bytes(v.free_bytes);
  vol.set_total_bytes(v.size_bytes);
  vol.set_read_only(v.writable.has_value() && !*v.writable);
  if (v.medium_type == "ssd") vol.set_solid_state(qdt::v1::Volume::SOLID_STATE_YES);
  if (v.medium_type == "rotational") vol.set_solid_state(qdt::v1::Volume::SOLID_STATE_NO);
  for (const SpNvmeDrive& d : nvme) {
    if (!d.model.empty() && d.model == v.device_name) vol.set_serial(d.serial);
  }
  return vol;
}

// diskutil info -plist fills what system_profiler left out (a VM's disk has
// no protocol or medium there) and names the APFS physical store, from which
// `list` leads to the physical drive.
void AddDiskutilInfo(CommandRunner* runner, const std::optional<DiskutilList>& list,
                     const std::string& mount_point, qdt::v1::Volume* vol,
                     std::vector<std::string>* notes) {
  auto di = runner->Run({"diskutil", "info", "-plist", mount_point}, absl::Seconds(30));
  if (!di.ok() || di->out.empty()) {
    notes->push_back(absl::StrCat("diskutil info -plist ", mount_point, " failed"));
    return;
  }
  auto info = ParseDiskutilInfoPlist(di->out);
  if (!info.ok()) {
    notes->push_back(absl::StrCat(mount_point, ": ", info.status().message()));
    return;
  }
  if (vol->device().empty()) vol->set_device(info->device_identifier);
  if (vol->protocol().empty()) vol->set_protocol(info->bus_protocol);
  if (vol->model().empty()) vol->set_model(info->media_name);
  if (vol->solid_state() == qdt::v1::Volume::SOLID_STATE_UNKNOWN && info->solid_state) {
    vol->set_solid_state(*info->solid_state ? qdt::v1::Volume::SOLID_STATE_YES
                                            : qdt::v1::Volume::SOLID_STATE_NO);
  }
  if (vol->total_bytes() == 0) vol->set_total_bytes(info->total_size_bytes);
  if (vol->free_bytes() == 0 && info->free_bytes) vol->set_free_bytes(*info->free_bytes);
  std::string store = !info->apfs_physical_stores.empty() ? info->apfs_physical_stores.front()
                                                          : info->parent_whole_disk;
  if (list && !store.empty()) {
    std::vector<std::string> chain = PhysicalChain(*list, store);
    if (!chain.empty()) vol->set_physical_device(chain.back());
  }
  if (vol->physical_device().empty()) vol->set_physical_device(store);
}

}  // namespace

ProbeReport ProbeLinux(CommandRunner* runner, const std::string& smartctl,
                       const std::string& sysfs_root, const std::string& proc_root,
                       absl::Duration activity_window) {
  ProbeReport r;
  r.platform = "linux";
  auto volumes = ListVolumes(sysfs_root);
  if (volumes.ok()) {
    r.volumes = std::move(*volumes);
  } else {
    r.notes.push_back(std::string(volumes.status().message()));
  }
  const std::set<std::string> drives = PhysicalDevices(r.volumes);
  if (activity_window > absl::ZeroDuration() && !drives.empty()) {
    auto before = ReadDiskstats(proc_root);
    absl::Time t0 = absl::Now();
    absl::SleepFor(activity_window);
    auto after = ReadDiskstats(proc_root);
    double secs = absl::ToDoubleSeconds(absl::Now() - t0);
    if (!before.ok() || !after.ok()) {
      r.notes.push_back(std::string((!before.ok() ? before : after).status().message()));
    } else {
      for (const auto& b : *before) {
        if (!drives.count(b.name)) continue;
        for (const auto& a : *after) {
          if (a.name != b.name) continue;
          // Counters only grow; a reset (device re-added) reads as no activity.
          uint64_t sectors =
              (a.sectors_read >= b.sectors_read ? a.sectors_read - b.sectors_read : 0) +
              (a.sectors_written >= b.sectors_written ? a.sectors_written - b.sectors_written : 0);
          r.drive_activity_mb_s[b.name] = sectors * 512.0 / 1e6 / secs;
        }
      }
    }
  }
  ThermalMonitor thermal(runner, Platform::kLinux, sysfs_root);
  ThermalReading t = thermal.SampleOnce();
  r.drive_temperature_c = t.temperature_c;
  r.temperature_source = t.temperature_source;
  // No hwmon sensor (SATA without drivetemp, USB, some VMs): ask smartctl.
  if (!r.drive_temperature_c) {
    for (const std::string& d : drives) {
      SmartctlReading s = ReadSmartctl(runner, smartctl, "/dev/" + d);
      if (s.temperature_c) {
        r.drive_temperature_c = s.temperature_c;
        r.temperature_source = "smartctl /dev/" + d;
        break;
      }
      r.notes.push_back(absl::StrCat("smartctl /dev/", d, ": ",
                                     s.error.empty() ? "no temperature reported" : s.error));
    }
  }
  r.qlab_running = QlabRunning(runner);
  return r;
}

std::vector<qdt::v1::Volume> ProbeMacosVolumes(CommandRunner* runner,
                                               std::vector<std::string>* notes,
                                               std::string* internal_device) {
  std::vector<qdt::v1::Volume> volumes;
  // system_profiler gives every mounted volume with its drive, and the NVMe
  // drives with model and serial; 60 s because it is slow on a busy machine.
  auto sp = runner->Run({"system_profiler", "SPStorageDataType", "SPNVMeDataType", "-json"},
                        absl::Seconds(60));
  if (!sp.ok() || sp->exit_code != 0) {
    notes->push_back("system_profiler failed: " +
                     (sp.ok() ? sp->err : std::string(sp.status().message())));
    return volumes;
  }
  auto parsed = ParseSystemProfilerJson(sp->out);
  if (!parsed.ok()) {
    notes->push_back(std::string(parsed.status().message()));
    return volumes;
  }
  const std::optional<DiskutilList> list = ReadDiskutilList(runner, notes);
  const bool has_data_volume =
      std::any_of(parsed->volumes.begin(), parsed->volumes.end(),
                  [](const SpVolume& v) { return v.mount_point == kMacosDataVolume; });
  for (const SpVolume& v : parsed->volumes) {
    // The sealed system volume and /System's helper mounts are not offered;
    // the data volume is offered as /Users/Shared (system_profiler.h).
    const std::optional<std::string> path = MacosTestPath(v, has_data_volume);
    if (!path) continue;
    qdt::v1::Volume vol = VolumeFromSystemProfiler(v, parsed->nvme);
    AddDiskutilInfo(runner, list, v.mount_point, &vol, notes);
    vol.set_mount_point(*path);
    // The internal drive is the one behind the data volume: system_profiler's
    // NVMe section may list a Thunderbolt drive first, and on many Apple
    // Silicon Macs it has no section at all (docs/MACOS.md, "Temperature").
    if (v.mount_point == kMacosDataVolume && !vol.physical_device().empty()) {
      *internal_device = "/dev/" + vol.physical_device();
    }
    volumes.push_back(std::move(vol));
  }
  if (internal_device->empty()) {
    for (const SpNvmeDrive& d : parsed->nvme) {
      if (!d.bsd_name.empty()) {
        *internal_device = "/dev/" + d.bsd_name;
        break;
      }
    }
  }
  if (internal_device->empty() && has_data_volume) {
    // The boot drive of an Apple Silicon Mac is disk0 (diskutil list).
    *internal_device = "/dev/disk0";
    notes->push_back(
        "the internal drive is taken to be disk0: neither diskutil nor "
        "system_profiler named the drive behind the data volume");
  }
  return volumes;
}

ProbeReport ProbeMacos(CommandRunner* runner, const std::string& smartctl) {
  ProbeReport r;
  r.platform = "macos";
  std::string internal_device;  // the internal NVMe drive, for smartctl
  r.volumes = ProbeMacosVolumes(runner, &r.notes, &internal_device);
  if (!internal_device.empty()) {
    SmartctlReading s = ReadSmartctl(runner, smartctl, internal_device);
    if (!s.error.empty()) {
      r.notes.push_back(
          absl::StrCat("smartctl ", internal_device, ": ", s.error, ": no drive temperature"));
    }
    r.drive_temperature_c = s.temperature_c;
    if (s.temperature_c) {
      r.temperature_source =
          absl::StrCat("smartctl ", internal_device, s.model.empty() ? "" : " (" + s.model + ")");
    }
  }
  // Drive activity: iostat's second report covers the last second (its first
  // is the average since boot).
  std::set<std::string> drives = PhysicalDevices(r.volumes);
  if (!drives.empty()) {
    std::vector<std::string> argv = {"iostat", "-d", "-w", "1", "-c", "2"};
    argv.insert(argv.end(), drives.begin(), drives.end());
    auto io = runner->Run(argv, absl::Seconds(10));
    if (io.ok() && io->exit_code == 0) {
      auto report = ParseIostat(io->out);
      if (report.ok() && !report->rows.empty()) {
        const auto& row = report->rows.back();
        for (size_t i = 0; i < report->disks.size() && i < row.size(); ++i) {
          r.drive_activity_mb_s[report->disks[i]] = row[i].mb_per_s;
        }
      } else if (!report.ok()) {
        r.notes.push_back(std::string(report.status().message()));
      }
    } else {
      r.notes.push_back("iostat failed: no drive activity");
    }
  }
  ThermalMonitor thermal(runner, Platform::kMacOS, "");
  r.thermal_pressure = thermal.SampleOnce().pressure;
  if (r.thermal_pressure == qdt::v1::THERMAL_PRESSURE_UNKNOWN) {
    r.notes.push_back("powermetrics gave no thermal pressure (it needs root)");
  }
  auto pm = runner->Run({"pmset", "-g", "therm"}, absl::Seconds(10));
  if (pm.ok() && pm->exit_code == 0) {
    r.cpu_speed_limit = ParsePmsetTherm(pm->out).cpu_speed_limit;
  } else {
    r.notes.push_back("pmset -g therm failed");
  }
  r.qlab_running = QlabRunning(runner);
  return r;
}

}  // namespace qdt::agent
