// ThermalMonitor (agent/probes/thermal_monitor.h) through a fake
// CommandRunner that replays captured tool output and a fake sysfs tree. The
// "quiet when idle" tests drive the monitor tick by tick (Tick(), no thread)
// and count the tools it started: none while idle, every tick while a run
// holds it, none after the demand ends, none but the QLab check while QLab
// runs and only a telemetry watcher wants it.
#include "agent/probes/thermal_monitor.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
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

// Where the pkg installs smartctl (deploy/macos/build-pkg.sh); the agent
// runs it by this absolute path, never from PATH.
constexpr char kSmartctl[] = "/Library/QDT/bin/smartctl";

// A macOS runner: powermetrics (real capture, nominal), smartctl 6 (refuses
// -j, text report at 32 °C), pgrep saying whether QLab runs.
FakeRunner MacRunner(bool qlab_running) {
  FakeRunner runner;
  CommandResult pm;
  pm.exit_code = 0;
  pm.out = Fixture(
      "powermetrics/m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_with_thermal.txt");
  runner.replies["powermetrics"] = pm;
  CommandResult no_json;
  no_json.exit_code = 1;
  no_json.out = "=======> UNRECOGNIZED OPTION: j\n";
  runner.replies[std::string(kSmartctl) + " -j -a /dev/disk0"] = no_json;
  CommandResult text;
  text.exit_code = 4;
  text.out = Fixture("smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt");
  runner.replies[std::string(kSmartctl) + " -a /dev/disk0"] = text;
  CommandResult pgrep;
  pgrep.exit_code = qlab_running ? 0 : 1;  // pgrep(1): 1 = no process matched
  runner.replies["pgrep"] = pgrep;
  return runner;
}

int Calls(const FakeRunner& runner, const std::string& tool) {
  int n = 0;
  for (const auto& c : runner.calls) n += c[0] == tool;
  return n;
}

TEST(ThermalMonitorTest, MacOSDriveTemperatureFromSmartctlEveryTenthSample) {
  // smartctl 6 refuses -j; its text report (exit bit 2: a log it could not read) has 32 °C.
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  ThermalReading r = monitor.SampleOnce();
  EXPECT_EQ(r.temperature_c, 32);
  EXPECT_EQ(r.temperature_source, "smartctl /dev/disk0 (APPLE SSD AP0256Z)");
  EXPECT_EQ(r.pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL);
  EXPECT_EQ(Calls(runner, kSmartctl), 2);  // -j, then the text form
  for (int i = 0; i < 9; ++i) EXPECT_EQ(monitor.SampleOnce().temperature_c, 32);
  EXPECT_EQ(Calls(runner, kSmartctl), 2) << "smartctl runs on every 10th sample only";
  // smartctl gone: at the next refresh the temperature is unknown, not the old value.
  runner.replies.erase(std::string(kSmartctl) + " -j -a /dev/disk0");
  runner.replies.erase(std::string(kSmartctl) + " -a /dev/disk0");
  CommandResult missing;
  missing.exit_code = 127;
  runner.replies[kSmartctl] = missing;
  EXPECT_FALSE(monitor.SampleOnce().temperature_c.has_value());
  EXPECT_EQ(monitor.Latest().temperature_source,
            "no temperature from smartctl /dev/disk0: smartctl is not installed");
}

// The drive under test (issue 13): a run on an external NVMe drive reads
// that drive's temperature and names it; when the run ends, the internal
// drive again — each at once, not at the next 10th sample.
TEST(ThermalMonitorTest, ARunReadsTheTemperatureOfTheDriveUnderTest) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  CommandResult external;
  external.exit_code = 4;  // smartctl 7: some logs unanswered, a report all the same
  external.out =
      Fixture("smartctl/smartctl-7.3_linux_nvme_samsung970evoplus_json_redacted_resorted.json");
  runner.replies[std::string(kSmartctl) + " -j -a /dev/disk11"] = external;
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  EXPECT_EQ(monitor.SampleOnce().temperature_c, 32);  // the internal Apple SSD
  monitor.SetRunDrive({"/dev/disk11", "PCI-Express"});
  ThermalReading r = monitor.SampleOnce();
  EXPECT_EQ(r.temperature_c, 35);  // temperature.current of the 970 EVO Plus capture
  EXPECT_EQ(r.temperature_source, "smartctl /dev/disk11 (Samsung SSD 970 EVO Plus 250GB)");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(monitor.SampleOnce().temperature_source,
              "smartctl /dev/disk11 (Samsung SSD 970 EVO Plus 250GB)");
  }
  monitor.ClearRunDrive();
  r = monitor.SampleOnce();
  EXPECT_EQ(r.temperature_c, 32);
  EXPECT_EQ(r.temperature_source, "smartctl /dev/disk0 (APPLE SSD AP0256Z)");
}

