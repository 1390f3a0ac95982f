// The built-in test modes with real fio at time scales that run each in
// 10-20 s: phases in order, a verdict, paced phases on target where this disk
// can; and a crossfade burst visible in the samples at its scheduled time.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run/device_counter.h"
#include "common/profiles.h"
#include "fio/fio_stream_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;

struct ModeCase {
  const char* profile;
  double time_scale;
};

void PrintTo(const ModeCase& c, std::ostream* os) { *os << c.profile << " x" << c.time_scale; }

// Starts `req`, returns its events to the end of the stream and fills
// `record` with the stored run. A failed call fails the test and leaves the
// results empty, which the callers' own checks then trip over.
std::vector<RunEvent> RunToEnd(InProcessAgent& agent, const qdt::v1::StartRunRequest& req,
                               qdt::v1::RunRecord* record) {
  absl::StatusOr<qdt::v1::Run> run = agent.StartRun(req);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return {};
  absl::StatusOr<std::vector<RunEvent>> events = agent.WatchAll(run->run_id());
  EXPECT_TRUE(events.ok()) << events.status();
  absl::StatusOr<qdt::v1::RunRecord> rec = agent.GetRun(run->run_id());
  EXPECT_TRUE(rec.ok()) << rec.status();
  if (rec.ok()) *record = *std::move(rec);
  return events.ok() ? *std::move(events) : std::vector<RunEvent>();
}

class ModesTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(ModesTest, RunsItsPhasesInOrderToAVerdict) {
  InProcessAgent agent;
  TempDir target("target");
  auto profile = BuiltinProfile(GetParam().profile);
  ASSERT_TRUE(profile.ok());
  double seconds = ProfileDurationS(*profile) * GetParam().time_scale;
  ASSERT_GE(seconds, 10);
  // show-pattern's smallest scale is 0.01 (its bursts must last 0.1 s): 90 s.
  ASSERT_LE(seconds, 100);
  auto req = SetupCheckRequest(target.path(), GetParam().time_scale);
  req.set_profile_name(GetParam().profile);
  qdt::v1::RunRecord rec;
  auto events = RunToEnd(agent, req, &rec);
  ASSERT_FALSE(events.empty());
  std::vector<int> phases;
  for (const auto& ev : events) {
    if (ev.has_phase()) phases.push_back(ev.phase().phase_index());
  }
  std::vector<int> expected;
  for (int i = 0; i < profile->phases_size(); ++i) expected.push_back(i);
  EXPECT_EQ(phases, expected);
  EXPECT_EQ(rec.run().state(), qdt::v1::RUN_STATE_DONE) << rec.run().error();
  ASSERT_TRUE(rec.run().has_verdict());
  EXPECT_NE(rec.run().verdict().rating(), qdt::v1::RATING_UNSPECIFIED);
  EXPECT_GT(rec.run().verdict().sustained_mb_s(), 0);
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));

  // Paced phases without bursts that this disk can surely sustain: fio's own
  // mean is within 5 % of the target. "Surely" is at most half of what it read
  // unpaced in this run: the shared test disk varies from 0.5 to 3 GB/s, and
  // eight paced streams of 8.8 MB reads get less from it than one unpaced
  // stream (seen: 1008 MB/s in the crossfade, 2983 MB/s in max-read of the
  // same run; the verdict then rightly says ACCEPTABLE, not a pacing fault).
  const double capacity = rec.run().verdict().sustained_mb_s() * 1e6;
  for (const auto& inv : rec.fio()) {
    if (inv.phase_index() < 0) continue;
    const auto& phase = rec.profile().phases(inv.phase_index());
    double target_rate = PhaseTargetBytesPerS(phase);
    bool steady = target_rate > 0 && target_rate <= 0.5 * capacity &&
                  ScheduledTargetBytesPerS(phase, 0, phase.duration_s()) == target_rate;
    if (!steady || phase.duration_s() < 2) continue;
    auto reports = fio::ParseFioOutput(inv.stdout());
    ASSERT_TRUE(reports.ok());
    double mean = fio::MeanReadBytesPerS(reports->back());
    EXPECT_NEAR(mean / target_rate, 1.0, 0.05)
        << GetParam().profile << " phase " << phase.name() << ": " << mean / 1e6 << " MB/s";
  }
}

