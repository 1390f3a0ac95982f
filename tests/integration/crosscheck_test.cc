// Every number checked against the drive's own counter: runs on a loop device
// of the test's own (nothing else reads it), a run served from the page cache
// gets NO RATING with both byte counts and qdtctl exits 3, a direct run's
// phases agree with the drive within 2 %, another reader on the drive is
// named with its rate, the test files are out of the page cache before the
// first phase (checked from outside with util-linux fincore), and a target
// with no counter (tmpfs) says so without rating memory.
#include <signal.h>
#include <sys/stat.h>

#include <cmath>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/proto_json.h"
#include "common/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;
using ::testing::HasSubstr;

// One phase, one stream: unpaced reads of 1 MiB, or paced at `rate`.
qdt::v1::Profile OnePhase(const std::string& name, double seconds, uint64_t rate, bool buffered) {
  qdt::v1::Profile p;
  p.set_name(name);
  p.set_buffered(buffered);
  auto* ph = p.add_phases();
  ph->set_name(rate > 0 ? "paced" : "max-read");
  ph->set_duration_s(seconds);
  auto* s = ph->add_streams();
  s->set_name("clip");
  s->set_block_size_bytes(1 << 20);
  s->set_iodepth(rate > 0 ? 2 : 8);
  s->set_rate_bytes_per_s(rate);
  return p;
}

bool HasFlag(const qdt::v1::Verdict& v, const std::string& prefix) {
  for (const auto& f : v.flags()) {
    if (absl::StartsWith(f, prefix)) return true;
  }
  return false;
}

#define REQUIRE_LOOP(volume) \
  if (!(volume).ok()) GTEST_SKIP() << (volume).skip_reason()