// A USB drive whose bridge passes no SMART command through: smartctl cannot
// tell its type (smartctl.cpp's message, as in public reports), and the
// reading says "no sensor over USB", not an unexplained blank.
TEST(ThermalMonitorTest, AUsbDriveWithoutSmartSaysNoSensorOverUsb) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  CommandResult refused;
  refused.exit_code = 1;
  refused.out =
      "/dev/disk11: Unable to detect device type\n"
      "Please specify device type with the -d option.\n";
  runner.replies[std::string(kSmartctl) + " -j -a /dev/disk11"] = refused;
  runner.replies[std::string(kSmartctl) + " -a /dev/disk11"] = refused;
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  monitor.SetRunDrive({"/dev/disk11", "USB"});
  ThermalReading r = monitor.SampleOnce();
  EXPECT_FALSE(r.temperature_c.has_value()) << "never the internal drive's temperature";
  EXPECT_EQ(r.temperature_source, "no sensor over USB: disk11");
  // The same drive on another bus is not "USB": the reason is smartctl's.
  monitor.SetRunDrive({"/dev/disk11", "SATA"});
  for (int i = 0; i < 10; ++i) r = monitor.SampleOnce();
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_THAT(r.temperature_source,
              ::testing::StartsWith("no temperature from smartctl /dev/disk11: "));
}

// No smartctl (none bundled, none given): nothing is spawned for it and the
// reading says why there is no temperature.
TEST(ThermalMonitorTest, WithoutSmartctlNothingRunsAndTheReasonIsGiven) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl("", "no usable smartctl (/usr/local/qdt/smartctl: not found)");
  monitor.SetSmartDevice("/dev/disk0");
  ThermalReading r;
  for (int i = 0; i < 12; ++i) r = monitor.SampleOnce();
  EXPECT_FALSE(r.temperature_c.has_value());
  EXPECT_EQ(r.temperature_source,
            "no temperature: no usable smartctl (/usr/local/qdt/smartctl: not found)");
  EXPECT_EQ(Calls(runner, kSmartctl), 0);
  EXPECT_EQ(r.pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL) << "the pressure still comes";
}

void SetQlab(FakeRunner* runner, bool running) {
  runner->replies["pgrep"].exit_code = running ? 0 : 1;
}

TEST(ThermalMonitorIdleTest, IdleMonitorStartsNoToolAndReportsNothing) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(monitor.Tick());
  EXPECT_TRUE(runner.calls.empty()) << runner.calls.size() << " tools started while idle";
  EXPECT_FALSE(monitor.HasReading());
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_UNKNOWN);
  EXPECT_FALSE(monitor.Latest().temperature_c.has_value());
}

TEST(ThermalMonitorIdleTest, ARunSamplesEveryTickAndAfterItNothingRuns) {
  // QLab "runs": a run was admitted (forced), so it samples all the same and
  // never asks pgrep.
  FakeRunner runner = MacRunner(/*qlab_running=*/true);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  monitor.Activate(ThermalMonitor::Demand::kRun);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), 10);
  EXPECT_EQ(Calls(runner, kSmartctl), 2);  // once in 10 ticks: -j refused, then the text form
  EXPECT_EQ(Calls(runner, "pgrep"), 0);
  EXPECT_TRUE(monitor.HasReading());
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL);
  EXPECT_EQ(monitor.Latest().temperature_c, 32);

  monitor.Deactivate(ThermalMonitor::Demand::kRun);
  EXPECT_FALSE(monitor.HasReading());
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_UNKNOWN) << "stale, not current";
  EXPECT_FALSE(monitor.Latest().temperature_c.has_value());
  const size_t before = runner.calls.size();
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(runner.calls.size(), before) << "tools started after the run ended";
}

