// PlanRun: every refusal of a bad StartRunRequest, decided without a disk, with
// the code and message the agent's StartRun gives (tests/integration/
// bad_input_test.cc checks the same requests against a served agent).
#include "agent/run/run_plan.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "common/file_util.h"
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
  EXPECT_THAT(plan.status().message(), HasSubstr("file_size_bytes: 0 is out of range"));
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
                "test_dir: \"/media/show\\nnext/.qdt-test/run-1\" contains control character 0x0a");
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

TEST(RunPlanTest, HumanBytes) {
  EXPECT_EQ(HumanBytes(512), "512.0 B");
  EXPECT_EQ(HumanBytes(64.0 * (1 << 20)), "64.0 MiB");
  EXPECT_EQ(HumanBytes(1.5 * (1ull << 30)), "1.5 GiB");
}

}  // namespace
}  // namespace qdt::agent
