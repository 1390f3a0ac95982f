// The verdict engine: judges a run's measured series against its targets.
// Every rule and number here is written down in docs/VERDICTS.md.
//
// Rules (MB = 10^6 bytes):
// - A phase is judged on its sample windows (about 1 s each). Windows shorter
//   than 0.5 s are not judged: fio's last status before its final report can
//   cover a fraction of a second and its rate is noise. Windows with a
//   non-finite length or rate are not judged either.
// - Paced phase: a window misses when it delivers less than 95 % of its
//   target (exactly 95 % is not a miss; a relative 1e-9 absorbs rounding):
//   the paced streams scheduled in that window, time-weighted (a
//   crossfade burst raises the target of the windows it overlaps). Reported: windows judged,
//   missed windows, worst window, p1 (nearest rank), median, mean (fio's own
//   io_bytes / runtime when known, else the time-weighted mean of the
//   windows), longest streak of consecutive misses. It passes when it ran to
//   its end with at least one window judged and no window missed.
// - Unpaced phase (max read): the same statistics; it passes when it ran to
//   its end with at least one window judged.
// - A phase that ran to its end but had no window judged (shorter than one
//   window) is not judged: flag "not judged: phase <name> is shorter than one
//   sample window"; it counts neither for nor against the rating. Its mean is
//   still what fio read (fio's mean, else all its windows).
// - Every phase ran to its end and none had a window judged: NO RATING "no
//   phase lasted one judging window (0.5 s): nothing to rate", sustained = what
//   fio read (the lowest unpaced mean, else the highest-target paced mean),
//   never 0 when fio read something. (The agent refuses time scales that make
//   a phase shorter than kMinPhaseS, profiles.h; qdtctl analyze can still
//   meet such output.)
// - Phases the run never reached are reported with ran = false and no statistics.
// - Sustained read = the mean of the unpaced phase (the lowest, if several);
//   without an unpaced phase, the median of the highest-target paced phase.
// - Rating when every phase completed: EXCELLENT when sustained >= the
//   crossfade target (2100) and every paced phase passed; else ACCEPTABLE when
//   sustained >= the normal target (656) and no window whose target was at
//   most the normal target missed (normal playback held); else FAIL. fails_crossfade_target =
//   rating is not EXCELLENT.
// - Summary, one sentence: "EXCELLENT: sustains 2650 MB/s and met every paced
//   target"; "ACCEPTABLE: fails the 2100 MB/s crossfade target (sustained
//   1200 MB/s; crossfade: 7 of 10 windows under 95 % of target (1994 MB/s at
//   the peak))"; "FAIL: sustained 420 MB/s is below normal playback (656
//   MB/s)" or "FAIL: normal playback missed its target (normal: 2 of 10
//   normal-playback windows under 623 MB/s)".
// - Flags beside the rating: dropped-frame risk (a paced stream's p99
//   completion latency above one frame interval); throttling suspected (an
//   unpaced phase of >= 8 windows whose last quarter's median is under 85 % of
//   its first quarter's); probably served from cache (a phase mean above the
//   drive's plausible ceiling, when known); queue depth capped (fio kept fewer
//   reads in flight than asked: posixaio's kern.aioprocmax on macOS); low free
//   space (under 10 % of the volume free at the start); on battery (the
//   machine drew from "Battery Power" as the run began: kOnBatteryFlag; the
//   rating stands).
// - A run that did not finish every phase gets no rating (RATING_NO_RATING,
//   with no_rating_reason), fails_crossfade_target = true, the flag
//   "incomplete: phase <name> did not finish" and the summary "NO RATING: the
//   run did not finish (phase <name>); sustained <x> MB/s over what ran". No
//   phases at all: "incomplete: no phase was measured".
// - The drive's own counter (when there is one) checks every phase that ran to
//   its end: when the drive delivered less than kMinDeliveredFraction (90 %)
//   of the bytes fio read, the phase was served from the page cache: flag
//   "served from cache: fio read 12.1 GB in crossfade, the drive delivered
//   0.2 GB" and RATING_NO_RATING with that reason. When the drive delivered
//   more than fio read by over kOtherReadsFraction (5 %) of fio's bytes and
//   over kOtherReadsMinMBps (5 MB/s): flag "other reads on disk4 during the
//   test: about 140 MB/s not from this test (Spotlight, Time Machine, another
//   app?)" (the rating stands: a shared drive only looks slower). Without a
//   counter: flag "not cross-checked: no device counter for <target>: <why>";
//   a counter that could not be read in a phase: "not cross-checked: the
//   counter of <device> could not be read in <phase>".
// - Test files still more than kMaxResidentFraction (1 %) in the page cache
//   after the eviction before the first phase (only possible without a
//   counter: with one the run fails before any phase): NO RATING "the test
//   files stayed in memory (100 % of a file resident): the phases read memory,
//   not a drive" (tmpfs, a RAM disk).
// - A boundary where the drive delivered nothing for more than kMaxRestMs
//   (100 ms) at the handover: flag "rested before crossfade: the drive read
//   nothing for 450 ms at the handover (more than 100 ms): crossfade began on
//   a rested drive"; the rating stands (a rested drive only flatters the
//   phase's first second).
// - normal_target_mb_s and crossfade_target_mb_s are copied into the Verdict.
//
// Pure functions; thread-safe.
#ifndef QDT_COMMON_VERDICT_H_
#define QDT_COMMON_VERDICT_H_