TEST(ThermalMonitorIdleTest, DemandIsCountedAndEndsWithTheLastHolder) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  {
    ThermalMonitor::ScopedDemand run(&monitor, ThermalMonitor::Demand::kRun);
    ThermalMonitor::ScopedDemand watcher1(&monitor, ThermalMonitor::Demand::kWatcher);
    {
      ThermalMonitor::ScopedDemand watcher2(&monitor, ThermalMonitor::Demand::kWatcher);
      EXPECT_TRUE(monitor.Tick());
    }
    EXPECT_TRUE(monitor.Tick());
    monitor.Deactivate(ThermalMonitor::Demand::kRun);  // the run ends early
    EXPECT_TRUE(monitor.Tick()) << "one watcher is still there";
    monitor.Activate(ThermalMonitor::Demand::kRun);  // (for `run`'s destructor)
  }
  const size_t before = runner.calls.size();
  EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(runner.calls.size(), before);
  monitor.Deactivate(ThermalMonitor::Demand::kWatcher);  // an extra end does not go below 0
  monitor.Activate(ThermalMonitor::Demand::kWatcher);
  EXPECT_TRUE(monitor.Tick());
}

TEST(ThermalMonitorIdleTest, AWatcherSamplesUntilItLeaves) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  monitor.Activate(ThermalMonitor::Demand::kWatcher);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), 10);
  EXPECT_EQ(Calls(runner, "pgrep"), 1)
      << "QLab is asked on the first watcher tick, then every 10th";
  EXPECT_EQ(monitor.Latest().temperature_c, 32);
  monitor.Deactivate(ThermalMonitor::Demand::kWatcher);
  const size_t before = runner.calls.size();
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(runner.calls.size(), before) << "tools started after the watcher left";
}

TEST(ThermalMonitorIdleTest, QlabRunningAndOnlyAWatcherStartsNoTool) {
  FakeRunner runner = MacRunner(/*qlab_running=*/true);
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetSmartctl(kSmartctl, "");
  monitor.SetSmartDevice("/dev/disk0");
  monitor.Activate(ThermalMonitor::Demand::kWatcher);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), 0);
  EXPECT_EQ(Calls(runner, kSmartctl), 0);
  EXPECT_EQ(Calls(runner, "pgrep"), 2) << "the check itself: once per 10 ticks";
  EXPECT_FALSE(monitor.HasReading());
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_UNKNOWN);

  // QLab quits: sampling resumes at the next check (tick 21).
  SetQlab(&runner, false);
  EXPECT_TRUE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), 1);
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_NOMINAL);

  // QLab is back: from its next check on, nothing but pgrep, and the reading is gone.
  SetQlab(&runner, true);
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(monitor.Tick());
  EXPECT_FALSE(monitor.Tick());
  const int pm = Calls(runner, "powermetrics");
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), pm);
  EXPECT_FALSE(monitor.HasReading());

  // A forced run while QLab runs: the run samples.
  monitor.Activate(ThermalMonitor::Demand::kRun);
  EXPECT_TRUE(monitor.Tick());
  EXPECT_EQ(Calls(runner, "powermetrics"), pm + 1);
}

TEST(ThermalMonitorIdleTest, LinuxFollowsTheDemandAndNeverAsksPgrep) {
  testing::TempDir root("sysfs");
  BuildSysfs(root.path());
  FakeRunner runner = MacRunner(/*qlab_running=*/true);
  ThermalMonitor monitor(&runner, Platform::kLinux, root.path());
  EXPECT_FALSE(monitor.Tick());
  EXPECT_FALSE(monitor.Latest().temperature_c.has_value());
  monitor.Activate(ThermalMonitor::Demand::kWatcher);
  EXPECT_TRUE(monitor.Tick());  // hwmon is a sysfs read: QLab does not hold it off
  EXPECT_EQ(monitor.Latest().temperature_c, 29.85);
  monitor.Deactivate(ThermalMonitor::Demand::kWatcher);
  EXPECT_FALSE(monitor.Latest().temperature_c.has_value());
  EXPECT_TRUE(runner.calls.empty());
}

