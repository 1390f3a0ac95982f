// Cue stacks: the streams a show plays at once, described by a designer as
// codec + resolution + frame rate (from the stream table) or as MB/s, and the
// profile and targets that follow from them (docs/DESIGN.md §5).
//
// Stream table: ProRes 422, 422 HQ, 4444 and 4444 XQ at 1080p and UHD, HAP
// and HAP Q at 1080p and UHD, each at 23.98, 25, 29.97, 50 and 59.94 fps.
// ProRes: Apple's target data rates (Apple ProRes White Paper, appendix
// "Target Data Rates"; see cue_stack.cc). HAP worst case = bytes per pixel x
// pixels x fps (HAP 0.5 B/px, HAP Q 1 B/px). The request's own figures ("request
// 4K" at 440 MB/s, "request HD" at 72 MB/s) are entries too, so the defaults
// stay 656 / 2100 MB/s; they name no codec (440 MB/s is no ProRes rate: the
// paper gives ProRes 4444 XQ UHD 59.94 as 497.1 MB/s).
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
  std::string name;     // e.g. "ProRes 422 HQ UHD 29.97", "HAP Q 1080p25"
  double mb_per_s = 0;  // 10^6 bytes per second
  double fps = 0;       // 23.976 for "23.98"
  // The codec and frame size without the rate ("ProRes 422 HQ UHD"): rows of
  // one format differ only in fps. "request" for the request's figures,
  // empty for a custom "440MB/s@59.94".
  std::string format;
  std::string fps_label;  // "23.98", "25", "29.97", "50", "59.94"
  // Where the rate comes from: "Apple ProRes White Paper: 884 Mb/s", "HAP Q:
  // 1 B/px x 3840 x 2160 x fps", "the request's figure (no codec)".
  std::string source;
};

// The frame rates of the table, as its names write them.
const std::vector<std::string>& StreamTableFrameRates();
// The stream table: the 1080p formats (ProRes 422, 422 HQ, 4444, 4444 XQ,
// HAP, HAP Q), then the same at UHD, each format at every rate of
// StreamTableFrameRates(); then the request's figures.
const std::vector<StreamKind>& StreamTable();
// Lookup ignoring case and spaces ("prores 422 hq uhd 29.97" and
// "ProRes 422 HQ UHD29.97" are one stream); NotFound lists the table.
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
