// The verdict rules of common/verdict.h on synthetic series whose right answer
// is known, and on real fio output.
#include "common/verdict.h"

#include <limits>

#include "fio/fio_stream_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

bool HasFlag(const qdt::v1::Verdict& v, const std::string& prefix);

PhaseSeries Phase(int index, const std::string& name, double target_mb, std::vector<double> mb,
                  double window_s = 1.0) {
  PhaseSeries s;
  s.phase_index = index;
  s.name = name;
  s.target_bytes_per_s = target_mb * 1e6;
  for (double v : mb) {
    s.window_bytes_per_s.push_back(v * 1e6);
    s.window_s.push_back(window_s);
  }
  s.ran = true;
  s.completed = true;
  return s;
}

// A Setup Check shaped input: normal 656, crossfade 2099.2, max read unpaced.
VerdictInput SetupCheck(std::vector<double> normal, std::vector<double> xfade,
                        std::vector<double> max, double fio_max_mean_mb = 0) {
  VerdictInput in;
  in.phases.push_back(Phase(0, "normal", 656, normal));
  in.phases.push_back(Phase(1, "crossfade", 2099.2, xfade));
  in.phases.push_back(Phase(2, "max-read", 0, max));
  in.phases[2].fio_mean_bytes_per_s = fio_max_mean_mb * 1e6;
  // A drive whose counter was read (its bytes are set per test where the
  // cross-check is what is tested).
  in.device_counter = "test-disk";
  return in;
}

