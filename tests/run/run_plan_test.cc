// PlanRun: every refusal of a bad StartRunRequest, decided without a disk, with
// the code and message the agent's StartRun gives (tests/integration/
// bad_input_test.cc checks the same requests against a served agent).
#include "agent/run/run_plan.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "common/file_util.h"
#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795863877);  // 2026-11-28 11:04:37 UTC

PlanOptions Options() {
  PlanOptions o;
  o.run_id = "run-1";
  o.default_file_size = 64ull << 20;
  o.ioengine = "libaio";
  o.now = kNow;
  return o;
}

qdt::v1::StartRunRequest Request(const std::string& target = "/tmp/qdt") {
  qdt::v1::StartRunRequest r;
  r.set_profile_name("setup-check");
  r.set_target_dir(target);
  return r;
}

void ExpectRefused(const qdt::v1::StartRunRequest& req, const std::string& message) {
  auto plan = PlanRun(req, Options());
  ASSERT_FALSE(plan.ok()) << "planned a bad request";
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << plan.status();
  EXPECT_EQ(plan.status().message(), message);
}

TEST(RunPlanTest, SetupCheckPlansTheGoldenJobFiles) {
  auto plan = PlanRun(Request(), Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->test_dir, "/tmp/qdt/.qdt-test/run-1");
  EXPECT_EQ(plan->file_count, 8);
  EXPECT_EQ(plan->file_size_bytes, 64ull << 20);
  EXPECT_EQ(plan->start_at, kNow);
  EXPECT_DOUBLE_EQ(plan->planned_duration_s, 30);
  EXPECT_EQ(plan->layout_job, testing::Golden("setup_check_layout.fio"));
  // Each phase's jobs wait at the phase's gate (phase_pipeline.h): the job
  // files of fio_job_builder_test's goldens, plus the gate.
  ASSERT_EQ(plan->phase_jobs.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const std::string name = absl::StrCat("setup_check_gated_phase", i, ".fio");
    if (std::getenv("QDT_UPDATE_GOLDEN") != nullptr) {
      ASSERT_TRUE(WriteFile(testing::GoldenPath(name), plan->phase_jobs[i]).ok());
    }
    EXPECT_EQ(plan->phase_jobs[i], testing::Golden(name)) << "phase " << i;
  }
  EXPECT_EQ(plan->Describe(),
            "profile setup-check, target /tmp/qdt, time scale 1, 8 files x 64.0 MiB");
}

TEST(RunPlanTest, TimeScaleShrinksEveryPhaseAndStartAtIsKept) {
  auto req = Request();
  req.set_time_scale(0.1);
  req.set_file_size_bytes(1ull << 30);
  req.mutable_start_at()->set_seconds(1795863877 + 30);
  req.mutable_start_at()->set_nanos(500000000);
  auto plan = PlanRun(req, Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_NEAR(plan->planned_duration_s, 3.0, 1e-9);
  EXPECT_NEAR(plan->profile.phases(1).duration_s(), 1.0, 1e-9);
  EXPECT_EQ(plan->file_size_bytes, 1ull << 30);
  EXPECT_EQ(plan->start_at, kNow + absl::Seconds(30.5));
  EXPECT_THAT(plan->phase_jobs[1], HasSubstr("runtime=1000ms"));
  EXPECT_THAT(plan->Describe(), HasSubstr("time scale 0.1, 8 files x 1.0 GiB"));
}

TEST(RunPlanTest, ProfileRefusals) {
  auto req = Request();
  req.set_profile_name("no-such-profile");
  auto plan = PlanRun(req, Options());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(), HasSubstr("profile_name: "));
  EXPECT_THAT(plan.status().message(), HasSubstr("no-such-profile"));

  req.clear_profile_name();
  ExpectRefused(req,
                "profile_name: empty; name a built-in profile (e.g. setup-check) or send a "
                "profile");

  auto* p = req.mutable_profile();
  p->set_name("custom");
  auto* ph = p->add_phases();
  ph->set_name("only");
  ph->set_duration_s(0);
  ph->add_streams()->set_block_size_bytes(1 << 20);
  plan = PlanRun(req, Options());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(), HasSubstr("profile.phases[0].duration_s"));
}

