// "Will it work?": the proven read rate of a verdict and the streams a drive
// carries (common/will_it_work.h). Expectations are worked by hand in the
// comments.
#include "common/will_it_work.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using qdt::v1::PhaseVerdict;
using qdt::v1::Verdict;
using ::testing::HasSubstr;

PhaseVerdict* AddPhase(Verdict* v, const char* name, double target, double mean, bool passed) {
  PhaseVerdict* p = v->add_phases();
  p->set_phase_index(v->phases_size() - 1);
  p->set_name(name);
  p->set_target_mb_s(target);
  p->set_mean_mb_s(mean);
  p->set_median_mb_s(mean);
  p->set_windows(10);
  p->set_missed_windows(passed ? 0 : 1);
  p->set_passed(passed);
  p->set_ran(true);
  return p;
}

// A Setup Check: normal 656, crossfade 2099.2, unpaced max-read.
Verdict SetupCheck(qdt::v1::Rating rating, double max_read, bool crossfade_passed = true) {
  Verdict v;
  v.set_rating(rating);
  v.set_time_scale(1);
  AddPhase(&v, "normal", 656, 655.8, true);
  AddPhase(&v, "crossfade", 2099.2, crossfade_passed ? 2098.9 : 1980, crossfade_passed);
  AddPhase(&v, "max-read", 0, max_read, true);
  v.set_sustained_mb_s(max_read);
  return v;
}

int CarriedWithCrossfade(const WillItWork& w, const std::string& name) {
  for (const WillItWorkRow& r : w.rows)
    if (r.kind.name == name) return r.carried.with_crossfade;
  ADD_FAILURE() << name << " is not in the table";
  return -1;
}

TEST(WillItWorkTest, CrossfadePeakIsTwoStreamsTimesSafety) {
  // request 4K, 440 MB/s: a crossfade of N streams reads 2 x N x 440 x 1.6 =
  // N x 1408 MB/s. 2650 / 1408 = 1.88 -> 1; normally 2650 / 440 = 6.02 -> 6.
  StreamsCarried c = CarriedStreams(2650, 440);
  EXPECT_EQ(c.with_crossfade, 1);
  EXPECT_EQ(c.normal, 6);
  // Exactly at the peak it fits (2 x 440 x 1.6 is 1408.0000000000002 in doubles).
  EXPECT_EQ(CarriedStreams(1408, 440).with_crossfade, 1);
  EXPECT_EQ(CarriedStreams(1407.9, 440).with_crossfade, 0);
  // ProRes 422 HQ UHD 29.97 = 884 Mb/s = 110.5 MB/s; 2 x 110.5 x 1.6 = 353.6.
  // 2650 / 353.6 = 7.49 -> 7; 2650 / 110.5 = 23.98 -> 23.
  c = CarriedStreams(2650, 110.5);
  EXPECT_EQ(c.with_crossfade, 7);
  EXPECT_EQ(c.normal, 23);
  // Another safety factor: 2 x 110.5 x 1.0 = 221 -> 2650 / 221 = 11.99 -> 11.
  EXPECT_EQ(CarriedStreams(2650, 110.5, 1.0).with_crossfade, 11);
  // Nothing proven or a nonsense rate: nothing carried.
  EXPECT_EQ(CarriedStreams(0, 110.5).normal, 0);
  EXPECT_EQ(CarriedStreams(2650, 0).normal, 0);
}

TEST(WillItWorkTest, AnUnpacedPhaseIsTheProvenRate) {
  Verdict v = SetupCheck(qdt::v1::RATING_EXCELLENT, 2650);
  ProvenRate r = ProvenReadRate(v);
  ASSERT_TRUE(r.measured) << r.basis;
  EXPECT_DOUBLE_EQ(r.mb_s, 2650);
  EXPECT_THAT(r.basis, HasSubstr("max-read (unpaced): 2650 MB/s"));
  WillItWork w = ComputeWillItWork(v);
  EXPECT_EQ(w.rows.size(), StreamTable().size());
  // ProRes 4444 XQ UHD 59.94 = 3977 / 8 = 497.125 MB/s; x 2 x 1.6 = 1590.8 -> 1.
  EXPECT_EQ(CarriedWithCrossfade(w, "ProRes 4444 XQ UHD 59.94"), 1);
  // HAP Q UHD 50 = 3840 x 2160 x 50 = 414.7 MB/s; x 3.2 = 1327.0 -> 2650 / 1327.0 = 1.997 -> 1.
  EXPECT_EQ(CarriedWithCrossfade(w, "HAP Q UHD 50"), 1);
  // ProRes 422 1080p25 = 122 / 8 = 15.25 MB/s; x 3.2 = 48.8 -> 2650 / 48.8 = 54.3 -> 54.
  EXPECT_EQ(CarriedWithCrossfade(w, "ProRes 422 1080p25"), 54);
}

TEST(WillItWorkTest, TheDrivesOwnCountIsUsedWhenLower) {
  Verdict v = SetupCheck(qdt::v1::RATING_EXCELLENT, 2650);
  v.mutable_phases(2)->set_device_mean_mb_s(2400);
  ProvenRate r = ProvenReadRate(v);
  EXPECT_DOUBLE_EQ(r.mb_s, 2400);
  // A higher device count (other reads on the drive) does not raise it.
  v.mutable_phases(2)->set_device_mean_mb_s(2900);
  EXPECT_DOUBLE_EQ(ProvenReadRate(v).mb_s, 2650);
}

