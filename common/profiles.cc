#include "common/profiles.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/units.h"

namespace qdt {
namespace {

using qdt::v1::Phase;
using qdt::v1::Profile;
using qdt::v1::Stream;

constexpr uint32_t kMinBlock = 4096;
constexpr uint32_t kMaxBlock = 64 * 1024 * 1024;
constexpr uint32_t kMaxIodepth = 256;
constexpr double kMaxRateBytesPerS = 100e9;  // faster than any drive; larger is a typo
constexpr double kEpsilonS = 1e-6;

// The request's figures (DESIGN.md §5): normal playback is one 4K stream at
// 440 MB/s (4K ProRes 4444 XQ at 59.94p) plus three HD streams at 72 MB/s.
constexpr double k4KRate = 440e6;
constexpr double kHDRate = 72e6;
constexpr double kFps = 59.94;
// A crossfade plays the outgoing and the incoming cue at once, with a 1.6 safety
// factor: 2 x 656 x 1.6 = 2099.2 MB/s (the request rounds it to 2100).
constexpr double kCrossfadeSafety = 1.6;

Stream Paced(const std::string& name, double rate) {
  Stream s;
  s.set_name(name);
  s.set_rate_bytes_per_s(static_cast<uint64_t>(std::llround(rate)));
  s.set_block_size_bytes(BlockSizeForFrame(rate, kFps));
  // Two reads in flight: a player reads the next frame while the current one arrives.
  s.set_iodepth(2);
  s.set_frame_rate(kFps);
  return s;
}

void AddNormalCue(Phase* phase, double factor, const std::string& suffix) {
  *phase->add_streams() = Paced("4K ProRes 4444 XQ 59.94" + suffix, k4KRate * factor);
  for (int i = 1; i <= 3; ++i) {
    *phase->add_streams() = Paced(absl::StrCat("HD ProRes 59.94 #", i, suffix), kHDRate * factor);
  }
}

Profile SetupCheck() {
  Profile p;
  p.set_name("setup-check");
  p.set_title("Setup Check");
  p.set_description(
      "30 s: 10 s normal playback (656 MB/s), 10 s crossfade peak (2099.2 MB/s), "
      "10 s unpaced sequential read (1 MiB, queue depth 8).");
  Phase* normal = p.add_phases();
  normal->set_name("normal");
  normal->set_duration_s(10);
  AddNormalCue(normal, 1.0, "");
  Phase* xfade = p.add_phases();
  xfade->set_name("crossfade");
  xfade->set_duration_s(10);
  AddNormalCue(xfade, kCrossfadeSafety, " (out)");
  AddNormalCue(xfade, kCrossfadeSafety, " (in)");
  Phase* max = p.add_phases();
  max->set_name("max-read");
  max->set_duration_s(10);
  Stream* s = max->add_streams();
  s->set_name("unpaced sequential read");
  s->set_rate_bytes_per_s(0);
  s->set_block_size_bytes(1024 * 1024);
  s->set_iodepth(8);
  return p;
}

bool Finite(double x) { return std::isfinite(x); }

}  // namespace

uint32_t BlockSizeForFrame(double bytes_per_s, double fps) {
  if (!(bytes_per_s > 0) || !(fps > 0)) return kMinBlock;
  double frame = std::ceil(bytes_per_s / fps / kMinBlock) * kMinBlock;
  return static_cast<uint32_t>(std::min<double>(std::max<double>(frame, kMinBlock), kMaxBlock));
}

std::vector<std::string> BuiltinProfileNames() { return {"setup-check"}; }

absl::StatusOr<Profile> BuiltinProfile(absl::string_view name) {
  if (name == "setup-check") return SetupCheck();
  return absl::NotFoundError(absl::StrCat("unknown profile \"", name, "\"; built-in profiles: ",
                                          absl::StrJoin(BuiltinProfileNames(), ", ")));
}

absl::Status ValidateProfile(const Profile& p) {
  if (p.name().empty()) return absl::InvalidArgumentError("name: empty");
  if (p.phases_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("phases: profile \"", p.name(), "\" has no phases"));
  }
  std::set<std::string> names;
  for (int i = 0; i < p.phases_size(); ++i) {
    const Phase& ph = p.phases(i);
    const std::string at = absl::StrCat("phases[", i, "]");
    if (ph.name().empty()) return absl::InvalidArgumentError(at + ".name: empty");
    if (!names.insert(ph.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".name: \"", ph.name(), "\" is used twice"));
    }
    if (!Finite(ph.duration_s()) || ph.duration_s() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".duration_s: ", ph.duration_s(),
                                                     " must be a positive number of seconds"));
    }
    if (ph.streams_size() == 0) return absl::InvalidArgumentError(at + ".streams: none");
    if (ph.streams_size() > kMaxStreamsPerPhase) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".streams: ", ph.streams_size(),
                                                     " streams, at most ", kMaxStreamsPerPhase));
    }
    int paced = 0;
    for (int j = 0; j < ph.streams_size(); ++j) {
      const Stream& s = ph.streams(j);
      const std::string sat = absl::StrCat(at, ".streams[", j, "]");
      if (s.block_size_bytes() < kMinBlock || s.block_size_bytes() > kMaxBlock) {
        return absl::InvalidArgumentError(absl::StrCat(
            sat, ".block_size_bytes: ", s.block_size_bytes(), " is outside 4096 .. 67108864"));
      }
      if (s.block_size_bytes() % 512 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            sat, ".block_size_bytes: ", s.block_size_bytes(), " is not a multiple of 512"));
      }
      if (s.iodepth() > kMaxIodepth) {
        return absl::InvalidArgumentError(
            absl::StrCat(sat, ".iodepth: ", s.iodepth(), " is above ", kMaxIodepth));
      }
      if (static_cast<double>(s.rate_bytes_per_s()) > kMaxRateBytesPerS) {
        return absl::InvalidArgumentError(
            absl::StrCat(sat, ".rate_bytes_per_s: ", s.rate_bytes_per_s(), " is above 100 GB/s"));
      }
      if (!Finite(s.start_offset_s()) || s.start_offset_s() < 0 ||
          s.start_offset_s() >= ph.duration_s()) {
        return absl::InvalidArgumentError(absl::StrCat(sat, ".start_offset_s: ", s.start_offset_s(),
                                                       " must be in [0, ", ph.duration_s(), ")"));
      }
      if (!Finite(s.duration_s()) || s.duration_s() < 0 ||
          s.start_offset_s() + s.duration_s() > ph.duration_s() + kEpsilonS) {
        return absl::InvalidArgumentError(
            absl::StrCat(sat, ".duration_s: ", s.duration_s(), " (from ", s.start_offset_s(),
                         " s) runs past the phase's ", ph.duration_s(), " s"));
      }
      if (!Finite(s.frame_rate()) || s.frame_rate() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(sat, ".frame_rate: ", s.frame_rate(), " must be >= 0"));
      }
      if (s.rate_bytes_per_s() > 0) ++paced;
    }
    if (paced != 0 && paced != ph.streams_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".streams: ", paced, " of ", ph.streams_size(),
                       " streams are paced; a phase is either all paced (a cue stack) or all "
                       "unpaced (max read)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Profile> ScaleProfile(const Profile& profile, double scale) {
  if (!Finite(scale) || scale <= 0 || scale > 1) {
    return absl::InvalidArgumentError(absl::StrCat(scale, " must be in (0, 1]"));
  }
  if (auto st = ValidateProfile(profile); !st.ok()) return st;
  Profile out = profile;
  for (Phase& ph : *out.mutable_phases()) {
    ph.set_duration_s(ph.duration_s() * scale);
    for (Stream& s : *ph.mutable_streams()) {
      s.set_start_offset_s(s.start_offset_s() * scale);
      s.set_duration_s(s.duration_s() * scale);
    }
  }
  return out;
}

double PhaseTargetBytesPerS(const Phase& phase) {
  double sum = 0;
  for (const Stream& s : phase.streams()) sum += static_cast<double>(s.rate_bytes_per_s());
  return sum;
}

double ProfileDurationS(const Profile& profile) {
  double sum = 0;
  for (const Phase& ph : profile.phases()) sum += ph.duration_s();
  return sum;
}

}  // namespace qdt
