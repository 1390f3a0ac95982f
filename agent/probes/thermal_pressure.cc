#include "agent/probes/thermal_pressure.h"

#include "agent/probes/powermetrics.h"

namespace qdt::agent {

qdt::v1::ThermalPressure PowermetricsPressure::Read() {
  // One sample takes the 1 s interval; 5 s covers a busy machine.
  auto res = runner_->Run({"powermetrics", "--samplers", "thermal", "-i", "1000", "-n", "1"},
                          absl::Seconds(5));
  if (!res.ok() || res->exit_code != 0) return qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  return ParsePowermetricsThermal(res->out);
}

qdt::v1::ThermalPressure ThermalPressureFromOSLevel(uint64_t level) {
  switch (level) {
    case 0:
      return qdt::v1::THERMAL_PRESSURE_NOMINAL;
    case 1:
      return qdt::v1::THERMAL_PRESSURE_MODERATE;
    case 2:
      return qdt::v1::THERMAL_PRESSURE_HEAVY;
    case 3:
      return qdt::v1::THERMAL_PRESSURE_TRAPPING;
    case 4:
      return qdt::v1::THERMAL_PRESSURE_SLEEPING;
    default:
      return qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  }
}

#if !defined(__APPLE__)
// The notify(3) reader exists only on macOS (thermal_pressure_darwin.cc).
std::unique_ptr<PressureSource> NativePressureSource() { return nullptr; }
#endif

}  // namespace qdt::agent
