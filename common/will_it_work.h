// "Will it work?": how many streams of each kind in the stream table a drive
// carries, from what its last test proved (issue 14, item 11; like
// Blackmagic Disk Speed Test's table, for every drive of the rig).
//
// The proven read rate (MB/s) of a verdict, conservatively:
// - No numbers from a run without a rating (NO RATING, or UNSPECIFIED from
//   an older agent: it measured nothing trustworthy) or from a rehearsal
//   (time scale != 1: its phases were shortened, docs/VERDICTS.md).
// - An unpaced phase ran (max read): the lowest mean of the unpaced phases
//   that were judged, and the drive's own count when it is lower (fio can be
//   helped by a cache the drive's counter does not see).
// - Only paced phases ran: the highest target a paced phase held (passed:
//   no 1-second window under 95 % of its target), never more than that
//   phase's mean. A paced phase only shows what it asked for, never more.
// - Either way, a paced phase that missed its target caps the figure at the
//   mean it delivered: the drive did not hold that load, whatever a single
//   unpaced reader showed (many paced streams are harder than one).
// - Nothing to stand on (no unpaced phase, no paced phase held): no numbers.
//
// Streams carried (docs/DESIGN.md §5):
// - with crossfades: the largest N whose crossfade peak 2 x N x rate x safety
//   fits the proven rate. It is DeriveTargets' crossfade rule for a cue of N
//   streams of the kind, none held (every stream fades out while its
//   successor fades in: the outgoing and the incoming cue read at once), x
//   the safety factor (1.6, the request's) for the drive's bad seconds;
// - without (normal playback): the largest N with N x rate <= proven, the
//   normal target's rule (no safety factor, as the 656 MB/s target has none).
//
// Pure functions; thread-safe.
#ifndef QDT_COMMON_WILL_IT_WORK_H_
#define QDT_COMMON_WILL_IT_WORK_H_

#include <string>
#include <vector>

#include "common/cue_stack.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {

// The request's safety factor for crossfades (DESIGN §5: 656 x 2 x 1.6).
inline constexpr double kCrossfadeSafety = 1.6;

struct ProvenRate {
  bool measured = false;
  double mb_s = 0;  // when measured
  // When measured, where the figure comes from ("unpaced max-read 2650 MB/s",
  // "capped by crossfade: it delivered 1980 MB/s of its 2100 MB/s target");
  // otherwise why there is none ("not measured: rehearsal ×0.1 ...").
  std::string basis;
};
ProvenRate ProvenReadRate(const qdt::v1::Verdict& verdict);

struct StreamsCarried {
  int with_crossfade = 0;  // largest N with 2 x N x rate x safety <= proven
  int normal = 0;          // largest N with N x rate <= proven
};
// Zero streams for a rate that is not positive or a proven rate that is not
// positive. `safety` below 1 is taken as 1.
StreamsCarried CarriedStreams(double proven_mb_s, double stream_mb_s,
                              double safety = kCrossfadeSafety);

struct WillItWorkRow {
  StreamKind kind;
  StreamsCarried carried;
};
struct WillItWork {
  ProvenRate proven;
  std::vector<WillItWorkRow> rows;  // every StreamTable() entry; empty when not measured
};
WillItWork ComputeWillItWork(const qdt::v1::Verdict& verdict, double safety = kCrossfadeSafety);

}  // namespace qdt

#endif  // QDT_COMMON_WILL_IT_WORK_H_