TEST(RunPlanTest, TimeScaleRefusals) {
  for (double x : {-1.0, 5.0, std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity()}) {
    auto req = Request();
    req.set_time_scale(x);
    auto plan = PlanRun(req, Options());
    EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << x;
    EXPECT_THAT(plan.status().message(), HasSubstr("time_scale: ")) << x;
    EXPECT_THAT(plan.status().message(), HasSubstr("must be in (0, 1]")) << x;
  }
}

TEST(RunPlanTest, FileSizeRefusals) {
  auto req = Request();
  req.set_file_size_bytes(4096);
  ExpectRefused(req,
                "file_size_bytes: 4096 is out of range (1048576 bytes = 1 MiB to "
                "1099511627776 bytes = 1 TiB)");
  req.set_file_size_bytes(5ull << 40);
  ExpectRefused(req,
                "file_size_bytes: 5497558138880 is out of range (1048576 bytes = 1 MiB to "
                "1099511627776 bytes = 1 TiB)");
  // The default is the agent's (--default-file-size) when the request says 0.
  req.set_file_size_bytes(0);
  auto o = Options();
  o.default_file_size = 1000;
  auto plan = PlanRun(req, o);
  // The refusal names the agent's default and its value, never the request's 0.
  EXPECT_THAT(plan.status().message(),
              HasSubstr("default_file_size_bytes (the agent's config): 1000 is out of range"));
}

TEST(RunPlanTest, StartAtRefusals) {
  auto req = Request();
  req.mutable_start_at()->set_seconds(4102444800);  // 2100-01-01
  auto plan = PlanRun(req, Options());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(), HasSubstr("start_at: 2100-01-01"));
  EXPECT_THAT(plan.status().message(), HasSubstr("more than 24 h ahead of the agent's clock"));
  req.mutable_start_at()->set_seconds(1795863877 + 24 * 3600);  // exactly 24 h: allowed
  EXPECT_TRUE(PlanRun(req, Options()).ok());
  req.mutable_start_at()->set_seconds(-5);
  ExpectRefused(req, "start_at: -5s 0ns is not a valid time");
  req.mutable_start_at()->set_seconds(10);
  req.mutable_start_at()->set_nanos(1000000000);
  ExpectRefused(req, "start_at: 10s 1000000000ns is not a valid time");
}

TEST(RunPlanTest, TargetRefusals) {
  ExpectRefused(Request(""), "target_dir: empty; give a folder to test");
  ExpectRefused(Request("relative/folder"),
                "target_dir: \"relative/folder\" is not an absolute path");
  ExpectRefused(Request("/media/show\nnext"),
                "target_dir: \"/media/show\\nnext\" contains control character 0x0a");
  // A NUL would cut the path short where the kernel reads it.
  ExpectRefused(Request(std::string("/media/show\0/etc", 16)),
                "target_dir: \"/media/show\\x00/etc\" contains control character 0x00");
  ExpectRefused(Request("/media/\xff\xfeshow"),
                "target_dir: \"/media/\\xff\\xfeshow\" is not valid UTF-8");
  // Longer than a path can be once the run's folder and files are added.
  const std::string long_target = "/" + std::string(MaxTargetDirBytes(), 'x');
  auto plan = PlanRun(Request(long_target), Options());
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              HasSubstr(absl::StrCat(" is ", long_target.size(), " bytes long, at most ",
                                     MaxTargetDirBytes())));
  EXPECT_LT(plan.status().message().size(), 400u);
  EXPECT_TRUE(PlanRun(Request(long_target.substr(1)), Options()).ok() == false);  // relative
  EXPECT_TRUE(PlanRun(Request(long_target.substr(0, MaxTargetDirBytes())), Options()).ok());
  // Characters fio's job parser would misread are fine: no path goes through it.
  EXPECT_TRUE(PlanRun(Request("/Volumes/Show: Media #2;x$HOME"), Options()).ok());
}

TEST(RunPlanTest, BlocksLargerThanTheFilesAreRefused) {
  auto req = Request();
  req.set_file_size_bytes(1ull << 20);  // smaller than a 4K frame of 7.3 MB
  auto plan = PlanRun(req, Options());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(),
              HasSubstr("file_size_bytes: 1048576 is smaller than phases[0].streams[0]"));
}

