// Issue 15, defect 13: config gaps, through the real qdt-agent binary. A file
// size a start cannot use fails --check-config (it used to pass and fail every
// start), a missing allowed folder fails --check-config and is a warning when
// serving, and --config without a value or with a folder says so.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Agent(const std::string& args, int* rc) {
  return RunCommand(absl::StrCat(AgentBinary(), " ", args, " 2>&1"), rc);
}

TEST(AgentConfigProcessTest, FileSizeAStartCannotUseFailsCheckConfig) {
  TempDir dir("cfg");
  const std::string config = dir.path() + "/agent.json";
  ASSERT_TRUE(WriteFile(config, R"({"default_file_size_bytes": "5"})").ok());
  int rc = -1;
  std::string out = Agent("--config " + config + " --check-config", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("default_file_size_bytes: 5 is out of range"));
  out = Agent("--default-file-size 5 --check-config", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("--default-file-size: \"5\" is not a byte count from 1 MiB"));
}

TEST(AgentConfigProcessTest, MissingAllowedFolderFailsCheckConfigAndIsAWarningWhenServing) {
  TempDir dir("cfg");
  const std::string gone = dir.path() + "/unplugged-show-drive";
  const std::string config = dir.path() + "/agent.json";
  ASSERT_TRUE(WriteFile(config, absl::StrCat(R"({"allowed_target_dirs": [")", dir.path(), R"(", ")",
                                             gone, R"("]})"))
                  .ok());
  int rc = -1;
  std::string out = Agent("--config " + config + " --check-config", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("allowed_target_dirs: not an existing folder: \"" + gone +
                             "\": No such file or directory"));
  EXPECT_THAT(out, Not(HasSubstr("\"" + dir.path() + "\":")));

  TempDir state("cfg-state");
  AgentProcess agent(state.path(), state.path() + "/token");
  agent.Start({"--config", config});
  EXPECT_THAT(agent.Log(), HasSubstr("allowed_target_dirs: \"" + gone +
                                     "\": No such file or directory (kept: runs there are "
                                     "refused until it exists)"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

TEST(AgentConfigProcessTest, ConfigWithoutAValueOrWithAFolderSaysSo) {
  TempDir dir("cfg");
  int rc = -1;
  std::string out = Agent("--check-config --config", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("--config: needs a FILE"));
  EXPECT_THAT(out, Not(HasSubstr("unknown argument")));
  out = Agent("--config " + dir.path() + " --check-config", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("--config: \"" + dir.path() + "\" is a folder; give the config file"));
  out = Agent("--config= --check-config", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("--config: empty path"));
}

}  // namespace
}  // namespace qdt::testing