// A pressure source that counts its reads (the native notify reader's place).
class CountingPressure : public PressureSource {
 public:
  explicit CountingPressure(int* reads) : reads_(reads) {}
  qdt::v1::ThermalPressure Read() override {
    ++*reads_;
    return qdt::v1::THERMAL_PRESSURE_HEAVY;
  }
  std::string Name() const override { return "counting"; }

 private:
  int* const reads_;
};

TEST(ThermalMonitorIdleTest, APressureSourceReplacesPowermetrics) {
  FakeRunner runner = MacRunner(/*qlab_running=*/false);
  int reads = 0;
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent");
  monitor.SetPressureSource(std::make_unique<CountingPressure>(&reads));
  EXPECT_FALSE(monitor.Tick());
  EXPECT_EQ(reads, 0);
  monitor.Activate(ThermalMonitor::Demand::kRun);
  EXPECT_TRUE(monitor.Tick());
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(monitor.Latest().pressure, qdt::v1::THERMAL_PRESSURE_HEAVY);
  EXPECT_EQ(Calls(runner, "powermetrics"), 0);
}

TEST(ThermalPressureTest, MacosLevelsMapToOurEnum) {
  EXPECT_EQ(ThermalPressureFromOSLevel(0), qdt::v1::THERMAL_PRESSURE_NOMINAL);
  EXPECT_EQ(ThermalPressureFromOSLevel(1), qdt::v1::THERMAL_PRESSURE_MODERATE);
  EXPECT_EQ(ThermalPressureFromOSLevel(2), qdt::v1::THERMAL_PRESSURE_HEAVY);
  EXPECT_EQ(ThermalPressureFromOSLevel(3), qdt::v1::THERMAL_PRESSURE_TRAPPING);
  EXPECT_EQ(ThermalPressureFromOSLevel(4), qdt::v1::THERMAL_PRESSURE_SLEEPING);
  EXPECT_EQ(ThermalPressureFromOSLevel(10), qdt::v1::THERMAL_PRESSURE_UNKNOWN);  // iOS's scale
#if !defined(__APPLE__)
  EXPECT_EQ(NativePressureSource(), nullptr) << "notify(3) exists only on macOS";
#endif
}

// The background thread: idle it starts nothing; with demand it samples;
// after the demand ends it stops. Counts only (the waits are for progress,
// not measured).
class LockedRunner : public CommandRunner {
 public:
  explicit LockedRunner(FakeRunner inner) : inner_(std::move(inner)) {}
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                    absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    return inner_.Run(argv, timeout);
  }
  size_t calls() {
    absl::MutexLock lock(&mu_);
    return inner_.calls.size();
  }

 private:
  absl::Mutex mu_;
  FakeRunner inner_ ABSL_GUARDED_BY(mu_);
};

TEST(ThermalMonitorIdleTest, TheThreadWaitsForDemand) {
  LockedRunner runner(MacRunner(/*qlab_running=*/false));
  ThermalMonitor monitor(&runner, Platform::kMacOS, "/nonexistent", absl::Milliseconds(1));
  monitor.Start();
  absl::SleepFor(absl::Milliseconds(200));  // ~200 intervals idle
  EXPECT_EQ(runner.calls(), 0u);
  monitor.Activate(ThermalMonitor::Demand::kRun);
  for (int i = 0; i < 2000 && runner.calls() < 5; ++i) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_GE(runner.calls(), 5u);
  monitor.Deactivate(ThermalMonitor::Demand::kRun);
  absl::SleepFor(absl::Milliseconds(50));  // a tick in progress ends
  const size_t after = runner.calls();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(runner.calls(), after);
  monitor.Stop();
}

}  // namespace
}  // namespace qdt::agent
