// Things dying mid-run: fio killed (the run FAILS with fio's message, the agent
// keeps serving), the agent SIGKILLed (restarted on the same state folder, the
// run is INTERRUPTED with its samples kept, no fio left, test files removed),
// and qdtctl end to end against a real agent process.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/diskstats.h"
#include "agent/probes/platform_probe.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(FailureTest, FioKilledMidRunFailsTheRunAndTheAgentKeepsServing) {
  InProcessAgent agent;
  TempDir target("target");
  grpc::ClientContext ctx;
  agent.Auth(&ctx);
  qdt::v1::Run run;
  ASSERT_TRUE(agent.stub().StartRun(&ctx, SetupCheckRequest(target.path(), 0.5), &run).ok());

  // Wait for the first sample of phase 1, then kill its fio.
  Watch(agent.stub(), agent.token(), run.run_id(), 1,
        [](const qdt::v1::RunEvent& ev) { return ev.has_sample(); });
  std::string pid_file = agent.store().FioDir(run.run_id()) + "/phase-0.pid";
  pid_t fio = ReadPid(pid_file);
  ASSERT_GT(fio, 0) << "no pid file " << pid_file;
  ASSERT_EQ(::kill(fio, SIGKILL), 0);

  grpc::Status st;
  auto events = Watch(agent.stub(), agent.token(), run.run_id(), 1, nullptr, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(events.back().has_state());
  EXPECT_EQ(events.back().state().state(), qdt::v1::RUN_STATE_FAILED);
  EXPECT_THAT(events.back().state().message(), HasSubstr("killed by signal 9"));
  EXPECT_THAT(events.back().state().message(), HasSubstr("phase 1"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));

  // The agent serves and can run again.
  grpc::ClientContext ctx2;
  agent.Auth(&ctx2);
  qdt::v1::GetRunRequest get;
  get.set_run_id(run.run_id());
  qdt::v1::RunRecord rec;
  ASSERT_TRUE(agent.stub().GetRun(&ctx2, get, &rec).ok());
  EXPECT_EQ(rec.run().state(), qdt::v1::RUN_STATE_FAILED);
  EXPECT_THAT(rec.run().error(), HasSubstr("signal 9"));
  grpc::ClientContext ctx3;
  agent.Auth(&ctx3);
  qdt::v1::Run again;
  grpc::Status st3 = agent.stub().StartRun(&ctx3, SetupCheckRequest(target.path(), 0.1), &again);
  EXPECT_TRUE(st3.ok()) << st3.error_message();
  Watch(agent.stub(), agent.token(), again.run_id(), 1);
}

TEST(FailureTest, AgentKilledMidRunIsInterruptedAfterRestartWithSamplesKept) {
  TempDir state("state");
  TempDir target("target");
  std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  auto token = agent::LoadOrCreateToken(token_file, false);
  ASSERT_TRUE(token.ok()) << token.status();
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(agent.address()));

  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, *token, absl::Seconds(30));
  qdt::v1::Run run;
  // Full length: it is still running when the agent dies.
  ASSERT_TRUE(stub->StartRun(&ctx, SetupCheckRequest(target.path(), 1.0), &run).ok());
  int samples = 0;
  auto before = Watch(*stub, *token, run.run_id(), 1, [&](const qdt::v1::RunEvent& ev) {
    if (ev.has_sample()) ++samples;
    return samples >= 3;
  });
  ASSERT_EQ(samples, 3);
  std::string run_dir = state.path() + "/runs/" + run.run_id();
  pid_t fio = ReadPid(run_dir + "/fio/phase-0.pid");
  ASSERT_GT(fio, 0);
  ASSERT_TRUE(PathExists(target.path() + "/.qdt-test/" + run.run_id() + "/stream-00.dat"));

  agent.Signal(SIGKILL);
  agent.Wait();
  // fio dies with its agent (PR_SET_PDEATHSIG): no orphan keeps reading the drive.
  for (int i = 0; i < 50 && ProcessAlive(fio); ++i) ::usleep(100000);
  EXPECT_FALSE(ProcessAlive(fio)) << "fio " << fio << " outlived its agent";

  AgentProcess restarted(state.path(), token_file);
  restarted.Start();
  EXPECT_TRUE(ProcessesWithArg(run_dir).empty()) << "a fio of the dead run is still running";
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test")) << "test files of the dead run remain";

  auto stub2 = qdt::v1::Agent::NewStub(client::MakeChannel(restarted.address()));
  grpc::ClientContext ctx2;
  client::PrepareContext(&ctx2, *token, absl::Seconds(30));
  qdt::v1::GetRunRequest get;
  get.set_run_id(run.run_id());
  qdt::v1::RunRecord rec;
  grpc::Status st = stub2->GetRun(&ctx2, get, &rec);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(rec.run().state(), qdt::v1::RUN_STATE_INTERRUPTED);
  EXPECT_THAT(rec.run().error(), HasSubstr("RUNNING"));
  int kept = 0;
  for (const auto& ev : rec.events()) kept += ev.has_sample() ? 1 : 0;
  EXPECT_GE(kept, 3) << "samples recorded before the kill were lost";
  // What the first watcher saw is exactly the start of the kept record.
  ASSERT_GE(rec.events_size(), static_cast<int>(before.size()));
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].SerializeAsString(), rec.events(static_cast<int>(i)).SerializeAsString());
  }
  EXPECT_EQ(rec.events(rec.events_size() - 1).state().state(), qdt::v1::RUN_STATE_INTERRUPTED);
  restarted.Signal(SIGTERM);
  EXPECT_EQ(restarted.Wait(), 0);
}

