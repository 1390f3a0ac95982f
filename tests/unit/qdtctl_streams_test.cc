// `qdtctl streams`: the stream table as qdtctl prints it (console/qdtctl/
// offline_commands.cc), one block per format, every rate with its source.
#include <sstream>
#include <string>
#include <vector>

#include "common/cue_stack.h"
#include "console/qdtctl/commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::qdtctl {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string RunStreamsOutput() {
  ::testing::internal::CaptureStdout();
  std::cout.flush();
  int rc = RunStreams(CommandArgs{}, RunContext{});
  std::cout.flush();
  std::fflush(stdout);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0);
  return out;
}

TEST(QdtctlStreamsTest, PrintsEveryStreamOfTheTableWithItsSource) {
  const std::string out = RunStreamsOutput();
  std::vector<std::string> lines = Lines(out);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], StartsWith("stream"));
  EXPECT_THAT(lines[0], HasSubstr("source"));
  // Every entry on a line of its own, starting with its name, in table order.
  size_t at = 1;
  for (const StreamKind& k : StreamTable()) {
    while (at < lines.size() && lines[at].rfind(k.name + " ", 0) != 0) ++at;
    ASSERT_LT(at, lines.size()) << k.name << " is missing or out of order in:\n" << out;
    EXPECT_THAT(lines[at], HasSubstr(k.source)) << k.name;
  }
  // The new rates, with Apple's figure: ProRes 422 HQ UHD 50 = 1475 Mb/s = 184.4 MB/s.
  EXPECT_THAT(out, HasSubstr("ProRes 422 HQ UHD 50"));
  for (const std::string& line : lines) {
    if (line.rfind("ProRes 422 HQ UHD 50 ", 0) == 0) {
      EXPECT_THAT(line, HasSubstr(" 184.4 "));
      EXPECT_THAT(line, HasSubstr("Apple ProRes White Paper: 1475 Mb/s"));
    }
    if (line.rfind("HAP 1080p23.98 ", 0) == 0) {
      // 0.5 x 1920 x 1080 x 23.976 = 24.86 MB/s.
      EXPECT_THAT(line, HasSubstr(" 24.9 "));
      EXPECT_THAT(line, HasSubstr(" 23.98 "));
    }
    if (line.rfind("request 4K ", 0) == 0) {
      EXPECT_THAT(line, HasSubstr(" 440.0 "));
      EXPECT_THAT(line, HasSubstr("no codec"));
    }
  }
  // A blank line between formats: 12 ProRes + HAP formats + the request's = 13 blocks.
  int blank = 0;
  for (const std::string& line : lines) blank += line.empty();
  EXPECT_EQ(blank, 13) << out;
  EXPECT_THAT(out, HasSubstr("2 x N x MB/s x 1.6 safety"));
}

}  // namespace
}  // namespace qdt::qdtctl