TEST(VerdictTest, EverythingMetIsExcellent) {
  auto v = ComputeVerdict(SetupCheck({656, 655, 657}, {2100, 2099, 2101}, {3000, 3100, 2900}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  EXPECT_FALSE(v.fails_crossfade_target());
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 3000);  // time-weighted mean of the windows
  EXPECT_THAT(v.summary(), HasSubstr("EXCELLENT"));
  EXPECT_DOUBLE_EQ(v.crossfade_target_mb_s(), 2100);
  EXPECT_DOUBLE_EQ(v.normal_target_mb_s(), 656);
  for (const auto& p : v.phases()) EXPECT_TRUE(p.passed()) << p.name();
}

TEST(VerdictTest, OneMissedCrossfadeWindowFailsTheCrossfadeTarget) {
  auto v = ComputeVerdict(SetupCheck({656, 656, 656}, {2100, 1900, 2100}, {3000, 3000, 3000}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
  EXPECT_TRUE(v.fails_crossfade_target());
  EXPECT_EQ(v.phases(1).missed_windows(), 1u);
  EXPECT_FALSE(v.phases(1).passed());
  EXPECT_DOUBLE_EQ(v.phases(1).worst_mb_s(), 1900);
  EXPECT_THAT(v.summary(), HasSubstr("fails the 2100 MB/s crossfade target"));
  EXPECT_THAT(v.summary(),
              HasSubstr("crossfade: 1 of 3 windows under 95 % of target (1994 MB/s at the peak)"));
}

TEST(VerdictTest, SustainedBelowCrossfadeIsAcceptableEvenIfPacedPhasesPassed) {
  auto v = ComputeVerdict(SetupCheck({656}, {2100}, {1500}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
  EXPECT_TRUE(v.fails_crossfade_target());
}

TEST(VerdictTest, SustainedBelowNormalPlaybackFails) {
  auto v = ComputeVerdict(SetupCheck({600, 610}, {700, 710}, {620, 630}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_FAIL);
  EXPECT_TRUE(v.fails_crossfade_target());
  EXPECT_THAT(v.summary(), HasSubstr("below normal playback (656 MB/s)"));
}

TEST(VerdictTest, NormalPhaseMissingItsTargetFailsEvenWithFastMaxRead) {
  auto v = ComputeVerdict(SetupCheck({656, 500, 656}, {2100, 2100, 2100}, {3000}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_FAIL);
  EXPECT_THAT(v.summary(), HasSubstr("normal playback missed"));
}

TEST(VerdictTest, NinetyFivePercentIsTheBoundary) {
  // 95 % of 656 = 623.2: exactly that is not a miss, just under it is.
  auto at = ComputeVerdict(SetupCheck({623.2}, {2100}, {3000}));
  EXPECT_EQ(at.phases(0).missed_windows(), 0u);
  auto under = ComputeVerdict(SetupCheck({623.19}, {2100}, {3000}));
  EXPECT_EQ(under.phases(0).missed_windows(), 1u);
}

TEST(VerdictTest, NinetyFivePercentOfTheCrossfadeTargetIsNotAMiss) {
  // 95 % of 2099.2 = 1994.24 MB/s.
  auto at = ComputeVerdict(SetupCheck({656}, {1994.24}, {3000}));
  EXPECT_EQ(at.phases(1).missed_windows(), 0u);
  auto under = ComputeVerdict(SetupCheck({656}, {1994.2}, {3000}));
  EXPECT_EQ(under.phases(1).missed_windows(), 1u);
  EXPECT_EQ(under.rating(), qdt::v1::RATING_ACCEPTABLE);
}

TEST(VerdictTest, ExactlyNinetyFivePercentOfATimeWeightedTargetIsNotAMissByRounding) {
  // A scheduled target is rate x overlap / window length; for these values it
  // comes out one ulp above the rate, and 95 % of the rate would be a miss
  // without the relative tolerance.
  const double rate = 958610751.9411395, t0 = 49.979992223680156, t1 = 50.80533787855615;
  const double target = rate * (t1 - t0) / (t1 - t0);
  ASSERT_GT(target, rate) << "the rounding this test is about";
  VerdictInput in;
  PhaseSeries p = Phase(0, "act", BytesToMB(target), {});
  p.window_bytes_per_s = {0.95 * rate, 0.9499 * rate};
  p.window_s = {1, 1};
  p.window_target_bytes_per_s = {target, target};
  in.phases.push_back(p);
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(0).missed_windows(), 1u) << "only the 94.99 % window misses";
  EXPECT_EQ(v.phases(0).longest_miss_streak(), 1u);
}

TEST(VerdictTest, ShortWindowsAreNotJudged) {
  VerdictInput in = SetupCheck({656, 656}, {2100, 2100}, {3000});
  // fio's last status before its final report: 0.3 s of nearly nothing.
  in.phases[1].window_bytes_per_s.push_back(10e6);
  in.phases[1].window_s.push_back(0.3);
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(1).windows(), 2u);
  EXPECT_EQ(v.phases(1).missed_windows(), 0u);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
}

TEST(VerdictTest, LongestStreakCountsConsecutiveMissesOnly) {
  auto v =
      ComputeVerdict(SetupCheck({656}, {1000, 1000, 2100, 1000, 1000, 1000, 2100, 1000}, {3000}));
  EXPECT_EQ(v.phases(1).missed_windows(), 6u);
  EXPECT_EQ(v.phases(1).longest_miss_streak(), 3u);
}

TEST(VerdictTest, PercentilesByNearestRank) {
  std::vector<double> mb;
  for (int i = 100; i >= 1; --i) mb.push_back(i * 10.0);  // 10 .. 1000, unsorted
  auto v = ComputeVerdict(SetupCheck({656}, {2100}, mb));
  EXPECT_DOUBLE_EQ(v.phases(2).p1_mb_s(), 10);
  EXPECT_DOUBLE_EQ(v.phases(2).median_mb_s(), 500);
  EXPECT_DOUBLE_EQ(v.phases(2).worst_mb_s(), 10);
  EXPECT_DOUBLE_EQ(NearestRankPercentile({5, 1, 3}, 50), 3);
  EXPECT_DOUBLE_EQ(NearestRankPercentile({}, 50), 0);
}

TEST(VerdictTest, FioMeanIsPreferredForTheSustainedFigure) {
  auto v = ComputeVerdict(SetupCheck({656}, {2100}, {3000, 3000}, /*fio mean*/ 2050));
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 2050);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
}

TEST(VerdictTest, WithoutAnUnpacedPhaseTheHighestPacedMedianIsSustained) {
  VerdictInput in;
  in.phases.push_back(Phase(0, "normal", 656, {656, 656}));
  in.phases.push_back(Phase(1, "crossfade", 2099.2, {2100, 2110, 2120}));
  auto v = ComputeVerdict(in);
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 2110);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
}

TEST(VerdictTest, BurstWindowsAreJudgedAgainstTheirScheduledTarget) {
  // An act: normal playback with a crossfade burst in windows 2 and 3.
  VerdictInput in;
  PhaseSeries act = Phase(0, "act-1", 2099.2, {656, 656, 2000, 2100, 656, 656});
  act.window_target_bytes_per_s = {656e6, 656e6, 2099.2e6, 2099.2e6, 656e6, 656e6};
  in.phases.push_back(act);
  in.phases.push_back(Phase(1, "max-read", 0, {3000}));
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(0).missed_windows(), 0u) << "656 MB/s between bursts is not a miss";
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  // The burst falls short: the crossfade fails, normal playback held.
  in.phases[0].window_bytes_per_s[3] = 1500e6;
  v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(0).missed_windows(), 1u);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
  // Normal playback between bursts falls short: FAIL.
  in.phases[0].window_bytes_per_s[3] = 2100e6;
  in.phases[0].window_bytes_per_s[5] = 500e6;
  v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_FAIL);
}

