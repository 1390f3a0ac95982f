// powermetrics thermal pressure (agent/probes/powermetrics.h) on real
// captured output (tests/fixtures/powermetrics; provenance in SOURCES.md).
#include "agent/probes/powermetrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;

TEST(PowermetricsTest, ThermalPressureLevel) {
  EXPECT_EQ(
      ParsePowermetricsThermal(Fixture(
          "powermetrics/m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_with_thermal.txt")),
      qdt::v1::THERMAL_PRESSURE_NOMINAL);
  // The cpu_power sampler has no thermal block: unknown, not nominal.
  EXPECT_EQ(ParsePowermetricsThermal(
                Fixture("powermetrics/m1max_macbookpro18-2_cpu_power_n1_full_load.txt")),
            qdt::v1::THERMAL_PRESSURE_UNKNOWN);
  EXPECT_EQ(ParsePowermetricsThermal(""), qdt::v1::THERMAL_PRESSURE_UNKNOWN);
  // Several samples: the last one counts.
  EXPECT_EQ(
      ParsePowermetricsThermal("Current pressure level: Nominal\nCurrent pressure level: Heavy\n"),
      qdt::v1::THERMAL_PRESSURE_HEAVY);
  EXPECT_EQ(ParsePowermetricsThermal("Current pressure level: Trapping"),
            qdt::v1::THERMAL_PRESSURE_TRAPPING);
}

}  // namespace
}  // namespace qdt::agent
