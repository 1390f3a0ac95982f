// Every bad request gets a clear gRPC status naming what is wrong, and the
// agent keeps serving afterwards.
#include <sys/statvfs.h>

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "agent/probes/qlab.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public ::testing::Test {
 protected:
  grpc::Status Start(const qdt::v1::StartRunRequest& req, qdt::v1::Run* run = nullptr) {
    grpc::ClientContext ctx;
    agent_.Auth(&ctx);
    qdt::v1::Run ignored;
    return agent_.stub().StartRun(&ctx, req, run != nullptr ? run : &ignored);
  }
  // The agent still answers a well-formed call.
  void ExpectServing() {
    grpc::ClientContext ctx;
    agent_.Auth(&ctx);
    qdt::v1::AgentInfo info;
    grpc::Status st = agent_.stub().GetInfo(&ctx, {}, &info);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_FALSE(info.hostname().empty());
  }
  void ExpectRefused(const qdt::v1::StartRunRequest& req, grpc::StatusCode code,
                     const std::string& mentions) {
    grpc::Status st = Start(req);
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr(mentions));
    ExpectServing();
    EXPECT_EQ(agent_.store().ListRunIds().size(), 0u) << "a refused run left a record";
    EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test")) << "a refused run left files";
  }

  InProcessAgent agent_;
  TempDir target_{"target"};
};

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
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "no-such-profile");
}

TEST_F(BadInputTest, NoProfileAtAll) {
  auto req = SetupCheckRequest(target_.path(), 0.1);
  req.clear_profile_name();
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "profile_name");
}

TEST_F(BadInputTest, TargetMissing) {
  auto req = SetupCheckRequest(target_.path() + "/does-not-exist", 0.1);
  ExpectRefused(req, grpc::StatusCode::FAILED_PRECONDITION, "does-not-exist");
}

TEST_F(BadInputTest, TargetRelative) {
  auto req = SetupCheckRequest("relative/folder", 0.1);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "not an absolute path");
}

TEST_F(BadInputTest, TargetIsAFile) {
  std::string file = target_.path() + "/a-file";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto req = SetupCheckRequest(file, 0.1);
  grpc::Status st = Start(req);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("is not a folder"));
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
  grpc::Status st = Start(req);
  RunCommand("umount " + ro.path(), &rc);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("read-only volume"));
  ExpectServing();
}

TEST_F(BadInputTest, SystemFoldersAreRefused) {
  for (const char* folder : {"/sys", "/dev", "/usr/share", "/proc/self"}) {
    grpc::Status st = Start(SetupCheckRequest(folder, 0.1));
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << folder;
    EXPECT_THAT(st.error_message(), HasSubstr("is a system folder")) << folder;
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
  ExpectRefused(req, grpc::StatusCode::FAILED_PRECONDITION, "not enough free space");
  grpc::Status st = Start(req);
  EXPECT_THAT(st.error_message(), HasSubstr("8 files x"));
  EXPECT_THAT(st.error_message(), HasSubstr("free"));
}

TEST_F(BadInputTest, NegativeOrAbsurdNumbers) {
  auto req = SetupCheckRequest(target_.path(), -1);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "time_scale");
  req = SetupCheckRequest(target_.path(), 5);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "time_scale");
  req = SetupCheckRequest(target_.path(), std::numeric_limits<double>::quiet_NaN());
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "time_scale");
  req = SetupCheckRequest(target_.path(), 0.1, 4096);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "file_size_bytes: 4096");
  req = SetupCheckRequest(target_.path(), 0.1, 5ull << 40);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "file_size_bytes");
  req = SetupCheckRequest(target_.path(), 0.1);
  req.mutable_start_at()->set_seconds(4102444800);  // 2100-01-01
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "start_at");
}

TEST_F(BadInputTest, InlineProfileWithBadFieldNamesIt) {
  auto req = SetupCheckRequest(target_.path(), 0.1);
  auto* p = req.mutable_profile();
  p->set_name("custom");
  auto* ph = p->add_phases();
  ph->set_name("only");
  ph->set_duration_s(0);
  ph->add_streams()->set_block_size_bytes(1 << 20);
  ExpectRefused(req, grpc::StatusCode::INVALID_ARGUMENT, "duration_s");
}

TEST_F(BadInputTest, SecondConcurrentRunNamesTheActiveRun) {
  qdt::v1::Run first;
  grpc::Status st = Start(SetupCheckRequest(target_.path(), 0.2), &first);
  ASSERT_TRUE(st.ok()) << st.error_message();
  st = Start(SetupCheckRequest(target_.path(), 0.2));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr(first.run_id()));
  ExpectServing();
  // Stop the first; the stop is answered and the run ends STOPPED.
  grpc::ClientContext ctx;
  agent_.Auth(&ctx);
  qdt::v1::StopRunRequest stop;
  stop.set_run_id(first.run_id());
  qdt::v1::Run stopped;
  st = agent_.stub().StopRun(&ctx, stop, &stopped);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto events = Watch(agent_.stub(), agent_.token(), first.run_id(), 1);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.back().has_state());
  EXPECT_EQ(events.back().state().state(), qdt::v1::RUN_STATE_STOPPED);
  EXPECT_FALSE(PathExists(target_.path() + "/.qdt-test"));
  // Stopping it again says it has ended.
  grpc::ClientContext ctx2;
  agent_.Auth(&ctx2);
  st = agent_.stub().StopRun(&ctx2, stop, &stopped);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("already ended"));
}

TEST_F(BadInputTest, StopOrGetOfUnknownRunIsNotFound) {
  grpc::ClientContext ctx;
  agent_.Auth(&ctx);
  qdt::v1::StopRunRequest stop;
  stop.set_run_id("20260101-000000-abcdef");
  qdt::v1::Run run;
  grpc::Status st = agent_.stub().StopRun(&ctx, stop, &run);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("20260101-000000-abcdef"));

  grpc::ClientContext ctx2;
  agent_.Auth(&ctx2);
  qdt::v1::GetRunRequest get;
  get.set_run_id("../../etc");
  qdt::v1::RunRecord rec;
  st = agent_.stub().GetRun(&ctx2, get, &rec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  grpc::Status wst;
  Watch(agent_.stub(), agent_.token(), "20260101-000000-abcdef", 1, nullptr, &wst);
  EXPECT_EQ(wst.error_code(), grpc::StatusCode::NOT_FOUND);
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
  grpc::ClientContext ctx;
  agent.Auth(&ctx);
  qdt::v1::Run run;
  grpc::Status st = agent.stub().StartRun(&ctx, SetupCheckRequest(target.path(), 0.1), &run);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("QLab is running"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));
  grpc::ClientContext ctx2;
  agent.Auth(&ctx2);
  auto forced = SetupCheckRequest(target.path(), 0.1);
  forced.set_force(true);
  st = agent.stub().StartRun(&ctx2, forced, &run);
  EXPECT_TRUE(st.ok()) << st.error_message();
  Watch(agent.stub(), agent.token(), run.run_id(), 1);
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
