#include "agent/clock.h"

#include <chrono>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace qdt::agent {

absl::Time SystemClock::Now() const { return absl::Now(); }

const Clock* SystemClockInstance() {
  static const SystemClock* const clock = new SystemClock();
  return clock;
}

absl::Time ToSystemTime(const Clock& clock, absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return t;
  return absl::Now() + (t - clock.Now());
}

absl::Time FromSystemTime(const Clock& clock, absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return t;
  return clock.Now() + (t - absl::Now());
}

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<absl::Duration> ParseTestClockOffset(const char* value) {
  if (value == nullptr || *value == '\0') return absl::ZeroDuration();
  const absl::string_view text(value);
  int64_t ms = 0;
  // SimpleAtoi takes an optional sign and surrounding spaces, nothing else:
  // "3000", "-2000", " +5 ". Not "3s", "1e3" or "0x10".
  if (text.size() > 32 || !absl::SimpleAtoi(text, &ms)) {
    return absl::InvalidArgumentError(absl::StrCat(
        kTestClockOffsetEnv, ": \"", text.substr(0, 32),
        "\" is not a whole number of milliseconds (a test-only variable: unset it on a show Mac)"));
  }
  if (ms > kMaxTestClockOffsetMs || ms < -kMaxTestClockOffsetMs) {
    return absl::InvalidArgumentError(absl::StrCat(kTestClockOffsetEnv, ": ", ms,
                                                   " ms is out of range (-", kMaxTestClockOffsetMs,
                                                   " to ", kMaxTestClockOffsetMs, " ms = 24 h)"));
  }
  return absl::Milliseconds(ms);
}

absl::StatusOr<std::unique_ptr<Clock>> AgentClockFromEnvironment() {
  auto offset = ParseTestClockOffset(std::getenv(kTestClockOffsetEnv));
  if (!offset.ok()) return offset.status();
  if (*offset == absl::ZeroDuration()) return std::unique_ptr<Clock>(new SystemClock());
  return std::unique_ptr<Clock>(new OffsetClock(SystemClockInstance(), *offset));
}

}  // namespace qdt::agent
