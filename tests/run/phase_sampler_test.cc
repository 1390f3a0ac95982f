// PhaseSampler on real fio output (tests/fixtures/fio, provenance in
// SOURCES.md): samples carry the hand-computed interval rates, the series'
// mean is fio's own io_bytes / runtime, and fio's failures are named.
#include "agent/run/phase_sampler.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

// fio 3.33, --status-interval=1, one 1 MiB libaio job on a VM disk: five
// cumulative reports (io_bytes / read runtime in ms):
// 381681664/486, 1152385024/1487, 1915748352/2487, 2712666112/3486, 3186622464/4009.
constexpr char kFiveReports[] =
    "fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json";

qdt::v1::Phase Unpaced() {
  qdt::v1::Phase p;
  p.set_name("max-read");
  p.set_duration_s(4);
  auto* s = p.add_streams();
  s->set_name("max");
  s->set_block_size_bytes(1 << 20);
  s->set_iodepth(8);
  return p;
}

std::vector<qdt::v1::Sample> FeedInChunks(PhaseSampler* sampler, const std::string& text,
                                          size_t chunk) {
  std::vector<qdt::v1::Sample> all;
  for (size_t i = 0; i < text.size(); i += chunk) {
    for (auto& s : sampler->Feed(absl::string_view(text).substr(i, chunk))) {
      all.push_back(std::move(s));
    }
  }
  return all;
}

fio::FioExit CleanExit() {
  fio::FioExit e;
  e.exit_code = 0;
  return e;
}

TEST(PhaseSamplerTest, SamplesAreTheIntervalRatesAndTheMeanIsFios) {
  PhaseSampler sampler(Unpaced(), 2, {});
  sampler.Start();  // the phase is released
  // 7-byte chunks: reports arrive split anywhere, as from a pipe.
  std::vector<qdt::v1::Sample> samples = FeedInChunks(&sampler, testing::Fixture(kFiveReports), 7);
  ASSERT_EQ(samples.size(), 5u);
  const double expected[] = {
      381681664 / 0.486, (1152385024.0 - 381681664) / 1.001, (1915748352.0 - 1152385024) / 1.000,
      (2712666112.0 - 1915748352) / 0.999, (3186622464.0 - 2712666112) / 0.523};
  const double lengths[] = {0.486, 1.001, 1.000, 0.999, 0.523};
  double elapsed = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    elapsed += lengths[i];
    EXPECT_NEAR(samples[i].read_bytes_per_s(), expected[i], 1) << "sample " << i;
    EXPECT_NEAR(samples[i].interval_s(), lengths[i], 1e-9) << "sample " << i;
    EXPECT_NEAR(samples[i].phase_elapsed_s(), elapsed, 1e-9) << "sample " << i;
    EXPECT_EQ(samples[i].phase_index(), 2);
    EXPECT_EQ(samples[i].target_bytes_per_s(), 0) << "an unpaced phase has no target";
    EXPECT_FALSE(samples[i].has_temperature_c()) << "no source: unknown, never 0";
  }
  EXPECT_EQ(samples[4].bytes_done(), 3186622464u);
  EXPECT_NEAR(samples[0].read_clat_p99_ms(), 16.580608, 1e-9);

  ASSERT_TRUE(sampler.Finish(CleanExit()).ok());
  const PhaseSeries& s = sampler.series();
  EXPECT_TRUE(s.ran);
  EXPECT_TRUE(s.completed);
  EXPECT_EQ(s.name, "max-read");
  ASSERT_EQ(s.window_bytes_per_s.size(), 5u);
  EXPECT_NEAR(s.window_bytes_per_s[3], expected[3], 1);
  EXPECT_NEAR(s.fio_mean_bytes_per_s, 3186622464 / 4.009, 1);
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].name, "max");
  EXPECT_NEAR(s.streams[0].clat_p99_ms, 16.318464, 1e-9);
  EXPECT_EQ(s.requested_iodepth, 8u);
  EXPECT_EQ(s.reached_iodepth, 8u);
  EXPECT_EQ(sampler.warning(), "");
}