#include <optional>
#include <string>
#include <vector>

#include "common/units.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {

struct StreamLatency {
  std::string name;
  double frame_rate = 0;  // 0 = unknown: not judged
  double clat_p50_ms = 0, clat_p99_ms = 0;
};

struct PhaseSeries {
  int phase_index = 0;
  std::string name;
  double target_bytes_per_s = 0;           // peak paced target; 0 = unpaced phase
  std::vector<double> window_bytes_per_s;  // read+write B/s of each sample interval, in order
  std::vector<double> window_s;            // length of each interval (s), same size
  // The scheduled target of each interval (crossfade bursts raise it for their
  // part of a window); empty = target_bytes_per_s for every window.
  std::vector<double> window_target_bytes_per_s;
  double fio_mean_bytes_per_s = 0;     // fio's own io_bytes/runtime; 0 = unknown
  bool ran = false;                    // the phase started
  bool completed = false;              // the phase ran to its end
  std::vector<StreamLatency> streams;  // per stream, from fio's final report
  uint32_t requested_iodepth = 0;      // the most outstanding reads a stream asked for
  uint32_t reached_iodepth = 0;        // the deepest queue fio kept (iodepth_level); 0 = unknown
  // The drive's own count of the phase: bytes it delivered to reads while the
  // phase ran (its kernel counter); unset without a counter.
  std::optional<uint64_t> device_bytes;
  uint64_t fio_read_bytes = 0;  // fio's own count of the phase's reads (final report)
  double fio_runtime_s = 0;     // fio's runtime of the phase (its longest job); 0 = unknown
};

struct VerdictInput {
  std::vector<PhaseSeries> phases;  // every phase of the profile, in order
  double normal_target_mb_s = kNormalTargetMBps;
  double crossfade_target_mb_s = kCrossfadeTargetMBps;
  // The fastest the drive and its link can deliver (MB/s); 0 = unknown.
  double plausible_ceiling_mb_s = 0;
  // Space on the target volume at the start; 0 = unknown.
  uint64_t free_bytes = 0, total_bytes = 0;
  // The device whose counter filled PhaseSeries::device_bytes ("loop3",
  // "disk4"); empty = none, and device_counter_note says why.
  std::string device_counter;
  std::string device_counter_note = "no device counter was read";
  // The largest share of a test file still in the page cache after the
  // eviction before the first phase (0..1); unset = not measured. Above
  // kMaxResidentFraction: NO RATING (the phases read memory).
  std::optional<double> resident_fraction_after_layout;
  // The drive's rest at each handover (Run.checks.boundaries); a boundary
  // without idle_gap_ms was not measured and is not judged.
  std::vector<qdt::v1::PhaseBoundary> boundaries;
  // What powered the machine as the run began (Run.checks.power_source):
  // "AC Power", "Battery Power", "UPS Power"; empty = unknown.
  std::string power_source;
};

// Flag thresholds (docs/VERDICTS.md).
inline constexpr double kThrottleDropFraction = 0.85;  // last quarter under 85 % of the first
inline constexpr size_t kThrottleMinWindows = 8;
inline constexpr double kLowFreeFraction = 0.10;  // under 10 % free
// The drive delivered under 90 % of what fio read: the rest came from memory.
inline constexpr double kMinDeliveredFraction = 0.90;
// More than fio read by 5 % of fio's bytes and 5 MB/s: someone else read too.
inline constexpr double kOtherReadsFraction = 0.05;
inline constexpr double kOtherReadsMinMBps = 5;
// A test file more than 1 % in memory after the eviction is not out of it.
inline constexpr double kMaxResidentFraction = 0.01;
// Longer than this without a read at a handover, the next phase began rested.
inline constexpr double kMaxRestMs = 100;

// The flag of a run on battery power (the rating stands).
inline constexpr char kOnBatteryFlag[] =
    "on battery: the Mac ran the test on battery power (a show runs on AC; power management may "
    "slow the drive)";

// Windows shorter than this are not judged.
inline constexpr double kMinJudgedWindowS = 0.5;

qdt::v1::Verdict ComputeVerdict(const VerdictInput& input);

// Whether the verdict rates the drive (EXCELLENT, ACCEPTABLE or FAIL); false
// for NO RATING and for the unset value of records from older agents.
bool HasRating(const qdt::v1::Verdict& verdict);
// "EXCELLENT", "ACCEPTABLE", "FAIL", "NO RATING" (also for an unset rating).
std::string RatingWord(qdt::v1::Rating rating);
// A run at a time scale other than 1 is a rehearsal: "REHEARSAL ×0.1";
// empty for a real test (scale 1, or 0 from an older agent).
std::string RehearsalMark(double time_scale);

// Nearest-rank percentile (p in [0, 100]) of unsorted values; 0 when empty.
double NearestRankPercentile(std::vector<double> values, double p);

}  // namespace qdt

#endif  // QDT_COMMON_VERDICT_H_
