#include "common/verdict.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace qdt {
namespace {

// Relative slack for comparing measured rates with targets built from doubles.
constexpr double kRelativeTolerance = 1e-9;

// The phase's bytes as people read them: "12.1 GB".
std::string Gigabytes(double bytes) { return absl::StrFormat("%.1f GB", bytes / 1e9); }

// The drive's own count against fio's, per phase that ran to its end: fills
// the phase's device figures, adds the flags, and returns why the run cannot
// be rated when a phase came from the cache (empty otherwise).
std::string CrossCheck(const VerdictInput& in, qdt::v1::Verdict* v) {
  if (in.device_counter.empty()) {
    v->add_flags(absl::StrCat("not cross-checked: ", in.device_counter_note));
    return "";
  }
  // A phase's last reads can land after the next phase's release (its jobs
  // began a little after their own release on a busy machine): the drive's
  // bytes in the next phase's window beyond that phase's own reads go back to
  // the phase before, up to its shortfall, before either is judged.
  std::vector<double> drive(in.phases.size(), 0);
  for (size_t i = 0; i < in.phases.size(); ++i) {
    if (in.phases[i].device_bytes) drive[i] = static_cast<double>(*in.phases[i].device_bytes);
  }
  for (size_t i = 0; i + 1 < in.phases.size(); ++i) {
    const PhaseSeries& s = in.phases[i];
    const PhaseSeries& next = in.phases[i + 1];
    if (!s.device_bytes || !next.device_bytes) continue;
    const double shortfall = static_cast<double>(s.fio_read_bytes) - drive[i];
    const double beyond = drive[i + 1] - static_cast<double>(next.fio_read_bytes);
    const double moved = std::max(0.0, std::min(shortfall, beyond));
    drive[i] += moved;
    drive[i + 1] -= moved;
  }
  std::string no_rating;
  for (size_t i = 0; i < in.phases.size(); ++i) {
    const PhaseSeries& s = in.phases[i];
    qdt::v1::PhaseVerdict* pv = v->mutable_phases(static_cast<int>(i));
    pv->set_fio_bytes(s.fio_read_bytes);
    if (!s.device_bytes.has_value()) {
      if (s.completed && s.fio_read_bytes > 0) {
        v->add_flags(absl::StrCat("not cross-checked: the counter of ", in.device_counter,
                                  " could not be read in ", s.name));
      }
      continue;
    }
    pv->set_device_bytes(*s.device_bytes);
    if (s.fio_runtime_s > 0) pv->set_device_mean_mb_s(BytesToMB(*s.device_bytes / s.fio_runtime_s));
    if (!s.completed || s.fio_read_bytes == 0) continue;
    const double fio = static_cast<double>(s.fio_read_bytes);
    if (drive[i] < kMinDeliveredFraction * fio) {
      std::string why =
          absl::StrFormat("served from cache: fio read %s in %s, the drive delivered %s",
                          Gigabytes(fio), s.name, Gigabytes(drive[i]));
      v->add_flags(why);
      if (no_rating.empty()) no_rating = why;
      continue;
    }
    const double extra = drive[i] - fio;
    const double seconds = s.fio_runtime_s > 0 ? s.fio_runtime_s : 1;
    if (extra > kOtherReadsFraction * fio && BytesToMB(extra / seconds) > kOtherReadsMinMBps) {
      v->add_flags(absl::StrFormat(
          "other reads on %s during the test: about %.0f MB/s not from this test (Spotlight, "
          "Time Machine, another app?)",
          in.device_counter, BytesToMB(extra / seconds)));
    }
  }
  return no_rating;
}

// The phases that ran to their end without a judged window: what fio read in
// them, for the sustained figure of a run with nothing judged (the rule of
// the rating: the lowest unpaced mean, else the highest-target paced one).
struct Unjudged {
  double unpaced_mb_s = -1;
  double paced_target = -1, paced_mb_s = 0;
  double Sustained() const { return unpaced_mb_s >= 0 ? unpaced_mb_s : paced_mb_s; }
};

void NoteUnjudged(const PhaseSeries& s, double mean_mb_s, Unjudged* u) {
  if (s.target_bytes_per_s <= 0) {
    if (u->unpaced_mb_s < 0 || mean_mb_s < u->unpaced_mb_s) u->unpaced_mb_s = mean_mb_s;
  } else if (s.target_bytes_per_s > u->paced_target) {
    u->paced_target = s.target_bytes_per_s;
    u->paced_mb_s = mean_mb_s;
  }
}

void NoRating(qdt::v1::Verdict* v, const std::string& reason, const std::string& summary) {
  v->set_rating(qdt::v1::RATING_NO_RATING);
  v->set_no_rating_reason(reason);
  v->set_fails_crossfade_target(true);
  v->set_summary(summary);
}

}  // namespace