TEST(PhaseSamplerTest, AShortIntervalIsFoldedIntoTheNextNotDropped) {
  // The second report 0.114 s after the first: too short to rate, so the next
  // sample measures from the first report: 2.001 s, two windows at its mean.
  std::string text = testing::Fixture(kFiveReports);
  size_t second = text.find("\"runtime\" : 1487");
  ASSERT_NE(second, std::string::npos);
  text.replace(second, 16, "\"runtime\" : 600");
  PhaseSampler sampler(Unpaced(), 0, {});
  sampler.Start();  // the phase is released
  std::vector<qdt::v1::Sample> samples = sampler.Feed(text);
  ASSERT_EQ(samples.size(), 5u);
  for (int i : {1, 2}) {
    EXPECT_NEAR(samples[i].interval_s(), 2.001 / 2, 1e-9);
    EXPECT_NEAR(samples[i].read_bytes_per_s(), (1915748352.0 - 381681664) / 2.001, 1);
  }
  EXPECT_NEAR(samples[2].phase_elapsed_s(), 2.487, 1e-9);
  EXPECT_EQ(samples[2].bytes_done(), 1915748352u);
  double covered = 0;
  for (const auto& s : samples) covered += s.interval_s();
  EXPECT_NEAR(covered, 4.009, 1e-9) << "every second of the phase is in some sample";
}

// Issue 15 (17): two reports 0.1 s apart, then 1 s later. The short interval's
// bytes are in the next sample: the samples add up to fio's own total.
TEST(PhaseSamplerTest, TheSamplesAddUpToFiosBytesWhenAnIntervalIsTooShort) {
  std::string text = testing::Fixture(kFiveReports);
  // Runtimes 486, 586 (0.1 s later), 1586 (1 s later), 2586, 3109 ms.
  const std::pair<const char*, const char*> runtimes[] = {
      {"\"runtime\" : 1487", "\"runtime\" : 586"},
      {"\"runtime\" : 2487", "\"runtime\" : 1586"},
      {"\"runtime\" : 3486", "\"runtime\" : 2586"},
      {"\"runtime\" : 4009", "\"runtime\" : 3109"}};
  for (const auto& [from, to] : runtimes) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, std::string(from).size(), to);
  }
  PhaseSampler sampler(Unpaced(), 0, {});
  sampler.Start();
  std::vector<qdt::v1::Sample> samples = sampler.Feed(text);
  ASSERT_EQ(samples.size(), 4u) << "the 0.1 s interval is no sample of its own";
  double bytes = 0;
  for (const auto& s : samples) bytes += s.read_bytes_per_s() * s.interval_s();
  EXPECT_NEAR(bytes, 3186622464.0, 16) << "bytes fio read were lost with the short interval";
  EXPECT_NEAR(samples[1].interval_s(), 1.1, 1e-9);
  EXPECT_EQ(samples.back().bytes_done(), 3186622464u);
  // The series the verdict judges holds the same bytes.
  const PhaseSeries& series = sampler.series();
  double judged = 0;
  for (size_t i = 0; i < series.window_s.size(); ++i) {
    judged += series.window_bytes_per_s[i] * series.window_s[i];
  }
  EXPECT_NEAR(judged, 3186622464.0, 16);
}