TEST(VerdictTest, FailSummaryNamesThePhaseAndLevelWhereNormalPlaybackMissed) {
  // A crossfade phase that misses comes first; the normal phase misses too.
  VerdictInput in;
  in.phases.push_back(Phase(0, "crossfade", 2099.2, {1000, 1000, 1000}));
  in.phases.push_back(Phase(1, "normal", 656, {656, 600, 656, 656}));
  in.phases.push_back(Phase(2, "max-read", 0, {3000}));
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_FAIL);
  EXPECT_EQ(v.summary(),
            "FAIL: normal playback missed its target (normal: 1 of 4 normal-playback windows "
            "under 623 MB/s)");
  // In an act with bursts, only the windows at the normal level count here,
  // against 95 % of 656, not of the 2099.2 peak.
  VerdictInput act;
  PhaseSeries a = Phase(0, "act-1", 2099.2, {656, 500, 2000, 2100, 656, 400});
  a.window_target_bytes_per_s = {656e6, 656e6, 2099.2e6, 2099.2e6, 656e6, 656e6};
  act.phases.push_back(a);
  act.phases.push_back(Phase(1, "max-read", 0, {3000}));
  v = ComputeVerdict(act);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_FAIL);
  EXPECT_EQ(v.phases(0).missed_windows(), 2u);
  EXPECT_EQ(v.summary(),
            "FAIL: normal playback missed its target (act-1: 2 of 4 normal-playback windows "
            "under 623 MB/s)");
}

TEST(VerdictTest, AcceptableSummaryNamesTheCrossfadeMiss) {
  auto v = ComputeVerdict(SetupCheck(
      {656, 656}, {2100, 1500, 1600, 2100, 1700, 2100, 2100, 1000, 1200, 1300}, {1200, 1200}));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 1200);
  EXPECT_EQ(v.summary(),
            "ACCEPTABLE: fails the 2100 MB/s crossfade target (sustained 1200 MB/s; crossfade: 6 "
            "of 10 windows under 95 % of target (1994 MB/s at the peak))");
  EXPECT_EQ(v.phases(1).longest_miss_streak(), 3u);
  EXPECT_EQ(v.phases(1).missed_windows(), 6u);
}

