// ThermalMonitor samples drive temperature and thermal pressure in the
// background (default 1 Hz) and keeps the latest reading, so the sample stream
// and WatchTelemetry read it without waiting on a tool. A source that is
// missing is reported as unavailable: the temperature stays unset, never 0 °C.
//
// Quiet when idle (issue 13): it samples only while someone needs it. Two
// reference counts say who: Demand::kRun (RunManager, for a run's whole life:
// from before the layout to its final state) and Demand::kWatcher (each
// WatchTelemetry stream while it is open). With neither, its thread waits
// without a timeout and starts nothing, and Latest() is empty (temperature
// unset, pressure UNKNOWN): an old reading is never passed off as current.
// Show safety: with watchers only (no run), on macOS it asks `pgrep -x QLab`
// (qlab.h) at the first watcher tick and then every 10th tick (or when the
// last answer is older than 10 intervals); while QLab runs it samples nothing
// and Latest() is empty. A run samples whatever QLab does: it was admitted
// (QLab not running, or forced).
//
// Linux: the drive's hwmon (hwmon.h; nvme / drivetemp, found by name), a
// sysfs read, no child process; it follows the same demand rule (no QLab
// check: nothing is spawned). macOS: the pressure level from a PressureSource
// (thermal_pressure.h; the native notify(3) reader on a Mac, else
// `powermetrics --samplers thermal -i 1000 -n 1`, which needs root), and the
// drive temperature from smartctl (smartctl.h) on the device set with
// SetSmartDevice (on every 10th sample, or when its last answer is older than
// 10 intervals: smartctl is slower than a sysfs read and a drive's temperature
// moves over tens of seconds). Every tool runs through the CommandRunner, so
// tests/unit/thermal_monitor_test.cc replays captures from tests/fixtures
// (powermetrics/, smartctl/, hwmon/) and counts the spawns tick by tick.
//
// Thread-safety: every public method may be called from any thread; Start()
// and Stop() from the owner's.
#ifndef QDT_AGENT_PROBES_THERMAL_MONITOR_H_
#define QDT_AGENT_PROBES_THERMAL_MONITOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"
#include "agent/probes/thermal_pressure.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct ThermalReading {
  std::optional<double> temperature_c;
  // With a temperature: where it came from, e.g. "hwmon3 nvme Composite",
  // "smartctl /dev/disk4 (Samsung SSD 990 PRO 2TB)". Without: why there is
  // none when known ("no sensor over USB: disk5"), else empty.
  std::string temperature_source;
  qdt::v1::ThermalPressure pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
};

class ThermalMonitor {
 public:
  enum class Demand { kRun, kWatcher };

  // `runner` must outlive the monitor. `sysfs_root` is "/sys" outside tests.
  ThermalMonitor(CommandRunner* runner, Platform platform, std::string sysfs_root,
                 absl::Duration interval = absl::Seconds(1));
  ~ThermalMonitor();

  // The smartctl to run (macOS), an absolute path from ResolveSmartctl;
  // empty = none, and `note` says why (it becomes the reading's source text).
  // Call before Start().
  void SetSmartctl(std::string path, std::string note);
  // The internal drive, whose temperature smartctl reads when no run names
  // the drive under test (macOS), e.g. "/dev/disk0".
  void SetSmartDevice(std::string device);
  // The drive under test (macOS): while set, smartctl reads this drive and
  // not the internal one. A USB drive whose bridge passes no SMART through
  // reads as "no sensor over USB: <disk>". RunManager sets it for a run's
  // life (ScopedRunDrive).
  struct Drive {
    std::string device;        // "/dev/disk4"
    std::string bus_protocol;  // diskutil's BusProtocol: "USB", "PCI-Express", ...
  };
  void SetRunDrive(Drive drive);
  void ClearRunDrive();
  // Where the pressure comes from on macOS (default: PowermetricsPressure on
  // `runner`). Call before Start().
  void SetPressureSource(std::unique_ptr<PressureSource> source);

  // Counted: every Activate is paired with one Deactivate of the same kind.
  // The first demand wakes the thread (it samples at once); when the last
  // ends, Latest() is emptied. ScopedDemand pairs them.
  void Activate(Demand demand);
  void Deactivate(Demand demand);
  class ScopedDemand {
   public:
    ScopedDemand(ThermalMonitor* monitor, Demand demand) : monitor_(monitor), demand_(demand) {
      if (monitor_ != nullptr) monitor_->Activate(demand_);
    }
    ~ScopedDemand() {
      if (monitor_ != nullptr) monitor_->Deactivate(demand_);
    }
    ScopedDemand(const ScopedDemand&) = delete;
    ScopedDemand& operator=(const ScopedDemand&) = delete;

   private:
    ThermalMonitor* const monitor_;
    const Demand demand_;
  };

  void Start();  // the background thread: Tick() every interval while demanded
  void Stop();
  // One step of the background thread, callable directly (tests): samples
  // when there is demand and, for watchers alone, QLab is not running; true
  // when it sampled. No demand: does nothing at all.
  bool Tick();
  // Samples now, whatever the demand, and keeps the reading (the one-shot
  // `qdt-agent probe` and tests).
  ThermalReading SampleOnce();
  // The latest reading while sampling; empty when idle or held off by QLab.
  ThermalReading Latest() const;
  // Whether Latest() holds a reading taken under the current demand (false
  // from the moment demand starts until the first sample has been kept).
  bool HasReading() const;

 private:
  ThermalReading Read();       // runs the tools; no demand check
  ThermalReading ReadLinux();  // hwmon: the run drive's own sensor, else the first NVMe
  ThermalReading ReadMacos();  // pressure, and smartctl on the run drive or the internal one
  bool Demanded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return run_demand_ > 0 || watcher_demand_ > 0;
  }
  bool WakeUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || Demanded(); }
  // Watchers only: whether QLab holds sampling off (asks pgrep when due).
  bool HeldOffByQlab();

  CommandRunner* const runner_;
  const Platform platform_;
  const std::string sysfs_root_;
  const absl::Duration interval_;
  // Set before Start(); then used only by whichever thread samples.
  std::unique_ptr<PressureSource> pressure_;
  mutable absl::Mutex mu_;
  std::string smartctl_ ABSL_GUARDED_BY(mu_);
  std::string smartctl_note_ ABSL_GUARDED_BY(mu_) = "no smartctl";
  std::string smart_device_ ABSL_GUARDED_BY(mu_);
  std::optional<Drive> run_drive_ ABSL_GUARDED_BY(mu_);
  std::string smart_read_device_ ABSL_GUARDED_BY(mu_);  // the drive of smart_temp_c_
  std::string smart_source_ ABSL_GUARDED_BY(mu_);       // its source text, or why none
  uint64_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<double> smart_temp_c_ ABSL_GUARDED_BY(mu_);  // the last smartctl answer
  absl::Time smart_read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int run_demand_ ABSL_GUARDED_BY(mu_) = 0;
  int watcher_demand_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t qlab_ticks_ ABSL_GUARDED_BY(mu_) = 0;  // watcher-only ticks
  bool qlab_running_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time qlab_checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  ThermalReading latest_ ABSL_GUARDED_BY(mu_);
  bool has_reading_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Started by Start() and joined by Stop(), both on the owner's thread.
  std::thread thread_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_THERMAL_MONITOR_H_
