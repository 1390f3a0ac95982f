// sysctl (macOS AIO limits): the parser on the fixture (written from
// sysctl(8)'s format: no public capture exists, SOURCES.md) and on damaged
// output, the tool run through a fake CommandRunner, and what the limits mean
// for a profile (AioCapFlags, DescribeAioFit for `qdt-agent doctor`).
#include "agent/probes/sysctl.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/cue_stack.h"
#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::FakeRunner;
using ::qdt::testing::Fixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kFixture[] = "sysctl/sysctl_kern_aio_limits_arm64_defaults_constructed.txt";
constexpr char kCommand[] = "sysctl kern.aioprocmax kern.aiomax kern.aiothreads";

AioLimits Defaults() {
  auto limits = ParseAioSysctl(Fixture(kFixture));
  EXPECT_TRUE(limits.ok()) << limits.status();
  return limits.value_or(AioLimits{});
}

TEST(SysctlTest, TheFixtureGivesTheAppleSiliconDefaults) {
  auto limits = ParseAioSysctl(Fixture(kFixture));
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->aioprocmax, 16);
  EXPECT_EQ(limits->aiomax, 90);
  EXPECT_EQ(limits->aiothreads, 4);
  EXPECT_EQ(limits->Describe(), "kern.aioprocmax 16, kern.aiomax 90, kern.aiothreads 4");
}

TEST(SysctlTest, OrderLineEndsAndOtherNamesDoNotMatter) {
  auto limits = ParseAioSysctl(
      "kern.aiothreads: 12\r\nkern.maxproc: 4256\r\n\r\n  kern.aiomax:   10000  \r\n"
      "kern.aioprocmax: 256\r\n");
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->aioprocmax, 256);
  EXPECT_EQ(limits->aiomax, 10000);
  EXPECT_EQ(limits->aiothreads, 12);
}

struct DamagedCase {
  const char* what;
  std::string text;
  std::string message;
};

void PrintTo(const DamagedCase& c, std::ostream* os) { *os << c.what; }

class DamagedSysctlTest : public ::testing::TestWithParam<DamagedCase> {};

TEST_P(DamagedSysctlTest, IsRefusedNamingTheFieldAndValue) {
  auto limits = ParseAioSysctl(GetParam().text);
  ASSERT_FALSE(limits.ok()) << limits->Describe();
  EXPECT_TRUE(absl::IsInvalidArgument(limits.status())) << limits.status();
  EXPECT_EQ(limits.status().message(), GetParam().message);
}

// The fixture with one line replaced.
std::string Damaged(const std::string& from, const std::string& to) {
  std::string text = Fixture(kFixture);
  EXPECT_THAT(text, HasSubstr(from));
  return absl::StrReplaceAll(text, {{from, to}});
}

INSTANTIATE_TEST_SUITE_P(
    Sysctl, DamagedSysctlTest,
    ::testing::Values(
        DamagedCase{"non-numeric", Damaged("kern.aioprocmax: 16", "kern.aioprocmax: sixteen"),
                    "sysctl: kern.aioprocmax: \"sixteen\" is not a whole number"},
        DamagedCase{"a fraction", Damaged("kern.aiomax: 90", "kern.aiomax: 90.5"),
                    "sysctl: kern.aiomax: \"90.5\" is not a whole number"},
        DamagedCase{"empty value", Damaged("kern.aiothreads: 4", "kern.aiothreads:"),
                    "sysctl: kern.aiothreads: \"\" is not a whole number"},
        DamagedCase{"negative", Damaged("kern.aiothreads: 4", "kern.aiothreads: -4"),
                    "sysctl: kern.aiothreads: -4 must be at least 1"},
        DamagedCase{"zero", Damaged("kern.aioprocmax: 16", "kern.aioprocmax: 0"),
                    "sysctl: kern.aioprocmax: 0 must be at least 1"},
        DamagedCase{"absurdly large", Damaged("kern.aiomax: 90", "kern.aiomax: 2000000"),
                    "sysctl: kern.aiomax: 2000000 is more than 1000000"},
        DamagedCase{"beyond 64 bits",
                    Damaged("kern.aiomax: 90", "kern.aiomax: 99999999999999999999999"),
                    "sysctl: kern.aiomax: \"99999999999999999999999\" is not a whole number"},
        DamagedCase{"missing name", Damaged("kern.aiothreads: 4\n", ""),
                    "sysctl: kern.aiothreads: missing from the output"},
        DamagedCase{"duplicate name", Fixture(kFixture) + "kern.aioprocmax: 32\n",
                    "sysctl: kern.aioprocmax: given twice (16, then 32)"},
        DamagedCase{"the old \"name = value\" form", Damaged("kern.aiomax: 90", "kern.aiomax = 90"),
                    "sysctl: line \"kern.aiomax = 90\" is not \"name: value\""},
        DamagedCase{"a control byte", Damaged("kern.aiomax: 90", "kern.aiomax: 9\x01"),
                    "sysctl: kern.aiomax: \"9\\x01\" is not a whole number"},
        DamagedCase{"no output", "", "sysctl: kern.aioprocmax: missing from the output"},
        DamagedCase{"too long", std::string(kMaxSysctlBytes + 1, '\n'),
                    "sysctl: output of 65537 bytes is more than 65536"}));