TEST(RunPlanTest, TestFileNamesAreEverythingARunCreates) {
  auto plan = PlanRun(Request(), Options());
  ASSERT_TRUE(plan.ok());
  std::vector<std::string> names = TestFileNames(plan->profile);
  // 8 stream files, 3 gates, and the prerun outputs of the widest phase (8 streams).
  EXPECT_EQ(names.size(), 8u + 3u + 8u);
  EXPECT_THAT(names, ::testing::Contains("stream-07.dat"));
  EXPECT_THAT(names, ::testing::Contains("gate-2.fifo"));
  EXPECT_THAT(names, ::testing::Contains("stream-07.prerun.txt"));
  for (const auto& n : names) EXPECT_EQ(n.find('/'), std::string::npos) << n;
}

TEST(RunPlanTest, TestFileNamesHoldTheGatesOfLaterStreams) {
  auto req = Request();
  req.set_profile_name("show-pattern");
  auto plan = PlanRun(req, Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> names = TestFileNames(plan->profile);
  size_t gates = 0;
  for (int p = 0; p < plan->profile.phases_size(); ++p) {
    for (const fio::PhaseGate& g : fio::PhaseGates(plan->profile.phases(p), p)) {
      EXPECT_THAT(names, ::testing::Contains(g.fifo));
      ++gates;
    }
  }
  // act 1 has a crossfade every 2 min: 30 later gates beside its first.
  EXPECT_THAT(names, ::testing::Contains("gate-1-30.fifo"));
  EXPECT_GT(gates, 5u + 30u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(RunPlanTest, PhaseJobFileGivesLaterStreamsTheLeadItIsWrittenFor) {
  auto req = Request();
  req.set_profile_name("show-pattern");
  auto plan = PlanRun(req, Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  // act 1's first crossfade is 110 s in: created 110 + lead - 1 s after fio's start.
  auto ahead = PhaseJobFile(*plan, 1, absl::Seconds(3));
  ASSERT_TRUE(ahead.ok());
  EXPECT_THAT(*ahead, HasSubstr("startdelay=112000ms\nexec_prerun=dd if=gate-1-1.fifo"));
  EXPECT_EQ(*ahead, plan->phase_jobs[1]);
  auto now = PhaseJobFile(*plan, 1, absl::ZeroDuration());
  ASSERT_TRUE(now.ok());
  EXPECT_THAT(*now, HasSubstr("startdelay=109000ms\nexec_prerun=dd if=gate-1-1.fifo"));
}

// Issue 15 #4: a time scale that leaves a phase shorter than one judged
// window is refused before anything starts, naming the scale, the phase, its
// length and the smallest scale that works.
TEST(RunPlanTest, TimeScalesThatLeaveNothingToJudgeAreRefused) {
  auto req = Request();
  req.set_time_scale(0.01);
  ExpectRefused(req,
                "time_scale: 0.01 makes phases[0] (\"normal\") 0.1 s long, shorter than the 1 s a "
                "phase needs to be judged (fio reports once a second, and a sample window under "
                "0.5 s is not judged); the smallest time scale for profile \"setup-check\" is 0.1");
  req.set_time_scale(0.1);
  EXPECT_TRUE(PlanRun(req, Options()).ok());
  // The show pattern at 0.01 is the README's 90 s rehearsal.
  req.set_profile_name("show-pattern");
  req.set_time_scale(0.01);
  EXPECT_TRUE(PlanRun(req, Options()).ok()) << PlanRun(req, Options()).status();
  req.set_time_scale(0.001);
  auto plan = PlanRun(req, Options());
  EXPECT_THAT(plan.status().message(), HasSubstr("the smallest time scale for profile "
                                                 "\"show-pattern\" is 0.01"));
}

// Issue 15 #6: a duration beyond a day (1e18 s overflowed llround and ran for
// 1 ms) is refused naming the field.
TEST(RunPlanTest, HugeDurationsAreRefusedNamingTheField) {
  auto req = Request();
  *req.mutable_profile() = *BuiltinProfile("setup-check");
  req.mutable_profile()->mutable_phases(2)->set_duration_s(1e18);
  ExpectRefused(req, "profile.phases[2].duration_s: 1e+18 is more than 24 h (86400 s)");
  *req.mutable_profile() = *BuiltinProfile("setup-check");
  req.mutable_profile()->mutable_phases(1)->mutable_streams(5)->set_start_offset_s(
      std::numeric_limits<double>::infinity());
  ExpectRefused(req,
                "profile.phases[1].streams[5].start_offset_s: inf must be a number of seconds, 0 "
                "or more");
  *req.mutable_profile() = *BuiltinProfile("setup-check");
  for (auto& ph : *req.mutable_profile()->mutable_phases()) ph.set_duration_s(30000);
  ExpectRefused(req, "profile.phases: 90000 s in all is more than 24 h (86400 s)");
}

// Issue 15 #10 and #16: names from the request are bounded and unique, and
// errors quote at most ~200 bytes of them.
TEST(RunPlanTest, NamesAreBoundedUniqueAndQuotedShort) {
  auto req = Request();
  req.set_profile_name(std::string(1 << 20, 'p'));
  auto plan = PlanRun(req, Options());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_THAT(plan.status().message(), HasSubstr("profile_name: unknown profile \"ppp"));
  EXPECT_LT(plan.status().message().size(), 400u);

  *req.mutable_profile() = *BuiltinProfile("setup-check");
  req.mutable_profile()->set_name(std::string(8192, 'n'));
  plan = PlanRun(req, Options());
  EXPECT_THAT(plan.status().message(), HasSubstr("profile.name: \"nnn"));
  EXPECT_THAT(plan.status().message(), HasSubstr("(8192 bytes) is 8192 bytes long, at most 200"));
  EXPECT_LT(plan.status().message().size(), 400u);

  *req.mutable_profile() = *BuiltinProfile("setup-check");
  req.mutable_profile()->mutable_phases(1)->mutable_streams(7)->set_name("request HD #1 (out)");
  ExpectRefused(req,
                "profile.phases[1].streams[7].name: \"request HD #1 (out)\" is also the name of "
                "streams[1]; stream names are unique in a phase");
}

// Issue 15 #17: a burst shorter than fio can start is refused by the plan, so
// no job file ever says runtime=0 (fio: no limit) or rounds a burst up to
// 1 ms. Every built-in at its smallest scale, and bursts around the minimum.
TEST(RunPlanTest, NoJobFileEverSaysRuntimeZero) {
  auto runtimes_ok = [](const RunPlan& plan) {
    for (const std::string& job : plan.phase_jobs) {
      for (size_t at = job.find("runtime="); at != std::string::npos;
           at = job.find("runtime=", at + 1)) {
        const size_t end = job.find("ms\n", at);
        int64_t ms = -1;
        if (end == std::string::npos || !absl::SimpleAtoi(job.substr(at + 8, end - at - 8), &ms) ||
            ms < 100) {
          ADD_FAILURE() << job.substr(at, 40) << " in\n" << job;
          return false;
        }
      }
    }
    return true;
  };
  for (const std::string& name : BuiltinProfileNames()) {
    auto req = Request();
    req.set_profile_name(name);
    req.set_time_scale(SmallestTimeScale(*BuiltinProfile(name)));
    auto plan = PlanRun(req, Options());
    ASSERT_TRUE(plan.ok()) << name << ": " << plan.status();
    EXPECT_TRUE(runtimes_ok(*plan)) << name;
  }
  for (double burst_s : {0.0004, 0.0005, 0.001, 0.05, 0.0999, 0.1, 0.1004, 0.25}) {
    auto req = Request();
    *req.mutable_profile() = *BuiltinProfile("setup-check");
    auto* burst = req.mutable_profile()->mutable_phases(1)->mutable_streams(4);
    burst->set_start_offset_s(5);
    burst->set_duration_s(burst_s);
    auto plan = PlanRun(req, Options());
    if (burst_s < kMinStreamS) {
      ASSERT_FALSE(plan.ok()) << burst_s;
      EXPECT_THAT(plan.status().message(),
                  HasSubstr("profile.phases[1].streams[4].duration_s: \"request 4K (in)\" lasts"));
      continue;
    }
    ASSERT_TRUE(plan.ok()) << burst_s << ": " << plan.status();
    EXPECT_TRUE(runtimes_ok(*plan)) << burst_s;
    EXPECT_THAT(plan->phase_jobs[1], ::testing::Not(HasSubstr("runtime=0")));
  }
}

TEST(RunPlanTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(512), "512.0 B");
  EXPECT_EQ(HumanBytes(64.0 * (1 << 20)), "64.0 MiB");
  EXPECT_EQ(HumanBytes(1.5 * (1ull << 30)), "1.5 GiB");
}

}  // namespace
}  // namespace qdt::agent
