// Profiles: what load a test puts on a drive (docs/DESIGN.md §5). A profile is data
// (qdt.v1.Profile): named phases run one after another, each a set of streams;
// a stream is one fio job reading its own file sequentially, paced at a rate
// (a clip) or unpaced (as fast as the drive reads).
//
// Pure functions; thread-safe.
#ifndef QDT_COMMON_PROFILES_H_
#define QDT_COMMON_PROFILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {

// At most this many streams in one phase. Every stream is a fio job, run as a
// thread of one fio process; crossfade bursts are streams that wait for their
// startdelay (the 60-minute act of the show pattern has 124). fio itself allows
// 4096 jobs (MAX_JOBS); 256 keeps one phase's threads modest.
inline constexpr int kMaxStreamsPerPhase = 256;
// Stream files per run (stream-NN.dat).
inline constexpr uint32_t kMaxFiles = 64;
// Phases per profile: each is a fio process of its own, and a show pattern
// has a handful (a derived cue stack three).
inline constexpr int kMaxPhases = 1000;
// Profile, phase and stream names and the profile's title, in bytes of UTF-8:
// enough for "request 4K (crossfade 12, incoming)" many times over, small
// enough that a name never makes a reply or a fio job-file line large (fio
// 3.33 reads job files in lines of at most 8 KiB, parse.c OPT_LEN_MAX).
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 4096;
// Every duration (a phase, a stream's offset and length, the whole profile)
// is at most a day, like a synchronised start (run_plan.h kMaxStartDelay): a
// show is hours; beyond that it is a typo, and 1e18 s would overflow fio's
// milliseconds.
inline constexpr double kMaxDurationS = 24 * 3600;
// The shortest phase that can be judged: fio reports once a second
// (--status-interval=1) and the verdict judges windows of at least 0.5 s
// (verdict.h kMinJudgedWindowS); a 1 s phase cut anywhere by a report still
// has one part of at least 0.5 s. Shorter phases would measure and then say
// nothing (NO RATING), so the plan refuses them.
inline constexpr double kMinPhaseS = 1.0;
// The shortest a stream (a crossfade burst) may run: fio looks for jobs due
// to start every 100 ms (backend.c run_threads), so a shorter burst could be
// over before fio started it; and a job file must never say runtime=0 (fio:
// no limit).
inline constexpr double kMinStreamS = 0.1;

// The built-in profiles ship as JSON files in common/profiles/ (compiled in;
// JSON has no comments, so their derivation is written here).
//
// Setup Check ("setup-check", 30 s), from the request's figures (docs/DESIGN.md §5):
// - "normal", 10 s: the cue as it plays, 1 x "request 4K" at
//   440,000,000 B/s + 3 x "request HD #n" at 72,000,000 B/s
//   = 656,000,000 B/s (kNormalTargetMBps).
// - "crossfade", 10 s: the outgoing and the incoming cue read at once, each
//   stream x 1.6 safety: 2 x (704,000,000 + 3 x 115,200,000)
//   = 2,099,200,000 B/s, the request's "2100 MB/s" (kCrossfadeTargetMBps).
// - "max-read", 10 s: one unpaced stream (rate 0), 1 MiB reads, iodepth 8:
//   what the drive sustains when nothing holds it back.
// Paced streams read one frame per I/O: block = BlockSizeForFrame(rate, fps)
// (440e6 / 59.94 = 7,340,674 B -> 7,344,128), iodepth 2 (the frame being
// read and the next one, as a player reads ahead), frame_rate set so that the
// verdict can compare completion latency with one frame interval.
// show-pattern and max-sustained follow the table in docs/DESIGN.md §5 the same
// way; tests/unit/profiles_test.cc pins these figures for every built-in.
std::vector<std::string> BuiltinProfileNames();
// NotFound naming the known profiles.
absl::StatusOr<qdt::v1::Profile> BuiltinProfile(absl::string_view name);

