// GapMonitor with a counter that moves on every read except in a still
// stretch the test sets: the stretch is found (never shorter than it was),
// a window outside the stretch finds only the counter's own pace, a counter
// too slow to read (ioreg) leaves the gap unmeasured with its cost as the
// resolution, and Stop() returns everything watched.
#include "agent/run/gap_monitor.h"

#include <atomic>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

class ScriptedCounter final : public DeviceCounter {
 public:
  explicit ScriptedCounter(absl::Duration cost) : cost_(cost) {}
  const std::string& device() const override { return device_; }
  absl::StatusOr<uint64_t> BytesRead() override {
    const absl::Time now = absl::Now();
    if (now < still_from_ || now >= still_until_) bytes_ += 4096;
    ++reads_;
    return bytes_;
  }
  absl::Duration ReadCost() const override { return cost_; }
  void StillBetween(absl::Time from, absl::Time until) {
    still_from_ = from;
    still_until_ = until;
  }
  int reads() const { return reads_; }

 private:
  const std::string device_ = "loop9";
  const absl::Duration cost_;
  absl::Time still_from_ = absl::InfiniteFuture(), still_until_ = absl::InfiniteFuture();
  uint64_t bytes_ = 0;
  std::atomic<int> reads_{0};
};

TEST(GapMonitorTest, TheStillStretchAtTheBoundaryIsMeasured) {
  ScriptedCounter counter(absl::Milliseconds(1));
  const absl::Time boundary = absl::Now() + absl::Milliseconds(150);
  counter.StillBetween(boundary + absl::Milliseconds(20), boundary + absl::Milliseconds(100));
  GapMonitor monitor(&counter);
  monitor.Watch(1, boundary, absl::Milliseconds(100), absl::Milliseconds(200));
  absl::SleepFor(absl::Milliseconds(500));
  std::vector<qdt::v1::PhaseBoundary> b = monitor.Stop();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].to_phase_index(), 1);
  EXPECT_EQ(b[0].resolution_ms(), 2);
  ASSERT_TRUE(b[0].has_idle_gap_ms());
  // The counter stood still 80 ms: measured from the last read that saw it
  // move to the first that saw it move again, never less.
  EXPECT_GE(b[0].idle_gap_ms(), 80);
  EXPECT_GT(counter.reads(), 20) << "read every 2 ms over 300 ms";
}

TEST(GapMonitorTest, ACounterThatKeepsMovingHasNoGapBeyondItsPace) {
  ScriptedCounter counter(absl::Milliseconds(1));
  GapMonitor monitor(&counter);
  monitor.Watch(2, absl::Now() + absl::Milliseconds(100), absl::Milliseconds(50),
                absl::Milliseconds(100));
  absl::SleepFor(absl::Milliseconds(400));
  std::vector<qdt::v1::PhaseBoundary> b = monitor.Stop();
  ASSERT_EQ(b.size(), 1u);
  ASSERT_TRUE(b[0].has_idle_gap_ms());
  // Every read sees it move: the longest stretch is one sleep between reads
  // (2 ms asked; this machine may oversleep, never by 80 ms on average).
  EXPECT_LT(b[0].idle_gap_ms(), 80);
}

TEST(GapMonitorTest, ACounterTooSlowToReadLeavesTheGapUnmeasured) {
  ScriptedCounter counter(absl::Milliseconds(100));  // ioreg starts a process
  GapMonitor monitor(&counter);
  monitor.Watch(1, absl::Now(), absl::Milliseconds(10), absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(100));
  std::vector<qdt::v1::PhaseBoundary> b = monitor.Stop();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(b[0].has_idle_gap_ms());
  EXPECT_EQ(b[0].resolution_ms(), 100);
  EXPECT_EQ(counter.reads(), 0);
}

TEST(GapMonitorTest, StopBeforeAWindowBeginsReturnsItUnmeasured) {
  ScriptedCounter counter(absl::Milliseconds(1));
  GapMonitor monitor(&counter);
  monitor.Watch(1, absl::Now() + absl::Hours(1));
  monitor.Watch(2, absl::Now() + absl::Hours(2));
  std::vector<qdt::v1::PhaseBoundary> b = monitor.Stop();
  // Both watched, neither measured: a stop ends the wait for a window.
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].to_phase_index(), 1);
  EXPECT_EQ(b[1].to_phase_index(), 2);
  for (const auto& x : b) EXPECT_FALSE(x.has_idle_gap_ms());
  EXPECT_EQ(counter.reads(), 0);
}

}  // namespace
}  // namespace qdt::agent
