// PowerHold (agent/run/power_hold.h) with fake tools: a tool that stays up
// holds from acquisition to release (terminated and reaped, once), one that
// ends at once or is missing holds nothing and says why; the power source
// from pmset through a CommandRunner and from a fake sysfs tree. The real
// agent with a fake caffeinate is tests/integration/power_hold_test.cc.
#include "agent/run/power_hold.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> Lines(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return {};
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

// The log once it has `n` lines (a loaded machine may start the tool late).
std::vector<std::string> AwaitLines(const std::string& path, size_t n) {
  for (int i = 0; i < 500 && Lines(path).size() < n; ++i) absl::SleepFor(absl::Milliseconds(10));
  return Lines(path);
}

// A stand-in for caffeinate / systemd-inhibit: logs "start <pid> <args>",
// waits, and logs "end <pid>" when terminated.
std::string StayingTool(const std::string& dir, const std::string& log) {
  const std::string path = dir + "/hold-tool";
  EXPECT_TRUE(WriteFile(path,
                        absl::StrCat("#!/bin/sh\ntrap 'echo \"end $$\" >> ", log,
                                     "; exit 0' TERM\necho \"start $$ $*\" >> ", log,
                                     "\nsleep 600 &\nwait\n"),
                        0755)
                  .ok());
  return path;
}

TEST(PowerHoldTest, TheToolRunsFromAcquisitionUntilReleaseOnce) {
  testing::TempDir dir("hold");
  const std::string log = dir.path() + "/log";
  PowerHoldOptions options;
  options.platform = Platform::kMacOS;
  options.program = StayingTool(dir.path(), log);
  std::unique_ptr<PowerHold> hold = AcquirePowerHold(options);
  ASSERT_NE(hold, nullptr);
  EXPECT_EQ(hold->note(), "");
  ASSERT_THAT(hold->holder(), StartsWith("caffeinate -i -m -s (pid "));
  const std::vector<std::string> started = AwaitLines(log, 1);
  ASSERT_EQ(started.size(), 1u);
  const std::vector<std::string> words = absl::StrSplit(started[0], ' ');
  ASSERT_GE(words.size(), 2u);
  // caffeinate watches this process (-w): it ends with it, whatever happens.
  EXPECT_EQ(started[0], absl::StrCat("start ", words[1], " -i -m -s -w ", ::getpid()));
  EXPECT_EQ(hold->holder(), absl::StrCat("caffeinate -i -m -s (pid ", words[1], ")"));
  const pid_t pid = std::stoi(words[1]);
  EXPECT_TRUE(testing::ProcessAlive(pid));
  hold->Release();
  EXPECT_THAT(Lines(log), ElementsAre(started[0], absl::StrCat("end ", pid)));
  EXPECT_FALSE(testing::ProcessAlive(pid)) << "the hold's child was not reaped";
  hold->Release();  // a second release does nothing
  hold.reset();     // nor does the destructor after it
  EXPECT_EQ(Lines(log).size(), 2u);
}

TEST(PowerHoldTest, DestroyingAHoldReleasesIt) {
  testing::TempDir dir("hold");
  const std::string log = dir.path() + "/log";
  PowerHoldOptions options;
  options.platform = Platform::kLinux;
  options.run_id = "20261201-120000-abcdef";
  options.program = StayingTool(dir.path(), log);
  auto hold = AcquirePowerHold(options);
  ASSERT_THAT(hold->holder(), StartsWith("systemd-inhibit idle:sleep (pid "));
  ASSERT_EQ(AwaitLines(log, 1).size(), 1u);
  hold.reset();
  const std::vector<std::string> lines = Lines(log);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(" --what=idle:sleep --who=qdt-agent --why=disk test "
                                  "20261201-120000-abcdef --mode=block sleep infinity"));
  EXPECT_THAT(lines[1], StartsWith("end "));
}

TEST(PowerHoldTest, TheCommandLines) {
  PowerHoldOptions options;
  options.platform = Platform::kMacOS;
  options.watched_pid = 4242;
  EXPECT_THAT(PowerHoldArgv(options), ElementsAre("caffeinate", "-i", "-m", "-s", "-w", "4242"));
  options.platform = Platform::kLinux;
  options.run_id = "r1";
  EXPECT_THAT(PowerHoldArgv(options),
              ElementsAre("systemd-inhibit", "--what=idle:sleep", "--who=qdt-agent",
                          "--why=disk test r1", "--mode=block", "sleep", "infinity"));
}

