// pmset -g therm / thermlog (agent/probes/pmset.h) on real captured output
// (tests/fixtures/pmset; provenance in SOURCES.md).
#include "agent/probes/pmset.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;

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

}  // namespace
}  // namespace qdt::agent