bool HasRating(const qdt::v1::Verdict& verdict) {
  return verdict.rating() == qdt::v1::RATING_EXCELLENT ||
         verdict.rating() == qdt::v1::RATING_ACCEPTABLE || verdict.rating() == qdt::v1::RATING_FAIL;
}

std::string RehearsalMark(double time_scale) {
  if (time_scale == 0 || time_scale == 1 || !std::isfinite(time_scale)) return "";
  return absl::StrFormat("REHEARSAL ×%g", time_scale);
}

std::string RatingWord(qdt::v1::Rating rating) {
  switch (rating) {
    case qdt::v1::RATING_EXCELLENT:
      return "EXCELLENT";
    case qdt::v1::RATING_ACCEPTABLE:
      return "ACCEPTABLE";
    case qdt::v1::RATING_FAIL:
      return "FAIL";
    default:
      return "NO RATING";
  }
}

double NearestRankPercentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(index, values.size() - 1)];
}

qdt::v1::Verdict ComputeVerdict(const VerdictInput& in) {
  qdt::v1::Verdict v;
  v.set_normal_target_mb_s(in.normal_target_mb_s);
  v.set_crossfade_target_mb_s(in.crossfade_target_mb_s);

  bool all_completed = !in.phases.empty();
  std::string first_incomplete;
  double unpaced_sustained = -1;
  double best_paced_target = -1, best_paced_median = 0;
  bool all_paced_passed = true, normal_paced_passed = true;
  std::string worst_miss;   // for the summary: the first paced phase that missed
  std::string normal_miss;  // the first phase whose normal-playback windows missed
  int judged_phases = 0;    // completed phases with at least one window judged
  Unjudged unjudged;        // what fio read in the phases that were not

  for (const PhaseSeries& s : in.phases) {
    qdt::v1::PhaseVerdict* pv = v.add_phases();
    pv->set_phase_index(s.phase_index);
    pv->set_name(s.name);
    pv->set_target_mb_s(BytesToMB(s.target_bytes_per_s));
    pv->set_ran(s.ran);
    if (!s.completed) {
      all_completed = false;
      if (first_incomplete.empty()) first_incomplete = s.name;
    }
    if (!s.ran) continue;

    std::vector<double> judged;
    double bytes = 0, secs = 0;
    uint32_t missed = 0, streak = 0, longest = 0;
    const double threshold = kWindowPassFraction * s.target_bytes_per_s;  // at the peak
    const double normal_bytes = MBToBytes(in.normal_target_mb_s) * (1 + kRelativeTolerance);
    uint32_t normal_windows = 0, normal_missed = 0;
    double normal_threshold = 0;  // of the first normal-level window that missed
    for (size_t i = 0; i < s.window_bytes_per_s.size() && i < s.window_s.size(); ++i) {
      double rate = s.window_bytes_per_s[i];
      // A NaN would pass every comparison below and break the sort of the
      // percentiles: such a window is not judged.
      if (!std::isfinite(s.window_s[i]) || !std::isfinite(rate)) continue;
      if (s.window_s[i] < kMinJudgedWindowS) continue;
      double target = s.target_bytes_per_s <= 0                ? 0
                      : i < s.window_target_bytes_per_s.size() ? s.window_target_bytes_per_s[i]
                                                               : s.target_bytes_per_s;
      judged.push_back(rate);
      bytes += rate * s.window_s[i];
      secs += s.window_s[i];
      const bool normal_level = target > 0 && target <= normal_bytes;
      if (normal_level) ++normal_windows;
      // Targets are time-weighted sums of doubles: a window that delivers
      // exactly 95 % must not miss by a rounding error.
      if (target > 0 && rate < kWindowPassFraction * target * (1 - kRelativeTolerance)) {
        ++missed;
        longest = std::max(longest, ++streak);
        if (normal_level) {
          if (normal_missed == 0) normal_threshold = kWindowPassFraction * target;
          ++normal_missed;
        }
      } else {
        streak = 0;
      }
    }
    pv->set_windows(static_cast<uint32_t>(judged.size()));
    pv->set_missed_windows(missed);
    pv->set_longest_miss_streak(longest);
    if (!judged.empty()) {
      pv->set_worst_mb_s(BytesToMB(*std::min_element(judged.begin(), judged.end())));
      pv->set_p1_mb_s(BytesToMB(NearestRankPercentile(judged, 1)));
      pv->set_median_mb_s(BytesToMB(NearestRankPercentile(judged, 50)));
    }
    if (secs <= 0) {
      // No window long enough to judge: the mean still says what fio read.
      for (size_t i = 0; i < s.window_bytes_per_s.size() && i < s.window_s.size(); ++i) {
        if (!std::isfinite(s.window_s[i]) || !std::isfinite(s.window_bytes_per_s[i])) continue;
        if (s.window_s[i] <= 0) continue;
        bytes += s.window_bytes_per_s[i] * s.window_s[i];
        secs += s.window_s[i];
      }
    }
    double mean =
        s.fio_mean_bytes_per_s > 0 ? s.fio_mean_bytes_per_s : (secs > 0 ? bytes / secs : 0);
    pv->set_mean_mb_s(BytesToMB(mean));
    bool passed = s.completed && !judged.empty() && missed == 0;
    pv->set_passed(passed);

    // Completion latency against one frame interval, per paced stream.
    for (const StreamLatency& sl : s.streams) {
      if (sl.frame_rate <= 0) continue;
      auto* sv = pv->add_streams();
      sv->set_name(sl.name);
      sv->set_frame_interval_ms(1000.0 / sl.frame_rate);
      sv->set_clat_p50_ms(sl.clat_p50_ms);
      sv->set_clat_p99_ms(sl.clat_p99_ms);
      sv->set_dropped_frame_risk(sl.clat_p99_ms > sv->frame_interval_ms());
      if (sv->dropped_frame_risk()) {
        v.add_flags(
            absl::StrFormat("dropped-frame risk: %s in %s: p99 completion latency %.1f ms is above "
                            "one frame (%.1f ms)",
                            sl.name, s.name, sl.clat_p99_ms, sv->frame_interval_ms()));
      }
    }
    if (s.target_bytes_per_s <= 0 && judged.size() >= kThrottleMinWindows) {
      size_t q = judged.size() / 4;
      std::vector<double> head(judged.begin(), judged.begin() + q);
      std::vector<double> tail(judged.end() - q, judged.end());
      double first = NearestRankPercentile(head, 50), last = NearestRankPercentile(tail, 50);
      if (last < kThrottleDropFraction * first) {
        v.add_flags(
            absl::StrFormat("throttling suspected: %s fell from %.0f MB/s (first quarter) to %.0f "
                            "MB/s (last quarter)",
                            s.name, BytesToMB(first), BytesToMB(last)));
      }
    }
    if (in.plausible_ceiling_mb_s > 0 && pv->mean_mb_s() > in.plausible_ceiling_mb_s) {
      v.add_flags(
          absl::StrFormat("probably served from cache: %s averaged %.0f MB/s, above the drive's "
                          "plausible %.0f MB/s",
                          s.name, pv->mean_mb_s(), in.plausible_ceiling_mb_s));
    }
    if (s.target_bytes_per_s <= 0 && s.reached_iodepth > 0 &&
        s.reached_iodepth < s.requested_iodepth) {
      v.add_flags(absl::StrFormat(
          "queue depth capped: %s asked for %d reads in flight, fio kept at most %d (on macOS "
          "posixaio is capped by kern.aioprocmax)",
          s.name, s.requested_iodepth, s.reached_iodepth));
    }
    if (s.completed && judged.empty()) {
      // At a strong --time-scale a phase can be shorter than one window: it
      // cannot be judged, and it says so instead of failing the drive.
      v.add_flags(absl::StrCat("not judged: phase ", s.name, " is shorter than one sample window"));
      NoteUnjudged(s, pv->mean_mb_s(), &unjudged);
      continue;
    }
    ++judged_phases;
    if (s.target_bytes_per_s > 0) {
      if (!passed) {
        all_paced_passed = false;
        // Normal playback failed when a window that asked for no more than
        // normal playback missed.
        if (normal_missed > 0) {
          normal_paced_passed = false;
          if (normal_miss.empty()) {
            normal_miss =
                absl::StrFormat("%s: %d of %d normal-playback windows under %.0f MB/s", s.name,
                                normal_missed, normal_windows, BytesToMB(normal_threshold));
          }
        }
        if (worst_miss.empty() && missed > 0) {
          worst_miss =
              absl::StrFormat("%s: %d of %d windows under 95 %% of target (%.0f MB/s at the peak)",
                              s.name, missed, judged.size(), BytesToMB(threshold));
        }
      }
      if (s.target_bytes_per_s > best_paced_target) {
        best_paced_target = s.target_bytes_per_s;
        best_paced_median = pv->median_mb_s();
      }
    } else if (unpaced_sustained < 0 || pv->mean_mb_s() < unpaced_sustained) {
      unpaced_sustained = pv->mean_mb_s();
    }
  }

  if (in.total_bytes > 0 &&
      static_cast<double>(in.free_bytes) < kLowFreeFraction * static_cast<double>(in.total_bytes)) {
    v.add_flags(absl::StrFormat("low free space: %.1f GB free of %.1f GB (%.1f %%)",
                                in.free_bytes / 1e9, in.total_bytes / 1e9,
                                100.0 * in.free_bytes / in.total_bytes));
  }
  if (in.power_source == "Battery Power") v.add_flags(kOnBatteryFlag);
  double sustained = unpaced_sustained >= 0 ? unpaced_sustained : best_paced_median;
  v.set_sustained_mb_s(sustained);

  if (in.phases.empty()) {
    v.add_flags("incomplete: no phase was measured");
    NoRating(&v, "no phase was measured", "NO RATING: no phase was measured");
    return v;
  }
  std::string from_cache = CrossCheck(in, &v);
  for (const qdt::v1::PhaseBoundary& b : in.boundaries) {
    if (!b.has_idle_gap_ms() || b.idle_gap_ms() <= kMaxRestMs) continue;
    if (b.to_phase_index() <= 0 || b.to_phase_index() >= static_cast<int>(in.phases.size())) {
      continue;
    }
    const std::string& name = in.phases[b.to_phase_index()].name;
    v.add_flags(absl::StrFormat(
        "rested before %s: the drive read nothing for %.0f ms at the handover (more than %.0f "
        "ms): %s began on a rested drive",
        name, b.idle_gap_ms(), kMaxRestMs, name));
  }
  if (in.resident_fraction_after_layout.has_value() &&
      *in.resident_fraction_after_layout > kMaxResidentFraction) {
    from_cache = absl::StrFormat(
        "the test files stayed in memory (%.0f %% of a file resident): the phases read memory, "
        "not a drive",
        100 * *in.resident_fraction_after_layout);
    v.add_flags(from_cache);
  }
  if (!all_completed) {
    v.add_flags(absl::StrCat("incomplete: phase ", first_incomplete, " did not finish"));
    NoRating(&v, absl::StrCat("the run did not finish (phase ", first_incomplete, ")"),
             absl::StrFormat(
                 "NO RATING: the run did not finish (phase %s); sustained %.0f MB/s over what ran",
                 first_incomplete, sustained));
    return v;
  }
  if (!from_cache.empty()) {
    NoRating(&v, from_cache, absl::StrCat("NO RATING: ", from_cache));
    return v;
  }
  if (judged_phases == 0) {
    // Every phase ended before one window could be judged (a strong time
    // scale, a fio that stopped at once): nothing was measured to rate, and
    // sustained is what fio read, never 0 when it read something.
    const double read = unjudged.Sustained();
    v.set_sustained_mb_s(read);
    const std::string why = absl::StrFormat(
        "no phase lasted one judging window (%g s): nothing to rate", kMinJudgedWindowS);
    NoRating(&v, why,
             read > 0 ? absl::StrFormat("NO RATING: %s; fio read %.0f MB/s", why, read)
                      : absl::StrCat("NO RATING: ", why));
    return v;
  }
  if (sustained >= in.crossfade_target_mb_s && all_paced_passed) {
    v.set_rating(qdt::v1::RATING_EXCELLENT);
    v.set_summary(
        absl::StrFormat("EXCELLENT: sustains %.0f MB/s and met every paced target", sustained));
  } else if (sustained >= in.normal_target_mb_s && normal_paced_passed) {
    v.set_rating(qdt::v1::RATING_ACCEPTABLE);
    std::string why = worst_miss.empty()
                          ? absl::StrFormat("sustained %.0f MB/s", sustained)
                          : absl::StrFormat("sustained %.0f MB/s; %s", sustained, worst_miss);
    v.set_summary(absl::StrFormat("ACCEPTABLE: fails the %.0f MB/s crossfade target (%s)",
                                  in.crossfade_target_mb_s, why));
  } else {
    v.set_rating(qdt::v1::RATING_FAIL);
    if (sustained < in.normal_target_mb_s) {
      v.set_summary(
          absl::StrFormat("FAIL: sustained %.0f MB/s is below normal playback (%.0f MB/s)",
                          sustained, in.normal_target_mb_s));
    } else {
      v.set_summary(absl::StrFormat("FAIL: normal playback missed its target (%s)", normal_miss));
    }
  }
  v.set_fails_crossfade_target(v.rating() != qdt::v1::RATING_EXCELLENT);
  return v;
}

}  // namespace qdt
