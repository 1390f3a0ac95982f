// The agent's wall clock, in one object. Everything the agent compares with
// or reports as wall time for a run's schedule takes its time from a Clock:
// the start_at check (run_plan.cc), the wait for a synchronised start
// (run_executor.cc), Run.created_at / started_at / ended_at, event and sample
// wall times, GetInfo's wall_time. Durations and the run's first-read instant
// are measured on the steady clock (SteadyNowNs), never on a Clock.
//
// A console measures each agent's offset from GetInfo.wall_time and sends
// every agent its start_at in that agent's own clock (docs/CLOCKS.md), so a
// rig without a time server still starts every drive at one real instant.
//
// TEST ONLY: QDT_TEST_CLOCK_OFFSET_MS shifts the agent's clock by that many
// milliseconds (|x| <= 24 h), so that a test can run agents whose clocks
// disagree on one machine. It is not a flag and not in --help: a show Mac
// never needs it; docs/CLOCKS.md documents it.
//
// Thread-safety: Now() is thread-safe on every Clock here.
#ifndef QDT_AGENT_CLOCK_H_
#define QDT_AGENT_CLOCK_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace qdt::agent {

class Clock {
 public:
  virtual ~Clock() = default;
  // The agent's wall time now.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock (absl::Now(), CLOCK_REALTIME).
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
};

// Another clock shifted by a fixed offset.
class OffsetClock final : public Clock {
 public:
  // `base` must outlive this clock.
  OffsetClock(const Clock* base, absl::Duration offset) : base_(base), offset_(offset) {}
  absl::Time Now() const override { return base_->Now() + offset_; }
  absl::Duration offset() const { return offset_; }

 private:
  const Clock* const base_;
  const absl::Duration offset_;
};

// The process's system clock (never destroyed); what a null Clock* means.
const Clock* SystemClockInstance();
// `clock`, or the system clock when it is null.
inline const Clock& ClockOrSystem(const Clock* clock) {
  return clock != nullptr ? *clock : *SystemClockInstance();
}

// Where the instant `t` of `clock` falls on the system's wall clock, read
// now: absl's deadlines (Mutex::AwaitWithDeadline, the pipeline's waits) are
// on the system clock. With an OffsetClock this is t - offset.
absl::Time ToSystemTime(const Clock& clock, absl::Time t);
// The other way: the instant `t` of the system clock on `clock`.
absl::Time FromSystemTime(const Clock& clock, absl::Time t);

// The steady clock in nanoseconds: std::chrono::steady_clock, the clock of
// Sample.monotonic_ns. On Linux clock_gettime(CLOCK_MONOTONIC) (libstdc++
// src/c++11/chrono.cc), on macOS clock_gettime(CLOCK_MONOTONIC_RAW) (libc++
// src/chrono.cpp, Apple branch): one clock for every process of a machine,
// never stepped, so two agents' instants on one machine compare.
int64_t SteadyNowNs();

// The test-only offset variable and its bound.
inline constexpr char kTestClockOffsetEnv[] = "QDT_TEST_CLOCK_OFFSET_MS";
inline constexpr int64_t kMaxTestClockOffsetMs = 24 * 3600 * 1000;

// The value of QDT_TEST_CLOCK_OFFSET_MS: a whole number of milliseconds,
// optionally signed, |x| <= 24 h. Null or empty = zero. InvalidArgument
// naming the variable and the value otherwise.
absl::StatusOr<absl::Duration> ParseTestClockOffset(const char* value);

// The agent's clock: the system clock, shifted when QDT_TEST_CLOCK_OFFSET_MS
// is set (and not 0). The error is ParseTestClockOffset's.
absl::StatusOr<std::unique_ptr<Clock>> AgentClockFromEnvironment();

}  // namespace qdt::agent

#endif  // QDT_AGENT_CLOCK_H_
