// agent/clock: the test-only offset variable is parsed strictly and bounded,
// an offset clock moves every reading by exactly its offset, and instants
// move between the agent's clock and the system's by that offset.
#include "agent/clock.h"

#include <stdlib.h>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

// A clock that reads what the test sets.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time t) : t_(t) {}
  absl::Time Now() const override { return t_; }

 private:
  absl::Time t_;
};

TEST(TestClockOffsetTest, UnsetOrEmptyIsNoOffset) {
  auto none = ParseTestClockOffset(nullptr);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, absl::ZeroDuration());
  auto empty = ParseTestClockOffset("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, absl::ZeroDuration());
}

TEST(TestClockOffsetTest, SignedWholeMilliseconds) {
  auto ahead = ParseTestClockOffset("3000");
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  EXPECT_EQ(*ahead, absl::Milliseconds(3000));
  auto behind = ParseTestClockOffset("-2000");
  ASSERT_TRUE(behind.ok()) << behind.status();
  EXPECT_EQ(*behind, absl::Milliseconds(-2000));
  auto plus = ParseTestClockOffset("+17");
  ASSERT_TRUE(plus.ok()) << plus.status();
  EXPECT_EQ(*plus, absl::Milliseconds(17));
}

TEST(TestClockOffsetTest, TwentyFourHoursIsTheLimitBothWays) {
  auto max = ParseTestClockOffset("86400000");
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(*max, absl::Hours(24));
  auto min = ParseTestClockOffset("-86400000");
  ASSERT_TRUE(min.ok()) << min.status();
  EXPECT_EQ(*min, -absl::Hours(24));
  for (const char* beyond : {"86400001", "-86400001", "9223372036854775807"}) {
    auto st = ParseTestClockOffset(beyond);
    ASSERT_FALSE(st.ok()) << beyond;
    EXPECT_TRUE(absl::IsInvalidArgument(st.status()));
    EXPECT_THAT(st.status().message(), HasSubstr("QDT_TEST_CLOCK_OFFSET_MS: "));
    EXPECT_THAT(st.status().message(), HasSubstr("out of range"));
    EXPECT_THAT(st.status().message(), HasSubstr(beyond));
  }
}

TEST(TestClockOffsetTest, AnythingButAWholeNumberIsRefusedByName) {
  for (const char* bad :
       {"abc", "3s", "1e3", "0x10", "1.5", "3000ms", "--1", "99999999999999999999"}) {
    auto st = ParseTestClockOffset(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(st.status()));
    EXPECT_THAT(st.status().message(),
                HasSubstr(std::string("QDT_TEST_CLOCK_OFFSET_MS: \"") + bad + "\""));
    EXPECT_THAT(st.status().message(), HasSubstr("test-only"));
  }
  // A long value is quoted cut short, not whole.
  const std::string huge(10000, '7');
  auto st = ParseTestClockOffset(huge.c_str());
  ASSERT_FALSE(st.ok());
  EXPECT_LT(st.status().message().size(), 300u);
}

TEST(OffsetClockTest, EveryReadingMovesByTheOffset) {
  const absl::Time t = absl::FromUnixSeconds(1796174266) + absl::Nanoseconds(5);
  FakeClock base(t);
  OffsetClock ahead(&base, absl::Milliseconds(3000));
  OffsetClock behind(&base, absl::Milliseconds(-2000));
  EXPECT_EQ(ahead.Now(), t + absl::Seconds(3));
  EXPECT_EQ(behind.Now(), t - absl::Seconds(2));
  EXPECT_EQ(ahead.offset(), absl::Seconds(3));
}

TEST(OffsetClockTest, InstantsMoveToTheSystemClockAndBack) {
  // On a clock 3 s ahead, its 12:00:03 is the system's 12:00:00. The two
  // clocks are read a moment apart, so "about": within a second.
  OffsetClock ahead(SystemClockInstance(), absl::Seconds(3));
  const absl::Time agent_t = ahead.Now() + absl::Seconds(10);
  const absl::Duration error = ToSystemTime(ahead, agent_t) - (agent_t - absl::Seconds(3));
  EXPECT_LT(absl::AbsDuration(error), absl::Seconds(1));
  const absl::Duration back = FromSystemTime(ahead, ToSystemTime(ahead, agent_t)) - agent_t;
  EXPECT_LT(absl::AbsDuration(back), absl::Seconds(1));
  // The ends of time stay where they are.
  EXPECT_EQ(ToSystemTime(ahead, absl::InfiniteFuture()), absl::InfiniteFuture());
  EXPECT_EQ(FromSystemTime(ahead, absl::InfinitePast()), absl::InfinitePast());
}

TEST(AgentClockTest, TheVariableShiftsTheAgentsClock) {
  ::setenv(kTestClockOffsetEnv, "-2000", 1);
  auto shifted = AgentClockFromEnvironment();
  ::unsetenv(kTestClockOffsetEnv);
  ASSERT_TRUE(shifted.ok()) << shifted.status();
  const auto* offset = dynamic_cast<const OffsetClock*>(shifted->get());
  ASSERT_NE(offset, nullptr);
  EXPECT_EQ(offset->offset(), absl::Seconds(-2));

  auto plain = AgentClockFromEnvironment();
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_NE(dynamic_cast<const SystemClock*>(plain->get()), nullptr);

  ::setenv(kTestClockOffsetEnv, "soon", 1);
  auto bad = AgentClockFromEnvironment();
  ::unsetenv(kTestClockOffsetEnv);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("QDT_TEST_CLOCK_OFFSET_MS: \"soon\""));
}

TEST(SteadyClockTest, NeverGoesBack) {
  const int64_t a = SteadyNowNs();
  const int64_t b = SteadyNowNs();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace qdt::agent