// Issue 15 (8): fio silent for 10.2 s in a paced phase. While it is silent
// the sampler says so (stalled samples, not windows); the report that ends
// the stall is judged as 10 windows at its mean, not as one.
TEST(PhaseSamplerTest, AStallIsSaidWhileItLastsAndJudgedAsTheSecondsItCovers) {
  qdt::v1::Phase phase;
  phase.set_name("normal");
  phase.set_duration_s(30);
  auto* cue = phase.add_streams();
  cue->set_name("cue");
  cue->set_block_size_bytes(1 << 20);
  cue->set_rate_bytes_per_s(100000000);
  int64_t now_ns = 0;
  SampleSources sources;
  sources.monotonic_ns = [&now_ns] { return now_ns; };
  PhaseSampler sampler(phase, 0, sources, 1);
  sampler.Start();
  std::string text = testing::Fixture(kFiveReports);
  const size_t second = text.find("{\n  \"fio version\"", text.find("\"fio version\"") + 20);
  const size_t third = text.find("{\n  \"fio version\"", second + 20);
  ASSERT_NE(third, std::string::npos);
  now_ns = 500'000'000;
  ASSERT_EQ(sampler.Feed(text.substr(0, second)).size(), 1u);
  EXPECT_FALSE(sampler.StallSample().has_value()) << "nothing is due yet";
  now_ns = 2'900'000'000;  // 2.4 s without a report: due at 1.5 s, not 1.5 s late yet
  EXPECT_FALSE(sampler.StallSample().has_value());
  now_ns = 3'100'000'000;  // 2.6 s
  std::optional<qdt::v1::Sample> stall = sampler.StallSample();
  ASSERT_TRUE(stall.has_value());
  EXPECT_TRUE(stall->stalled());
  EXPECT_EQ(stall->read_bytes_per_s(), 0);
  EXPECT_NEAR(stall->interval_s(), 2.6, 1e-9);
  EXPECT_NEAR(stall->target_bytes_per_s(), 1e8, 1);
  EXPECT_EQ(stall->bytes_done(), 381681664u);
  now_ns = 3'600'000'000;
  EXPECT_FALSE(sampler.StallSample().has_value()) << "once per status interval";
  now_ns = 4'200'000'000;
  ASSERT_TRUE(sampler.StallSample().has_value());
  EXPECT_EQ(sampler.series().window_s.size(), 1u) << "a stalled sample is not a window";
  EXPECT_EQ(sampler.TakeStallNote(), "");

  // fio speaks again: its report covers 10.2 s.
  std::string late = text.substr(second, third - second);
  const size_t at = late.find("\"runtime\" : 1487");
  ASSERT_NE(at, std::string::npos);
  late.replace(at, 16, "\"runtime\" : 10686");
  now_ns = 10'700'000'000;
  std::vector<qdt::v1::Sample> samples = sampler.Feed(late);
  ASSERT_EQ(samples.size(), 10u);
  const double mean = (1152385024.0 - 381681664) / 10.2;
  for (const auto& s : samples) {
    EXPECT_NEAR(s.interval_s(), 1.02, 1e-9);
    EXPECT_NEAR(s.read_bytes_per_s(), mean, 1);
    EXPECT_FALSE(s.stalled());
  }
  EXPECT_EQ(samples.back().bytes_done(), 1152385024u);
  EXPECT_NEAR(samples.back().phase_elapsed_s(), 10.686, 1e-9);
  const PhaseSeries& series = sampler.series();
  ASSERT_EQ(series.window_s.size(), 11u);
  int low = 0;
  for (double rate : series.window_bytes_per_s) low += rate < 0.95e8 ? 1 : 0;
  EXPECT_EQ(low, 10) << "the stall weighs its ten seconds";
  EXPECT_THAT(sampler.TakeStallNote(),
              HasSubstr("phase 1 \"normal\": fio reported nothing for 10.2 s (a stall"));
  EXPECT_FALSE(sampler.StallSample().has_value()) << "a report came just now";
  // Once the phase's time is over, silence is fio finishing, not a stall.
  sampler.End(std::nullopt);
  now_ns = 20'000'000'000;
  EXPECT_FALSE(sampler.StallSample().has_value());
}

