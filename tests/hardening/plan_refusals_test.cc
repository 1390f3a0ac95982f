// Issue 15: what a StartRun must refuse, through a served agent (real gRPC on
// loopback), before it writes anything: durations beyond a day, names beyond
// 200 bytes or used twice, time scales that leave nothing to judge, targets
// that are the system's or the agent's own, links planted in a target. And
// the shortest run the agent allows is still judged, with real fio.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>

#include "absl/status/status.h"
#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class PlanRefusalsTest : public ::testing::Test {
 protected:
  // Refused with `code`, naming `mentions`, in a message of at most ~1 KB;
  // no run record, nothing new in the target, and the agent still serves.
  void ExpectRefused(const qdt::v1::StartRunRequest& req, absl::StatusCode code,
                     const std::string& mentions) {
    const auto before = TreeListing(target_.path());
    absl::Status st = agent_.StartRun(req).status();
    EXPECT_EQ(st.code(), code) << st;
    EXPECT_THAT(Message(st), HasSubstr(mentions));
    EXPECT_LT(st.message().size(), 1024u) << "an error echoed its input";
    EXPECT_EQ(TreeListing(target_.path()), before) << "a refused run wrote into the target";
    EXPECT_EQ(agent_.store().ListRunIds().size(), 0u) << "a refused run left a record";
    auto info = agent_.GetInfo();
    EXPECT_TRUE(info.ok()) << info.status();
  }
  qdt::v1::StartRunRequest Inline() {
    qdt::v1::StartRunRequest req = SetupCheckRequest(target_.path(), 1);
    *req.mutable_profile() = *BuiltinProfile("setup-check");
    return req;
  }

  InProcessAgent agent_;
  TempDir target_{"target"};
};

// #4: setup-check at 0.01 (0.1 s phases) measured and then rated FAIL
// "sustained 0 MB/s"; now it is refused with the smallest scale that works.
TEST_F(PlanRefusalsTest, ATimeScaleThatLeavesNothingToJudgeIsRefused) {
  ExpectRefused(SetupCheckRequest(target_.path(), 0.01), absl::StatusCode::kInvalidArgument,
                "time_scale: 0.01 makes phases[0] (\"normal\") 0.1 s long, shorter than the 1 s a "
                "phase needs to be judged");
  ExpectRefused(SetupCheckRequest(target_.path(), 0.05), absl::StatusCode::kInvalidArgument,
                "the smallest time scale for profile \"setup-check\" is 0.1");
}

// #6: 1e18 s overflowed fio's milliseconds and ran for 1 ms.
TEST_F(PlanRefusalsTest, DurationsBeyondADayAreRefusedNamingTheField) {
  auto req = Inline();
  req.mutable_profile()->mutable_phases(2)->set_duration_s(1e18);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "profile.phases[2].duration_s: 1e+18 is more than 24 h (86400 s)");
  req = Inline();
  req.mutable_profile()->mutable_phases(1)->mutable_streams(4)->set_duration_s(1e18);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "profile.phases[1].streams[4].duration_s: 1e+18 is more than 24 h");
  req = Inline();
  for (auto& ph : *req.mutable_profile()->mutable_phases()) ph.set_duration_s(40000);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "profile.phases: 120000 s in all is more than 24 h");
}

// #17: a burst shorter than fio can start (it would be runtime=0: no limit).
TEST_F(PlanRefusalsTest, ASubMillisecondBurstIsRefused) {
  auto req = Inline();
  auto* burst = req.mutable_profile()->mutable_phases(1)->mutable_streams(4);
  burst->set_start_offset_s(5);
  burst->set_duration_s(0.0004);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "profile.phases[1].streams[4].duration_s: \"request 4K (in)\" lasts 0.0004 s");
}

