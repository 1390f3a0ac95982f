// The doctor's parsers of tool answers (agent/doctor.h) on real output
// (tests/fixtures/tmutil, systemsetup; provenance in SOURCES.md) and on
// damaged output, which must be an error naming what is wrong — never a
// guess of "ok".
#include "agent/doctor.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::HasSubstr;

TEST(DoctorParseTest, TmutilStatusIdleAndCopying) {
  auto idle = ParseTmutilRunning(Fixture("tmutil/tmutil_status_idle.txt"));
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_FALSE(*idle);
  auto copying = ParseTmutilRunning(Fixture("tmutil/tmutil_status_copying_macos11.txt"));
  ASSERT_TRUE(copying.ok()) << copying.status();
  EXPECT_TRUE(*copying);
}

TEST(DoctorParseTest, TmutilStatusDamagedIsAnError) {
  // Cut before the top-level Running line: the nested Progress keys do not count.
  const std::string copying = Fixture("tmutil/tmutil_status_copying_macos11.txt");
  auto cut = ParseTmutilRunning(copying.substr(0, copying.find("    Running")));
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(cut.status().message(), HasSubstr("no top-level \"Running = \" line"));
  auto nested_only =
      ParseTmutilRunning("Backup session status:\n{\n Progress = {\n Running = 1;\n };\n}\n");
  EXPECT_FALSE(nested_only.ok());
  auto odd = ParseTmutilRunning("Backup session status:\n{\n    Running = yes;\n}\n");
  ASSERT_FALSE(odd.ok());
  EXPECT_THAT(odd.status().message(), HasSubstr("Running: \"yes;\" is not 0; or 1;"));
  EXPECT_FALSE(ParseTmutilRunning("").ok());
}

TEST(DoctorParseTest, NetworkTimeOnOffAndJunk) {
  EXPECT_EQ(ParseNetworkTime(Fixture("systemsetup/systemsetup_getusingnetworktime_on.txt"))
                .value_or(false),
            true);
  auto off = ParseNetworkTime(Fixture("systemsetup/systemsetup_getusingnetworktime_off.txt"));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(*off);
  // What systemsetup prints without root is not an answer.
  auto denied = ParseNetworkTime("You need administrator access to run this tool... exiting!\n");
  ASSERT_FALSE(denied.ok());
  EXPECT_THAT(denied.status().message(), HasSubstr("You need administrator access"));
}

TEST(DoctorParseTest, NtpSynchronizedYesNoAndJunk) {
  EXPECT_TRUE(ParseNtpSynchronized("yes\n").value_or(false));
  auto no = ParseNtpSynchronized("no\n");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(*no);
  EXPECT_FALSE(ParseNtpSynchronized("").ok());
  EXPECT_FALSE(ParseNtpSynchronized("NTPSynchronized=yes").ok()) << "the --value form only";
}

}  // namespace
}  // namespace qdt::agent