TEST(PhaseSamplerTest, PacedTargetsFollowTheScheduleAndSourcesAreRead) {
  qdt::v1::Phase phase;
  phase.set_name("crossfade");
  phase.set_duration_s(4);
  auto* base = phase.add_streams();
  base->set_name("cue");
  base->set_block_size_bytes(1 << 20);
  base->set_rate_bytes_per_s(100000000);
  auto* burst = phase.add_streams();  // the incoming cue, from 1.5 s to 2.5 s
  burst->set_name("incoming");
  burst->set_block_size_bytes(1 << 20);
  burst->set_rate_bytes_per_s(200000000);
  burst->set_start_offset_s(1.5);
  burst->set_duration_s(1.0);
  SampleSources sources;
  sources.thermal = [] {
    ThermalReading t;
    t.temperature_c = 41.5;
    t.pressure = qdt::v1::THERMAL_PRESSURE_MODERATE;
    return t;
  };
  sources.wall_clock = [] { return absl::FromUnixSeconds(1795863877) + absl::Milliseconds(250); };
  sources.monotonic_ns = [] { return int64_t{42}; };
  PhaseSampler sampler(phase, 1, sources);
  sampler.Start();  // the phase is released
  std::vector<qdt::v1::Sample> samples = sampler.Feed(testing::Fixture(kFiveReports));
  ASSERT_EQ(samples.size(), 5u);
  // Windows: [0, 0.486) 100 MB/s; [0.486, 1.487) 100; [1.487, 2.487) 0.013 s at 100
  // and 0.987 s at 300; [2.487, 3.486) 0.013 s at 300, then 100.
  EXPECT_NEAR(samples[0].target_bytes_per_s(), 1e8, 1);
  EXPECT_NEAR(samples[1].target_bytes_per_s(), 1e8, 1);
  EXPECT_NEAR(samples[2].target_bytes_per_s(), (0.013 * 1e8 + 0.987 * 3e8) / 1.0, 1e3);
  EXPECT_NEAR(samples[3].target_bytes_per_s(), (0.013 * 3e8 + 0.986 * 1e8) / 0.999, 1e3);
  EXPECT_EQ(samples[0].temperature_c(), 41.5);
  EXPECT_EQ(samples[0].thermal_pressure(), qdt::v1::THERMAL_PRESSURE_MODERATE);
  EXPECT_EQ(samples[0].wall_time().seconds(), 1795863877);
  EXPECT_EQ(samples[0].wall_time().nanos(), 250000000);
  EXPECT_EQ(samples[0].monotonic_ns(), 42);
  EXPECT_EQ(sampler.series().window_target_bytes_per_s.size(), 5u);
  EXPECT_NEAR(sampler.series().target_bytes_per_s, 3e8, 1);
}

TEST(PhaseSamplerTest, AReportFioTookBeforeTheReleaseIsNotASample) {
  // fio's status thread waits while jobs wait at their gate, then prints a
  // report it took before the release: no bytes, job_runtime 1001 ms.
  const std::string text = testing::Fixture(
      "fio/local_fio-3.33_gated_prerun_status-interval1_stale_first_report_linux_vm.json");
  const size_t second = text.find("{\n  \"fio version\"", text.find("\"fio version\"") + 20);
  ASSERT_NE(second, std::string::npos);
  int64_t now_ns = 0;
  SampleSources sources;
  sources.monotonic_ns = [&now_ns] { return now_ns; };
  {
    PhaseSampler sampler(Unpaced(), 0, sources);
    EXPECT_TRUE(sampler.Feed(text.substr(0, second)).empty()) << "not begun: nothing counts";
  }
  PhaseSampler sampler(Unpaced(), 0, sources);
  sampler.Start();
  now_ns = 9'000'000;  // printed 9 ms after the release
  EXPECT_TRUE(sampler.Feed(text.substr(0, second)).empty());
  now_ns = 2'600'000'000;
  std::vector<qdt::v1::Sample> samples = sampler.Feed(text.substr(second));
  // 0.253 s, 1 s, 1 s; the last 0.248 s is too short to rate (fio's mean has it).
  ASSERT_EQ(samples.size(), 3u);
  // The first sample is the first 253 ms of I/O: 2 x 27262976 bytes.
  EXPECT_NEAR(samples[0].interval_s(), 0.253, 1e-9);
  EXPECT_NEAR(samples[0].read_bytes_per_s(), 2 * 27262976 / 0.253, 1);
  for (const auto& s : samples) EXPECT_GT(s.read_bytes_per_s(), 0);

  // The same report printed when the phase has run that long is a real
  // report of a drive that moved nothing: a sample at 0.
  PhaseSampler stalled(Unpaced(), 0, sources);
  now_ns = 0;
  stalled.Start();
  now_ns = 1'020'000'000;
  samples = stalled.Feed(text.substr(0, second));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].read_bytes_per_s(), 0);
  EXPECT_NEAR(samples[0].interval_s(), 1.001, 1e-9);
}