// #10 and #16: a 1 MB name made a 4.5 MB ListRuns reply; names are bounded,
// unique in their phase, and errors quote them short.
TEST_F(PlanRefusalsTest, HugeAndDuplicateNamesAreRefusedAndQuotedShort) {
  auto req = Inline();
  req.mutable_profile()->set_name(std::string(1 << 20, 'n'));
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "profile.name: \"nnnn");
  req = Inline();
  req.mutable_profile()->mutable_phases(0)->mutable_streams(3)->set_name(std::string(9000, '['));
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "(9000 bytes) is 9000 bytes long, at most 200");
  req = SetupCheckRequest(target_.path(), 1);
  req.set_profile_name(std::string(1 << 20, 'p'));
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "profile_name: unknown profile \"ppp");
  req = Inline();
  req.mutable_profile()->mutable_phases(1)->mutable_streams(5)->set_name("request HD #1 (out)");
  ExpectRefused(req, absl::StatusCode::kInvalidArgument,
                "profile.phases[1].streams[5].name: \"request HD #1 (out)\" is also the name of "
                "streams[1]");
  req = SetupCheckRequest("/" + std::string(8000, 'x'), 1);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "bytes long, at most");
}

// #5 and #12: targets that are the system's or the agent's own, or hold a
// planted link, are refused before anything is written; GetInfo's check says
// the same.
TEST_F(PlanRefusalsTest, SystemAndStateFoldersAndPlantedLinksAreRefused) {
  TempDir elsewhere("elsewhere");
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (target_.path() + "/.qdt-test").c_str()), 0);
  ExpectRefused(SetupCheckRequest(target_.path(), 0.1), absl::StatusCode::kFailedPrecondition,
                ".qdt-test in it is a link or a file, not a folder this agent made");
  EXPECT_TRUE(TreeListing(elsewhere.path()).empty()) << "wrote where the planted link points";
  ASSERT_EQ(::unlink((target_.path() + "/.qdt-test").c_str()), 0);

  ASSERT_EQ(::symlink("/", (target_.path() + "/slash").c_str()), 0);
  ExpectRefused(SetupCheckRequest(target_.path() + "/slash", 0.1),
                absl::StatusCode::kFailedPrecondition, "is the root of the system volume");
  ASSERT_EQ(::symlink("/etc", (target_.path() + "/etc").c_str()), 0);
  ExpectRefused(SetupCheckRequest(target_.path() + "/etc", 0.1),
                absl::StatusCode::kFailedPrecondition, "is a system folder");
  const std::string state = agent_.state_dir();
  const auto state_before = TreeListing(state);
  ExpectRefused(SetupCheckRequest(state, 0.1), absl::StatusCode::kFailedPrecondition,
                "is the agent's state folder or inside it");
  EXPECT_EQ(TreeListing(state), state_before);
  ExpectRefused(SetupCheckRequest("/tmp", 0.1), absl::StatusCode::kFailedPrecondition,
                "holds everyone's files");
  EXPECT_FALSE(PathExists("/tmp/.qdt-test"));

  grpc::ClientContext ctx;
  agent_.Auth(&ctx);
  qdt::v1::GetInfoRequest check;
  check.set_check_target(state);
  qdt::v1::AgentInfo info;
  ASSERT_TRUE(agent_.stub().GetInfo(&ctx, check, &info).ok());
  EXPECT_TRUE(info.target_checked());
  EXPECT_THAT(info.target_problem(), HasSubstr("is the agent's state folder"));
}

// The shortest phases the agent allows (setup-check at its smallest scale,
// 1 s phases) are still judged with real fio: every phase has a judged
// window, so the verdict never says "nothing to rate" for a run it accepted.
TEST_F(PlanRefusalsTest, TheSmallestTimeScaleStillJudgesEveryPhase) {
  const double scale = SmallestTimeScale(*BuiltinProfile("setup-check"));
  ASSERT_DOUBLE_EQ(scale, 0.1);
  auto run = agent_.StartRun(SetupCheckRequest(target_.path(), scale, 16ull << 20));
  ASSERT_TRUE(run.ok()) << run.status();
  auto events = agent_.WatchAll(run->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  auto rec = agent_.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();
  const qdt::v1::Verdict& v = rec->run().verdict();
  ASSERT_EQ(v.phases_size(), 3);
  for (const auto& pv : v.phases()) {
    EXPECT_GE(pv.windows(), 1u) << pv.name() << " had no judged window at time scale " << scale;
  }
  EXPECT_THAT(v.no_rating_reason(), ::testing::Not(HasSubstr("nothing to rate")));
  EXPECT_GT(v.sustained_mb_s(), 0);
  EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test"));
}

}  // namespace
}  // namespace qdt::testing