TEST(VerdictTest, NonFiniteWindowsAreNotJudged) {
  VerdictInput in = SetupCheck({656, 656}, {2100, 2100}, {3000});
  in.phases[1].window_bytes_per_s.push_back(std::numeric_limits<double>::quiet_NaN());
  in.phases[1].window_s.push_back(1.0);
  in.phases[1].window_bytes_per_s.push_back(2100e6);
  in.phases[1].window_s.push_back(std::numeric_limits<double>::infinity());
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(1).windows(), 2u);
  EXPECT_DOUBLE_EQ(v.phases(1).median_mb_s(), 2100);
  EXPECT_DOUBLE_EQ(v.phases(1).mean_mb_s(), 2100);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
}

TEST(VerdictTest, NoPhasesGetsNoRating) {
  VerdictInput in;
  in.normal_target_mb_s = 300;
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_EQ(v.no_rating_reason(), "no phase was measured");
  EXPECT_TRUE(v.fails_crossfade_target());
  ASSERT_EQ(v.flags_size(), 1);
  EXPECT_EQ(v.flags(0), "incomplete: no phase was measured");
  EXPECT_EQ(v.summary(), "NO RATING: no phase was measured");
  EXPECT_DOUBLE_EQ(v.normal_target_mb_s(), 300);
}

TEST(VerdictTest, PhaseShorterThanAWindowIsFlaggedNotFailed) {
  VerdictInput in = SetupCheck({656, 656}, {2100, 2100}, {3000});
  in.phases[0].window_bytes_per_s = {100e6};
  in.phases[0].window_s = {0.2};
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.phases(0).windows(), 0u);
  EXPECT_FALSE(v.phases(0).passed());
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  ASSERT_EQ(v.flags_size(), 1);
  EXPECT_EQ(v.flags(0), "not judged: phase normal is shorter than one sample window");
}

// Issue 15 #4: setup-check at --time-scale 0.01 (0.1 s phases) measured
// ~1 GB/s and was rated FAIL "sustained 0 MB/s". With no window judged in any
// phase there is nothing to rate: NO RATING with the reason, and sustained is
// what fio read.
TEST(VerdictTest, NoWindowJudgedAnywhereIsNoRatingWithFiosMean) {
  VerdictInput in = SetupCheck({}, {}, {});
  for (PhaseSeries& s : in.phases) {
    s.window_bytes_per_s = {1000e6};
    s.window_s = {0.1};
    s.fio_read_bytes = 100'000'000;
    s.device_bytes = 100'000'000;
  }
  in.phases[2].fio_mean_bytes_per_s = 1050e6;
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_FALSE(HasRating(v));
  EXPECT_EQ(v.no_rating_reason(), "no phase lasted one judging window (0.5 s): nothing to rate");
  EXPECT_EQ(v.summary(),
            "NO RATING: no phase lasted one judging window (0.5 s): nothing to rate; fio read "
            "1050 MB/s");
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 1050);
  EXPECT_TRUE(v.fails_crossfade_target());
  for (const auto& pv : v.phases()) {
    EXPECT_EQ(pv.windows(), 0u) << pv.name();
    EXPECT_FALSE(pv.passed()) << pv.name();
  }
  // Without fio's own mean, the windows' bytes over their time: never 0 when
  // fio read something.
  in.phases[2].fio_mean_bytes_per_s = 0;
  v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 1000);
  EXPECT_DOUBLE_EQ(v.phases(2).mean_mb_s(), 1000);
  // Only paced phases: the highest-target one's mean.
  in.phases.pop_back();
  in.phases[1].window_bytes_per_s = {2000e6};
  v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 2000);
  // Nothing read at all: said without a rate.
  for (PhaseSeries& s : in.phases) s.window_bytes_per_s.clear(), s.window_s.clear();
  for (PhaseSeries& s : in.phases) s.device_bytes.reset(), s.fio_read_bytes = 0;
  v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_EQ(v.summary(), "NO RATING: no phase lasted one judging window (0.5 s): nothing to rate");
}