// A profile from text: JSON (qdt.v1.Profile in proto3 JSON) when it starts with
// '{', else protobuf text format. `origin` names the source in errors. Validated.
absl::StatusOr<qdt::v1::Profile> ParseProfile(absl::string_view text, absl::string_view origin);
// Reads and parses a profile file (.json or text format).
absl::StatusOr<qdt::v1::Profile> LoadProfileFile(const std::string& path);

// The clip file a stream reads: its `file` field, else its position in the phase.
uint32_t StreamFile(const qdt::v1::Phase& phase, int stream_index);
// When a stream is active within its phase: [start, end) in seconds.
double StreamStartS(const qdt::v1::Stream& s);
double StreamEndS(const qdt::v1::Phase& phase, const qdt::v1::Stream& s);

// InvalidArgument naming the field path and its value, e.g.
// "phases[1].streams[0].block_size_bytes: 1000 is not a multiple of 512".
// Names (profile, phase, stream) are valid UTF-8 of at most kMaxNameBytes,
// free of control characters: they are written into fio job files as
// comments, where a line break would start a new job section (inline
// profiles arrive over the network). Phase names are unique in a profile and
// stream names in a phase (the reports tell streams apart by name). Every
// duration is finite and at most kMaxDurationS, the profile's total too.
// Values from outside are quoted at most kMaxQuotedBytes long (quote.h).
absl::Status ValidateProfile(const qdt::v1::Profile& profile);

// Every phase duration, stream start offset and stream duration x scale;
// scale must be finite and in (0, 1]. The profile is validated too.
absl::StatusOr<qdt::v1::Profile> ScaleProfile(const qdt::v1::Profile& profile, double scale);

// The peak of the phase's paced schedule (B/s): the most that paced streams
// ask for at any moment; 0 for an unpaced phase.
double PhaseTargetBytesPerS(const qdt::v1::Phase& phase);
// The paced target over [t0, t1) of phase time: the time-weighted sum of the
// rates of the streams scheduled then (bursts count for the part they overlap).
double ScheduledTargetBytesPerS(const qdt::v1::Phase& phase, double t0, double t1);
double ProfileDurationS(const qdt::v1::Profile& profile);

// Whether `profile` (validated, unscaled) scaled by `scale` can be measured:
// every phase lasts at least kMinPhaseS and every stream at least
// kMinStreamS. InvalidArgument otherwise, naming the phase or stream, the
// length it would have and the smallest scale that works, e.g.
// "time_scale: 0.01 makes phases[0] \"normal\" 0.1 s long, shorter than the 1 s
// a phase needs to be judged (...); the smallest time scale for profile
// \"setup-check\" is 0.1". At scale 1 the profile's own field is named
// ("<field_prefix>phases[0].duration_s: 0.5 s is shorter than ...").
absl::Status CheckScaledLengths(const qdt::v1::Profile& profile, double scale,
                                absl::string_view field_prefix = "");
// The smallest time scale at which CheckScaledLengths passes, rounded up to
// two significant digits; above 1 when the profile itself is too short.
double SmallestTimeScale(const qdt::v1::Profile& profile);

// One frame of a stream of `bytes_per_s` at `fps`, rounded up to 4 KiB (the
// page and sector size that direct I/O wants), at least 4 KiB.
uint32_t BlockSizeForFrame(double bytes_per_s, double fps);

// The two levels a drive is judged against (MB/s).
struct ProfileLevels {
  double normal_mb_s = 0;
  double crossfade_mb_s = 0;
};
// crossfade = the highest paced peak, rounded up to a whole MB/s (2099.2 ->
// 2100, as the request rounds it); normal = the highest paced level at the
// start of a phase below that peak (a phase starts with its steady cue; bursts
// come later). Without paced phases: the request's 656 / 2100 MB/s.
ProfileLevels TargetLevels(const qdt::v1::Profile& profile);

}  // namespace qdt

#endif  // QDT_COMMON_PROFILES_H_