TEST(SysctlTest, ReadAioLimitsAsksSysctlForTheThreeNames) {
  FakeRunner runner;
  runner.replies[kCommand] = {0, 0, false, Fixture(kFixture), ""};
  auto limits = ReadAioLimits(&runner);
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->aioprocmax, 16);
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_THAT(runner.calls[0],
              ElementsAre("sysctl", "kern.aioprocmax", "kern.aiomax", "kern.aiothreads"));
}

TEST(SysctlTest, ReadAioLimitsSaysWhySysctlGaveNoAnswer) {
  FakeRunner runner;  // no reply: the tool cannot start
  auto missing = ReadAioLimits(&runner);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsUnavailable(missing.status()));
  EXPECT_EQ(missing.status().message(), "sysctl: sysctl");
  // Linux's sysctl knows no kern.aioprocmax.
  runner.replies[kCommand] = {
      255, 0, false, "",
      "sysctl: cannot stat /proc/sys/kern/aioprocmax: No such file or directory\n"};
  auto linux_tool = ReadAioLimits(&runner);
  ASSERT_FALSE(linux_tool.ok());
  EXPECT_EQ(linux_tool.status().message(),
            "sysctl exited 255: sysctl: cannot stat /proc/sys/kern/aioprocmax: No such file or "
            "directory");
  runner.replies[kCommand] = {-1, 9, true, "", ""};
  EXPECT_EQ(ReadAioLimits(&runner).status().message(), "sysctl: no answer within 5 s");
  // Exit 0 with damaged output: the parser's words.
  runner.replies[kCommand] = {0, 0, false, "kern.aioprocmax: 16\n", ""};
  EXPECT_EQ(ReadAioLimits(&runner).status().message(),
            "sysctl: kern.aiomax: missing from the output");
}

fio::FioJobOptions PosixaioOptions(uint32_t cap) {
  fio::FioJobOptions o;
  o.ioengine = "posixaio";
  o.layout = fio::JobLayout::kProcessPerStream;
  o.max_iodepth = cap;
  return o;
}

TEST(SysctlTest, PsyncIsNeverCappedByAio) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  fio::FioJobOptions psync;
  psync.ioengine = "psync";
  psync.layout = fio::JobLayout::kThreadPerRead;
  AioLimits tiny{1, 1, 1};
  EXPECT_TRUE(AioCapFlags(tiny, *profile, psync).empty());
  AioFit fit = DescribeAioFit(Defaults(), *profile, "psync");
  EXPECT_TRUE(fit.ok);
  EXPECT_EQ(fit.detail,
            "crossfade: 16 reads in flight as 16 psync threads; AIO not used (kern.aioprocmax 16)");
  EXPECT_EQ(fit.fix, "");
}

