// The temperature of the drive under test, end to end (issue 13): a real
// agent process with --platform=macos, real fio, and fake macOS tools first
// on its PATH. diskutil places the target on disk11 — an external drive (the
// real capture of a USB drive, tests/fixtures/diskutil/
// diskutil_info_plist_usb_hfs_hdd_5tb.plist; for the NVMe case its
// BusProtocol is changed to PCI-Express, as a Thunderbolt/PCIe enclosure is
// not USB). The fake smartctl, run by its absolute path (--smartctl), answers
// per device: disk11 with a real Samsung 970 EVO Plus JSON report (35 °C),
// disk0 (the internal Apple SSD) with a real Apple SSD text report (32 °C),
// and logs every call. The samples' temperature must be disk11's and name
// it; the internal drive is never asked during the run. A USB disk11 whose
// bridge passes no SMART through gives "no sensor over USB: disk11".
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DriveTemperatureTest : public ::testing::Test {
 protected:
  // `bus`: the BusProtocol diskutil reports for the target's drive;
  // `smart_over_usb`: whether smartctl gets an answer from disk11.
  void StartAgent(const std::string& bus, bool disk11_answers) {
    const std::string fx = QDT_FIXTURE_DIR;
    auto plist = ReadFile(fx + "/diskutil/diskutil_info_plist_usb_hfs_hdd_5tb.plist");
    ASSERT_TRUE(plist.ok()) << plist.status();
    ASSERT_TRUE(absl::StrContains(*plist, "<string>USB</string>"));
    ASSERT_TRUE(WriteFile(bin_.path() + "/target.plist",
                          absl::StrReplaceAll(
                              *plist, {{"<string>USB</string>", "<string>" + bus + "</string>"}}))
                    .ok());
    Tool("diskutil", absl::StrCat("case \"$1 $2\" in\n"
                                  "  'list -plist') cat '",
                                  fx,
                                  "/diskutil/"
                                  "diskutil_list_plist_physical_macos_vm_applesilicon_isc_apfs_"
                                  "recovery.plist' ;;\n"
                                  "  'info -plist') cat '",
                                  bin_.path(),
                                  "/target.plist' ;;\n"
                                  "  *) exit 1 ;;\n"
                                  "esac"));
    const std::string disk11 =
        disk11_answers
            ? absl::StrCat("cat '", fx,
                           "/smartctl/"
                           "smartctl-7.3_linux_nvme_samsung970evoplus_json_redacted_resorted.json'"
                           "; exit 4")
            // smartctl's own words when it cannot tell a device's type.
            : "echo '/dev/disk11: Unable to detect device type'; "
              "echo 'Please specify device type with the -d option.'; exit 1";
    Tool("smartctl",
         absl::StrCat("echo \"$*\" >> '", log_, "'\n", "case \"$*\" in\n", "  *disk11) ", disk11,
                      " ;;\n", "  '-j -a /dev/disk0') echo 'UNRECOGNIZED OPTION: j'; exit 1 ;;\n",
                      "  '-a /dev/disk0') cat '", fx,
                      "/smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt'; "
                      "exit 4 ;;\n",
                      "  *) exit 2 ;;\n", "esac"));
    Tool("powermetrics", absl::StrCat("cat '", fx,
                                      "/powermetrics/"
                                      "m1max_macbookpro18-2_macos14.6.1_all_samplers_i1000_n1_"
                                      "with_thermal.txt'"));
    Tool("pgrep", "exit 1");  // QLab is not running
    Tool("caffeinate", "sleep 600 & wait");
    Tool("system_profiler",
         absl::StrCat("echo x >> '", bin_.path(), "/system_profiler.log'\nexit 1"));
    // taskpolicy(8): `-d <policy> <program> [args]` runs the program with
    // that disk I/O policy; the fake checks the words, logs, and runs it.
    Tool("taskpolicy",
         absl::StrCat("echo \"$*\" >> '", bin_.path(), "/taskpolicy.log'\n",
                      "[ \"$1 $2\" = '-d important' ] || exit 64\n", "shift 2\nexec \"$@\""));
    agent_.Start({"--platform", "macos", "--allow-fio-without-cache-drop", "--smartctl",
                  bin_.path() + "/smartctl"},
                 bin_.path());
    auto token = agent::LoadOrCreateToken(token_file_, false);
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
    stub_ = qdt::v1::Agent::NewStub(client::MakeChannel(agent_.address()));
  }

  void Tool(const std::string& name, const std::string& body) {
    ASSERT_TRUE(WriteFile(bin_.path() + "/" + name, "#!/bin/sh\n" + body + "\n", 0755).ok());
  }

  // A 4 s run of unpaced 1 MiB reads; its events to the end.
  std::vector<qdt::v1::RunEvent> Run() {
    qdt::v1::StartRunRequest req;
    req.set_target_dir(target_.path());
    req.set_file_size_bytes(16ull << 20);
    qdt::v1::Profile* p = req.mutable_profile();
    p->set_name("temperature-check");
    qdt::v1::Phase* ph = p->add_phases();
    ph->set_name("max-read");
    ph->set_duration_s(4);
    qdt::v1::Stream* s = ph->add_streams();
    s->set_name("clip");
    s->set_block_size_bytes(1 << 20);
    s->set_iodepth(1);
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::Run run;
    grpc::Status st = stub_->StartRun(&ctx, req, &run);
    EXPECT_TRUE(st.ok()) << st.error_message();
    run_id_ = run.run_id();
    return Watch(*stub_, token_, run_id_, 1);
  }

  qdt::v1::Run Final() {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::GetRunRequest req;
    req.set_run_id(run_id_);
    qdt::v1::RunRecord record;
    grpc::Status st = stub_->GetRun(&ctx, req, &record);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return record.run();
  }

  std::vector<qdt::v1::Sample> Samples(const std::vector<qdt::v1::RunEvent>& events) {
    std::vector<qdt::v1::Sample> out;
    for (const auto& ev : events) {
      if (ev.has_sample()) out.push_back(ev.sample());
    }
    return out;
  }

  std::string SmartctlCalls() { return ReadFile(log_).value_or(""); }

  TempDir bin_{"fakebin"};
  TempDir state_{"state"};
  TempDir target_{"target"};
  std::string log_ = bin_.path() + "/smartctl.log";
  std::string token_file_ = state_.path() + "/token";
  AgentProcess agent_{state_.path(), token_file_};
  std::string token_, run_id_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

TEST_F(DriveTemperatureTest, AnExternalNvmeTargetGivesThatDrivesTemperatureNamed) {
  StartAgent("PCI-Express", /*disk11_answers=*/true);
  EXPECT_EQ(SmartctlCalls(), "") << "smartctl ran while the agent was idle";
  const auto events = Run();
  ASSERT_FALSE(events.empty());
  const auto samples = Samples(events);
  ASSERT_FALSE(samples.empty()) << agent_.Log();
  int with_temperature = 0;
  for (const auto& s : samples) {
    if (!s.has_temperature_c()) continue;
    ++with_temperature;
    EXPECT_EQ(s.temperature_c(), 35) << "not the internal drive's 32 °C";
    EXPECT_EQ(s.temperature_source(), "smartctl /dev/disk11 (Samsung SSD 970 EVO Plus 250GB)");
  }
  EXPECT_GT(with_temperature, 0) << "no sample carried a temperature";
  const qdt::v1::Run run = Final();
  EXPECT_EQ(run.checks().temperature_source(),
            "smartctl /dev/disk11 (Samsung SSD 970 EVO Plus 250GB)");
  const std::string calls = SmartctlCalls();
  EXPECT_THAT(calls, HasSubstr("-j -a /dev/disk11"));
  EXPECT_THAT(calls, Not(HasSubstr("disk0"))) << "the internal drive was asked during the run";
}

// Every fio of a macOS run (layout and phases) ran through `taskpolicy -d
// important`, and the run and GetInfo say so.
TEST_F(DriveTemperatureTest, FioRunsWithTheImportantDiskIoPolicy) {
  StartAgent("PCI-Express", /*disk11_answers=*/true);
  const auto events = Run();
  ASSERT_FALSE(events.empty());
  const qdt::v1::Run run = Final();
  EXPECT_EQ(run.state(), qdt::v1::RUN_STATE_DONE) << agent_.Log();
  EXPECT_EQ(run.checks().io_policy(), "IMPORTANT (taskpolicy -d important)");
  const std::string log = ReadFile(bin_.path() + "/taskpolicy.log").value_or("");
  EXPECT_THAT(log, HasSubstr("fio/layout.fio")) << log;
  EXPECT_THAT(log, HasSubstr("fio/phase-0")) << log;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "-d important ")) << line;
  }
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, absl::Seconds(10));
  qdt::v1::AgentInfo info;
  ASSERT_TRUE(stub_->GetInfo(&ctx, qdt::v1::GetInfoRequest(), &info).ok());
  EXPECT_EQ(info.io_policy(), "IMPORTANT (taskpolicy -d important)");
}

