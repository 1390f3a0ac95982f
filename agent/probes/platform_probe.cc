#include "agent/probes/platform_probe.h"

#include "absl/strings/str_cat.h"
#include "agent/probes/darwin_parsers.h"
#include "agent/probes/thermal_parsers.h"
#include "agent/run_manager.h"
#include "agent/volumes.h"

namespace qdt::agent {

absl::StatusOr<Platform> ParsePlatform(const std::string& value) {
  if (value == "auto") return HostPlatform();
  if (value == "linux") return Platform::kLinux;
  if (value == "macos") return Platform::kMacOS;
  return absl::InvalidArgumentError(
      absl::StrCat("--platform: \"", value, "\" is not one of auto, linux, macos"));
}

ProbeReport ProbeLinux(CommandRunner* runner, const std::string& sysfs_root) {
  ProbeReport r;
  r.platform = "linux";
  auto volumes = ListVolumes(sysfs_root);
  if (volumes.ok()) {
    r.volumes = std::move(*volumes);
  } else {
    r.notes.push_back(std::string(volumes.status().message()));
  }
  ThermalMonitor thermal(runner, Platform::kLinux, sysfs_root);
  ThermalReading t = thermal.SampleOnce();
  r.drive_temperature_c = t.temperature_c;
  r.temperature_source = t.temperature_source;
  r.qlab_running = QlabRunning(runner);
  return r;
}

ProbeReport ProbeMacos(CommandRunner* runner) {
  ProbeReport r;
  r.platform = "macos";
  // system_profiler gives every mounted volume with its drive, and the NVMe
  // drives with model and serial; 60 s because it is slow on a busy machine.
  auto sp = runner->Run({"system_profiler", "SPStorageDataType", "SPNVMeDataType", "-json"},
                        absl::Seconds(60));
  std::string internal_bsd;  // the internal NVMe drive, for smartctl
  if (!sp.ok() || sp->exit_code != 0) {
    r.notes.push_back("system_profiler failed: " +
                      (sp.ok() ? sp->err : std::string(sp.status().message())));
  } else if (auto parsed = ParseSystemProfilerJson(sp->out); !parsed.ok()) {
    r.notes.push_back(std::string(parsed.status().message()));
  } else {
    for (const SpVolume& v : parsed->volumes) {
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
      for (const SpNvmeDrive& d : parsed->nvme) {
        if (!d.model.empty() && d.model == v.device_name) vol.set_serial(d.serial);
      }
      r.volumes.push_back(std::move(vol));
    }
    if (!parsed->nvme.empty()) internal_bsd = parsed->nvme.front().bsd_name;
  }
  // smartctl where present: Apple SSDs answer the health log with a temperature,
  // and smartctl sets exit bits for the logs they do not support (bit 2 = 4),
  // so a non-zero exit with JSON is still an answer.
  if (!internal_bsd.empty()) {
    auto sm = runner->Run({"smartctl", "-j", "-a", "/dev/" + internal_bsd}, absl::Seconds(20));
    if (sm.ok() && sm->exit_code >= 0 && sm->exit_code != 127) {
      if (auto info = ParseSmartctlJson(sm->out); info.ok()) {
        r.drive_temperature_c = info->temperature_c;
        if (info->temperature_c) r.temperature_source = "smartctl /dev/" + internal_bsd;
      } else {
        r.notes.push_back(std::string(info.status().message()));
      }
    } else {
      r.notes.push_back("smartctl not available: no drive temperature");
    }
  }
  ThermalMonitor thermal(runner, Platform::kMacOS, "");
  r.thermal_pressure = thermal.SampleOnce().pressure;
  r.qlab_running = QlabRunning(runner);
  return r;
}

}  // namespace qdt::agent