TEST(CrossCheckTest, ABufferedRunServedFromTheCacheGetsNoRatingAndQdtctlExits3) {
  LoopVolume volume;
  REQUIRE_LOOP(volume);
  TempDir state("state");
  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  auto json = ProtoToJson(OnePhase("buffered-64m", 10, 0, /*buffered=*/true));
  ASSERT_TRUE(json.ok());
  ASSERT_TRUE(WriteFile(state.path() + "/buffered.json", *json).ok());
  int rc = -1;
  const std::string out = RunCommand(
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file,
                   " start --profile-file ", state.path(), "/buffered.json --target ",
                   volume.mount_point(), " --file-size 64M --wait"),
      &rc);
  EXPECT_EQ(rc, 3) << "a cache-served run must not pass (0) nor fail (1) the drive\n" << out;
  EXPECT_THAT(out, HasSubstr("rating: NO RATING (served from cache: fio read "));
  EXPECT_THAT(out, HasSubstr("GB in max-read, the drive delivered 0."));
  EXPECT_THAT(out, HasSubstr("gives no rating: served from cache"));
  EXPECT_THAT(out, HasSubstr(" drive ")) << "the per-second line shows the drive's rate";
  // qdtctl get says what was checked: the loop device's counter, the eviction.
  const std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);
  const std::string runs = RunCommand(ctl + " runs --limit 1", &rc);
  ASSERT_EQ(rc, 0) << runs;
  const std::string id = runs.substr(runs.find("20"), 22);
  const std::string got = RunCommand(ctl + " get " + id, &rc);
  EXPECT_EQ(rc, 0) << got;
  EXPECT_THAT(got, HasSubstr("\nChecks\n  drive counter  " +
                             volume.device().substr(volume.device().rfind('/') + 1) +
                             " (its own count of bytes read)\n"));
  EXPECT_THAT(got, HasSubstr("% of a test file resident after the eviction"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

TEST(CrossCheckTest, ADirectRunAgreesWithTheDriveWithinTwoPercent) {
  LoopVolume volume;
  REQUIRE_LOOP(volume);
  InProcessAgent agent;
  auto req = SetupCheckRequest(volume.mount_point(), 0.3);
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  auto events = agent.WatchAll(run->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  auto rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();
  EXPECT_EQ(rec->run().checks().device_counter(), volume.device().substr(5));
  int samples = 0;
  for (const RunEvent& ev : *events) {
    if (!ev.has_sample()) continue;
    ++samples;
    EXPECT_TRUE(ev.sample().has_device_read_bytes_per_s()) << "sample " << ev.seq();
  }
  EXPECT_GE(samples, 6);
  const qdt::v1::Verdict& v = rec->run().verdict();
  EXPECT_TRUE(HasRating(v)) << v.summary();
  for (const auto& p : v.phases()) {
    ASSERT_TRUE(p.has_device_mean_mb_s()) << p.name();
    EXPECT_GT(p.fio_bytes(), 0u) << p.name();
    EXPECT_NEAR(p.device_mean_mb_s() / p.mean_mb_s(), 1.0, 0.02)
        << p.name() << ": fio " << p.mean_mb_s() << " MB/s, drive " << p.device_mean_mb_s();
  }
  EXPECT_FALSE(HasFlag(v, "served from cache"));
  EXPECT_FALSE(HasFlag(v, "other reads"));
  EXPECT_FALSE(HasFlag(v, "not cross-checked"));
}

TEST(CrossCheckTest, AnotherReaderOnTheDriveIsNamedWithItsRate) {
  LoopVolume volume;
  REQUIRE_LOOP(volume);
  // A clip file of someone else's on the same drive, written past the cache.
  const std::string other = volume.mount_point() + "/other.mov";
  int rc = -1;
  std::string out = RunCommand(
      absl::StrCat("dd if=/dev/urandom of='", other, "' bs=1M count=256 oflag=direct status=none"),
      &rc);
  ASSERT_EQ(rc, 0) << out;
  InProcessAgent agent;
  auto req = SetupCheckRequest(volume.mount_point(), 1.0);
  req.clear_profile_name();
  *req.mutable_profile() = OnePhase("paced-10s", 10, 100'000'000, /*buffered=*/false);
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  // Once the phase reads, someone else reads the other file (256 MiB).
  Watch(agent.stub(), agent.token(), run->run_id(), 1,
        [](const RunEvent& ev) { return ev.has_sample(); });
  out = RunCommand(absl::StrCat("dd if='", other, "' of=/dev/null bs=1M iflag=direct status=none"),
                   &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(agent.WatchAll(run->run_id()).ok());
  auto rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();
  const qdt::v1::Verdict& v = rec->run().verdict();
  std::string flag;
  for (const auto& f : v.flags()) {
    if (absl::StartsWith(f, "other reads on ")) flag = f;
  }
  ASSERT_FALSE(flag.empty()) << "no other-reads flag; flags: " << v.flags_size();
  // "other reads on loop3 during the test: about 27 MB/s not from this test (...)"
  const size_t about = flag.find("about ");
  ASSERT_NE(about, std::string::npos) << flag;
  double reported = 0;
  ASSERT_TRUE(
      absl::SimpleAtod(flag.substr(about + 6, flag.find(' ', about + 6) - about - 6), &reported))
      << flag;
  const double runtime_s =
      v.phases(0).mean_mb_s() > 0 ? v.phases(0).fio_bytes() / (v.phases(0).mean_mb_s() * 1e6) : 10;
  const double reader_mb_s = (256 << 20) / runtime_s / 1e6;
  EXPECT_NEAR(reported / reader_mb_s, 1.0, 0.25)
      << flag << " (the reader did " << reader_mb_s << " MB/s over the phase)";
  EXPECT_TRUE(HasRating(v)) << "another reader does not void the rating: " << v.summary();
}

// The resident bytes of each file, as util-linux fincore(1) reports them.
std::vector<uint64_t> FincoreBytes(const std::vector<std::string>& files) {
  std::string cmd = "fincore --bytes --noheadings --output RES";
  for (const auto& f : files) absl::StrAppend(&cmd, " '", f, "'");
  int rc = -1;
  std::string out = RunCommand(cmd, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::vector<uint64_t> bytes;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    uint64_t b = 0;
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &b)) << line;
    bytes.push_back(b);
  }
  return bytes;
}

TEST(CrossCheckTest, TheTestFilesAreOutOfThePageCacheBeforeTheFirstPhase) {
  LoopVolume volume;
  REQUIRE_LOOP(volume);
  InProcessAgent agent;
  auto req = SetupCheckRequest(volume.mount_point(), 0.3);
  // Start 30 s from now: the files are laid out, evicted, and wait.
  const absl::Time start = absl::Now() + absl::Seconds(30);
  req.mutable_start_at()->set_seconds(absl::ToUnixSeconds(start));
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  auto until_wait = Watch(agent.stub(), agent.token(), run->run_id(), 1, [](const RunEvent& ev) {
    return ev.has_log() && absl::StrContains(ev.log().text(), "waiting for the synchronised");
  });
  ASSERT_TRUE(until_wait.back().has_log()) << "the run never reached its wait";
  std::vector<std::string> files;
  const std::string dir = volume.mount_point() + "/.qdt-test/" + run->run_id();
  for (int i = 0; i < 8; ++i) files.push_back(absl::StrFormat("%s/stream-%02d.dat", dir, i));
  std::vector<uint64_t> resident = FincoreBytes(files);
  ASSERT_EQ(resident.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_LE(resident[i], (64ull << 20) / 100) << files[i] << " is still in the page cache";
  }
  auto rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(rec->run().checks().has_resident_fraction_after_layout());
  EXPECT_LE(rec->run().checks().resident_fraction_after_layout(), 0.01);
  ASSERT_TRUE(agent.StopRun(run->run_id()).ok());
  ASSERT_TRUE(agent.WatchAll(run->run_id()).ok());
}

TEST(CrossCheckTest, ATargetWithoutACounterSaysSoAndRatesNoMemory) {
  TempDir mount("tmpfs");
  int rc = -1;
  std::string out =
      RunCommand(absl::StrCat("mount -t tmpfs -o size=512m qdt-test '", mount.path(), "'"), &rc);
  if (rc != 0) GTEST_SKIP() << "cannot mount a tmpfs here: " << out;
  InProcessAgent agent;
  auto req = SetupCheckRequest(mount.path(), 1.0);
  req.clear_profile_name();
  // tmpfs refuses O_DIRECT: a buffered profile, as for a network share.
  *req.mutable_profile() = OnePhase("tmpfs", 3, 0, /*buffered=*/true);
  auto run = agent.StartRun(req);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(agent.WatchAll(run->run_id()).ok());
  auto rec = agent.GetRun(run->run_id());
  // With the agent still up: a run that ended holds nothing open on its
  // volume (a show drive can be ejected right after its test).
  const std::string umount = RunCommand(absl::StrCat("umount '", mount.path(), "'"), &rc);
  EXPECT_EQ(rc, 0) << "the volume is still busy after the run: " << umount;
  if (rc != 0) RunCommand(absl::StrCat("umount -l '", mount.path(), "'"), &rc);
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE) << rec->run().error();
  EXPECT_EQ(rec->run().checks().device_counter(), "");
  EXPECT_THAT(rec->run().checks().device_counter_note(), HasSubstr("no device counter for"));
  const qdt::v1::Verdict& v = rec->run().verdict();
  EXPECT_TRUE(HasFlag(v, "not cross-checked: no device counter for \"" + mount.path()));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING) << v.summary();
  EXPECT_THAT(v.no_rating_reason(), HasSubstr("stayed in memory"));
}

}  // namespace
}  // namespace qdt::testing

