// file_util, errno_status, proto_json and run_state: the small common toolkit.
#include "common/file_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/proto_json.h"
#include "common/run_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(QDT_BINARY_DIR, "/test-tmp/file-util-", ::getpid());
    ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'").c_str()), 0);
  }
  void TearDown() override { std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }
  std::string dir_;
};

TEST_F(FileUtilTest, ReadsWhatWasWrittenAtomicallyAndLeavesNoTemporaryFile) {
  const std::string path = dir_ + "/run.json";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second, longer").ok());
  EXPECT_EQ(*ReadFile(path), "second, longer");
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/secret", "x", 0600).ok());
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileUtilTest, ErrorsNameThePathAndTheReason) {
  auto missing = ReadFile(dir_ + "/none");
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr(dir_ + "/none"));
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file"));

  auto folder = ReadFile(dir_);
  EXPECT_TRUE(absl::IsFailedPrecondition(folder.status()));
  EXPECT_THAT(folder.status().message(), HasSubstr("is a folder"));

  auto into_nowhere = WriteFileAtomically(dir_ + "/no/such/folder/f", "x");
  EXPECT_FALSE(into_nowhere.ok());
  EXPECT_THAT(into_nowhere.message(), HasSubstr(dir_ + "/no/such/folder/f.tmp"));
}

TEST_F(FileUtilTest, ReadsAreBounded) {
  ASSERT_TRUE(WriteFile(dir_ + "/big", std::string(5000, 'x')).ok());
  auto big = ReadFile(dir_ + "/big", 4096);
  EXPECT_TRUE(absl::IsResourceExhausted(big.status()));
  EXPECT_THAT(big.status().message(), HasSubstr("5000"));
  EXPECT_EQ(ReadFile(dir_ + "/big", 5000)->size(), 5000u);
  // procfs files report size 0: the bound still holds while reading.
  auto proc = ReadFile("/proc/self/status", 16);
  EXPECT_TRUE(absl::IsResourceExhausted(proc.status())) << proc.status();
}

TEST_F(FileUtilTest, TailAndTrimmed) {
  ASSERT_TRUE(WriteFile(dir_ + "/log", "0123456789").ok());
  EXPECT_EQ(*ReadFileTail(dir_ + "/log", 4), "6789");
  EXPECT_EQ(*ReadFileTail(dir_ + "/log", 100), "0123456789");
  ASSERT_TRUE(WriteFile(dir_ + "/token", "  abc\n\n").ok());
  EXPECT_EQ(*ReadFileTrimmed(dir_ + "/token"), "abc");
}

TEST(ErrnoStatusTest, CodeFollowsTheErrnoAndTheMessageSaysBoth) {
  absl::Status st = ErrnoStatus("cannot open \"/x\"", ENOENT);
  EXPECT_TRUE(absl::IsNotFound(st));
  EXPECT_EQ(st.message(), "cannot open \"/x\": No such file or directory");
  EXPECT_TRUE(absl::IsPermissionDenied(ErrnoStatus("x", EACCES)));
  EXPECT_TRUE(absl::IsResourceExhausted(ErrnoStatus("x", ENOSPC)));
  absl::Status chosen = ErrnoError(absl::StatusCode::kFailedPrecondition, "target_dir", EROFS);
  EXPECT_TRUE(absl::IsFailedPrecondition(chosen));
  EXPECT_THAT(chosen.message(), HasSubstr("Read-only file system"));
}

TEST(ProtoJsonTest, RoundTripWithProtoFieldNames) {
  qdt::v1::Run run;
  run.set_run_id("20260101-000000-abcdef");
  run.set_phase_index(2);
  auto json = ProtoToJson(run);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"run_id\""));
  EXPECT_THAT(*json, HasSubstr("\n"));
  qdt::v1::Run back;
  ASSERT_TRUE(ProtoFromJson(*json, &back, "run.json").ok());
  EXPECT_EQ(back.run_id(), run.run_id());
  EXPECT_EQ(back.phase_index(), 2);
  auto compact = ProtoToJson(qdt::v1::Run(), {.pretty = false, .always_print_primitive = true});
  EXPECT_THAT(*compact, HasSubstr("\"phase_index\":0"));
}

TEST(ProtoJsonTest, UnknownFieldsAreRefusedUnlessAskedAndTheErrorNamesTheOrigin) {
  qdt::v1::Run run;
  absl::Status st = ProtoFromJson(R"({"run_id": "x", "colour": "red"})", &run, "config \"/etc/a\"");
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr("config \"/etc/a\""));
  EXPECT_THAT(st.message(), HasSubstr("colour"));
  EXPECT_TRUE(ProtoFromJson(R"({"run_id": "x", "colour": "red"})", &run, "f",
                            {.ignore_unknown_fields = true})
                  .ok());
  EXPECT_EQ(run.run_id(), "x");
  EXPECT_FALSE(ProtoFromJson("{not json", &run, "f").ok());
}

TEST(RunStateTest, EndedAndActiveSplitEveryStateButUnspecified) {
  using qdt::v1::RunState;
  for (int i = qdt::v1::RunState_MIN; i <= qdt::v1::RunState_MAX; ++i) {
    if (!qdt::v1::RunState_IsValid(i)) continue;
    auto s = static_cast<RunState>(i);
    if (s == qdt::v1::RUN_STATE_UNSPECIFIED) {
      EXPECT_FALSE(RunEnded(s) || RunActive(s));
    } else {
      EXPECT_NE(RunEnded(s), RunActive(s)) << RunStateName(s);
    }
  }
  EXPECT_TRUE(RunEnded(qdt::v1::RUN_STATE_INTERRUPTED));
  EXPECT_TRUE(RunActive(qdt::v1::RUN_STATE_PREPARING));
  EXPECT_EQ(RunStateName(qdt::v1::RUN_STATE_RUNNING), "RUNNING");
}

TEST(RunStateTest, TransitionsFollowTheDiagram) {
  using namespace qdt::v1;  // NOLINT: the state names read better bare here
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_PENDING, RUN_STATE_PREPARING));
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_PREPARING, RUN_STATE_RUNNING));
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_RUNNING, RUN_STATE_DONE));
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_PENDING, RUN_STATE_STOPPED));
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_PREPARING, RUN_STATE_FAILED));
  EXPECT_TRUE(RunTransitionAllowed(RUN_STATE_RUNNING, RUN_STATE_INTERRUPTED));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_PENDING, RUN_STATE_RUNNING));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_PREPARING, RUN_STATE_DONE));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_RUNNING, RUN_STATE_PREPARING));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_DONE, RUN_STATE_FAILED));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_STOPPED, RUN_STATE_RUNNING));
  EXPECT_FALSE(RunTransitionAllowed(RUN_STATE_RUNNING, RUN_STATE_PENDING));
}

}  // namespace
}  // namespace qdt
