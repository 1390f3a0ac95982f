// smartctl (agent/probes/smartctl.h): the JSON and text parsers on real
// captured output (tests/fixtures/smartctl; provenance in SOURCES.md), and
// ReadSmartctl through a fake CommandRunner.
#include "agent/probes/smartctl.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/testing/fixtures.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::FakeRunner;
using ::qdt::testing::Fixture;
using ::qdt::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SmartctlTest, NvmeTemperaturesAndTimes) {
  auto a = ParseSmartctlJson(Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->model, "Samsung SSD 970 EVO 500GB");
  EXPECT_EQ(a->temperature_c, 35);
  EXPECT_THAT(a->sensor_temperatures_c, ::testing::ElementsAre(35, 39));
  EXPECT_EQ(a->warning_temp_time_min, 0);
  auto b = ParseSmartctlJson(
      Fixture("smartctl/smartctl-7.3_linux_nvme_samsung970evoplus_json_redacted_resorted.json"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->serial, "REDACTED");
  EXPECT_EQ(b->temperature_c, 35);
  auto text = ParseSmartctlJson(
      Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json").substr(0, 40));
  EXPECT_FALSE(text.ok());
  auto no_temp = ParseSmartctlJson(R"({"smartctl": {"exit_status": 4}})");
  ASSERT_TRUE(no_temp.ok());
  EXPECT_FALSE(no_temp->temperature_c.has_value()) << "missing must stay unknown, not 0";
  EXPECT_EQ(no_temp->exit_status, 4);
}

TEST(ReadSmartctlTest, JsonWithExitBitsIsAnAnswer) {
  FakeRunner runner;
  CommandResult json;
  json.exit_code = 4;
  json.out = Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json");
  runner.replies["/usr/sbin/smartctl"] = json;
  SmartctlReading r = ReadSmartctl(&runner, "/usr/sbin/smartctl", "/dev/nvme0");
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.temperature_c.has_value());
  EXPECT_EQ(r.model, "Samsung SSD 970 EVO 500GB");
  EXPECT_EQ(runner.calls.size(), 1u) << "no text fallback when the JSON parsed";
  CommandResult junk;
  junk.exit_code = 2;
  junk.out = "Smartctl open device: /dev/nvme9 failed: No such device\n";
  runner.replies["/usr/sbin/smartctl"] = junk;
  r = ReadSmartctl(&runner, "/usr/sbin/smartctl", "/dev/nvme9");
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_THAT(r.error, ::testing::HasSubstr("smartctl /dev/nvme9 exited with 2: smartctl: no"));
}

TEST(SmartctlTextTest, AppleSsdOnMacos14AnswersOnlySomeLogs) {
  auto s = ParseSmartctlText(
      Fixture("smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "APPLE SSD AP0256Z");
  EXPECT_EQ(s->serial, "0ba01f1144582433");
  EXPECT_EQ(s->firmware, "355");
  EXPECT_EQ(s->health, "PASSED");
  EXPECT_EQ(s->temperature_c, 32);
  EXPECT_TRUE(s->sensor_temperatures_c.empty());
  EXPECT_FALSE(s->warning_temp_time_min.has_value());  // Apple SSDs do not print it
  EXPECT_FALSE(s->critical_temp_time_min.has_value());
  ASSERT_EQ(s->failed_logs.size(), 1u);
  EXPECT_THAT(s->failed_logs[0], HasSubstr("code=745"));
}

TEST(SmartctlTextTest, OlderSmartctlOnM1WithoutSerial) {
  auto s = ParseSmartctlText(
      Fixture("smartctl/smartctl-7.0_macos11_m1_macbookair_apple_ssd_ap0512q_a.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "APPLE SSD AP0512Q");
  EXPECT_EQ(s->serial, "");  // -q noserial
  EXPECT_EQ(s->temperature_c, 26);
  ASSERT_EQ(s->failed_logs.size(), 1u);
  EXPECT_THAT(s->failed_logs[0], HasSubstr("is not supported"));
}

TEST(SmartctlTextTest, SamsungWithSensorsTimesAndThresholds) {
  auto s =
      ParseSmartctlText(Fixture("smartctl/smartctl-7.4_linux_nvme_samsung980pro_temp_sensors.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "Samsung 980 PRO with Heatsink 2TB");
  EXPECT_EQ(s->serial, "");  // masked "--" in the public report
  EXPECT_EQ(s->temperature_c, 52);
  EXPECT_THAT(s->sensor_temperatures_c, ElementsAre(52, 56));
  EXPECT_EQ(s->warning_temp_time_min, 0);
  EXPECT_EQ(s->critical_temp_time_min, 0);
  EXPECT_EQ(s->warning_temp_threshold_c, 82);
  EXPECT_EQ(s->critical_temp_threshold_c, 85);
  auto asahi =
      ParseSmartctlText(Fixture("smartctl/smartctl-7.4_asahi-linux_apple-silicon_ap0512z.txt"));
  ASSERT_TRUE(asahi.ok());
  EXPECT_EQ(asahi->temperature_c, 33);
  EXPECT_EQ(asahi->model, "APPLE SSD AP0512Z");
}

TEST(SmartctlTextTest, NotAReportIsAnErrorAndAMissingTemperatureStaysUnset) {
  EXPECT_THAT(ParseSmartctlText("").status().message(), HasSubstr("no \"smartctl N.N\" banner"));
  EXPECT_FALSE(
      ParseSmartctlText(Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json"))
          .ok());
  auto s = ParseSmartctlText(
      "smartctl 7.4 2023-08-01 r5530 [Darwin 23.0.0 arm64] (local build)\n"
      "Smartctl open device: /dev/disk9 failed: No such device\n");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->temperature_c.has_value());
  EXPECT_EQ(s->model, "");
}

// Which smartctl a root agent runs (issue 13): an absolute path only, never
// one from PATH, and never a file others can replace.
TEST(ResolveSmartctlTest, OnlyAnAbsolutePathNobodyElseCanWrite) {
  TempDir dir("smartctl");
  const std::string tool = dir.path() + "/smartctl";
  std::ofstream(tool) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
  SmartctlChoice c = ResolveSmartctl(tool, /*macos=*/true, "/Library/QDT/bin/qdt-agent");
  EXPECT_EQ(c.path, tool);
  EXPECT_EQ(c.note, "");
  c = ResolveSmartctl("smartctl", true, "/Library/QDT/bin/qdt-agent");
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(c.note, "--smartctl: \"smartctl\" is not an absolute path");
  ASSERT_EQ(::chmod(tool.c_str(), 0775), 0);  // group-writable: anyone in it could swap it
  c = ResolveSmartctl(tool, true, "/Library/QDT/bin/qdt-agent");
  EXPECT_EQ(c.path, "");
  EXPECT_THAT(c.note, HasSubstr("writable by its group or by anyone (mode 0775)"));
  ASSERT_EQ(::chmod(tool.c_str(), 0644), 0);
  c = ResolveSmartctl(tool, true, "/Library/QDT/bin/qdt-agent");
  EXPECT_THAT(c.note, HasSubstr("not an executable file"));
  c = ResolveSmartctl(dir.path() + "/absent", true, "/Library/QDT/bin/qdt-agent");
  EXPECT_THAT(c.note, HasSubstr("absent: not found"));
}

// The default on macOS is the smartctl bundled next to the agent — not
// Homebrew's, not anything on PATH.
TEST(ResolveSmartctlTest, MacosDefaultIsTheOneNextToTheAgent) {
  TempDir dir("bin");
  SmartctlChoice c = ResolveSmartctl("", /*macos=*/true, dir.path() + "/qdt-agent");
  EXPECT_EQ(c.path, "") << "nothing bundled yet";
  EXPECT_THAT(c.note, HasSubstr(dir.path() + "/smartctl: not found"));
  EXPECT_THAT(c.note, HasSubstr("the pkg installs one next to qdt-agent"));
  const std::string tool = dir.path() + "/smartctl";
  std::ofstream(tool) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
  c = ResolveSmartctl("", true, dir.path() + "/qdt-agent");
  EXPECT_EQ(c.path, tool);
  // Linux looks only in the system's folders.
  c = ResolveSmartctl("", /*macos=*/false, dir.path() + "/qdt-agent");
  EXPECT_NE(c.path, tool);
  EXPECT_TRUE(c.path.empty() || c.path == "/usr/sbin/smartctl" || c.path == "/usr/bin/smartctl")
      << c.path;
}

// No smartctl chosen: ReadSmartctl starts nothing and says so.
TEST(ReadSmartctlTest, NoPathRunsNothing) {
  FakeRunner runner;
  SmartctlReading r = ReadSmartctl(&runner, "", "/dev/disk0");
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_THAT(r.error, HasSubstr("no smartctl"));
  EXPECT_TRUE(runner.calls.empty());
}

}  // namespace
}  // namespace qdt::agent