namespace qdt::testing {
namespace {

// A stand-in for an older fio: its --version says `version`, everything else
// is the real fio.
std::string FakeFio(const std::string& dir, const std::string& version) {
  const std::string path = absl::StrCat(dir, "/fio-", version);
  EXPECT_TRUE(WriteFile(path,
                        absl::StrCat("#!/bin/sh\nif [ \"$1\" = --version ]; then echo fio-",
                                     version, "; exit 0; fi\nexec fio \"$@\"\n"),
                        0755)
                  .ok());
  return path;
}

TEST(FioCacheDropTest, OnMacosAnFioOlderThan342IsRefusedAndGetInfoSaysWhy) {
  TempDir state("state");
  TempDir target("target");
  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start({"--fio", FakeFio(state.path(), "3.41"), "--platform", "macos"});
  const std::string ctl =
      absl::StrCat(QdtctlBinary(), " --agent ", agent.address(), " --token-file ", token_file);
  int rc = -1;
  std::string out = RunCommand(ctl + " info", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("fio-3.41 at "));
  EXPECT_THAT(out,
              HasSubstr("(fio 3.41 cannot drop cached pages on macOS; QDT needs 3.42 or newer)"));
  out = RunCommand(absl::StrCat(ctl, " start --target ", target.path(), " --file-size 64M"), &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out,
              HasSubstr("fio 3.41 cannot drop cached pages on macOS; QDT needs 3.42 or newer"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test")) << "a refused run left files";
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);

  // 3.42 qualifies; so does any fio on Linux.
  AgentProcess newer(state.path(), token_file);
  newer.Start({"--fio", FakeFio(state.path(), "3.42"), "--platform", "macos"});
  out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent ", newer.address(), " --token-file ",
                                token_file, " info"),
                   &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("fio-3.42 at "));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("cannot drop")));
  newer.Signal(SIGTERM);
  EXPECT_EQ(newer.Wait(), 0);
}