TEST(PhaseSamplerTest, FioFailuresAreNamedWithThePhase) {
  {
    PhaseSampler sampler(Unpaced(), 2, {});
    sampler.Start();  // the phase is released
    sampler.Feed(testing::Fixture(kFiveReports));
    fio::FioExit exit;
    exit.exit_code = 1;
    exit.stderr_text =
        "fio: some note\nfio: io_u error on file stream-00.dat: Input/output error\n";
    absl::Status st = sampler.Finish(exit);
    EXPECT_EQ(st.message(),
              "phase 3 \"max-read\": fio exited with status 1: fio: io_u error on "
              "file stream-00.dat: Input/output error");
    EXPECT_FALSE(sampler.series().completed);
  }
  {
    PhaseSampler sampler(Unpaced(), 0, {});
    sampler.Start();  // the phase is released
    fio::FioExit killed;
    killed.term_signal = 9;
    EXPECT_THAT(sampler.Finish(killed).message(),
                HasSubstr("phase 1 \"max-read\": fio was killed by signal 9"));
  }
  {
    PhaseSampler sampler(Unpaced(), 0, {});
    sampler.Start();  // the phase is released
    sampler.Feed("fio: pid=0, err=22/file:filesetup.c:1155\n");
    EXPECT_EQ(sampler.Finish(CleanExit()).message(),
              "phase 1 \"max-read\": fio printed no JSON report");
  }
  {
    // A real report whose job failed with EINVAL before any I/O.
    PhaseSampler sampler(Unpaced(), 0, {});
    sampler.Start();  // the phase is released
    EXPECT_TRUE(sampler.Feed(testing::Fixture("fio/fio-3.33_leading_error_lines_job_error22.json"))
                    .empty());
    absl::Status st = sampler.Finish(CleanExit());
    EXPECT_THAT(st.message(), HasSubstr("phase 1 \"max-read\": fio job "));
    EXPECT_THAT(st.message(), HasSubstr("failed with error 22 (Invalid argument)"));
  }
}

TEST(PhaseSamplerTest, OutputCutOffAfterTheLastReportIsAWarningNotAFailure) {
  std::string text = testing::Fixture(kFiveReports);
  PhaseSampler sampler(Unpaced(), 0, {});
  sampler.Start();  // the phase is released
  sampler.Feed(text);
  sampler.Feed("{\n  \"fio version\" : \"fio-3.33\",\n  \"jobs\" : [");  // torn sixth report
  ASSERT_TRUE(sampler.Finish(CleanExit()).ok());
  EXPECT_TRUE(sampler.series().completed);
  EXPECT_THAT(sampler.warning(), HasSubstr("phase 1 \"max-read\": part of fio's output was not "
                                           "understood"));
}

// psync readers (macOS, fio_job_builder.h JobLayout::kThreadPerRead), real
// fio 3.33 output: stream-00 is read by two reader jobs (stream-00,
// stream-00.r1), stream-01 by one. p50 2211840 / 1908736 ns and p99
// 27918336 / 29491200 ns for stream-00's readers, 40894464 bytes each.
constexpr char kReaders[] =
    "fio/local_fio-3.33_psync_readers_stream-00_r1_final_report_linux_vm.json";

qdt::v1::Phase TwoUnpacedStreams() {
  qdt::v1::Phase p;
  p.set_name("max-read");
  p.set_duration_s(2);
  for (const auto& [name, depth] : {std::pair<const char*, int>{"clip", 2}, {"max", 1}}) {
    auto* s = p.add_streams();
    s->set_name(name);
    s->set_block_size_bytes(1 << 20);
    s->set_iodepth(depth);
  }
  return p;
}

