// Every bad request gets a clear gRPC status naming what is wrong, and the
// agent keeps serving afterwards.
#include <sys/statvfs.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/probes/qlab.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;

// gmock's HasSubstr takes std::string, not absl::string_view.
std::string Message(const absl::Status& status) { return std::string(status.message()); }

class BadInputTest : public ::testing::Test {
 protected:
  absl::Status Start(const qdt::v1::StartRunRequest& req) { return agent_.StartRun(req).status(); }
  // The agent still answers a well-formed call.
  void ExpectServing() {
    absl::StatusOr<qdt::v1::AgentInfo> info = agent_.GetInfo();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_FALSE(info->hostname().empty());
  }
  void ExpectRefused(const qdt::v1::StartRunRequest& req, absl::StatusCode code,
                     const std::string& mentions) {
    absl::Status st = Start(req);
    EXPECT_EQ(st.code(), code) << st;
    EXPECT_THAT(Message(st), HasSubstr(mentions));
    ExpectServing();
    EXPECT_EQ(agent_.store().ListRunIds().size(), 0u) << "a refused run left a record";
    EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test")) << "a refused run left files";
  }

  InProcessAgent agent_;
  TempDir target_{"target"};
};

// GetInfo(check_target): StartRun's own target check, nothing written; a
// path longer than 4096 bytes is refused by name.
TEST_F(BadInputTest, CheckTargetSaysWhatStartRunWouldAndWritesNothing) {
  auto check = [&](const std::string& target) {
    grpc::ClientContext ctx;
    agent_.Auth(&ctx);
    qdt::v1::GetInfoRequest req;
    req.set_check_target(target);
    qdt::v1::AgentInfo info;
    grpc::Status st = agent_.stub().GetInfo(&ctx, req, &info);
    return std::make_pair(st, info);
  };
  auto [ok_st, ok] = check(target_.path());
  ASSERT_TRUE(ok_st.ok()) << ok_st.error_message();
  EXPECT_TRUE(ok.target_checked());
  EXPECT_EQ(ok.target_problem(), "");
  EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test")) << "a check wrote into the target";
  auto [bad_st, bad] = check(target_.path() + "/missing");
  ASSERT_TRUE(bad_st.ok());
  EXPECT_TRUE(bad.target_checked());
  EXPECT_THAT(bad.target_problem(), HasSubstr(target_.path() + "/missing"));
  qdt::v1::StartRunRequest req;
  req.set_profile_name("setup-check");
  req.set_target_dir(target_.path() + "/missing");
  // The same words as the start itself.
  EXPECT_EQ(Message(Start(req)), bad.target_problem());
  auto [long_st, unused] = check("/" + std::string(5000, 'x'));
  EXPECT_EQ(long_st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_st.error_message(), HasSubstr("check_target"));
  auto [none_st, none] = check("");
  ASSERT_TRUE(none_st.ok());
  EXPECT_FALSE(none.target_checked());
  ExpectServing();
}

TEST_F(BadInputTest, NoTokenIsUnauthenticated) {
  grpc::ClientContext ctx;
  qdt::v1::AgentInfo info;
  grpc::Status st = agent_.stub().GetInfo(&ctx, {}, &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("authorization"));
  ExpectServing();
}

TEST_F(BadInputTest, WrongTokenIsUnauthenticatedEvenForStreams) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer not-the-token");
  qdt::v1::Run run;
  grpc::Status st = agent_.stub().StartRun(&ctx, SetupCheckRequest(target_.path(), 0.1), &run);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("wrong token"));
  grpc::Status wst;
  auto events = Watch(agent_.stub(), "not-the-token", "any", 1, nullptr, &wst);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(wst.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ExpectServing();
  EXPECT_EQ(agent_.store().ListRunIds().size(), 0u);
}

TEST_F(BadInputTest, UnknownProfile) {
  auto req = SetupCheckRequest(target_.path(), 0.1);
  req.set_profile_name("no-such-profile");
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "no-such-profile");
}

TEST_F(BadInputTest, NoProfileAtAll) {
  auto req = SetupCheckRequest(target_.path(), 0.1);
  req.clear_profile_name();
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "profile_name");
}

