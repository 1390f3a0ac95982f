// The system's thermal pressure level, behind one small interface so the
// thermal monitor (thermal_monitor.h) reads it without caring how:
//
// - PowermetricsPressure: `powermetrics --samplers thermal -i 1000 -n 1`
//   through the CommandRunner (a root tool started per reading). The fallback,
//   and the one every test here uses (fake powermetrics on PATH, or a fake
//   runner).
// - NativePressureSource(): macOS only, no child process: notify(3)
//   `notify_register_check` + `notify_get_state` on
//   kOSThermalNotificationPressureLevelName ("com.apple.system.thermalpressurelevel",
//   libkern/OSThermalNotification.h). Compiled only on macOS
//   (thermal_pressure_darwin.cc); elsewhere it returns null.
//
// Thread-safety: Read() may be called from any thread (PowermetricsPressure
// when its runner is thread-safe; the notify reader only reads its token's
// state).
#ifndef QDT_AGENT_PROBES_THERMAL_PRESSURE_H_
#define QDT_AGENT_PROBES_THERMAL_PRESSURE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "agent/probes/command_runner.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

class PressureSource {
 public:
  virtual ~PressureSource() = default;
  // The current level; UNKNOWN when the source cannot tell (never guessed).
  virtual qdt::v1::ThermalPressure Read() = 0;
  // For the log: "powermetrics" or "notify".
  virtual std::string Name() const = 0;
};

// Runs powermetrics on every Read (needs root; UNKNOWN when it fails).
class PowermetricsPressure final : public PressureSource {
 public:
  explicit PowermetricsPressure(CommandRunner* runner) : runner_(runner) {}
  qdt::v1::ThermalPressure Read() override;
  std::string Name() const override { return "powermetrics"; }

 private:
  CommandRunner* const runner_;
};

// macOS's OSThermalPressureLevel (the notify state) as our enum: 0 nominal,
// 1 moderate, 2 heavy, 3 trapping, 4 sleeping (the TARGET_OS_OSX branch of
// the enum in libkern/OSThermalNotification.h); anything else is UNKNOWN.
// Pure, so it is tested on Linux too.
qdt::v1::ThermalPressure ThermalPressureFromOSLevel(uint64_t level);

// The notify(3) reader on macOS; null elsewhere, or when notify refuses the
// registration (the caller then falls back to PowermetricsPressure).
std::unique_ptr<PressureSource> NativePressureSource();

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_THERMAL_PRESSURE_H_
