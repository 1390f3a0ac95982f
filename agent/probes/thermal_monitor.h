// ThermalMonitor samples drive temperature and thermal pressure in the
// background (default 1 Hz) and keeps the latest reading, so the sample stream
// and WatchTelemetry read it without waiting on a tool. A source that is
// missing is reported as unavailable: the temperature stays unset, never 0 °C.
//
// Linux: the drive's hwmon (nvme / drivetemp, found by name). macOS:
// `powermetrics --samplers thermal -n 1` for the pressure level (needs root),
// and the drive temperature from smartctl on the device set with
// SetSmartDevice (every 10th sample: smartctl is slower than a sysfs read and
// a drive's temperature moves over tens of seconds).
//
// Thread-safety: Latest() and SampleOnce() may be called from any thread.
#ifndef QDT_AGENT_PROBES_THERMAL_MONITOR_H_
#define QDT_AGENT_PROBES_THERMAL_MONITOR_H_

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

enum class Platform { kLinux, kMacOS };
Platform HostPlatform();

struct ThermalReading {
  std::optional<double> temperature_c;
  std::string temperature_source;  // e.g. "hwmon3 nvme Composite"; empty when unknown
  qdt::v1::ThermalPressure pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
};

// What `smartctl` says about one drive.
struct SmartctlReading {
  std::optional<double> temperature_c;
  std::string model, serial;
  std::string error;  // empty when smartctl answered
};
// Runs `smartctl -j -a <device>`; when that is not JSON smartctl understood
// (smartctl < 7 has no -j), runs `smartctl -a <device>` and reads the text
// report. Non-zero exit bits are not an error when a report came out: Apple
// SSDs answer only some logs and smartctl sets bit 2 for the rest.
SmartctlReading ReadSmartctl(CommandRunner* runner, const std::string& device);

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
  CommandRunner* runner_;
  Platform platform_;
  std::string sysfs_root_;
  absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string smart_device_;
  uint64_t samples_ = 0;                // guarded by mu_
  std::optional<double> smart_temp_c_;  // the last smartctl answer; guarded by mu_
  ThermalReading latest_;               // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_THERMAL_MONITOR_H_
