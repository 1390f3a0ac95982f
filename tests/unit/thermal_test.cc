// Thermal parsers on real captured output (tests/fixtures, SOURCES.md) and the
// ThermalMonitor through a fake CommandRunner and a fake sysfs tree.
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "agent/probes/thermal_monitor.h"
#include "agent/probes/thermal_parsers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(QDT_FIXTURE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

// Builds <root>/class/hwmon/... from the captured "grep . path:value" lines.
void BuildSysfs(const std::string& root) {
  std::map<std::string, std::string> files;
  std::stringstream names(Fixture("hwmon/grep_sys_class_hwmon_names_laptop_one_nvme.txt"));
  std::string line;
  while (std::getline(names, line)) {
    size_t colon = line.rfind(':');
    files[line.substr(0, colon)] = line.substr(colon + 1);
  }
  std::stringstream nvme(Fixture("hwmon/grep_nvme0_device_hwmon_name_temp_single_composite.txt"));
  while (std::getline(nvme, line)) {
    size_t colon = line.rfind(':');
    std::string file = line.substr(line.rfind('/') + 1, colon - line.rfind('/') - 1);
    files["/sys/class/hwmon/hwmon3/" + file] = line.substr(colon + 1);
  }
  for (const auto& [path, value] : files) {
    std::string full = root + path.substr(4);  // strip "/sys"
    for (size_t p = root.size() + 1; (p = full.find('/', p)) != std::string::npos; ++p) {
      ::mkdir(full.substr(0, p).c_str(), 0755);
    }
    std::ofstream(full) << value << "\n";
  }
}

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

class FakeRunner : public CommandRunner {
 public:
  std::map<std::string, CommandResult> replies;  // by the whole argv joined by ' ', else argv[0]
  std::vector<std::vector<std::string>> calls;
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv, absl::Duration) override {
    calls.push_back(argv);
    std::string joined;
    for (const auto& a : argv) joined += (joined.empty() ? "" : " ") + a;
    auto it = replies.find(joined);
    if (it == replies.end()) it = replies.find(argv[0]);
    if (it == replies.end()) return absl::NotFoundError(argv[0]);
    return it->second;
  }
};

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

TEST(ReadSmartctlTest, JsonWithExitBitsIsAnAnswer) {
  FakeRunner runner;
  CommandResult json;
  json.exit_code = 4;
  json.out = Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json");
  runner.replies["smartctl"] = json;
  SmartctlReading r = ReadSmartctl(&runner, "/dev/nvme0");
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.temperature_c.has_value());
  EXPECT_EQ(r.model, "Samsung SSD 970 EVO 500GB");
  EXPECT_EQ(runner.calls.size(), 1u) << "no text fallback when the JSON parsed";
  CommandResult junk;
  junk.exit_code = 2;
  junk.out = "Smartctl open device: /dev/nvme9 failed: No such device\n";
  runner.replies["smartctl"] = junk;
  r = ReadSmartctl(&runner, "/dev/nvme9");
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_THAT(r.error, ::testing::HasSubstr("smartctl /dev/nvme9 exited with 2: smartctl: no"));
}

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
