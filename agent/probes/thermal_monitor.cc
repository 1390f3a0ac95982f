#include "agent/probes/thermal_monitor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/hwmon.h"
#include "agent/probes/qlab.h"
#include "agent/probes/smartctl.h"

namespace qdt::agent {
namespace {

// smartctl and the QLab check run on every 10th tick, or when their last
// answer is older than this many intervals (demand came back after a pause).
constexpr int kSlowEvery = 10;

}  // namespace

ThermalMonitor::ThermalMonitor(CommandRunner* runner, Platform platform, std::string sysfs_root,
                               absl::Duration interval)
    : runner_(runner),
      platform_(platform),
      sysfs_root_(std::move(sysfs_root)),
      interval_(interval),
      pressure_(std::make_unique<PowermetricsPressure>(runner)) {}

ThermalMonitor::~ThermalMonitor() { Stop(); }

void ThermalMonitor::SetSmartctl(std::string path, std::string note) {
  absl::MutexLock lock(&mu_);
  smartctl_ = std::move(path);
  smartctl_note_ = std::move(note);
}

void ThermalMonitor::SetRunDrive(Drive drive) {
  absl::MutexLock lock(&mu_);
  run_drive_ = std::move(drive);
}

void ThermalMonitor::ClearRunDrive() {
  absl::MutexLock lock(&mu_);
  run_drive_.reset();
}

void ThermalMonitor::SetSmartDevice(std::string device) {
  absl::MutexLock lock(&mu_);
  smart_device_ = std::move(device);
}

void ThermalMonitor::SetPressureSource(std::unique_ptr<PressureSource> source) {
  if (source != nullptr) pressure_ = std::move(source);
}

void ThermalMonitor::Activate(Demand demand) {
  absl::MutexLock lock(&mu_);
  ++(demand == Demand::kRun ? run_demand_ : watcher_demand_);
}

void ThermalMonitor::Deactivate(Demand demand) {
  absl::MutexLock lock(&mu_);
  int& count = demand == Demand::kRun ? run_demand_ : watcher_demand_;
  if (count > 0) --count;
  if (!Demanded()) {
    latest_ = ThermalReading{};  // nobody samples: nothing current to report
    has_reading_ = false;
  }
}

ThermalReading ThermalMonitor::Read() {
  return platform_ == Platform::kLinux ? ReadLinux() : ReadMacos();
}

ThermalReading ThermalMonitor::ReadLinux() {
  ThermalReading r;
  std::optional<Drive> drive;
  {
    absl::MutexLock lock(&mu_);
    drive = run_drive_;
  }
  if (drive) {
    // The drive under test's own sensor, never another drive's.
    const std::string name =
        absl::StartsWith(drive->device, "/dev/") ? drive->device.substr(5) : drive->device;
    if (auto t = ReadBlockDeviceHwmon(sysfs_root_, name)) {
      r.temperature_c = t->celsius;
      r.temperature_source = absl::StrCat(t->hwmon, " ", t->name,
                                          t->label.empty() ? "" : " " + t->label, " (", name, ")");
    } else {
      r.temperature_source = absl::StrCat("no temperature sensor for ", name);
    }
    return r;
  }
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
  return r;
}

ThermalReading ThermalMonitor::ReadMacos() {
  ThermalReading r;
  r.pressure = pressure_->Read();
  std::string device, smartctl, protocol;
  bool refresh = false;
  {
    absl::MutexLock lock(&mu_);
    device = run_drive_ ? run_drive_->device : smart_device_;
    protocol = run_drive_ ? run_drive_->bus_protocol : "";
    smartctl = smartctl_;
    // A new drive (a run began or ended) is read at once, not at the next 10th tick.
    refresh = samples_ % kSlowEvery == 0 || absl::Now() - smart_read_at_ > kSlowEvery * interval_ ||
              device != smart_read_device_;
    if (smartctl.empty() && refresh) {
      smart_temp_c_.reset();
      smart_source_ = device.empty() ? "" : absl::StrCat("no temperature: ", smartctl_note_);
      smart_read_device_ = device;
      smart_read_at_ = absl::Now();
      refresh = false;
    }
  }
  if (!device.empty() && refresh) {
    SmartctlReading s = ReadSmartctl(runner_, smartctl, device);
    const std::string disk = absl::StartsWith(device, "/dev/") ? device.substr(5) : device;
    std::string source;
    if (s.temperature_c) {
      source = absl::StrCat("smartctl ", device, s.model.empty() ? "" : " (" + s.model + ")");
    } else if (protocol == "USB") {
      // SMART over USB needs an ATA pass-through that both the bridge and
      // the OS's USB layer offer; stock macOS offers none for USB drives (a
      // third-party kernel driver was the only way): docs/MACOS.md
      // "Temperature", smartmontools wiki "USB devices and smartmontools".
      source = absl::StrCat("no sensor over USB: ", disk);
    } else {
      source = absl::StrCat("no temperature from smartctl ", device, ": ",
                            s.error.empty() ? "it reported none" : s.error);
    }
    absl::MutexLock lock(&mu_);
    smart_temp_c_ = s.temperature_c;  // unset again when smartctl stops answering
    smart_source_ = std::move(source);
    smart_read_device_ = device;
    smart_read_at_ = absl::Now();
  }
  absl::MutexLock lock(&mu_);
  if (device != smart_read_device_) return r;  // nothing read for this drive yet
  r.temperature_c = smart_temp_c_;
  r.temperature_source = smart_source_;
  return r;
}

ThermalReading ThermalMonitor::SampleOnce() {
  ThermalReading r = Read();
  absl::MutexLock lock(&mu_);
  ++samples_;
  latest_ = r;
  has_reading_ = true;
  return r;
}

bool ThermalMonitor::HeldOffByQlab() {
  bool check = false;
  {
    absl::MutexLock lock(&mu_);
    check =
        qlab_ticks_++ % kSlowEvery == 0 || absl::Now() - qlab_checked_at_ > kSlowEvery * interval_;
  }
  if (check) {
    const bool running = QlabRunning(runner_);
    absl::MutexLock lock(&mu_);
    qlab_running_ = running;
    qlab_checked_at_ = absl::Now();
  }
  absl::MutexLock lock(&mu_);
  return qlab_running_;
}

bool ThermalMonitor::Tick() {
  bool for_run = false;
  {
    absl::MutexLock lock(&mu_);
    if (!Demanded()) return false;
    for_run = run_demand_ > 0;
  }
  // pgrep is a spawn too; Linux spawns nothing to sample, so it is not asked.
  if (!for_run && platform_ == Platform::kMacOS && HeldOffByQlab()) {
    absl::MutexLock lock(&mu_);
    latest_ = ThermalReading{};
    has_reading_ = false;
    return false;
  }
  ThermalReading r = Read();
  absl::MutexLock lock(&mu_);
  ++samples_;
  // The demand may have ended while the tools ran: then the reading is not current.
  latest_ = Demanded() ? r : ThermalReading{};
  has_reading_ = Demanded();
  return true;
}

ThermalReading ThermalMonitor::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

bool ThermalMonitor::HasReading() const {
  absl::MutexLock lock(&mu_);
  return has_reading_;
}

void ThermalMonitor::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    while (true) {
      {
        // Idle: no timeout, nothing runs until a demand (or Stop) arrives.
        absl::MutexLock wait(&mu_);
        mu_.Await(absl::Condition(this, &ThermalMonitor::WakeUp));
        if (stop_) return;
      }
      Tick();
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
