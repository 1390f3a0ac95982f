// pmset -g therm / thermlog / batt (agent/probes/pmset.h) on real captured
// output (tests/fixtures/pmset; provenance in SOURCES.md).
#include "agent/probes/pmset.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::HasSubstr;

TEST(PmsetTest, AppleSiliconHasNoDataAndIntelHasLimits) {
  PmsetTherm m1 = ParsePmsetTherm(Fixture("pmset/pmset_g_therm_m1pro_macos12.1_no_data.txt"));
  EXPECT_TRUE(m1.no_thermal_warning_recorded);
  EXPECT_FALSE(m1.cpu_speed_limit.has_value());
  PmsetTherm intel =
      ParsePmsetTherm(Fixture("pmset/pmset_g_thermlog_intel_8cpu_cpu_power_notify.txt"));
  EXPECT_EQ(intel.cpu_speed_limit, 100);
  EXPECT_EQ(intel.cpu_scheduler_limit, 100);
  EXPECT_EQ(intel.cpu_available_cpus, 8);
  EXPECT_FALSE(intel.no_thermal_warning_recorded);
}

TEST(PmsetTest, PowerSourceFromTheFirstLineOfPmsetBatt) {
  // A MacBook on battery (with the battery's line), one on its charger, and a
  // desktop Mac that has no battery and prints the first line alone.
  auto battery =
      ParsePmsetPowerSource(Fixture("pmset/pmset_g_batt_battery_power_discharging_macos.txt"));
  ASSERT_TRUE(battery.ok()) << battery.status();
  EXPECT_EQ(*battery, "Battery Power");
  auto ac = ParsePmsetPowerSource(Fixture("pmset/pmset_g_batt_ac_power_charging_osx.txt"));
  ASSERT_TRUE(ac.ok()) << ac.status();
  EXPECT_EQ(*ac, "AC Power");
  auto desktop =
      ParsePmsetPowerSource(Fixture("pmset/pmset_g_batt_ac_power_desktop_no_battery_catalina.txt"));
  ASSERT_TRUE(desktop.ok()) << desktop.status();
  EXPECT_EQ(*desktop, "AC Power");
  // IOPSKeys.h's third source; leading blank lines are skipped.
  auto ups = ParsePmsetPowerSource("\nNow drawing from 'UPS Power'\n");
  ASSERT_TRUE(ups.ok()) << ups.status();
  EXPECT_EQ(*ups, "UPS Power");
}

TEST(PmsetTest, PowerSourceRefusesAnythingElseNamingTheField) {
  auto st = ParsePmsetPowerSource("");
  EXPECT_TRUE(absl::IsInvalidArgument(st.status()));
  EXPECT_EQ(st.status().message(), "pmset -g batt: power source: no output");
  // The therm capture is pmset, but not -g batt.
  st = ParsePmsetPowerSource(Fixture("pmset/pmset_g_therm_m1pro_macos12.1_no_data.txt"));
  EXPECT_TRUE(absl::IsInvalidArgument(st.status()));
  EXPECT_THAT(st.status().message(),
              HasSubstr("pmset -g batt: power source: first line \"Note: No thermal warning"));
  EXPECT_THAT(st.status().message(), HasSubstr("is not \"Now drawing from '<source>'\""));
  st = ParsePmsetPowerSource("Now drawing from 'AC Power\n");  // no closing quote
  EXPECT_THAT(st.status().message(), HasSubstr("first line \"Now drawing from 'AC Power\""));
  st = ParsePmsetPowerSource("Now drawing from 'Solar Power'\n");
  EXPECT_EQ(st.status().message(),
            "pmset -g batt: power source: \"Solar Power\" is not AC Power, Battery Power or UPS "
            "Power");
  // Control bytes are escaped and a long line cut, so the message stays one short line.
  st = ParsePmsetPowerSource(std::string("Now drawing from '\x1b[2J") + std::string(500, 'x'));
  EXPECT_THAT(st.status().message(), HasSubstr("\\x1b[2J"));
  EXPECT_LT(st.status().message().size(), 200u);
  // Megabytes of something are not pmset's few lines.
  st =
      ParsePmsetPowerSource("Now drawing from 'AC Power'\n" + std::string(kMaxPmsetBattBytes, ' '));
  EXPECT_THAT(st.status().message(), HasSubstr("bytes is more than 65536"));
}

}  // namespace
}  // namespace qdt::agent
