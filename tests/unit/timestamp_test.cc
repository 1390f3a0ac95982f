// common/timestamp: nanoseconds survive both ways, times before 1970 keep
// Timestamp's rule (nanos never negative), and now has sub-second precision
// (protobuf 3.21's TimeUtil::GetCurrentTime has none).
#include "common/timestamp.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

TEST(TimestampTest, NanosecondsSurviveTheRoundTrip) {
  const absl::Time t = absl::FromUnixSeconds(1796174266) + absl::Nanoseconds(123456789);
  google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1796174266);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromTimestamp(ts), t);
}

TEST(TimestampTest, BeforeTheEpochNanosStayPositive) {
  const absl::Time t = absl::FromUnixSeconds(-2) + absl::Milliseconds(250);  // -1.75 s
  google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 250000000);
  EXPECT_EQ(FromTimestamp(ts), t);
}

TEST(TimestampTest, NowHasMoreThanWholeSeconds) {
  // Ten readings 3 ms apart: whole seconds would give nanos 0 every time.
  bool fraction = false;
  for (int i = 0; i < 10 && !fraction; ++i) {
    fraction = NowTimestamp().nanos() != 0;
    absl::SleepFor(absl::Milliseconds(3));
  }
  EXPECT_TRUE(fraction);
  const absl::Duration off = FromTimestamp(NowTimestamp()) - absl::Now();
  EXPECT_LT(absl::AbsDuration(off), absl::Seconds(1));
}

}  // namespace
}  // namespace qdt
