#include "agent/probes/thermal_monitor.h"

#include "absl/strings/str_cat.h"
#include "agent/probes/storage_parsers.h"
#include "agent/probes/thermal_parsers.h"

namespace qdt::agent {

Platform HostPlatform() {
#if defined(__APPLE__)
  return Platform::kMacOS;
#else
  return Platform::kLinux;
#endif
}

ThermalMonitor::ThermalMonitor(CommandRunner* runner, Platform platform, std::string sysfs_root,
                               absl::Duration interval)
    : runner_(runner),
      platform_(platform),
      sysfs_root_(std::move(sysfs_root)),
      interval_(interval) {}

ThermalMonitor::~ThermalMonitor() { Stop(); }

SmartctlReading ReadSmartctl(CommandRunner* runner, const std::string& device) {
  SmartctlReading r;
  auto json = runner->Run({"smartctl", "-j", "-a", device}, absl::Seconds(20));
  if (!json.ok()) {
    r.error = std::string(json.status().message());
    return r;
  }
  if (json->exit_code == 127) {
    r.error = "smartctl is not installed";
    return r;
  }
  if (auto info = ParseSmartctlJson(json->out); info.ok()) {
    r.temperature_c = info->temperature_c;
    r.model = info->model;
    r.serial = info->serial;
    return r;
  }
  auto text = runner->Run({"smartctl", "-a", device}, absl::Seconds(20));
  if (!text.ok()) {
    r.error = std::string(text.status().message());
    return r;
  }
  auto report = ParseSmartctlText(text->out);
  if (!report.ok()) {
    r.error = absl::StrCat("smartctl ", device, " exited with ", text->exit_code, ": ",
                           report.status().message());
    return r;
  }
  r.temperature_c = report->temperature_c;
  r.model = report->model;
  r.serial = report->serial;
  return r;
}

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