TEST_F(BadInputTest, TargetMissing) {
  auto req = SetupCheckRequest(target_.path() + "/does-not-exist", 0.1);
  ExpectRefused(req, absl::StatusCode::kFailedPrecondition, "does-not-exist");
}

TEST_F(BadInputTest, TargetRelative) {
  auto req = SetupCheckRequest("relative/folder", 0.1);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "not an absolute path");
}

TEST_F(BadInputTest, TargetIsAFile) {
  std::string file = target_.path() + "/a-file";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto req = SetupCheckRequest(file, 0.1);
  absl::Status st = Start(req);
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr("is not a folder"));
  ExpectServing();
}

TEST_F(BadInputTest, TargetNotWritable) {
  // Root may write anywhere on a normal file system: a read-only bind mount
  // refuses even root. Where mounting is not allowed, the test says so.
  TempDir ro("readonly");
  int rc = -1;
  RunCommand("mount --bind " + ro.path() + " " + ro.path() + " && mount -o remount,ro,bind " +
                 ro.path() + " " + ro.path(),
             &rc);
  if (rc != 0) GTEST_SKIP() << "cannot make a read-only bind mount here (not root?)";
  auto req = SetupCheckRequest(ro.path(), 0.1);
  absl::Status st = Start(req);
  RunCommand("umount " + ro.path(), &rc);
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr("read-only volume"));
  ExpectServing();
}

TEST_F(BadInputTest, SystemFoldersAreRefused) {
  for (const char* folder : {"/sys", "/dev", "/usr/share", "/proc/self"}) {
    absl::Status st = Start(SetupCheckRequest(folder, 0.1));
    EXPECT_TRUE(absl::IsFailedPrecondition(st)) << folder << ": " << st;
    EXPECT_THAT(Message(st), HasSubstr("is a system folder")) << folder;
  }
  EXPECT_FALSE(PathExists("/dev/.qdt-test"));
  ExpectServing();
}

TEST_F(BadInputTest, TargetTooSmallSaysHowMuchIsNeeded) {
  struct statvfs vfs;
  ASSERT_EQ(::statvfs(target_.path().c_str(), &vfs), 0);
  double free_bytes = static_cast<double>(vfs.f_bavail) * vfs.f_frsize;
  // Setup Check uses 8 files: each a little over an eighth of the free space.
  uint64_t file_size = static_cast<uint64_t>(free_bytes / 8) + (1ull << 30);
  auto req = SetupCheckRequest(target_.path(), 0.1, file_size);
  ExpectRefused(req, absl::StatusCode::kFailedPrecondition, "not enough free space");
  absl::Status st = Start(req);
  EXPECT_THAT(Message(st), HasSubstr("8 files x"));
  EXPECT_THAT(Message(st), HasSubstr("free"));
}

TEST_F(BadInputTest, NegativeOrAbsurdNumbers) {
  auto req = SetupCheckRequest(target_.path(), -1);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "time_scale");
  req = SetupCheckRequest(target_.path(), 5);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "time_scale");
  req = SetupCheckRequest(target_.path(), std::numeric_limits<double>::quiet_NaN());
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "time_scale");
  req = SetupCheckRequest(target_.path(), 0.1, 4096);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "file_size_bytes: 4096");
  req = SetupCheckRequest(target_.path(), 0.1, 5ull << 40);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "file_size_bytes");
  req = SetupCheckRequest(target_.path(), 0.1);
  req.mutable_start_at()->set_seconds(4102444800);  // 2100-01-01
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "start_at");
}

TEST_F(BadInputTest, InlineProfileWithBadFieldNamesIt) {
  auto req = SetupCheckRequest(target_.path(), 0.1);
  auto* p = req.mutable_profile();
  p->set_name("custom");
  auto* ph = p->add_phases();
  ph->set_name("only");
  ph->set_duration_s(0);
  ph->add_streams()->set_block_size_bytes(1 << 20);
  ExpectRefused(req, absl::StatusCode::kInvalidArgument, "duration_s");
}

