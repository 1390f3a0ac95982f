// qdtctl's live status line (issue 14, item 16): what it says, "n/a" for
// what is not known, and that it fits the terminal at every width.
#include <string>

#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StatusFields Crossfade() {
  StatusFields f;
  f.phase_name = "crossfade";
  f.phase_number = 2;
  f.phase_count = 3;
  f.read_bytes_per_s = 2101.3e6;
  f.target_bytes_per_s = 2099.2e6;
  f.device_read_bytes_per_s = 2098.7e6;
  f.temperature_c = 41.2;
  f.done_fraction = 0.45;
  f.seconds_left = 3600 + 23 * 60 + 5;
  return f;
}

TEST(StatusLineTest, AWideTerminalGetsEveryField) {
  EXPECT_EQ(FormatStatusLine(Crossfade(), 200),
            "crossfade 2/3 [read 2101.3 of 2099.2 MB/s ok][drive 2098.7 MB/s][41 °C][45.0% "
            "done][eta 1:23:05]");
}

TEST(StatusLineTest, ShorterTerminalsGetShorterFormsThatKeepTheRateAndTimeLeft) {
  const std::string at80 = FormatStatusLine(Crossfade(), 79);
  EXPECT_LE(TextColumns(at80), 79);
  EXPECT_THAT(at80, HasSubstr("crossfade 2/3 [2101.3/2099.2 MB/s ok]"));
  EXPECT_THAT(at80, HasSubstr("[drive 2098.7]"));
  EXPECT_THAT(at80, HasSubstr("[41 °C]"));
  EXPECT_THAT(at80, HasSubstr("[eta 1:23:05]"));
  const std::string at40 = FormatStatusLine(Crossfade(), 39);
  EXPECT_LE(TextColumns(at40), 39);
  EXPECT_THAT(at40, HasSubstr("2101/2099 ok"));
  EXPECT_THAT(at40, HasSubstr("45%"));
  EXPECT_THAT(at40, HasSubstr("1:23:05"));
}

TEST(StatusLineTest, NeverLongerThanTheColumnsGiven) {
  StatusFields f = Crossfade();
  f.phase_name = "a-very-long-phase-name-from-a-derived-profile-Bühne";
  for (int columns = 0; columns <= 160; ++columns) {
    const std::string line = FormatStatusLine(f, columns);
    EXPECT_LE(TextColumns(line), columns) << line;
    EXPECT_EQ(line.empty(), columns == 0) << columns;
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(StatusLineTest, MissingCounterTemperatureAndProgressAreNotApplicable) {
  StatusFields f = Crossfade();
  f.device_read_bytes_per_s.reset();
  f.temperature_c.reset();
  f.done_fraction.reset();
  f.seconds_left.reset();
  f.phase_count = 0;
  EXPECT_EQ(FormatStatusLine(f, 200),
            "crossfade [read 2101.3 of 2099.2 MB/s ok][drive n/a][n/a °C][n/a done][eta n/a]");
  EXPECT_EQ(FormatStatusLine(f, 60), "crossfade [2101/2099 ok][drv n/a][n/a °C][n/a][eta n/a]");
}

TEST(StatusLineTest, BelowTheTargetIsLowAndUnpacedHasNoMark) {
  StatusFields f = Crossfade();
  f.read_bytes_per_s = 0.94 * f.target_bytes_per_s;
  EXPECT_THAT(FormatStatusLine(f, 200), HasSubstr("of 2099.2 MB/s LOW]"));
  f.read_bytes_per_s = 0.96 * f.target_bytes_per_s;
  EXPECT_THAT(FormatStatusLine(f, 200), HasSubstr("of 2099.2 MB/s ok]"));
  f.target_bytes_per_s = 0;
  const std::string unpaced = FormatStatusLine(f, 200);
  EXPECT_THAT(unpaced, HasSubstr("[read 2015.2 MB/s unpaced]"));
  EXPECT_THAT(unpaced, Not(HasSubstr(" ok")));
  EXPECT_THAT(unpaced, Not(HasSubstr("LOW")));
}

TEST(StatusLineTest, TimeLeftReadsLikeFiosEta) {
  StatusFields f = Crossfade();
  f.seconds_left = 299.6;
  EXPECT_THAT(FormatStatusLine(f, 200), HasSubstr("[eta 05:00]"));
  f.seconds_left = 9000;  // a 2.5 h show pattern at its start
  EXPECT_THAT(FormatStatusLine(f, 200), HasSubstr("[eta 2:30:00]"));
  f.seconds_left = -3;
  EXPECT_THAT(FormatStatusLine(f, 200), HasSubstr("[eta 00:00]"));
}

TEST(StatusLineTest, APhaseNameCannotDriveTheTerminal) {
  StatusFields f = Crossfade();
  f.phase_name = "x\033[2J\r\nboom";
  const std::string line = FormatStatusLine(f, 200);
  EXPECT_THAT(line, HasSubstr("x?[2J??boom 2/3"));
  for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
}

}  // namespace
}  // namespace qdt::client