INSTANTIATE_TEST_SUITE_P(BuiltinProfiles, ModesTest,
                         ::testing::Values(ModeCase{"setup-check", 0.5},
                                           ModeCase{"show-pattern", 0.01},
                                           ModeCase{"max-sustained", 0.0017}),
                         [](const ::testing::TestParamInfo<ModeCase>& p) {
                           std::string n = p.param.profile;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

qdt::v1::Stream PacedStream(const std::string& name, uint64_t rate) {
  qdt::v1::Stream s;
  s.set_name(name);
  s.set_rate_bytes_per_s(rate);
  s.set_block_size_bytes(1 << 20);
  s.set_iodepth(2);
  return s;
}

TEST(PacedPhaseTest, DeliversItsTargetWithinFivePercent) {
  // 4 clips of 50 MB/s for 6 s on a loop device of the test's own: pacing is
  // what is tested, not the shared disk of a busy CI machine (seen: 2 windows
  // under 190 MB/s on the build disk while two compilers ran).
  LoopVolume volume;
  if (!volume.ok()) GTEST_SKIP() << volume.skip_reason();
  InProcessAgent agent;
  qdt::v1::StartRunRequest req = SetupCheckRequest(volume.mount_point(), 1.0);
  req.clear_profile_name();
  auto* p = req.mutable_profile();
  p->set_name("paced");
  auto* ph = p->add_phases();
  ph->set_name("four-clips");
  ph->set_duration_s(6);
  for (int i = 0; i < 4; ++i) *ph->add_streams() = PacedStream(absl::StrCat("clip ", i), 50000000);
  qdt::v1::RunRecord rec;
  RunToEnd(agent, req, &rec);
  ASSERT_EQ(rec.run().state(), qdt::v1::RUN_STATE_DONE) << rec.run().error();
  ASSERT_EQ(rec.fio_size(), 2);
  auto reports = fio::ParseFioOutput(rec.fio(1).stdout());
  ASSERT_TRUE(reports.ok());
  EXPECT_NEAR(fio::MeanReadBytesPerS(reports->back()) / 200e6, 1.0, 0.05);
  const auto& pv = rec.run().verdict().phases(0);
  EXPECT_NEAR(pv.mean_mb_s() / 200, 1.0, 0.05);
  EXPECT_NEAR(pv.median_mb_s() / 200, 1.0, 0.05);
  EXPECT_EQ(pv.missed_windows(), 0u) << "worst window " << pv.worst_mb_s() << " MB/s";
}

TEST(CrossfadeBurstTest, ShowsInTheSamplesAtItsScheduledTime) {
  InProcessAgent agent;
  TempDir target("target");
  // 9 s of 100 MB/s with a 300 MB/s burst from 3 s to 6 s on its own file.
  qdt::v1::StartRunRequest req = SetupCheckRequest(target.path(), 1.0);
  req.clear_profile_name();
  auto* p = req.mutable_profile();
  p->set_name("burst");
  auto* ph = p->add_phases();
  ph->set_name("act");
  ph->set_duration_s(9);
  *ph->add_streams() = PacedStream("base", 100000000);
  auto* burst = ph->add_streams();
  *burst = PacedStream("burst", 300000000);
  burst->set_start_offset_s(3);
  burst->set_duration_s(3);
  qdt::v1::RunRecord rec;
  auto events = RunToEnd(agent, req, &rec);
  ASSERT_EQ(rec.run().state(), qdt::v1::RUN_STATE_DONE) << rec.run().error();
  double first_high_end = -1, last_high_end = -1;
  int samples = 0;
  for (const auto& ev : events) {
    if (!ev.has_sample()) continue;
    ++samples;
    const auto& s = ev.sample();
    if (s.read_bytes_per_s() > 250e6) {
      if (first_high_end < 0) first_high_end = s.phase_elapsed_s();
      last_high_end = s.phase_elapsed_s();
    }
    // The schedule in the sample: 400 MB/s inside the burst, 100 outside.
    if (s.phase_elapsed_s() < 3) {
      EXPECT_NEAR(s.target_bytes_per_s(), 100e6, 1);
    }
  }
  ASSERT_GE(samples, 7);
  ASSERT_GT(first_high_end, 0) << "the burst never showed";
  // A window ending at t covers (t-1, t]: the burst (3 s .. 6 s) first shows in
  // the window ending after 3 s and last in the one ending after 6 s (+/- 1 s).
  EXPECT_GE(first_high_end, 3.0 - 1.0);
  EXPECT_LE(first_high_end, 4.0 + 1.0);
  EXPECT_GE(last_high_end, 5.0 - 1.0);
  EXPECT_LE(last_high_end, 7.0 + 1.0);
  ASSERT_TRUE(rec.run().has_verdict());
  EXPECT_NEAR(rec.run().verdict().phases(0).target_mb_s(), 400, 1e-6);
}

TEST(ThermalInSamplesTest, EverySampleAndTelemetryCarryTheDriveTemperature) {
  // A fake sysfs with one NVMe hwmon at 41.5 °C stands in for the drive.
  TempDir sysfs("sysfs");
  for (const char* d : {"/class", "/class/hwmon", "/class/hwmon/hwmon7"}) {
    ::mkdir((sysfs.path() + d).c_str(), 0755);
  }
  std::ofstream(sysfs.path() + "/class/hwmon/hwmon7/name") << "nvme\n";
  std::ofstream(sysfs.path() + "/class/hwmon/hwmon7/temp1_input") << "41500\n";
  // The sensor belongs to the drive under the target (a run reads only its
  // own drive's sensor): both device links lead to one device, as in sysfs.
  TempDir target("target");
  const agent::CounterChoice drive =
      agent::ChooseDeviceCounter(target.path(), agent::Platform::kLinux, nullptr);
  ASSERT_FALSE(drive.whole_disk.empty()) << drive.note;
  for (const std::string& d : std::vector<std::string>{"/devices", "/devices/disk", "/class/block",
                                                       "/class/block/" + drive.whole_disk}) {
    ::mkdir((sysfs.path() + d).c_str(), 0755);
  }
  const std::string device = sysfs.path() + "/devices/disk";
  ASSERT_EQ(::symlink(device.c_str(), (sysfs.path() + "/class/hwmon/hwmon7/device").c_str()), 0);
  ASSERT_EQ(::symlink(device.c_str(),
                      (sysfs.path() + "/class/block/" + drive.whole_disk + "/device").c_str()),
            0);
  agent::SystemCommandRunner commands;
  agent::ThermalMonitor monitor(&commands, agent::Platform::kLinux, sysfs.path(),
                                absl::Milliseconds(200));
  monitor.Start();
  agent::RunManagerOptions options;
  options.thermal = &monitor;
  InProcessAgent agent(options);
  qdt::v1::StartRunRequest req = SetupCheckRequest(target.path(), 1.0);
  req.clear_profile_name();
  auto* ph = req.mutable_profile()->add_phases();
  req.mutable_profile()->set_name("warm");
  ph->set_name("read");
  ph->set_duration_s(3);
  *ph->add_streams() = PacedStream("clip", 50000000);
  qdt::v1::RunRecord rec;
  auto events = RunToEnd(agent, req, &rec);
  int samples = 0;
  for (const auto& ev : events) {
    if (!ev.has_sample()) continue;
    ++samples;
    ASSERT_TRUE(ev.sample().has_temperature_c());
    EXPECT_DOUBLE_EQ(ev.sample().temperature_c(), 41.5);
    EXPECT_EQ(ev.sample().temperature_source(), "hwmon7 nvme (" + drive.whole_disk + ")");
  }
  EXPECT_GE(samples, 2);

  // Idle telemetry streams the same reading.
  grpc::ClientContext ctx;
  agent.Auth(&ctx, /*stream=*/true);
  qdt::v1::WatchTelemetryRequest treq;
  treq.set_interval_s(0.2);
  auto reader = agent.stub().WatchTelemetry(&ctx, treq);
  qdt::v1::Telemetry t;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(reader->Read(&t));
    ASSERT_TRUE(t.has_temperature_c());
    EXPECT_DOUBLE_EQ(t.temperature_c(), 41.5);
  }
  ctx.TryCancel();
  reader->Finish().IgnoreError();
}

TEST(ThermalInSamplesTest, NoSourceMeansNoTemperatureNeverZero) {
  InProcessAgent agent;  // no thermal monitor
  TempDir target("target");
  qdt::v1::StartRunRequest req = SetupCheckRequest(target.path(), 1.0);
  req.clear_profile_name();
  req.mutable_profile()->set_name("cool");
  auto* ph = req.mutable_profile()->add_phases();
  ph->set_name("read");
  ph->set_duration_s(2);
  *ph->add_streams() = PacedStream("clip", 50000000);
  qdt::v1::RunRecord rec;
  int samples = 0;
  for (const auto& ev : RunToEnd(agent, req, &rec)) {
    if (!ev.has_sample()) continue;
    ++samples;
    EXPECT_FALSE(ev.sample().has_temperature_c());
    EXPECT_EQ(ev.sample().thermal_pressure(), qdt::v1::THERMAL_PRESSURE_UNKNOWN);
  }
  EXPECT_GE(samples, 1);
}

}  // namespace
}  // namespace qdt::testing
