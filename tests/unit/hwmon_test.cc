// Linux hwmon (agent/probes/hwmon.h) on a fake sysfs tree built from real
// captures (tests/fixtures/hwmon; provenance in SOURCES.md).
#include "agent/probes/hwmon.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::BuildSysfs;

TEST(HwmonTest, FindsTheNvmeByNameNotByIndex) {
  testing::TempDir root("sysfs");
  BuildSysfs(root.path());
  auto temps = ReadDriveHwmon(root.path());
  ASSERT_EQ(temps.size(), 1u);
  EXPECT_EQ(temps[0].hwmon, "hwmon3");
  EXPECT_EQ(temps[0].label, "Composite");
  EXPECT_DOUBLE_EQ(temps[0].celsius, 29.85);  // 29850 m°C
  testing::TempDir empty("sysfs-empty");
  EXPECT_TRUE(ReadDriveHwmon(empty.path()).empty());
}

}  // namespace
}  // namespace qdt::agent