TEST_F(DriveTemperatureTest, AUsbTargetWithoutSmartSaysNoSensorOverUsb) {
  StartAgent("USB", /*disk11_answers=*/false);
  const auto events = Run();
  const auto samples = Samples(events);
  ASSERT_FALSE(samples.empty()) << agent_.Log();
  int named = 0;
  for (const auto& s : samples) {
    EXPECT_FALSE(s.has_temperature_c()) << "a temperature that is not the USB drive's";
    if (!s.temperature_source().empty()) {
      ++named;
      EXPECT_EQ(s.temperature_source(), "no sensor over USB: disk11");
    }
  }
  EXPECT_GT(named, 0) << "no sample said why there is no temperature";
  EXPECT_EQ(Final().checks().temperature_source(), "no sensor over USB: disk11");
  EXPECT_THAT(SmartctlCalls(), Not(HasSubstr("disk0")));
}

// GetInfo(readiness): the doctor's list without a target, named checks with
// their fixes, run once per 30 s however often a console asks; qdtctl info
// prints it.
TEST_F(DriveTemperatureTest, GetInfoReadinessListsTheChecksAndKeepsTheAnswer) {
  StartAgent("PCI-Express", /*disk11_answers=*/true);
  auto info = [&](bool readiness) {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(60));
    qdt::v1::GetInfoRequest req;
    req.set_readiness(readiness);
    qdt::v1::AgentInfo out;
    grpc::Status st = stub_->GetInfo(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  };
  EXPECT_EQ(info(false).readiness_size(), 0) << "only asked for, never by default";
  const qdt::v1::AgentInfo first = info(true);
  std::map<std::string, qdt::v1::ReadinessCheck> by_name;
  for (const auto& r : first.readiness()) by_name[r.name()] = r;
  ASSERT_TRUE(by_name.count("fio")) << first.DebugString();
  // fio 3.33 on macOS cannot drop cached pages; the agent runs with the flag: a warning.
  EXPECT_EQ(by_name["fio"].level(), "warn");
  EXPECT_THAT(by_name["fio"].fix(), HasSubstr("fio 3.42 or newer"));
  EXPECT_EQ(by_name["I/O policy"].level(), "ok");
  EXPECT_EQ(by_name["QLab"].level(), "ok");
  ASSERT_TRUE(by_name.count("temperature")) << first.DebugString();
  EXPECT_EQ(by_name["temperature"].level(), "warn");  // system_profiler fails: no drive listed
  // The agent asked system_profiler at start (its volume probe) and once for
  // the checks; a second ask within 30 s starts nothing.
  const std::string calls = ReadFile(bin_.path() + "/system_profiler.log").value_or("");
  EXPECT_EQ(calls, "x\nx\n");
  const qdt::v1::AgentInfo second = info(true);
  EXPECT_EQ(second.readiness_size(), first.readiness_size());
  EXPECT_EQ(ReadFile(bin_.path() + "/system_profiler.log").value_or(""), calls)
      << "the checks ran again within 30 s";
  int rc = -1;
  const std::string out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent ", agent_.address(),
                                                  " --token-file ", token_file_, " info"),
                                     &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("I/O policy   IMPORTANT (taskpolicy -d important)"));
  EXPECT_THAT(out, HasSubstr("ready        yes, with "));
  EXPECT_THAT(out, HasSubstr("  warn  fio              fio-3.33 at "));
}

}  // namespace
}  // namespace qdt::testing
