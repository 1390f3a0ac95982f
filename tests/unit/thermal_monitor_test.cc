// ThermalMonitor (agent/probes/thermal_monitor.h) through a fake
// CommandRunner that replays captured tool output and a fake sysfs tree.
#include "agent/probes/thermal_monitor.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/testing/fixtures.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::BuildSysfs;
using ::qdt::testing::FakeRunner;
using ::qdt::testing::Fixture;

TEST(ThermalMonitorTest, LinuxReadsHwmonAndUnknownStaysUnset) {
  testing::TempDir root("sysfs");
  BuildSysfs(root.path());
  FakeRunner runner;
  ThermalMonitor monitor(&runner, Platform::kLinux, root.path());
  ThermalReading r = monitor.SampleOnce();
  ASSERT_TRUE(r.temperature_c.has_value());
  EXPECT_DOUBLE_EQ(*r.temperature_c, 29.85);
  EXPECT_EQ(r.temperature_source, "hwmon3 nvme Composite");
  EXPECT_EQ(monitor.Latest().temperature_c, r.temperature_c);
  testing::TempDir empty("sysfs-empty");
  ThermalMonitor none(&runner, Platform::kLinux, empty.path());
  EXPECT_FALSE(none.SampleOnce().temperature_c.has_value());
  EXPECT_TRUE(runner.calls.empty()) << "Linux needs no tool for hwmon";
}

TEST(ThermalMonitorTest, MacOSReadsPowermetricsThroughTheRunner) {
  FakeRunner runner;
  CommandResult ok;
  ok.exit_code = 0;
  ok.out = Fixture(
      "powermetrics/m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_with_thermal.txt");
  runner.replies["powermetrics"] = ok;
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  ThermalReading r = monitor.SampleOnce();
  EXPECT_EQ(r.pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL);
  EXPECT_FALSE(r.temperature_c.has_value());
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_THAT(runner.calls[0], ::testing::ElementsAre("powermetrics", "--samplers", "thermal", "-i",
                                                      "1000", "-n", "1"));
  // Without root powermetrics fails: the pressure is unknown, not nominal.
  CommandResult denied;
  denied.exit_code = 1;
  denied.err = "powermetrics must be invoked as the superuser";
  runner.replies["powermetrics"] = denied;
  EXPECT_EQ(monitor.SampleOnce().pressure, qdt::v1::THERMAL_PRESSURE_UNKNOWN);
}

TEST(ThermalMonitorTest, MacOSDriveTemperatureFromSmartctlEveryTenthSample) {
  FakeRunner runner;
  CommandResult pm;
  pm.exit_code = 0;
  pm.out = Fixture(
      "powermetrics/m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_with_thermal.txt");
  runner.replies["powermetrics"] = pm;
  // smartctl 6 refuses -j; its text report (exit bit 2: a log it could not read) has 32 °C.
  CommandResult no_json;
  no_json.exit_code = 1;
  no_json.out = "=======> UNRECOGNIZED OPTION: j\n";
  runner.replies["smartctl -j -a /dev/disk0"] = no_json;
  CommandResult text;
  text.exit_code = 4;
  text.out = Fixture("smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt");
  runner.replies["smartctl -a /dev/disk0"] = text;
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartDevice("/dev/disk0");
  ThermalReading r = monitor.SampleOnce();
  EXPECT_EQ(r.temperature_c, 32);
  EXPECT_EQ(r.temperature_source, "smartctl /dev/disk0");
  EXPECT_EQ(r.pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL);
  auto smartctl_calls = [&] {
    int n = 0;
    for (const auto& c : runner.calls) n += c[0] == "smartctl";
    return n;
  };
  EXPECT_EQ(smartctl_calls(), 2);  // -j, then the text form
  for (int i = 0; i < 9; ++i) EXPECT_EQ(monitor.SampleOnce().temperature_c, 32);
  EXPECT_EQ(smartctl_calls(), 2) << "smartctl runs on every 10th sample only";
  // smartctl gone: at the next refresh the temperature is unknown, not the old value.
  runner.replies.erase("smartctl -j -a /dev/disk0");
  runner.replies.erase("smartctl -a /dev/disk0");
  CommandResult missing;
  missing.exit_code = 127;
  runner.replies["smartctl"] = missing;
  EXPECT_FALSE(monitor.SampleOnce().temperature_c.has_value());
  EXPECT_EQ(monitor.Latest().temperature_source, "");
}

}  // namespace
}  // namespace qdt::agent