// GetInfo says whether the agent has Full Disk Access on macOS (the TCC
// database readable: yes; absent: unknown), and says nothing on Linux.
TEST(FullDiskAccessTest, GetInfoSaysWhetherTheAgentHasIt) {
  TempDir state("state");
  const std::string token_file = state.path() + "/token";
  const std::string db = state.path() + "/TCC.db";
  ASSERT_TRUE(WriteFile(db, "").ok());
  auto info = [&](const std::vector<std::string>& flags) {
    AgentProcess agent(state.path(), token_file);
    agent.Start(flags);
    int rc = -1;
    std::string out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent ", agent.address(),
                                              " --token-file ", token_file, " info"),
                                 &rc);
    EXPECT_EQ(rc, 0) << out;
    agent.Signal(SIGTERM);
    EXPECT_EQ(agent.Wait(), 0);
    return out;
  };
  const std::string fio = FakeFio(state.path(), "3.42");
  EXPECT_THAT(info({"--fio", fio, "--platform", "macos", "--tcc-db", db}),
              HasSubstr("disk access  yes (the TCC database opens for reading)\n"));
  EXPECT_THAT(info({"--fio", fio, "--platform", "macos", "--tcc-db", db + ".absent"}),
              HasSubstr("disk access  unknown: " + db + ".absent: No such file or directory\n"));
  EXPECT_THAT(info({"--fio", fio, "--platform", "linux", "--tcc-db", db}),
              ::testing::Not(HasSubstr("disk access")));
}

