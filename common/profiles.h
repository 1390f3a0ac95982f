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

// At most this many streams in one phase: each is a fio job (a thread) reading its
// own file; a real cue stack has far fewer, and more would measure thread contention.
inline constexpr int kMaxStreamsPerPhase = 64;

std::vector<std::string> BuiltinProfileNames();
// NotFound naming the known profiles.
absl::StatusOr<qdt::v1::Profile> BuiltinProfile(absl::string_view name);

// InvalidArgument naming the field path and its value, e.g.
// "phases[1].streams[0].block_size_bytes: 1000 is not a multiple of 512".
absl::Status ValidateProfile(const qdt::v1::Profile& profile);

// Every phase duration, stream start offset and stream duration x scale;
// scale must be finite and in (0, 1]. The profile is validated too.
absl::StatusOr<qdt::v1::Profile> ScaleProfile(const qdt::v1::Profile& profile, double scale);

// Sum of the paced stream rates (B/s); 0 for an unpaced phase.
double PhaseTargetBytesPerS(const qdt::v1::Phase& phase);
double ProfileDurationS(const qdt::v1::Profile& profile);

// One frame of a stream of `bytes_per_s` at `fps`, rounded up to 4 KiB (the
// page and sector size that direct I/O wants), at least 4 KiB.
uint32_t BlockSizeForFrame(double bytes_per_s, double fps);

}  // namespace qdt

#endif  // QDT_COMMON_PROFILES_H_