// One phase judged is enough to rate; the unjudged ones count neither way.
TEST(VerdictTest, OneJudgedPhaseIsEnoughToRate) {
  VerdictInput in = SetupCheck({}, {}, {3000}, 3000);
  for (int i = 0; i < 2; ++i) {
    in.phases[i].window_bytes_per_s = {10e6};
    in.phases[i].window_s = {0.3};
  }
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT) << v.summary();
  EXPECT_TRUE(HasFlag(v, "not judged: phase normal"));
  EXPECT_TRUE(HasFlag(v, "not judged: phase crossfade"));
}

bool HasFlag(const qdt::v1::Verdict& v, const std::string& prefix) {
  for (const auto& f : v.flags()) {
    if (f.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(VerdictFlagsTest, DroppedFrameRiskWhenP99LatencyExceedsOneFrame) {
  VerdictInput in = SetupCheck({656}, {2100}, {3000});
  in.phases[0].streams = {
      {"4K", 59.94, 5.0, 16.0}, {"HD #1", 59.94, 4.0, 17.5}, {"no fps", 0, 1, 99}};
  auto v = ComputeVerdict(in);
  ASSERT_EQ(v.phases(0).streams_size(), 2) << "a stream without a frame rate is not judged";
  EXPECT_FALSE(v.phases(0).streams(0).dropped_frame_risk());  // 16.0 < 16.68 ms
  EXPECT_TRUE(v.phases(0).streams(1).dropped_frame_risk());   // 17.5 > 16.68 ms
  EXPECT_NEAR(v.phases(0).streams(1).frame_interval_ms(), 16.683, 0.001);
  EXPECT_TRUE(HasFlag(v, "dropped-frame risk: HD #1 in normal: p99 completion latency 17.5 ms"));
}

TEST(VerdictFlagsTest, ThrottlingWhenAnUnpacedPhaseFallsAndStaysDown) {
  auto steady =
      ComputeVerdict(SetupCheck({656}, {2100}, {3000, 3010, 2990, 3000, 3005, 2995, 3000, 3000}));
  EXPECT_FALSE(HasFlag(steady, "throttling suspected"));
  auto falls =
      ComputeVerdict(SetupCheck({656}, {2100}, {3000, 3000, 3000, 2900, 2600, 2500, 2400, 2400}));
  EXPECT_TRUE(HasFlag(falls, "throttling suspected: max-read fell from 3000 MB/s"));
  // Too few windows to tell.
  auto short_run = ComputeVerdict(SetupCheck({656}, {2100}, {3000, 3000, 1000, 1000}));
  EXPECT_FALSE(HasFlag(short_run, "throttling suspected"));
}

TEST(VerdictFlagsTest, CacheServedAboveThePlausibleCeiling) {
  VerdictInput in = SetupCheck({656}, {2100}, {3000, 3000});
  in.plausible_ceiling_mb_s = 550;  // a SATA SSD cannot read 3000 MB/s
  EXPECT_TRUE(HasFlag(ComputeVerdict(in), "probably served from cache: max-read averaged 3000"));
  in.plausible_ceiling_mb_s = 0;  // unknown: no flag
  EXPECT_FALSE(HasFlag(ComputeVerdict(in), "probably served from cache"));
}

TEST(VerdictFlagsTest, QueueDepthCappedWhenFioKeptFewerInFlight) {
  VerdictInput in = SetupCheck({656}, {2100}, {3000});
  in.phases[2].requested_iodepth = 8;
  in.phases[2].reached_iodepth = 4;
  EXPECT_TRUE(
      HasFlag(ComputeVerdict(in),
              "queue depth capped: max-read asked for 8 reads in flight, fio kept at most 4"));
  in.phases[2].reached_iodepth = 8;
  EXPECT_FALSE(HasFlag(ComputeVerdict(in), "queue depth capped"));
}

TEST(VerdictFlagsTest, LowFreeSpace) {
  VerdictInput in = SetupCheck({656}, {2100}, {3000});
  in.free_bytes = 40'000'000'000;
  in.total_bytes = 500'000'000'000;
  EXPECT_TRUE(HasFlag(ComputeVerdict(in), "low free space: 40.0 GB free of 500.0 GB (8.0 %)"));
  in.free_bytes = 60'000'000'000;
  EXPECT_FALSE(HasFlag(ComputeVerdict(in), "low free space"));
}

TEST(VerdictFlagsTest, OnBatteryIsSaidAndTheRatingStands) {
  VerdictInput in = SetupCheck({656}, {2100}, {3000});
  const qdt::v1::Verdict on_ac = ComputeVerdict(in);
  in.power_source = "Battery Power";
  const qdt::v1::Verdict v = ComputeVerdict(in);
  EXPECT_TRUE(HasFlag(v,
                      "on battery: the Mac ran the test on battery power (a show runs on AC; power "
                      "management may slow the drive)"));
  EXPECT_EQ(v.flags_size(), on_ac.flags_size() + 1);
  EXPECT_EQ(v.rating(), on_ac.rating());
  EXPECT_EQ(v.summary(), on_ac.summary());
  for (const char* source : {"AC Power", "UPS Power", ""}) {
    in.power_source = source;
    EXPECT_FALSE(HasFlag(ComputeVerdict(in), "on battery")) << source;
  }
}

TEST(VerdictTest, IncompleteRunGetsNoRating) {
  VerdictInput in = SetupCheck({656, 656}, {2100}, {});
  in.phases[1].completed = false;
  in.phases[2].ran = false;
  in.phases[2].completed = false;
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_EQ(v.no_rating_reason(), "the run did not finish (phase crossfade)");
  EXPECT_TRUE(v.fails_crossfade_target());
  ASSERT_EQ(v.flags_size(), 1);
  EXPECT_EQ(v.flags(0), "incomplete: phase crossfade did not finish");
  EXPECT_FALSE(v.phases(2).ran());
  EXPECT_EQ(v.phases(2).windows(), 0u);
  EXPECT_TRUE(v.phases(0).passed());
  EXPECT_FALSE(v.phases(1).passed());
  EXPECT_EQ(
      v.summary(),
      "NO RATING: the run did not finish (phase crossfade); sustained 2100 MB/s over what ran");
  // The phase that was cut short still reports what it measured.
  EXPECT_TRUE(v.phases(1).ran());
  EXPECT_EQ(v.phases(1).windows(), 1u);
  EXPECT_EQ(v.phases(1).missed_windows(), 0u);
}

TEST(VerdictTest, PhasesNotReachedReportNoStatisticsEvenWithData) {
  // Stale data in a phase marked not run is ignored.
  VerdictInput in = SetupCheck({656}, {2100}, {3000, 3000});
  in.phases[1].completed = false;
  in.phases[2].ran = false;
  in.phases[2].completed = false;
  auto v = ComputeVerdict(in);
  ASSERT_EQ(v.phases_size(), 3);
  EXPECT_FALSE(v.phases(2).ran());
  EXPECT_FALSE(v.phases(2).passed());
  EXPECT_EQ(v.phases(2).windows(), 0u);
  EXPECT_EQ(v.phases(2).mean_mb_s(), 0);
  EXPECT_EQ(v.phases(2).name(), "max-read");
  EXPECT_EQ(v.phases(2).phase_index(), 2);
  // Without the unpaced phase, sustained falls back to the crossfade median.
  EXPECT_DOUBLE_EQ(v.sustained_mb_s(), 2100);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
}

// The drive's own counter against fio's bytes (docs/VERDICTS.md, "cross-check").
VerdictInput CrossChecked(uint64_t fio_gb_x10, uint64_t drive_gb_x10) {
  VerdictInput in = SetupCheck({656, 656}, {2100, 2100}, {3000, 3000});
  for (auto& p : in.phases) {
    p.fio_read_bytes = 10'000'000'000;
    p.device_bytes = 10'000'000'000;
    p.fio_runtime_s = 10;
  }
  in.phases[1].fio_read_bytes = fio_gb_x10 * 100'000'000;
  in.phases[1].device_bytes = drive_gb_x10 * 100'000'000;
  in.device_counter = "disk4";
  return in;
}

TEST(VerdictCrossCheckTest, ADriveThatDeliveredWhatFioReadKeepsItsRating) {
  auto v = ComputeVerdict(CrossChecked(210, 211));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  EXPECT_EQ(v.flags_size(), 0) << v.flags(0);
  EXPECT_EQ(v.phases(1).fio_bytes(), 21'000'000'000u);
  EXPECT_EQ(v.phases(1).device_bytes(), 21'100'000'000u);
  EXPECT_DOUBLE_EQ(v.phases(1).device_mean_mb_s(), 2110);
}

TEST(VerdictCrossCheckTest, APhaseServedFromCacheGetsNoRatingNamingBothCounts) {
  auto v = ComputeVerdict(CrossChecked(121, 2));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_EQ(v.no_rating_reason(),
            "served from cache: fio read 12.1 GB in crossfade, the drive delivered 0.2 GB");
  EXPECT_EQ(v.summary(),
            "NO RATING: served from cache: fio read 12.1 GB in crossfade, the drive delivered "
            "0.2 GB");
  EXPECT_TRUE(v.fails_crossfade_target());
  EXPECT_TRUE(HasFlag(v, "served from cache: fio read 12.1 GB in crossfade"));
  // 90 % is enough; just under is not.
  EXPECT_EQ(ComputeVerdict(CrossChecked(100, 90)).rating(), qdt::v1::RATING_EXCELLENT);
  EXPECT_EQ(ComputeVerdict(CrossChecked(100, 89)).rating(), qdt::v1::RATING_NO_RATING);
}

TEST(VerdictCrossCheckTest, MoreThanFioReadIsAnotherReaderAndTheRatingStands) {
  // 21.0 GB read by fio in 10 s, 22.4 GB delivered: 140 MB/s from someone else.
  auto v = ComputeVerdict(CrossChecked(210, 224));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  EXPECT_TRUE(HasFlag(v,
                      "other reads on disk4 during the test: about 140 MB/s not from this "
                      "test (Spotlight, Time Machine, another app?)"));
  // 3 % more is the file system's own reads, not another reader.
  EXPECT_FALSE(HasFlag(ComputeVerdict(CrossChecked(210, 216)), "other reads"));
}

TEST(VerdictCrossCheckTest, ReadsThatRanIntoTheNextPhasesWindowCountForTheirPhase) {
  // Seen at 1 s phases on a busy VM: the crossfade's last 0.3 GB landed after
  // max-read's release, whose window then held 0.3 GB beyond max-read's own.
  VerdictInput in = CrossChecked(7, 4);
  in.phases[2].fio_read_bytes = 30'000'000'000;
  in.phases[2].device_bytes = 30'300'000'000;
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT) << v.summary();
  EXPECT_FALSE(HasFlag(v, "served from cache"));
  EXPECT_FALSE(HasFlag(v, "other reads"));  // the 0.3 GB went back where it came from
  // The record keeps what the counter said in each window.
  EXPECT_EQ(v.phases(1).device_bytes(), 400'000'000u);
  EXPECT_EQ(v.phases(2).device_bytes(), 30'300'000'000u);
  // Only up to the next window's surplus: a phase the cache answered stays caught.
  in.phases[2].device_bytes = 30'100'000'000;
  EXPECT_TRUE(HasFlag(ComputeVerdict(in),
                      "served from cache: fio read 0.7 GB in crossfade, the drive delivered "
                      "0.5 GB"));
  // Nothing flows backwards from a phase the cache answered too.
  in.phases[2].device_bytes = 100'000'000;
  EXPECT_TRUE(HasFlag(ComputeVerdict(in), "served from cache: fio read 0.7 GB in crossfade"));
}

TEST(VerdictCrossCheckTest, NoCounterIsSaidNeverSilent) {
  VerdictInput in = CrossChecked(210, 210);
  in.device_counter.clear();
  in.device_counter_note = "no device counter for \"/mnt/share\": a network share";
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  EXPECT_TRUE(HasFlag(v, "not cross-checked: no device counter for \"/mnt/share\""));
  EXPECT_FALSE(v.phases(1).has_device_bytes());
  // A counter that fails in one phase is said too.
  in = CrossChecked(210, 210);
  in.phases[2].device_bytes.reset();
  EXPECT_TRUE(HasFlag(ComputeVerdict(in),
                      "not cross-checked: the counter of disk4 could not be read in max-read"));
}

TEST(VerdictCrossCheckTest, AnIncompletePhaseIsNotJudgedOnItsCounter) {
  VerdictInput in = CrossChecked(121, 2);
  in.phases[1].completed = false;
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.no_rating_reason(), "the run did not finish (phase crossfade)");
  EXPECT_FALSE(HasFlag(v, "served from cache"));
}

TEST(VerdictFlagsTest, ARestAtAHandoverOverTheLimitIsSaidAndTheRatingStands) {
  VerdictInput in = CrossChecked(210, 210);
  qdt::v1::PhaseBoundary b;
  b.set_to_phase_index(1);
  b.set_idle_gap_ms(450);
  in.boundaries.push_back(b);
  b.set_to_phase_index(2);
  b.set_idle_gap_ms(kMaxRestMs);  // at the limit: not a rest
  in.boundaries.push_back(b);
  b.clear_idle_gap_ms();  // not measured (a slow counter): not judged
  in.boundaries.push_back(b);
  auto v = ComputeVerdict(in);
  EXPECT_EQ(v.rating(), qdt::v1::RATING_EXCELLENT);
  ASSERT_EQ(v.flags_size(), 1);
  EXPECT_EQ(v.flags(0),
            "rested before crossfade: the drive read nothing for 450 ms at the handover (more "
            "than 100 ms): crossfade began on a rested drive");
  // A boundary naming no phase of the run is ignored, not a crash.
  b.set_to_phase_index(7);
  b.set_idle_gap_ms(900);
  in.boundaries = {b};
  EXPECT_EQ(ComputeVerdict(in).flags_size(), 0);
}

TEST(VerdictTest, RealFioStatusStreamJudgedAsAnUnpacedPhase) {
  auto reports = fio::ParseFioOutput(
      qdt::testing::Fixture("fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json"));
  ASSERT_TRUE(reports.ok());
  PhaseSeries s;
  s.name = "max-read";
  s.ran = s.completed = true;
  auto first = fio::FirstInterval((*reports)[0]);
  s.window_bytes_per_s.push_back(first->read_bytes_per_s);
  s.window_s.push_back(first->interval_s);
  for (size_t i = 1; i < reports->size(); ++i) {
    auto iv = fio::IntervalBetween((*reports)[i - 1], (*reports)[i]);
    s.window_bytes_per_s.push_back(iv->read_bytes_per_s);
    s.window_s.push_back(iv->interval_s);
  }
  s.fio_mean_bytes_per_s = fio::MeanReadBytesPerS(reports->back());
  VerdictInput vin;
  vin.phases.push_back(s);
  auto v = ComputeVerdict(vin);
  // Windows: 0.486 s (not judged), 1.001, 1.000, 0.999, 0.523 s -> 4 judged.
  EXPECT_EQ(v.phases(0).windows(), 4u);
  EXPECT_NEAR(v.phases(0).worst_mb_s(), 763.4, 0.1);
  EXPECT_NEAR(v.sustained_mb_s(), 794.9, 0.1);
  // 795 MB/s sustains normal playback, not the crossfade peak.
  EXPECT_EQ(v.rating(), qdt::v1::RATING_ACCEPTABLE);
  EXPECT_TRUE(v.fails_crossfade_target());
}

}  // namespace
}  // namespace qdt