TEST(PhaseSamplerTest, ReadersOfAStreamAreAddedUpByName) {
  auto reports = fio::ParseFioOutput(testing::Fixture(kReaders));
  ASSERT_TRUE(reports.ok()) << reports.status();
  // Reported in another order than the phase's: the names decide.
  fio::FioReport report = reports->back();
  std::swap(report.jobs[0], report.jobs[2]);
  auto results = StreamResults(TwoUnpacedStreams(), report);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  const StreamResult& clip = (*results)[0];
  EXPECT_EQ(clip.jobs, 2);
  EXPECT_EQ(clip.jobs_with_io, 2);
  EXPECT_EQ(clip.bytes, 2 * 40894464u);
  EXPECT_EQ(clip.clat_p50_ns, 2211840) << "the larger p50: reader 0's";
  EXPECT_EQ(clip.clat_p99_ns, 29491200) << "the larger p99: reader 1's";
  EXPECT_EQ(clip.reached_iodepth, 2u) << "two readers, one read in flight each";
  const StreamResult& max = (*results)[1];
  EXPECT_EQ(max.jobs, 1);
  EXPECT_EQ(max.bytes, 1503657984u);
  EXPECT_EQ(max.reached_iodepth, 1u);
}

TEST(PhaseSamplerTest, PsyncReadersAreNotTakenForACappedQueue) {
  PhaseSampler sampler(TwoUnpacedStreams(), 2, {});
  sampler.Start();
  sampler.Feed(testing::Fixture(kReaders));
  ASSERT_TRUE(sampler.Finish(CleanExit()).ok());
  const PhaseSeries& s = sampler.series();
  ASSERT_EQ(s.streams.size(), 2u) << "one result per stream, not per reader";
  EXPECT_EQ(s.streams[0].name, "clip");
  EXPECT_NEAR(s.streams[0].clat_p50_ms, 2.211840, 1e-9);
  EXPECT_NEAR(s.streams[0].clat_p99_ms, 29.491200, 1e-9);
  EXPECT_EQ(s.streams[1].name, "max");
  EXPECT_EQ(s.fio_read_bytes, 2 * 40894464u + 1503657984u);
  EXPECT_EQ(s.requested_iodepth, 2u);
  EXPECT_EQ(s.reached_iodepth, 2u);
  // Each reader alone reached depth 1 of the 2 asked: per job, the verdict
  // would say "queue depth capped".
  VerdictInput in;
  in.phases.push_back(s);
  const qdt::v1::Verdict verdict = ComputeVerdict(in);
  EXPECT_EQ(verdict.phases(0).streams_size(), 0) << "unpaced streams are not judged by frame";
  for (const std::string& flag : verdict.flags()) {
    EXPECT_THAT(flag, ::testing::Not(HasSubstr("queue depth capped"))) << flag;
  }
}

TEST(PhaseSamplerTest, AJobThatIsNotAStreamOfThePhaseFailsTheFinish) {
  std::string text = testing::Fixture(kReaders);
  const std::string renamed = absl::StrReplaceAll(text, {{"\"stream-01\"", "\"seqread\""}});
  ASSERT_NE(renamed, text);
  PhaseSampler sampler(TwoUnpacedStreams(), 0, {});
  sampler.Start();
  sampler.Feed(renamed);
  EXPECT_EQ(sampler.Finish(CleanExit()).message(),
            "phase 1 \"max-read\": fio job name \"seqread\" is not \"stream-NN\" or "
            "\"stream-NN.rK\"");
  PhaseSampler beyond(TwoUnpacedStreams(), 0, {});
  beyond.Start();
  beyond.Feed(absl::StrReplaceAll(text, {{"\"stream-01\"", "\"stream-05\""}}));
  EXPECT_EQ(beyond.Finish(CleanExit()).message(),
            "phase 1 \"max-read\": fio job stream-05: the phase has 2 streams");
}

}  // namespace
}  // namespace qdt::agent
