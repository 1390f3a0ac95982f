// qdtctl on a terminal (issue 14, item 16), against a real agent process and
// real fio on loopback: under a pseudo-terminal (util-linux `script`) the
// samples rewrite one status line in place, fitted to the terminal's width;
// through a pipe, and with --lines on a terminal, a line per sample.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `command` run by bash on a pseudo-terminal of `columns` columns; the
// terminal's "\r\n" for each newline (onlcr) is turned back into "\n".
std::string OnTerminal(const std::string& command, int columns, int* rc) {
  const std::string inner = absl::StrCat("stty cols ", columns, " rows 24; ", command);
  std::string out = RunCommand(absl::StrCat("script -qec '", inner, "' /dev/null"), rc);
  return absl::StrReplaceAll(out, {{"\r\n", "\n"}});
}

// The status lines drawn: the text between each "\r" and the "\033[K" after it.
std::vector<std::string> StatusLines(const std::string& out) {
  std::vector<std::string> lines;
  for (size_t at = out.find('\r'); at != std::string::npos; at = out.find('\r', at + 1)) {
    const size_t end = out.find("\033[K", at);
    if (end == std::string::npos) break;
    if (end > at + 1) lines.push_back(out.substr(at + 1, end - at - 1));
  }
  return lines;
}

// Newlines before the verdict (the verdict's table is the same either way).
long LinesBeforeVerdict(const std::string& out) {
  const size_t verdict = out.find("Verdict\n");
  return std::count(out.begin(), verdict == std::string::npos ? out.end() : out.begin() + verdict,
                    '\n');
}

long SampleLines(const std::string& out) {
  long n = 0;
  for (size_t at = out.find(" s  read "); at != std::string::npos;
       at = out.find(" s  read ", at + 1)) {
    ++n;
  }
  return n;
}

TEST(QdtctlTerminalTest, OneLiveStatusLineOnATerminalALinePerSampleElsewhere) {
  int rc = -1;
  RunCommand("command -v script && command -v stty", &rc);
  if (rc != 0) GTEST_SKIP() << "util-linux script / stty not installed";
  TempDir state("state");
  TempDir target("target");
  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  const std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);

  // A run followed on a 40-column terminal.
  const std::string run = OnTerminal(absl::StrCat(ctl, " start --target ", target.path(),
                                                  " --time-scale 0.5 --file-size 16M --wait"),
                                     40, &rc);
  ASSERT_TRUE(rc == 0 || rc == 1) << "exit " << rc << "\n" << run;
  EXPECT_THAT(run, HasSubstr("== phase 1: normal"));
  EXPECT_THAT(run, HasSubstr("rating: "));
  // The run's samples, from its record.
  const std::string json = RunCommand(ctl + " runs", &rc);
  const size_t line2 = json.find('\n') + 1;
  const std::string run_id = json.substr(line2, json.find(' ', line2) - line2);
  ASSERT_EQ(run_id.size(), 22u) << json;
  const std::string record = RunCommand(ctl + " get " + run_id + " --json", &rc);
  ASSERT_EQ(rc, 0);
  long samples = 0;
  for (size_t at = record.find("\"sample\": {"); at != std::string::npos;
       at = record.find("\"sample\": {", at + 1)) {
    ++samples;
  }
  ASSERT_GE(samples, 10) << "too short a run to tell lines from a status line";

  const std::vector<std::string> status = StatusLines(run);
  EXPECT_GE(static_cast<long>(status.size()), samples) << run;  // one draw per sample at least
  for (const std::string& line : status) {
    EXPECT_LE(qdt::client::TextColumns(line), 39) << "wider than the 40-column terminal: " << line;
  }
  EXPECT_EQ(SampleLines(run), 0) << run;

  // The same run through a pipe: a line per sample, no status line.
  const std::string piped = RunCommand(ctl + " watch " + run_id, &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << piped;
  EXPECT_EQ(SampleLines(piped), samples) << piped;
  EXPECT_THAT(piped, Not(HasSubstr("\033[K")));
  // Every sample's newline is gone on the terminal, and only those: the
  // same events less the samples, plus start's "run ... started" line.
  EXPECT_EQ(LinesBeforeVerdict(run), LinesBeforeVerdict(piped) - samples + 1) << run << piped;
  EXPECT_LT(LinesBeforeVerdict(run), samples);
  EXPECT_THAT(piped, HasSubstr("rating: "));

  // --lines on a terminal: lines again.
  const std::string lines = OnTerminal(ctl + " watch " + run_id + " --lines", 40, &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << lines;
  EXPECT_EQ(SampleLines(lines), samples) << lines;
  EXPECT_THAT(lines, Not(HasSubstr("\033[K")));

  // A wide terminal gets every field: phase n/3, the drive's counter, the
  // temperature (or n/a), % done and the time left from the run's plan.
  const std::string wide = OnTerminal(ctl + " watch " + run_id, 200, &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << wide;
  const std::vector<std::string> wide_status = StatusLines(wide);
  ASSERT_FALSE(wide_status.empty()) << wide;
  const std::string& last = wide_status.back();
  EXPECT_THAT(last, HasSubstr("max-read 3/3 [read "));
  EXPECT_THAT(last, HasSubstr("][drive "));
  EXPECT_THAT(last, ::testing::ContainsRegex("\\]\\[([0-9]+ °C|n/a °C)\\]"));
  EXPECT_THAT(last,
              ::testing::ContainsRegex("\\]\\[(9[0-9]|100)\\.[0-9]% done\\]\\[eta 00:0[0-9]\\]"))
      << last;
  EXPECT_THAT(wide, HasSubstr("rating: "));

  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

}  // namespace
}  // namespace qdt::testing
