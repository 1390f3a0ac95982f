// SystemCommandRunner (agent/probes/command_runner.h) running real processes.
#include "agent/probes/command_runner.h"

#include <csignal>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

TEST(SystemCommandRunnerTest, RunsKeepsStreamsApartAndTimesOut) {
  SystemCommandRunner runner;
  auto r = runner.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, absl::Seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  auto slow = runner.Run({"sleep", "30"}, absl::Milliseconds(200));
  ASSERT_TRUE(slow.ok());
  EXPECT_TRUE(slow->timed_out);
  EXPECT_EQ(slow->term_signal, SIGKILL);
  auto missing = runner.Run({"qdt-no-such-tool"}, absl::Seconds(5));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 127);
}

}  // namespace
}  // namespace qdt::agent
