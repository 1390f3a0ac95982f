// NativePressureSource on macOS: the thermal pressure level without a child
// process. Compiled only on macOS (probes.cmake); verifiable only on a Mac
// (docs/ARCHITECTURE.md).
//
// Source: Apple Libc, include/libkern/OSThermalNotification.h —
// `extern const char * const kOSThermalNotificationPressureLevelName;` is the
// notify(3) name ("com.apple.system.thermalpressurelevel") whose state is an
// OSThermalPressureLevel; on macOS (TARGET_OS_OSX) kOSThermalPressureLevelNominal
// = 0, Moderate, Heavy, Trapping, Sleeping (1..4; iOS uses 0, 10, ..., 50).
#include <libkern/OSThermalNotification.h>
#include <notify.h>

#include "agent/probes/thermal_pressure.h"

namespace qdt::agent {
namespace {

static_assert(kOSThermalPressureLevelNominal == 0 && kOSThermalPressureLevelModerate == 1 &&
                  kOSThermalPressureLevelHeavy == 2 && kOSThermalPressureLevelTrapping == 3 &&
                  kOSThermalPressureLevelSleeping == 4,
              "ThermalPressureFromOSLevel assumes macOS's 0..4 scale");

class NotifyPressure final : public PressureSource {
 public:
  explicit NotifyPressure(int token) : token_(token) {}
  ~NotifyPressure() override { notify_cancel(token_); }
  qdt::v1::ThermalPressure Read() override {
    uint64_t state = 0;
    if (notify_get_state(token_, &state) != NOTIFY_STATUS_OK) {
      return qdt::v1::THERMAL_PRESSURE_UNKNOWN;
    }
    return ThermalPressureFromOSLevel(state);
  }
  std::string Name() const override { return "notify"; }

 private:
  const int token_;
};

}  // namespace

std::unique_ptr<PressureSource> NativePressureSource() {
  int token = 0;
  if (notify_register_check(kOSThermalNotificationPressureLevelName, &token) != NOTIFY_STATUS_OK) {
    return nullptr;
  }
  return std::make_unique<NotifyPressure>(token);
}

}  // namespace qdt::agent