TEST(PowerHoldTest, AToolThatEndsAtOnceHoldsNothingAndSaysWhy) {
  testing::TempDir dir("hold");
  // What systemd-inhibit does without a running logind (a container, CI).
  const std::string tool = dir.path() + "/systemd-inhibit";
  ASSERT_TRUE(WriteFile(tool,
                        "#!/bin/sh\necho 'Failed to connect to bus: No such file or directory' "
                        ">&2\nexit 1\n",
                        0755)
                  .ok());
  PowerHoldOptions options;
  options.platform = Platform::kLinux;
  options.program = tool;
  options.settle = absl::Seconds(3);  // room for a loaded machine; it ends long before
  const absl::Time began = absl::Now();
  auto hold = AcquirePowerHold(options);
  EXPECT_LT(absl::Now() - began, absl::Seconds(3)) << "the end was not noticed at once";
  EXPECT_EQ(hold->holder(), "");
  EXPECT_EQ(hold->note(),
            "systemd-inhibit exited with status 1 within 3000 ms: Failed to connect to bus: No "
            "such file or directory");
  hold->Release();
  hold->Release();
}

TEST(PowerHoldTest, AMissingToolHoldsNothingAndSaysWhy) {
  PowerHoldOptions options;
  options.platform = Platform::kMacOS;
  options.program = "qdt-no-such-caffeinate";
  auto hold = AcquirePowerHold(options);
  EXPECT_EQ(hold->holder(), "");
  EXPECT_THAT(hold->note(), StartsWith("qdt-no-such-caffeinate not found on PATH"));
  options.program = "/nonexistent/caffeinate";
  EXPECT_EQ(AcquirePowerHold(options)->note(),
            "\"/nonexistent/caffeinate\" is not an executable file");
}

TEST(PowerSourceTest, MacosAsksPmset) {
  testing::FakeRunner runner;
  CommandResult batt;
  batt.exit_code = 0;
  batt.out = testing::Fixture("pmset/pmset_g_batt_battery_power_discharging_macos.txt");
  runner.replies["pmset -g batt"] = batt;
  auto source = ReadPowerSource(Platform::kMacOS, &runner);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(*source, "Battery Power");
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_THAT(runner.calls[0], ElementsAre("pmset", "-g", "batt"));

  runner.replies["pmset -g batt"].out = "garbage\n";
  EXPECT_THAT(ReadPowerSource(Platform::kMacOS, &runner).status().message(),
              HasSubstr("pmset -g batt: power source: first line \"garbage\""));
  CommandResult missing;
  missing.exit_code = 127;
  runner.replies["pmset -g batt"] = missing;
  EXPECT_EQ(ReadPowerSource(Platform::kMacOS, &runner).status().message(),
            "pmset -g batt: pmset not found on PATH");
  EXPECT_FALSE(ReadPowerSource(Platform::kMacOS, nullptr).ok());
}

// <root>/class/power_supply/<name>/{type,online}.
void Supply(const std::string& root, const std::string& name, const std::string& type,
            const std::string& online) {
  const std::string dir = root + "/class/power_supply/" + name;
  ::mkdir((root + "/class").c_str(), 0755);
  ::mkdir((root + "/class/power_supply").c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  ASSERT_TRUE(WriteFile(dir + "/type", type + "\n").ok());
  if (!online.empty()) {
    ASSERT_TRUE(WriteFile(dir + "/online", online + "\n").ok());
  }
}

TEST(PowerSourceTest, LinuxReadsTheMainsSupplies) {
  testing::TempDir sys("sysfs");
  // No power_supply folder at all (a VM, most desktops): unknown, not an error.
  auto none = ReadLinuxPowerSource(sys.path());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, "");
  Supply(sys.path(), "BAT0", "Battery", "");
  EXPECT_EQ(*ReadLinuxPowerSource(sys.path()), "") << "a battery alone says nothing of the mains";
  Supply(sys.path(), "AC", "Mains", "0");
  EXPECT_EQ(*ReadLinuxPowerSource(sys.path()), "Battery Power");
  Supply(sys.path(), "ADP1", "Mains", "1");
  EXPECT_EQ(*ReadLinuxPowerSource(sys.path()), "AC Power");
  Supply(sys.path(), "AC", "Mains", "yes");
  auto bad = ReadLinuxPowerSource(sys.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            sys.path() + "/class/power_supply/AC/online: \"yes\" is not 0 or 1");
  EXPECT_EQ(ReadPowerSource(Platform::kLinux, nullptr, sys.path()).status(), bad.status());
}

}  // namespace
}  // namespace qdt::agent