TEST(WillItWorkTest, AMissedPacedPhaseCapsTheUnpacedFigure) {
  // ACCEPTABLE: one unpaced reader did 2650 MB/s, but eight paced streams
  // delivered only 1980 MB/s of the 2099.2 asked for.
  Verdict v = SetupCheck(qdt::v1::RATING_ACCEPTABLE, 2650, /*crossfade_passed=*/false);
  ProvenRate r = ProvenReadRate(v);
  ASSERT_TRUE(r.measured);
  EXPECT_DOUBLE_EQ(r.mb_s, 1980);
  EXPECT_THAT(r.basis, HasSubstr("capped at 1980 MB/s: crossfade missed its 2099 MB/s target"));
  // request 4K: 1980 / 1408 = 1.41 -> 1; request HD (72): 1980 / 230.4 = 8.59 -> 8.
  WillItWork w = ComputeWillItWork(v);
  EXPECT_EQ(CarriedWithCrossfade(w, "request 4K"), 1);
  EXPECT_EQ(CarriedWithCrossfade(w, "request HD"), 8);
}

TEST(WillItWorkTest, OnlyPacedPhasesProveNoMoreThanTheTargetTheyHeld) {
  // A derived profile without its max-read: normal 600 held, crossfade 1500 held.
  Verdict v;
  v.set_rating(qdt::v1::RATING_ACCEPTABLE);
  AddPhase(&v, "normal", 600, 601.5, true);  // fio a hair above the pace
  AddPhase(&v, "crossfade", 1500, 1499, true);
  ProvenRate r = ProvenReadRate(v);
  ASSERT_TRUE(r.measured);
  EXPECT_DOUBLE_EQ(r.mb_s, 1499);  // min(target 1500, mean 1499)
  EXPECT_THAT(r.basis, HasSubstr("crossfade held its 1500 MB/s target"));
  // The mean above the target counts only up to the target.
  v.mutable_phases(1)->set_mean_mb_s(1520);
  EXPECT_DOUBLE_EQ(ProvenReadRate(v).mb_s, 1500);
  // A missed crossfade leaves the normal phase's 600: 600 / (2 x 110.5 x 1.6) = 1.70 -> 1.
  v.mutable_phases(1)->set_passed(false);
  v.mutable_phases(1)->set_mean_mb_s(1300);
  r = ProvenReadRate(v);
  EXPECT_DOUBLE_EQ(r.mb_s, 600);
  EXPECT_EQ(CarriedWithCrossfade(ComputeWillItWork(v), "ProRes 422 HQ UHD 29.97"), 1);
  // Nothing held: nothing proven.
  v.mutable_phases(0)->set_passed(false);
  r = ProvenReadRate(v);
  EXPECT_FALSE(r.measured);
  EXPECT_THAT(r.basis, HasSubstr("no paced phase held its target"));
}

TEST(WillItWorkTest, PhasesThatDidNotRunOrWereNotJudgedProveNothing) {
  Verdict v = SetupCheck(qdt::v1::RATING_EXCELLENT, 2650);
  v.mutable_phases(2)->set_windows(0);  // max-read shorter than one window
  ProvenRate r = ProvenReadRate(v);
  ASSERT_TRUE(r.measured);
  // The highest target held, the crossfade's 2099.2, no more than its mean.
  EXPECT_DOUBLE_EQ(r.mb_s, 2098.9);
  v.mutable_phases(1)->set_mean_mb_s(2099.9);
  EXPECT_DOUBLE_EQ(ProvenReadRate(v).mb_s, 2099.2);
  // A phase the run never reached counts for nothing.
  v.mutable_phases(1)->set_ran(false);
  EXPECT_DOUBLE_EQ(ProvenReadRate(v).mb_s, 655.8);
}

TEST(WillItWorkTest, NoRatingAndRehearsalsGiveNoNumbers) {
  Verdict cache = SetupCheck(qdt::v1::RATING_NO_RATING, 12000);
  cache.set_no_rating_reason("served from cache: fio read 12.1 GB in crossfade");
  WillItWork w = ComputeWillItWork(cache);
  EXPECT_FALSE(w.proven.measured);
  EXPECT_TRUE(w.rows.empty());
  EXPECT_THAT(w.proven.basis, HasSubstr("not measured: NO RATING (served from cache"));

  Verdict rehearsal = SetupCheck(qdt::v1::RATING_EXCELLENT, 2650);
  rehearsal.set_time_scale(0.1);
  w = ComputeWillItWork(rehearsal);
  EXPECT_FALSE(w.proven.measured);
  EXPECT_TRUE(w.rows.empty());
  EXPECT_THAT(w.proven.basis, HasSubstr("REHEARSAL ×0.1"));

  // An older agent's record (no rating, no time scale): not measured either.
  Verdict old = SetupCheck(qdt::v1::RATING_UNSPECIFIED, 2650);
  old.clear_time_scale();
  EXPECT_FALSE(ProvenReadRate(old).measured);
  // A time scale of 0 (older agents) with a rating is a real test.
  Verdict real = SetupCheck(qdt::v1::RATING_FAIL, 420);
  real.clear_time_scale();
  EXPECT_TRUE(ProvenReadRate(real).measured);
  // FAIL at 420 MB/s: request 4K does not crossfade (1408), nor play twice (880).
  w = ComputeWillItWork(real);
  EXPECT_EQ(CarriedWithCrossfade(w, "request 4K"), 0);
  for (const auto& row : w.rows) {
    if (row.kind.name == "request 4K") {
      EXPECT_EQ(row.carried.normal, 0);
    }
  }
}

}  // namespace
}  // namespace qdt
