// No rest between phases: on a loop device of the test's own (its counter
// moves only for this run), every phase boundary of setup-check and
// show-pattern is recorded in the run with the drive's idle gap, measured
// from the drive's counter every 2 ms, and every gap is under 100 ms. (Each
// phase its own fio started at the boundary left the drive idle 0.8-1.2 s.)
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

struct GapCase {
  const char* profile;
  double time_scale;
};

void PrintTo(const GapCase& c, std::ostream* os) { *os << c.profile << " x" << c.time_scale; }

class GaplessTest : public ::testing::TestWithParam<GapCase> {};

TEST_P(GaplessTest, EveryBoundaryIsRecordedWithAnIdleGapUnder100Ms) {
  LoopVolume volume;
  if (!volume.ok()) GTEST_SKIP() << volume.skip_reason();
  auto profile = BuiltinProfile(GetParam().profile);
  ASSERT_TRUE(profile.ok());
  InProcessAgent agent;
  auto req = SetupCheckRequest(volume.mount_point(), GetParam().time_scale);
  req.set_profile_name(GetParam().profile);
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  auto events = agent.WatchAll(run->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  auto rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();

  const auto& boundaries = rec->run().checks().boundaries();
  ASSERT_EQ(boundaries.size(), profile->phases_size() - 1);
  for (int i = 0; i < boundaries.size(); ++i) {
    const qdt::v1::PhaseBoundary& b = boundaries[i];
    const std::string into = profile->phases(i + 1).name();
    EXPECT_EQ(b.to_phase_index(), i + 1);
    EXPECT_EQ(b.resolution_ms(), 2) << into;
    ASSERT_TRUE(b.has_idle_gap_ms()) << into;
    EXPECT_LT(b.idle_gap_ms(), 100) << "into " << into;
    EXPECT_GE(b.idle_gap_ms(), 0) << into;
    std::cout << "into " << into << ": the drive rested " << b.idle_gap_ms() << " ms\n";
  }
  // The run's log says it, one line per boundary.
  int said = 0;
  for (const auto& ev : *events) {
    if (!ev.has_log()) continue;
    if (absl::StrContains(ev.log().text(), "ms at the handover")) ++said;
    if (ev.log().level() != qdt::v1::LogLine::LEVEL_INFO) std::cout << ev.log().text() << "\n";
  }
  EXPECT_EQ(said, profile->phases_size() - 1);
  // Phases in order, each once, every one judged.
  std::vector<int> phases;
  for (const auto& ev : *events) {
    if (ev.has_phase()) phases.push_back(ev.phase().phase_index());
  }
  ASSERT_EQ(phases.size(), static_cast<size_t>(profile->phases_size()));
  for (int i = 0; i < profile->phases_size(); ++i) EXPECT_EQ(phases[i], i);
  EXPECT_TRUE(rec->run().has_verdict());
}

// The monitor sees a real rest, and the verdict says it: the second phase's
// only stream starts 0.6 s into the phase, so the drive reads nothing for
// about that long at the handover.
TEST(GapTest, ARestOverTheLimitIsMeasuredAndFlagged) {
  LoopVolume volume;
  if (!volume.ok()) GTEST_SKIP() << volume.skip_reason();
  qdt::v1::Profile p;
  p.set_name("rest");
  for (const char* name : {"first", "second"}) {
    auto* ph = p.add_phases();
    ph->set_name(name);
    ph->set_duration_s(3);
    auto* s = ph->add_streams();
    s->set_name("clip");
    s->set_block_size_bytes(1 << 20);
    s->set_iodepth(2);
    s->set_rate_bytes_per_s(50'000'000);
  }
  p.mutable_phases(1)->mutable_streams(0)->set_start_offset_s(0.6);
  InProcessAgent agent;
  auto req = SetupCheckRequest(volume.mount_point(), 1.0);
  req.clear_profile_name();
  *req.mutable_profile() = p;
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(agent.WatchAll(run->run_id()).ok());
  auto rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();
  ASSERT_EQ(rec->run().checks().boundaries_size(), 1);
  const qdt::v1::PhaseBoundary& b = rec->run().checks().boundaries(0);
  ASSERT_TRUE(b.has_idle_gap_ms());
  std::cout << "into second: the drive rested " << b.idle_gap_ms() << " ms\n";
  EXPECT_GT(b.idle_gap_ms(), 450);
  EXPECT_LT(b.idle_gap_ms(), 1000);
  bool flagged = false;
  for (const auto& f : rec->run().verdict().flags()) {
    if (absl::StartsWith(f, "rested before second: the drive read nothing for ")) flagged = true;
  }
  EXPECT_TRUE(flagged) << rec->run().verdict().DebugString();
}

// setup-check in 3 s; show-pattern in 90 s (its crossfades 0.1 s long, 1.2 s apart).
INSTANTIATE_TEST_SUITE_P(Profiles, GaplessTest,
                         ::testing::Values(GapCase{"setup-check", 0.1},
                                           GapCase{"show-pattern", 0.01}),
                         [](const ::testing::TestParamInfo<GapCase>& p) {
                           std::string name = p.param.profile;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace qdt::testing
