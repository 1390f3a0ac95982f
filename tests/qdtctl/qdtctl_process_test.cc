// The built qdtctl binary: help on stdout with exit 0, usage errors on stderr
// with exit 2, and an offline command that needs no agent.
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/subprocess.h"
#include "console/qdtctl/command_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::qdtctl {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Result RunQdtctl(const std::vector<std::string>& args) {
  SubprocessOptions options;
  options.argv = {QDTCTL_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  auto run = RunAndCapture(options, absl::Seconds(30));
  Result result;
  if (!run.ok()) {
    ADD_FAILURE() << run.status();
    return result;
  }
  result.exit_code = run->exit.exit_code;
  result.out = run->out;
  result.err = run->exit.stderr_text;
  return result;
}

const CommandSpec& Start() {
  for (const CommandSpec& c : QdtctlTable().commands) {
    if (c.name == "start") return c;
  }
  return QdtctlTable().commands.front();
}

TEST(QdtctlProcessTest, HelpInEveryFormPrintsTheFullHelpAndExitsZero) {
  const std::string full = FullUsage(QdtctlTable());
  for (const char* form : {"--help", "-h", "help"}) {
    Result r = RunQdtctl({form});
    EXPECT_EQ(r.exit_code, 0) << form << "\n" << r.err;
    EXPECT_EQ(r.out, full) << form;
    EXPECT_THAT(r.err, IsEmpty()) << form;
  }
  // Without a command: the same help, but it is a usage error.
  Result r = RunQdtctl({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, full);
}

TEST(QdtctlProcessTest, HelpForOneCommandPrintsItsUsage) {
  const std::string usage = CommandUsage(QdtctlTable(), Start());
  ASSERT_THAT(usage, HasSubstr("--target DIR"));
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"help", "start"}, {"start", "--help"}}) {
    Result r = RunQdtctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\n" << r.err;
    EXPECT_EQ(r.out, usage) << args[0];
  }
}

TEST(QdtctlProcessTest, UnknownOptionIsAUsageErrorNamingIt) {
  Result r = RunQdtctl({"--token", "x", "start", "--colour", "red", "--target", "/tmp"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err,
            "qdtctl: start: unknown option \"--colour\" (qdtctl help start shows its options)\n");

  r = RunQdtctl({"--token", "x", "start", "--target", "/tmp", "--wait=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("\"--wait\" is a switch"));

  r = RunQdtctl({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command \"frobnicate\""));
}

TEST(QdtctlProcessTest, ProfilesNeedsNoAgent) {
  // An address nothing listens on: profiles must not try it.
  Result r = RunQdtctl({"--agent", "127.0.0.1:1", "profiles"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("setup-check"));
  EXPECT_THAT(r.out, HasSubstr("show-pattern"));
  EXPECT_THAT(r.err, IsEmpty());
}

}  // namespace
}  // namespace qdt::qdtctl