TEST(QdtctlTest, StartWaitPrintsLiveLinesAndTheVerdict) {
  TempDir state("state");
  TempDir target("target");
  std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);
  int rc = -1;
  std::string out = RunCommand(ctl + " info", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("fio-"));

  out = RunCommand(absl::StrCat(ctl, " start --profile setup-check --target ", target.path(),
                                " --time-scale 0.2 --file-size 64M --wait"),
                   &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << "exit " << rc << "\n" << out;
  EXPECT_THAT(out, HasSubstr("== phase 1: normal"));
  EXPECT_THAT(out, HasSubstr("== phase 3: max-read"));
  EXPECT_THAT(out, HasSubstr("read "));
  EXPECT_THAT(out, HasSubstr("MB/s"));
  EXPECT_THAT(out, HasSubstr("Verdict"));
  EXPECT_THAT(out, HasSubstr("rating: "));
  EXPECT_THAT(out, HasSubstr("crossfade target"));
  // A rehearsal says so before its numbers and beside its rating (issue 14).
  EXPECT_THAT(out, HasSubstr("*** REHEARSAL ×0.2: phases shortened, so this is not a show rating"));
  EXPECT_THAT(out,
              ::testing::ContainsRegex("rating: [A-Z ]+ \\(REHEARSAL ×0.2, not a show rating\\)"));
  // The exit code follows the verdict.
  if (rc == 0) {
    EXPECT_THAT(out, HasSubstr("rating: EXCELLENT"));
  } else {
    EXPECT_THAT(out, HasSubstr("FAILS the 2100 MB/s crossfade target"));
  }

  out = RunCommand(ctl + " runs", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_THAT(out, HasSubstr("DONE"));
  EXPECT_THAT(out, HasSubstr("REHEARSAL ×0.2")) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("EXCELLENT"))) << "a rehearsal read as a rating";
  std::string run_id =
      out.substr(out.find('\n') + 1, out.find(' ', out.find('\n') + 1) - out.find('\n') - 1);
  ASSERT_EQ(run_id.size(), 22u) << out;

  out = RunCommand(ctl + " get " + run_id, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("profile   setup-check  REHEARSAL ×0.2 (phases shortened)"));
  // get --json is the whole record: the fio commands and every event.
  out = RunCommand(ctl + " get " + run_id + " --json", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_THAT(out, HasSubstr("\"argv\""));
  EXPECT_THAT(out, HasSubstr("--status-interval=1"));
  EXPECT_THAT(out, HasSubstr("\"verdict\""));
  // In the run and in its verdict (not dumped on failure: the record is large).
  int scales = 0;
  for (size_t at = out.find("\"time_scale\": 0.2"); at != std::string::npos;
       at = out.find("\"time_scale\": 0.2", at + 1)) {
    ++scales;
  }
  EXPECT_EQ(scales, 4) << "the run, its verdict, the request and the verdict event";
  // watch --from-seq replays a finished run from that event on and ends with its state.
  out = RunCommand(ctl + " watch " + run_id + " --from-seq 3", &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("== PENDING")));  // seq 1 is not replayed
  EXPECT_THAT(out, HasSubstr("== DONE"));

  // Usage and connection errors exit 2 with a message.
  out = RunCommand(ctl + " start", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--target"));
  out = RunCommand(
      absl::StrCat(QdtctlBinary(), " --agent 127.0.0.1:1 --token unreachable-0123456789 info"),
      &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("cannot reach the agent"));
  out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent ", agent.address(),
                                " --token wrong-token-0123456789 info"),
                   &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("unauthenticated"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

TEST(AgentProbeTest, ReportsTheRealRootVolumeWithItsDeviceAndSize) {
  int rc = -1;
  std::string out = RunCommand(AgentBinary() + " probe 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0) << out;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  EXPECT_EQ(doc["platform"], "linux");
  bool root = false;
  for (const auto& v : doc["volumes"]) {
    if (v["mount_point"] != "/") continue;
    root = true;
    EXPECT_FALSE(v["device"].get<std::string>().empty());
    // Where sysfs knows the drive, the whole disk behind the mount is named
    // ("vda" for /dev/vda, "nvme0n1" for /dev/nvme0n1p2).
    if (!v["protocol"].get<std::string>().empty()) {
      EXPECT_FALSE(v["physical_device"].get<std::string>().empty()) << v.dump();
      EXPECT_THAT(v["device"].get<std::string>(),
                  HasSubstr(v["physical_device"].get<std::string>()));
    }
    // protobuf JSON writes uint64 as a string.
    EXPECT_GT(std::stoull(v["total_bytes"].get<std::string>()), 1ull << 30);
    EXPECT_LE(std::stoull(v["free_bytes"].get<std::string>()),
              std::stoull(v["total_bytes"].get<std::string>()));
  }
  EXPECT_TRUE(root) << "no volume mounted at / in:\n" << out;
  // Every drive behind a listed volume gets an activity figure (MB/s, >= 0).
  for (const auto& v : doc["volumes"]) {
    std::string drive = v["physical_device"];
    if (drive.empty()) continue;
    ASSERT_TRUE(doc["drive_activity_mb_s"].contains(drive)) << out;
    EXPECT_GE(doc["drive_activity_mb_s"][drive].get<double>(), 0.0);
  }
  // A missing temperature source is unknown (null), never 0.
  if (doc["temperature_source"] == "") {
    EXPECT_TRUE(doc["drive_temperature_c"].is_null());
  }
  EXPECT_TRUE(doc["qlab_running"].is_boolean());
}

// Linux without a drive hwmon sensor (this VM's virtio disk has none): the
// temperature comes from smartctl on the drive behind a volume, here a fake
// smartctl first on PATH printing a real NVMe JSON report (exit bit 2 set).
TEST(AgentProbeTest, LinuxWithoutHwmonAsksSmartctl) {
  TempDir bin("fakebin");
  std::string fx = QDT_FIXTURE_DIR;
  std::ofstream(bin.path() + "/smartctl")
      << "#!/bin/sh\necho \"$*\" >> '" << bin.path() << "/calls'\ncat '" << fx
      << "/smartctl/smartctl-7.3_linux_nvme_samsung970evoplus_json_redacted_resorted.json'; exit "
         "4\n";
  ::chmod((bin.path() + "/smartctl").c_str(), 0755);
  int rc = -1;
  std::string out =
      RunCommand(AgentBinary() + " probe --smartctl " + bin.path() + "/smartctl 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0) << out;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  std::string source = doc["temperature_source"];
  if (source.rfind("hwmon", 0) == 0) GTEST_SKIP() << "this machine has a drive hwmon: " << source;
  std::string drive;
  for (const auto& v : doc["volumes"]) {
    if (v["mount_point"] == "/") drive = v["physical_device"];
  }
  if (drive.empty()) GTEST_SKIP() << "the root volume has no block device here";
  EXPECT_THAT(source, ::testing::StartsWith("smartctl /dev/"));
  EXPECT_EQ(doc["drive_temperature_c"], 35);  // temperature.current in the capture
  std::ifstream calls(bin.path() + "/calls");
  std::string first;
  std::getline(calls, first);
  EXPECT_THAT(first, ::testing::StartsWith("-j -a /dev/"));
}

// Drive activity on Linux: /proc/diskstats read before and after the window.
// The proc root here is a copy of the real one whose counters for the root
// drive jump by 1,024,000,000 bytes during the window.
TEST(AgentProbeTest, DriveActivityFromDiskstatsOverTheWindow) {
  agent::SystemCommandRunner runner;
  auto real = agent::ProbeLinux(&runner, "", "/sys", "/proc", absl::ZeroDuration());
  std::string drive;
  for (const auto& v : real.volumes) {
    if (v.mount_point() == "/") drive = v.physical_device();
  }
  if (drive.empty()) GTEST_SKIP() << "the root volume has no block device here";
  TempDir proc("proc");
  std::ifstream in("/proc/diskstats");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string before = ss.str();
  std::ofstream(proc.path() + "/diskstats") << before;
  auto parsed = agent::ParseDiskstats(before);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::string after;
  for (const auto& e : *parsed) {
    uint64_t extra = e.name == drive ? 2000000 : 0;  // sectors of 512 bytes
    after +=
        absl::StrCat(e.major, " ", e.minor, " ", e.name, " ", e.reads_completed, " 0 ",
                     e.sectors_read + extra, " ", e.read_ms, " ", e.writes_completed, " 0 ",
                     e.sectors_written, " ", e.write_ms, " ", e.in_flight, " ", e.io_ms, " 0\n");
  }
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    std::ofstream(proc.path() + "/diskstats.new") << after;
    ::rename((proc.path() + "/diskstats.new").c_str(), (proc.path() + "/diskstats").c_str());
  });
  auto r = agent::ProbeLinux(&runner, "", "/sys", proc.path(), absl::Seconds(1));
  writer.join();
  ASSERT_TRUE(r.drive_activity_mb_s.count(drive)) << "no activity for " << drive;
  // 1024 MB over a window of at least 1 s (more on a loaded machine).
  EXPECT_LE(r.drive_activity_mb_s[drive], 1024.0);
  EXPECT_GT(r.drive_activity_mb_s[drive], 400.0);
  // Without a window nothing is measured, and nothing is made up.
  EXPECT_TRUE(real.drive_activity_mb_s.empty());
}

// Fake macOS tools in `dir` that print real captured macOS output
// (tests/fixtures, SOURCES.md). The captures come from different Macs, so the
// picture is not one machine's: system_profiler's "/" is disk3s1s1 on an
// APPLE SSD AP0256Z, diskutil's "/" is disk1s5s1 on an Intel Mac whose APFS
// store is disk0s2, and the `diskutil list` is of a VM whose disk0 holds a
// disk0s2. What the test checks is that each fact is taken from the tool that
// owns it and the chain store -> whole disk is walked.
// `smartctl_json`: smartctl answers -j with JSON and exit bit 2 (as smartctl
// 7 does for Apple SSDs); otherwise it refuses -j as smartctl 6 does and
// answers -a with the real Apple SSD text report.
// `pmset_fixture`: the Intel capture reports CPU_Speed_Limit = 100.
// `qlab_running`: what the fake pgrep says about QLab.
void MakeFakeMacTools(
    const std::string& dir, bool smartctl_json,
    const std::string& pmset_fixture = "pmset_g_therm_m1pro_macos12.1_no_data.txt",
    bool qlab_running = true) {
  const std::string fx = QDT_FIXTURE_DIR;
  auto tool = [&](const std::string& name, const std::string& body) {
    std::string path = dir + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
  };
  tool("system_profiler",
       "cat '" + fx + "/system_profiler/applesilicon_ap0256z_SPStorage_SPNVMe_SPSerialATA.json'");
  tool("diskutil",
       "case \"$1 $2\" in\n"
       "  'list -plist') cat '" +
           fx +
           "/diskutil/diskutil_list_plist_physical_macos_vm_applesilicon_isc_apfs_recovery.plist' "
           ";;\n"
           // The data volume shares "/"'s APFS container and physical store;
           // the capture is of "/" (on an Intel Mac): the chain is the same.
           "  'info -plist') if [ \"$3\" = /System/Volumes/Data ]; then cat '" +
           fx + "/diskutil/diskutil_info_plist_root_apfs_pci_ssd_intel_mac.plist'; else cat '" +
           fx +
           "/diskutil/diskutil_info_plist_error_smb_not_a_disk.plist'; exit 1; fi ;;\n"
           "  *) echo \"diskutil: unexpected $*\" >&2; exit 1 ;;\n"
           "esac");
  if (smartctl_json) {
    tool("smartctl",
         "cat '" + fx + "/smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json'; exit 4");
  } else {
    tool("smartctl",
         "if [ \"$1\" = -j ]; then printf '=======> UNRECOGNIZED OPTION: j\\n'; exit 1; fi\n"
         "cat '" +
             fx + "/smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt'; exit 4");
  }
  tool(
      "powermetrics",
      "cat '" + fx +
          "/powermetrics/m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_with_thermal.txt'");
  tool("pgrep", qlab_running ? "[ \"$2\" = QLab ] && { echo 4242; exit 0; }; exit 1" : "exit 1");
  tool("iostat", "cat '" + fx + "/iostat/macos_applesilicon_iostat_d_w2_c5_disk0.txt'");
  tool("pmset", "cat '" + fx + "/pmset/" + pmset_fixture + "'");
}

// `qdt-agent probe --platform=macos` with the fake tools in `bin` first on PATH.
std::string MacProbe(const std::string& bin, int* rc) {
  return RunCommand("PATH=" + bin + ":$PATH " + AgentBinary() +
                        " probe --platform=macos --smartctl " + bin + "/smartctl 2>/dev/null",
                    rc);
}

// The macOS backend, selected on Linux, with fake tools first on PATH.
TEST(AgentProbeTest, MacosBackendWithFakeToolsOnPath) {
  TempDir bin("fakebin");
  MakeFakeMacTools(bin.path(), /*smartctl_json=*/true);
  int rc = -1;
  std::string out = MacProbe(bin.path(), &rc);
  ASSERT_EQ(rc, 0) << out;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  EXPECT_EQ(doc["platform"], "macos");
  // The sealed system volume "/" is not offered; the data volume is, as
  // /Users/Shared (where the default config allows tests).
  ASSERT_EQ(doc["volumes"].size(), 1u) << out;
  const auto& data = doc["volumes"][0];
  EXPECT_EQ(data["mount_point"], "/Users/Shared");
  EXPECT_EQ(data["device"], "disk3s5");
  EXPECT_EQ(data["model"], "APPLE SSD AP0256Z");
  EXPECT_EQ(data["serial"], "0ba018e4045c5e3e");
  EXPECT_EQ(data["protocol"], "Apple Fabric");
  EXPECT_EQ(data["solid_state"], "SOLID_STATE_YES");
  EXPECT_EQ(data["free_bytes"], "23142219776");
  // diskutil info -plist names the APFS physical store disk0s2; diskutil
  // list -plist puts disk0s2 on the whole disk disk0.
  EXPECT_EQ(data["physical_device"], "disk0");
  EXPECT_EQ(doc["drive_temperature_c"], 35);
  EXPECT_EQ(doc["temperature_source"], "smartctl /dev/disk0 (Samsung SSD 970 EVO 500GB)");
  EXPECT_EQ(doc["thermal_pressure"], "THERMAL_PRESSURE_NOMINAL");
  EXPECT_EQ(doc["qlab_running"], true);
  // iostat's last report for disk0 (the drive behind "/").
  EXPECT_EQ(doc["drive_activity_mb_s"]["disk0"], 0.31);
  // Apple Silicon's pmset records no CPU limit: unknown, not 100.
  EXPECT_TRUE(doc["cpu_speed_limit"].is_null());

  // An Intel Mac's pmset does report one.
  MakeFakeMacTools(bin.path(), true, "pmset_g_thermlog_intel_8cpu_cpu_power_notify.txt");
  out = MacProbe(bin.path(), &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["cpu_speed_limit"], 100);

  rc = -1;
  out = RunCommand(AgentBinary() + " probe --platform=windows", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--platform: \"windows\" is not one of auto, linux, macos"));
}