// `qdt-agent doctor --platform=macos` with fake macOS tools first on PATH: a
// ready Mac, then one thing wrong at a time, each named with its fix.
class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tool("caffeinate", "sleep 600 & wait");  // holds until released
    Tool("pgrep", "exit 1");                 // QLab not running
    Mdutil("mdutil_s_root_indexing_and_searching_disabled_xcodeplugin_issue394.txt");
    const std::string fx = QDT_FIXTURE_DIR;
    Tool("taskpolicy", "shift 2; exec \"$@\"");  // taskpolicy(8): -d <policy> <program>
    // The volumes and the drive behind them, as in the macOS probe test
    // (failure_test.cc MakeFakeMacTools): the data volume on disk0.
    Tool("system_profiler",
         "cat '" + fx + "/system_profiler/applesilicon_ap0256z_SPStorage_SPNVMe_SPSerialATA.json'");
    Tool(
        "diskutil",
        "case \"$1 $2\" in\n"
        "  'list -plist') cat '" +
            fx +
            "/diskutil/diskutil_list_plist_physical_macos_vm_applesilicon_isc_apfs_recovery.plist' "
            ";;\n"
            "  'info -plist') if [ \"$3\" = /System/Volumes/Data ]; then cat '" +
            fx +
            "/diskutil/diskutil_info_plist_root_apfs_pci_ssd_intel_mac.plist'; else exit 1; fi "
            ";;\n"
            "  *) exit 1 ;;\n"
            "esac");
    // smartctl by its absolute path (--smartctl): the Apple SSD's text report.
    Tool("smartctl",
         "[ \"$1\" = -j ] && { echo 'UNRECOGNIZED OPTION: j'; exit 1; }\ncat '" + fx +
             "/smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt'; exit 4");
    Tmutil("tmutil_status_idle.txt");
    // sysctl(8) form with XNU's arm64 defaults (constructed: SOURCES.md).
    Tool("sysctl", "cat '" + fx + "/sysctl/sysctl_kern_aio_limits_arm64_defaults_constructed.txt'");
    Tool("systemsetup", "[ \"$1\" = -getusingnetworktime ] || exit 1\ncat '" + fx +
                            "/systemsetup/systemsetup_getusingnetworktime_on.txt'");
    tcc_ = bin_.path() + "/TCC.db";
    ASSERT_TRUE(WriteFile(tcc_, "").ok());
  }
  void Tool(const std::string& name, const std::string& body) {
    ASSERT_TRUE(WriteFile(bin_.path() + "/" + name, "#!/bin/sh\n" + body + "\n", 0755).ok());
  }
  void Tmutil(const std::string& capture) {
    Tool("tmutil", absl::StrCat("[ \"$1\" = status ] || exit 1\ncat '", QDT_FIXTURE_DIR, "/tmutil/",
                                capture, "'"));
  }
  void Mdutil(const std::string& capture) {
    Tool("mdutil", absl::StrCat("cat '", QDT_FIXTURE_DIR, "/mdutil/", capture, "'"));
  }
  // Runs the doctor; `prefix` runs before it (e.g. dropping capabilities).
  std::string Doctor(const std::string& fio_version, int* rc, const std::string& prefix = "") {
    return RunCommand(
        absl::StrCat("PATH=", bin_.path(), ":$PATH ", prefix, AgentBinary(),
                     " doctor --platform macos --fio ", FakeFio(bin_.path(), fio_version),
                     " --tcc-db ", tcc_, " --target ", target_.path(), " --file-size 1048576",
                     " --smartctl ", bin_.path(), "/smartctl"),
        rc);
  }
  TempDir bin_{"fakebin"};
  TempDir target_{"target"};
  std::string tcc_;
};

TEST_F(DoctorTest, AReadyMacExitsZero) {
  int rc = -1;
  const std::string out = Doctor("3.42", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("ok    fio               fio-3.42 at "));
  EXPECT_THAT(out, HasSubstr("ok    full disk access  yes"));
  EXPECT_THAT(out, HasSubstr("ok    kept awake        runs hold the machine awake (caffeinate"));
  EXPECT_THAT(out, HasSubstr("ok    spotlight         Indexing and searching disabled."));
  EXPECT_THAT(out, HasSubstr("ok    QLab              not running"));
  EXPECT_THAT(out,
              HasSubstr("ok    I/O policy        fio runs IMPORTANT (taskpolicy -d important)"));
  EXPECT_THAT(out, HasSubstr("ok    temp disk0        32 °C (APPLE SSD AP0256Z), the drive of "
                             "/Users/Shared"));
  EXPECT_THAT(out, HasSubstr("ok    time machine      no backup running"));
  EXPECT_THAT(out, HasSubstr("ok    clock             network time is on"));
  // The Setup Check's crossfade as the agent lays it out on macOS: psync readers, no AIO.
  EXPECT_THAT(out, HasSubstr("ok    AIO limits        crossfade: 16 reads in flight as 16 psync "
                             "threads; AIO not used (kern.aioprocmax 16)"));
  EXPECT_THAT(out, ::testing::EndsWith("\nready\n"));
}

