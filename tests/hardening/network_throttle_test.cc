// agent/log_throttle.h: one line per key per interval, with a count; a
// bounded table. The clock is a fake the test moves.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/clock.h"
#include "agent/log_throttle.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

class FakeClock final : public Clock {
 public:
  absl::Time Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST(LogThrottleTest, FirstEventAtOnceThenOneLinePerIntervalWithTheCount) {
  FakeClock clock;
  LogThrottle t(absl::Seconds(10), 1024, &clock);
  auto first = t.Record("ipv4:10.0.0.1");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->key, "ipv4:10.0.0.1");
  EXPECT_EQ(first->count, 1u);
  for (int i = 0; i < 531; ++i) {
    clock.Advance(absl::Milliseconds(10));
    EXPECT_FALSE(t.Record("ipv4:10.0.0.1").has_value()) << i;
  }
  clock.Advance(absl::Seconds(10));
  auto later = t.Record("ipv4:10.0.0.1");
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->count, 532u);  // the 531 held back and this one
  EXPECT_GE(later->span, absl::Seconds(10));
  // A new window: the next one is held back again.
  EXPECT_FALSE(t.Record("ipv4:10.0.0.1").has_value());
}

TEST(LogThrottleTest, KeysAreIndependent) {
  FakeClock clock;
  LogThrottle t(absl::Seconds(10), 1024, &clock);
  EXPECT_TRUE(t.Record("a").has_value());
  EXPECT_TRUE(t.Record("b").has_value());
  EXPECT_FALSE(t.Record("a").has_value());
  EXPECT_FALSE(t.Record("b").has_value());
}

TEST(LogThrottleTest, FlushReportsWhatNobodyFollowedUpAndForgetsIdleKeys) {
  FakeClock clock;
  LogThrottle t(absl::Seconds(10), 1024, &clock);
  ASSERT_TRUE(t.Record("a").has_value());
  for (int i = 0; i < 99; ++i) t.Record("a");
  EXPECT_TRUE(t.Flush().empty());  // the interval has not ended
  clock.Advance(absl::Seconds(10));
  auto reports = t.Flush();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].key, "a");
  EXPECT_EQ(reports[0].count, 99u);
  EXPECT_EQ(t.keys(), 1u);
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(t.Flush().empty());
  EXPECT_EQ(t.keys(), 0u);  // nothing pending, interval over: forgotten
  // Flush(all) at shutdown reports even a window still open.
  ASSERT_TRUE(t.Record("b").has_value());
  t.Record("b");
  auto all = t.Flush(/*all=*/true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].count, 1u);
}

TEST(LogThrottleTest, TableIsBoundedAndOverflowIsCounted) {
  FakeClock clock;
  LogThrottle t(absl::Seconds(10), 16, &clock);
  uint64_t reported = 0;
  for (int i = 0; i < 10000; ++i) {
    if (auto r = t.Record(absl::StrCat("ipv4:10.0.", i / 256, ".", i % 256))) reported += r->count;
  }
  EXPECT_LE(t.keys(), 16u);
  for (const auto& r : t.Flush(/*all=*/true)) reported += r.count;
  EXPECT_EQ(reported, 10000u);  // every event is in some line, none twice
}

TEST(LogThrottleTest, ConcurrentRecordsAreAllCounted) {
  FakeClock clock;  // never moves: only the first and the flush report
  LogThrottle t(absl::Seconds(10), 1024, &clock);
  std::atomic<uint64_t> reported{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2500; ++i) {
        if (auto r = t.Record("peer")) reported += r->count;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : t.Flush(true)) reported += r.count;
  EXPECT_EQ(reported.load(), 10000u);
}

TEST(PeerWithoutPortTest, StripsThePortOnly) {
  EXPECT_EQ(PeerWithoutPort("ipv4:127.0.0.1:5555"), "ipv4:127.0.0.1");
  EXPECT_EQ(PeerWithoutPort("ipv6:[::1]:5555"), "ipv6:[::1]");
  EXPECT_EQ(PeerWithoutPort("ipv6:%5B::1%5D:5555"), "ipv6:%5B::1%5D");
  EXPECT_EQ(PeerWithoutPort("ipv6:[::1]"), "ipv6:[::1]");
  EXPECT_EQ(PeerWithoutPort("unix:/run/qdt.sock"), "unix:/run/qdt.sock");
  EXPECT_EQ(PeerWithoutPort("ipv4:127.0.0.1"), "ipv4:127.0.0.1");
  EXPECT_EQ(PeerWithoutPort(""), "");
}

}  // namespace
}  // namespace qdt::agent