// Many Apple Silicon Macs (and the macOS 26 VM captured here) have no NVMe
// section in system_profiler: the internal drive is still found, behind the
// data volume, and its temperature read.
TEST(AgentProbeTest, MacosWithoutAnNvmeSectionStillReadsTheInternalDrive) {
  TempDir bin("fakebin");
  MakeFakeMacTools(bin.path(), /*smartctl_json=*/true);
  const std::string fx = QDT_FIXTURE_DIR;
  ASSERT_TRUE(qdt::WriteFile(
                  bin.path() + "/system_profiler",
                  "#!/bin/sh\ncat '" + fx +
                      "/system_profiler/github_runner_macos26_arm64_vm_SPStorageDataType.json'\n",
                  0755)
                  .ok());
  int rc = -1;
  std::string out = MacProbe(bin.path(), &rc);
  ASSERT_EQ(rc, 0) << out;
  auto doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  ASSERT_EQ(doc["volumes"].size(), 1u) << out;  // the data volume; "/" and cryptexes hidden
  EXPECT_EQ(doc["volumes"][0]["mount_point"], "/Users/Shared");
  EXPECT_EQ(doc["volumes"][0]["physical_device"], "disk0");
  EXPECT_EQ(doc["drive_temperature_c"], 35);
  EXPECT_EQ(doc["temperature_source"], "smartctl /dev/disk0 (Samsung SSD 970 EVO 500GB)");
}