TEST_F(DoctorTest, ABackupRunningAndTheClockOffAreWarningsWithTheirFixes) {
  Tmutil("tmutil_status_copying_macos11.txt");
  Tool("systemsetup", absl::StrCat("cat '", QDT_FIXTURE_DIR,
                                   "/systemsetup/systemsetup_getusingnetworktime_off.txt'"));
  int rc = -1;
  const std::string out = Doctor("3.42", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("warn  time machine      a backup is running now"));
  EXPECT_THAT(out, HasSubstr("fix: let it finish, or stop it: tmutil stopbackup"));
  EXPECT_THAT(out, HasSubstr("warn  clock             network time is off"));
  EXPECT_THAT(out, HasSubstr("fix: System Settings › General › Date & Time"));
}

TEST_F(DoctorTest, NoSmartctlIsAWarningThatSaysWhereItComesFrom) {
  int rc = -1;
  const std::string out = RunCommand(absl::StrCat("PATH=", bin_.path(), ":$PATH ", AgentBinary(),
                                                  " doctor --platform macos --fio ",
                                                  FakeFio(bin_.path(), "3.42"), " --tcc-db ", tcc_),
                                     &rc);
  EXPECT_EQ(rc, 1) << out;
  // Never the smartctl on PATH (the fake one here): only the one next to the agent.
  EXPECT_THAT(out, HasSubstr("warn  temperature       no drive temperature: no usable smartctl"));
  EXPECT_THAT(out, HasSubstr("fix: install the QDT package (it bundles smartctl)"));
}

TEST_F(DoctorTest, AnOldFioIsNotReadyAndSaysWhatToInstall) {
  int rc = -1;
  const std::string out = Doctor("3.41", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("FAIL  fio               fio-3.41 at "));
  EXPECT_THAT(out, HasSubstr("fio 3.41 cannot drop cached pages on macOS"));
  EXPECT_THAT(out, HasSubstr("fix: install fio 3.42 or newer"));
  EXPECT_THAT(out, HasSubstr("NOT READY"));
}

TEST_F(DoctorTest, NoFullDiskAccessIsNotReadyAndNamesTheSetting) {
  // A real refusal from the kernel: the TCC database readable by nobody, and
  // the doctor run without the capabilities that let root read it anyway.
  ASSERT_EQ(::chmod(tcc_.c_str(), 0), 0);
  int rc = -1;
  const std::string out =
      Doctor("3.42", &rc, "setpriv --bounding-set=-dac_override,-dac_read_search ");
  if (absl::StrContains(out, "setpriv:")) GTEST_SKIP() << "cannot drop capabilities: " << out;
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("FAIL  full disk access  no: " + tcc_ + ": Permission denied"));
  EXPECT_THAT(out, HasSubstr("fix: add "));
  EXPECT_THAT(out, HasSubstr("qdt-agent in System Settings › Privacy & Security › Full Disk "
                             "Access"));
}

TEST_F(DoctorTest, SpotlightIndexingTheTargetIsAWarningWithTheCommand) {
  Mdutil("mdutil_s_smb_share_indexing_enabled_fs2es_issue30.txt");
  int rc = -1;
  const std::string out = Doctor("3.42", &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("warn  spotlight         Indexing enabled. on "
                             "/System/Volumes/Data/Volumes/Shared"));
  EXPECT_THAT(out, HasSubstr("fix: sudo mdutil -i off /System/Volumes/Data/Volumes/Shared"));
  EXPECT_THAT(out, HasSubstr("ready, with warnings"));
}

}  // namespace
}  // namespace qdt::testing