TEST(SysctlTest, PosixaioBeyondAProcessOrTheMachineIsFlagged) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  // Within the limits: one process per stream, 2 reads each, 16 in all.
  EXPECT_TRUE(AioCapFlags(Defaults(), *profile, PosixaioOptions(16)).empty());
  // The unpaced stream asks for 24.
  profile->mutable_phases(2)->mutable_streams(0)->set_iodepth(24);
  EXPECT_THAT(AioCapFlags(Defaults(), *profile, PosixaioOptions(16)),
              ElementsAre("queue capped by macOS AIO: stream-00 in max-read asked 24 reads in "
                          "flight, got 16 (kern.aioprocmax 16)"));
  // A Mac whose whole-machine limit is below the crossfade's 16.
  AioLimits low = Defaults();
  low.aiomax = 12;
  EXPECT_THAT(AioCapFlags(low, *profile, PosixaioOptions(16)),
              ElementsAre("queue capped by macOS AIO: crossfade keeps up to 16 reads in flight, "
                          "the Mac allows 12 at once (kern.aiomax 12)",
                          HasSubstr("stream-00 in max-read asked 24"),
                          "queue capped by macOS AIO: max-read keeps up to 16 reads in flight, the "
                          "Mac allows 12 at once (kern.aiomax 12)"));
  // The layout with one job per stream in one process (Linux) is not judged here.
  fio::FioJobOptions linux_layout;
  linux_layout.ioengine = "libaio";
  EXPECT_TRUE(AioCapFlags(low, *profile, linux_layout).empty());
}

TEST(SysctlTest, DoctorWarnsForPosixaioWithTheFix) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  // Within the caps, but 16 reads share 4 kernel threads.
  AioFit shared = DescribeAioFit(Defaults(), *profile, "posixaio");
  EXPECT_FALSE(shared.ok);
  EXPECT_EQ(shared.detail,
            "crossfade: 16 reads in flight through posixaio share 4 kernel AIO threads "
            "(kern.aiothreads 4): reads wait for a thread, and their latency includes that wait");
  EXPECT_THAT(shared.fix, HasSubstr("psync"));
  // A stream beyond kern.aioprocmax.
  profile->mutable_phases(2)->mutable_streams(0)->set_iodepth(24);
  AioFit capped = DescribeAioFit(Defaults(), *profile, "posixaio");
  EXPECT_FALSE(capped.ok);
  EXPECT_EQ(capped.detail,
            "stream-00 in max-read asked 24 reads in flight, got 16 (kern.aioprocmax 16)");
  EXPECT_THAT(capped.fix, HasSubstr("sudo sysctl kern.aioprocmax=256 kern.aiomax=1024"));
  // Enough kernel threads and room: ok.
  profile->mutable_phases(2)->mutable_streams(0)->set_iodepth(8);
  AioLimits roomy{256, 1024, 32};
  AioFit fits = DescribeAioFit(roomy, *profile, "posixaio");
  EXPECT_TRUE(fits.ok) << fits.detail;
  EXPECT_EQ(fits.detail,
            "crossfade: 16 reads in flight through posixaio, within kern.aioprocmax 256, "
            "kern.aiomax 1024, kern.aiothreads 32");
  EXPECT_EQ(fits.fix, "");
}

TEST(SysctlTest, DoctorJudgesADerivedCueStackOnItsBusiestPhase) {
  std::vector<CueStream> cue;
  for (const char* s : {"ProRes 422 HQ UHD 59.94 x2", "HAP Q 1080p29.97 x10"}) {
    auto c = ParseCueStream(s);
    ASSERT_TRUE(c.ok()) << c.status();
    cue.push_back(*c);
  }
  auto profile = DeriveProfile("cue12", cue, 1.6, 10);
  ASSERT_TRUE(profile.ok()) << profile.status();
  // 12 streams out + 12 in, 2 reads each.
  AioFit fit = DescribeAioFit(Defaults(), *profile, "psync");
  EXPECT_TRUE(fit.ok);
  EXPECT_EQ(fit.detail,
            "crossfade: 48 reads in flight as 48 psync threads; AIO not used (kern.aioprocmax 16)");
  // One posixaio process per stream stays under 16 each, but 48 reads go
  // through 4 kernel threads.
  EXPECT_FALSE(DescribeAioFit(Defaults(), *profile, "posixaio").ok);
}

}  // namespace
}  // namespace qdt::agent
