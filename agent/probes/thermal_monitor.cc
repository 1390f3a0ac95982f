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
  std::lock_guard<std::mutex> lock(mu_);
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
      std::lock_guard<std::mutex> lock(mu_);
      device = smart_device_;
      refresh = samples_ % 10 == 0;
    }
    if (!device.empty() && refresh) {
      SmartctlReading s = ReadSmartctl(runner_, device);
      std::lock_guard<std::mutex> lock(mu_);
      smart_temp_c_ = s.temperature_c;  // unset again when smartctl stops answering
    }
    std::lock_guard<std::mutex> lock(mu_);
    r.temperature_c = smart_temp_c_;
    if (smart_temp_c_) r.temperature_source = "smartctl " + device;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++samples_;
  latest_ = r;
  return r;
}

ThermalReading ThermalMonitor::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

void ThermalMonitor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    while (true) {
      SampleOnce();
      std::unique_lock<std::mutex> sleep(mu_);
      if (wake_.wait_for(sleep, absl::ToChronoNanoseconds(interval_), [this] { return stop_; })) {
        return;
      }
    }
  });
}

void ThermalMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qdt::agent
