// ThermalMonitor samples drive temperature and thermal pressure in the
// background (default 1 Hz) and keeps the latest reading, so the sample stream
// and WatchTelemetry read it without waiting on a tool. A source that is
// missing is reported as unavailable: the temperature stays unset, never 0 °C.
//
// Linux: the drive's hwmon (hwmon.h; nvme / drivetemp, found by name). macOS:
// `powermetrics --samplers thermal -i 1000 -n 1` (powermetrics.h) for the
// pressure level (needs root), and the drive temperature from smartctl
// (smartctl.h) on the device set with SetSmartDevice (every 10th sample:
// smartctl is slower than a sysfs read and a drive's temperature moves over
// tens of seconds). Every tool runs through the CommandRunner, so
// tests/unit/thermal_monitor_test.cc replays captures from tests/fixtures
// (powermetrics/, smartctl/, hwmon/).
//
// Thread-safety: Latest() and SampleOnce() may be called from any thread.
#ifndef QDT_AGENT_PROBES_THERMAL_MONITOR_H_
#define QDT_AGENT_PROBES_THERMAL_MONITOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct ThermalReading {
  std::optional<double> temperature_c;
  std::string temperature_source;  // e.g. "hwmon3 nvme Composite"; empty when unknown
  qdt::v1::ThermalPressure pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
};

class ThermalMonitor {
 public:
  // `runner` must outlive the monitor. `sysfs_root` is "/sys" outside tests.
  ThermalMonitor(CommandRunner* runner, Platform platform, std::string sysfs_root,
                 absl::Duration interval = absl::Seconds(1));
  ~ThermalMonitor();

  // The drive whose temperature smartctl reads (macOS), e.g. "/dev/disk0".
  // Call before Start().
  void SetSmartDevice(std::string device);

  void Start();  // background sampling until Stop() / destruction
  void Stop();
  ThermalReading SampleOnce();
  ThermalReading Latest() const;

 private:
  CommandRunner* const runner_;
  const Platform platform_;
  const std::string sysfs_root_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  std::string smart_device_ ABSL_GUARDED_BY(mu_);
  uint64_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<double> smart_temp_c_ ABSL_GUARDED_BY(mu_);  // the last smartctl answer
  ThermalReading latest_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Started by Start() and joined by Stop(), both on the owner's thread.
  std::thread thread_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_THERMAL_MONITOR_H_
