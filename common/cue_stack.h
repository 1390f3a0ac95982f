// Cue stacks: the streams a show plays at once, described by a designer as
// codec + resolution + frame rate (from the stream table) or as MB/s, and the
// profile and targets that follow from them (docs/DESIGN.md §5).
//
// Stream table: Apple's ProRes target data rates; HAP worst case = bytes per
// pixel x pixels x fps (HAP 0.5 B/px, HAP Q 1 B/px). The request's own figures
// (4K at 440 MB/s, HD at 72 MB/s) are entries too, so the defaults stay
// 656 / 2100 MB/s.
//
// Pure functions; thread-safe.
#ifndef QDT_COMMON_CUE_STACK_H_
#define QDT_COMMON_CUE_STACK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {

struct StreamKind {
  std::string name;  // e.g. "ProRes 422 HQ UHD 29.97"
  double mb_per_s;   // 10^6 bytes per second
  double fps;
};

// The stream table, in the order of docs/DESIGN.md §5, then the request's figures.
const std::vector<StreamKind>& StreamTable();
// Case-insensitive lookup; NotFound lists the table.
absl::StatusOr<StreamKind> FindStreamKind(absl::string_view name);

struct CueStream {
  StreamKind kind;
  int count = 1;
  // Plays through a crossfade (a background loop, a held layer): it is read
  // once in the crossfade, not by both the outgoing and the incoming cue.
  bool holds = false;
};

// Parses one --stream argument: "NAME", "NAME x3" / "NAMEx3", or a custom
// "440MB/s@59.94" (optionally "x3"). Errors name the argument.
absl::StatusOr<CueStream> ParseCueStream(absl::string_view text);

// The request's default cue: 1 x 4K at 440 MB/s + 3 x HD at 72 MB/s (656 MB/s).
std::vector<CueStream> DefaultCue();

struct CueTargets {
  double normal_mb_s = 0;     // the cue stack played normally
  double crossfade_mb_s = 0;  // (held + 2 x crossfading streams) x safety
};
CueTargets DeriveTargets(const std::vector<CueStream>& cue, double safety);

// A runnable Setup-Check-shaped profile for the cue: normal, crossfade (held
// streams once, crossfading streams for the outgoing and the incoming cue,
// all x safety), unpaced max read;
// `phase_s` seconds each. Errors for an empty cue, counts < 1, safety < 1.
absl::StatusOr<qdt::v1::Profile> DeriveProfile(const std::string& name,
                                               const std::vector<CueStream>& cue, double safety,
                                               double phase_s);

}  // namespace qdt

#endif  // QDT_COMMON_CUE_STACK_H_