TEST_F(BadInputTest, SecondConcurrentRunNamesTheActiveRun) {
  absl::StatusOr<qdt::v1::Run> first = agent_.StartRun(SetupCheckRequest(target_.path(), 0.2));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::Status st = Start(SetupCheckRequest(target_.path(), 0.2));
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr(first->run_id()));
  ExpectServing();
  // Stop the first; the stop is answered and the run ends STOPPED.
  absl::StatusOr<qdt::v1::Run> stopped = agent_.StopRun(first->run_id());
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> events = agent_.WatchAll(first->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_FALSE(events->empty());
  ASSERT_TRUE(events->back().has_state());
  EXPECT_EQ(events->back().state().state(), qdt::v1::RUN_STATE_STOPPED);
  EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test"));
  // Stopping it again says it has ended.
  st = agent_.StopRun(first->run_id()).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr("already ended"));
}

TEST_F(BadInputTest, StopOrGetOfUnknownRunIsNotFound) {
  absl::Status st = agent_.StopRun("20260101-000000-abcdef").status();
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr("20260101-000000-abcdef"));

  st = agent_.GetRun("../../etc").status();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  st = agent_.WatchAll("20260101-000000-abcdef").status();
  EXPECT_TRUE(absl::IsNotFound(st)) << st;
  ExpectServing();
}

// A runner that answers pgrep as if QLab were (or were not) running.
class PgrepRunner : public agent::CommandRunner {
 public:
  explicit PgrepRunner(bool qlab) : qlab_(qlab) {}
  absl::StatusOr<agent::CommandResult> Run(const std::vector<std::string>& argv,
                                           absl::Duration) override {
    agent::CommandResult r;
    r.exit_code = argv.size() == 3 && argv[0] == "pgrep" && argv[2] == "QLab" && qlab_ ? 0 : 1;
    if (r.exit_code == 0) r.out = "4242\n";
    return r;
  }

 private:
  bool qlab_;
};

TEST(ShowSafetyTest, RefusesWhileQLabRunsUnlessForced) {
  PgrepRunner qlab(true);
  agent::RunManagerOptions options;
  options.commands = &qlab;
  InProcessAgent agent(options);
  TempDir target("target");
  absl::Status st = agent.StartRun(SetupCheckRequest(target.path(), 0.1)).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(Message(st), HasSubstr("QLab is running"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));
  auto forced = SetupCheckRequest(target.path(), 0.1);
  forced.set_force(true);
  absl::StatusOr<qdt::v1::Run> run = agent.StartRun(forced);
  ASSERT_TRUE(run.ok()) << run.status();
  // Forced, the run is a whole run like any other: its events numbered 1, 2,
  // 3, ... without a gap, every state to DONE, every phase with samples, one
  // verdict, and the test files removed at the end.
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> events = agent.WatchAll(run->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<qdt::v1::RunState> states;
  std::vector<int> phases;
  std::set<int> sampled;
  int verdicts = 0;
  for (size_t i = 0; i < events->size(); ++i) {
    const qdt::v1::RunEvent& ev = (*events)[i];
    EXPECT_EQ(ev.seq(), i + 1);
    if (ev.has_state()) states.push_back(ev.state().state());
    if (ev.has_phase()) phases.push_back(ev.phase().phase_index());
    if (ev.has_sample()) sampled.insert(ev.sample().phase_index());
    if (ev.has_verdict()) ++verdicts;
  }
  EXPECT_THAT(states,
              ::testing::ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                     qdt::v1::RUN_STATE_RUNNING, qdt::v1::RUN_STATE_DONE));
  EXPECT_THAT(phases, ::testing::ElementsAre(0, 1, 2));
  EXPECT_EQ(sampled, (std::set<int>{0, 1, 2}));
  EXPECT_EQ(verdicts, 1);
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));
}

TEST(ShowSafetyTest, NoQLabNoRefusal) {
  PgrepRunner none(false);
  EXPECT_FALSE(agent::QlabRunning(&none));
  PgrepRunner yes(true);
  EXPECT_TRUE(agent::QlabRunning(&yes));
  EXPECT_FALSE(agent::QlabRunning(nullptr));
}

}  // namespace
}  // namespace qdt::testing