// The serving agent with --platform=macos: ListVolumes, GetInfo and the
// telemetry come from the macOS tools (fakes on PATH); smartctl here is one
// without -j, so the temperature comes from its text report. QLab is not
// running (with QLab running, idle telemetry starts no tool: below).
TEST(AgentPlatformTest, ServesMacosProbesWithFakeToolsOnPath) {
  TempDir bin("fakebin");
  MakeFakeMacTools(bin.path(), /*smartctl_json=*/false, "pmset_g_therm_m1pro_macos12.1_no_data.txt",
                   /*qlab_running=*/false);
  TempDir state("state");
  std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start({"--platform", "macos", "--smartctl", bin.path() + "/smartctl"}, bin.path());
  std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);
  int rc = -1;
  std::string out = RunCommand(ctl + " info", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("(macos probes)"));
  out = RunCommand(ctl + " volumes", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLE SSD AP0256Z (0ba018e4045c5e3e)"));
  EXPECT_THAT(out,
              ::testing::ContainsRegex("\n/Users/Shared +disk3s5 +disk0 +APFS +Apple Fabric +yes"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("disk3s1s1")));  // the sealed system volume
  out = RunCommand(ctl + " telemetry --count 2", &rc);
  EXPECT_EQ(rc, 0) << out << agent.Log();
  EXPECT_THAT(out, HasSubstr("drive 32.0 °C (smartctl /dev/disk0 (APPLE SSD AP0256Z))  thermal "
                             "pressure NOMINAL"));
  EXPECT_THAT(agent.Log(), HasSubstr("internal drive /dev/disk0"));

  // An unknown platform is refused before the agent serves anything.
  rc = -1;
  out = RunCommand(AgentBinary() + " --platform windows 2>&1", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--platform: \"windows\" is not one of auto, linux, macos"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// Quiet when idle (issue 13): a real agent with --platform=macos and fake
// powermetrics and smartctl first on PATH that add a line to a count file each
// time they start. Idle for 30 s: neither starts. A telemetry watcher while
// QLab runs: neither starts (the stream says unknown). A 3 s run: both start,
// and every sample carries the pressure (NOMINAL) and the drive temperature
// (32 °C, smartctl's text report); after the run, nothing starts again.
TEST(AgentPlatformTest, QuietWhenIdleSamplesDuringARun) {
  TempDir bin("fakebin");
  MakeFakeMacTools(bin.path(), /*smartctl_json=*/false, "pmset_g_therm_m1pro_macos12.1_no_data.txt",
                   /*qlab_running=*/false);
  const std::string qlab_flag = bin.path() + "/qlab-running";
  auto write_tool = [&](const std::string& name, const std::string& body) {
    const std::string path = bin.path() + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
  };
  for (const std::string tool : {"powermetrics", "smartctl"}) {
    const std::string path = bin.path() + "/" + tool;
    ASSERT_EQ(::rename(path.c_str(), (path + ".real").c_str()), 0);
    write_tool(tool, "echo \"$*\" >> '" + path + ".count'\nexec '" + path + ".real' \"$@\"");
  }
  write_tool("pgrep", "[ \"$2\" = QLab ] && [ -e '" + qlab_flag +
                          "' ] && { echo 4242; exit 0; }\n"
                          "exit 1");
  auto starts = [&](const std::string& tool) {
    std::ifstream in(bin.path() + "/" + tool + ".count");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  TempDir state("state"), target("target");
  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  // fio 3.33 cannot drop cached pages on macOS; the run here is on Linux.
  agent.Start({"--platform", "macos", "--allow-fio-without-cache-drop", "--smartctl",
               bin.path() + "/smartctl"},
              bin.path());
  ASSERT_THAT(agent.Log(), HasSubstr("internal drive /dev/disk0"));
  auto token = agent::LoadOrCreateToken(token_file, false);
  ASSERT_TRUE(token.ok()) << token.status();
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(agent.address()));

  ::sleep(30);
  EXPECT_EQ(starts("powermetrics"), 0) << "powermetrics started while the agent was idle";
  EXPECT_EQ(starts("smartctl"), 0) << "smartctl started while the agent was idle";

  // A console watching telemetry during the show (QLab running): no tool, and
  // the stream says unknown rather than an old value.
  std::ofstream(qlab_flag) << "";
  {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, *token, absl::Seconds(30));
    qdt::v1::WatchTelemetryRequest treq;
    treq.set_interval_s(0.5);
    auto reader = stub->WatchTelemetry(&ctx, treq);
    qdt::v1::Telemetry t;
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(reader->Read(&t));
      EXPECT_FALSE(t.has_temperature_c());
      EXPECT_EQ(t.thermal_pressure(), qdt::v1::THERMAL_PRESSURE_UNKNOWN);
    }
    ctx.TryCancel();
    reader->Finish().IgnoreError();
  }
  EXPECT_EQ(starts("powermetrics"), 0) << "powermetrics started for telemetry while QLab runs";
  EXPECT_EQ(starts("smartctl"), 0) << "smartctl started for telemetry while QLab runs";
  ::unlink(qlab_flag.c_str());

  // A 3 s run of unpaced 1 MiB reads on a 16 MiB file.
  qdt::v1::StartRunRequest req;
  req.set_target_dir(target.path());
  req.set_file_size_bytes(16ull << 20);
  qdt::v1::Profile* p = req.mutable_profile();
  p->set_name("thermal-check");
  qdt::v1::Phase* ph = p->add_phases();
  ph->set_name("max-read");
  ph->set_duration_s(3);
  qdt::v1::Stream* s = ph->add_streams();
  s->set_name("clip");
  s->set_block_size_bytes(1 << 20);
  s->set_iodepth(2);
  qdt::v1::Run run;
  {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, *token, absl::Seconds(30));
    grpc::Status st = stub->StartRun(&ctx, req, &run);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  grpc::Status st;
  const auto events = Watch(*stub, *token, run.run_id(), 1, nullptr, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.back().has_state());
  EXPECT_EQ(events.back().state().state(), qdt::v1::RUN_STATE_DONE)
      << events.back().state().message() << agent.Log();
  int samples = 0;
  for (const auto& ev : events) {
    if (!ev.has_sample()) continue;
    ++samples;
    EXPECT_EQ(ev.sample().thermal_pressure(), qdt::v1::THERMAL_PRESSURE_NOMINAL);
    ASSERT_TRUE(ev.sample().has_temperature_c());
    EXPECT_DOUBLE_EQ(ev.sample().temperature_c(), 32);
  }
  EXPECT_GE(samples, 2);
  ::sleep(1);  // the demand ends as the worker returns, just after the final state
  const int pm = starts("powermetrics"), sm = starts("smartctl");
  EXPECT_GE(pm, 3) << "powermetrics was not sampled during the run";
  EXPECT_GE(sm, 1) << "smartctl was not sampled during the run";

  // The run has ended: quiet again.
  ::sleep(3);
  EXPECT_EQ(starts("powermetrics"), pm);
  EXPECT_EQ(starts("smartctl"), sm);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// TLS: a CA made here signs the agent's certificate for "showmac-1.local".
// qdtctl with --ca (and --tls-name, since it dials 127.0.0.1) gets in; without
// --ca, with another CA, or expecting the address's own name, it fails with
// a message that says what to check. The token is still required on top.
TEST(TlsTest, QdtctlWithTheRigCaConnectsAndEverythingElseIsRefusedClearly) {
  TempDir pki("pki");
  const std::string d = pki.path();
  ASSERT_EQ(MakeTestPki(d), "");
  int rc = -1;
  std::string out;
  TempDir state("state");
  std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start({"--tls-cert", d + "/agent.pem", "--tls-key", d + "/agent.key"});
  EXPECT_THAT(agent.Log(), HasSubstr("(TLS)"));
  const std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);

  out = RunCommand(ctl + " --ca " + d + "/ca.pem --tls-name showmac-1.local info 2>&1", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("fio-"));

  out = RunCommand(ctl + " info 2>&1", &rc);  // plaintext to a TLS agent
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("cannot reach the agent at " + agent.address()));
  EXPECT_THAT(out, HasSubstr("if the agent serves TLS, give its CA certificate (--ca)"));

  out = RunCommand(ctl + " --ca " + d + "/ca.pem info 2>&1", &rc);  // the name is 127.0.0.1
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("must be signed by the CA given with --ca and name the host"));

  out = RunCommand(ctl + " --ca " + d + "/other.pem --tls-name showmac-1.local info 2>&1", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("cannot reach the agent"));

  // TLS does not replace the token.
  out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent ", agent.address(),
                                " --token wrong-token-0123456789 --ca ", d,
                                "/ca.pem --tls-name showmac-1.local info 2>&1"),
                   &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("refused (unauthenticated): wrong token"));

  out = RunCommand(ctl + " --ca " + d + "/ext info 2>&1", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--ca: \"" + d + "/ext\" is not a PEM file"));
  out = RunCommand(AgentBinary() + " --tls-cert " + d + "/agent.pem 2>&1", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--tls-key: needed with --tls-cert"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// The config file: its allowed_target_dirs are enforced by StartRun, and the
// flags given on top of it win (the harness's --listen 127.0.0.1:0 over the
// file's port 1).
TEST(AgentConfigProcessTest, AllowedTargetsFromTheConfigAndFlagsOverIt) {
  TempDir state("state"), allowed("allowed"), other("other");
  const std::string config = state.path() + "/agent.json";
  std::ofstream(config) << "{\"listen\": \"127.0.0.1:1\", \"allowed_target_dirs\": [\""
                        << allowed.path() << "\"]}";
  std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start({"--config", config});
  const std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);
  int rc = -1;
  std::string out =
      RunCommand(ctl + " start --target " + other.path() + " --time-scale 0.1 2>&1", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out,
              HasSubstr("target_dir: \"" + other.path() +
                        "\" is outside the folders this agent may test (" + allowed.path() + ")"));
  out = RunCommand(
      ctl + " start --target " + allowed.path() + " --time-scale 0.1 --file-size 16M --wait 2>&1",
      &rc);
  EXPECT_TRUE(rc == 0 || rc == 1) << out;  // ran to a verdict
  out = RunCommand(AgentBinary() + " --config " + state.path() + "/nope.json 2>&1", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("--config: cannot read"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// The offline commands need no agent.
TEST(QdtctlTest, DeriveAnalyzeAndProfilesOffline) {
  TempDir dir("ctl");
  const std::string ctl = QdtctlBinary();
  int rc = -1;
  std::string out = RunCommand(ctl + " profiles", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_THAT(out, HasSubstr("show-pattern"));
  EXPECT_THAT(out, HasSubstr("656.0 MB/s, bursts to 2099.2 MB/s"));
  EXPECT_THAT(out, HasSubstr("max-sustained"));

  // Defaults stay at the request's 656 / 2100.
  out = RunCommand(ctl + " profile derive --out " + dir.path() + "/default.json", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("normal playback target: 656.0 MB/s"));
  EXPECT_THAT(out, HasSubstr("crossfade peak target:  2099.2 MB/s"));
  out = RunCommand(ctl +
                       " profile derive --stream 'ProRes 422 HQ UHD 59.94' --stream 'HAP Q "
                       "1080p29.97 x3' --out " +
                       dir.path() + "/mine.json",
                   &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("normal playback target: 407.3 MB/s"));
  EXPECT_TRUE(PathExists(dir.path() + "/mine.json"));
  out = RunCommand(ctl + " profile derive --stream 'ProRes RAW 8K'", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("unknown stream \"ProRes RAW 8K\""));

  // analyze: real fio output, and a file that is not.
  std::string fixture = std::string(QDT_FIXTURE_DIR) +
                        "/fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json";
  out = RunCommand(ctl + " analyze " + fixture, &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("5 fio report(s)"));
  EXPECT_THAT(out, HasSubstr("FAILS the 2100 MB/s crossfade target"));
  // Against the cue stack derived above (crossfade 1304 MB/s) 795 MB/s is not enough ...
  out =
      RunCommand(ctl + " analyze " + fixture + " --profile-file " + dir.path() + "/mine.json", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("FAILS the 1304 MB/s crossfade target"));
  // ... against four HD ProRes 422 clips (crossfade 4 x 18.4 x 2 x 1.6 = 235.5 MB/s) it is.
  out = RunCommand(ctl + " profile derive --stream 'ProRes 422 1080p29.97 x4' --out " + dir.path() +
                       "/light.json",
                   &rc);
  ASSERT_EQ(rc, 0) << out;
  out = RunCommand(
      ctl + " analyze " + fixture + " --profile-file " + dir.path() + "/light.json --json", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"rating\": \"RATING_EXCELLENT\""));
  EXPECT_THAT(out, HasSubstr("\"crossfade_target_mb_s\": 236"));
  out = RunCommand(ctl + " analyze " + std::string(QDT_FIXTURE_DIR) + "/SOURCES.md", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("is not fio JSON output"));
}

}  // namespace
}  // namespace qdt::testing
