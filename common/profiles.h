// Profiles: what load a test puts on a drive (DESIGN.md §5). A profile is data
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

// The built-in profiles ship as JSON files in common/profiles/ (compiled in).
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
