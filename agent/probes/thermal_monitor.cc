#include "agent/probes/thermal_monitor.h"

#include "absl/strings/str_cat.h"
#include "agent/probes/hwmon.h"
#include "agent/probes/powermetrics.h"
#include "agent/probes/smartctl.h"

namespace qdt::agent {

ThermalMonitor::ThermalMonitor(CommandRunner* runner, Platform platform, std::string sysfs_root,
                               absl::Duration interval)
    : runner_(runner),
      platform_(platform),
      sysfs_root_(std::move(sysfs_root)),
      interval_(interval) {}

ThermalMonitor::~ThermalMonitor() { Stop(); }

void ThermalMonitor::SetSmartDevice(std::string device) {
  absl::MutexLock lock(&mu_);
  smart_device_ = std::move(device);
}

ThermalReading ThermalMonitor::SampleOnce() {
  ThermalReading r;
  if (platform_ == Platform::kLinux) {
    auto sources = ReadDriveHwmon(sysfs_root_);
    if (!sources.empty()) {
      // NVMe first: a show machine's media drive is NVMe more often than SATA.
      const HwmonTemperature* pick = &sources.front();
      for (const auto& s : sources) {
        if (s.name == "nvme") {
          pick = &s;
          break;
        }
      }
      r.temperature_c = pick->celsius;
      r.temperature_source =
          absl::StrCat(pick->hwmon, " ", pick->name, pick->label.empty() ? "" : " " + pick->label);
    }
  } else {
    // One sample takes the 1 s interval; 5 s covers a busy machine.
    auto res = runner_->Run({"powermetrics", "--samplers", "thermal", "-i", "1000", "-n", "1"},
                            absl::Seconds(5));
    if (res.ok() && res->exit_code == 0) r.pressure = ParsePowermetricsThermal(res->out);
    std::string device;
    bool refresh = false;
    {
      absl::MutexLock lock(&mu_);
      device = smart_device_;
      refresh = samples_ % 10 == 0;
    }
    if (!device.empty() && refresh) {
      SmartctlReading s = ReadSmartctl(runner_, device);
      absl::MutexLock lock(&mu_);
      smart_temp_c_ = s.temperature_c;  // unset again when smartctl stops answering
    }
    absl::MutexLock lock(&mu_);
    r.temperature_c = smart_temp_c_;
    if (smart_temp_c_) r.temperature_source = "smartctl " + device;
  }
  absl::MutexLock lock(&mu_);
  ++samples_;
  latest_ = r;
  return r;
}

ThermalReading ThermalMonitor::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

void ThermalMonitor::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      SampleOnce();
      absl::MutexLock sleep(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_)) return;
    }
  });
}

void ThermalMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;  // wakes the sampling thread's wait when the lock is released
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace qdt::agent
