#include "common/cue_stack.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/profiles.h"

namespace qdt {
namespace {

double Hap(double bytes_per_pixel, double w, double h, double fps) {
  return std::round(bytes_per_pixel * w * h * fps / 1e5) / 10.0;  // MB/s, one decimal
}

}  // namespace

const std::vector<StreamKind>& StreamTable() {
  static const auto* kTable = new std::vector<StreamKind>{
      {"ProRes 422 1080p29.97", 18.4, 29.97},
      {"ProRes 422 HQ 1080p29.97", 27.5, 29.97},
      {"ProRes 422 1080p59.94", 36.6, 59.94},
      {"ProRes 4444 1080p29.97", 41.2, 29.97},
      {"HAP 1080p29.97", Hap(0.5, 1920, 1080, 29.97), 29.97},
      {"HAP Q 1080p29.97", Hap(1.0, 1920, 1080, 29.97), 29.97},
      {"ProRes 422 UHD 29.97", 73.6, 29.97},
      {"ProRes 422 HQ UHD 29.97", 110.5, 29.97},
      {"ProRes 422 UHD 59.94", 147.2, 59.94},
      {"ProRes 422 HQ UHD 59.94", 221.0, 59.94},
      {"HAP Q UHD 29.97", Hap(1.0, 3840, 2160, 29.97), 29.97},
      {"ProRes 4444 XQ UHD 59.94", 497.1, 59.94},
      // The original request's figures.
      {"request 4K", 440.0, 59.94},
      {"request HD", 72.0, 59.94},
  };
  return *kTable;
}

absl::StatusOr<StreamKind> FindStreamKind(absl::string_view name) {
  for (const StreamKind& k : StreamTable()) {
    if (absl::EqualsIgnoreCase(k.name, absl::StripAsciiWhitespace(name))) return k;
  }
  std::vector<std::string> names;
  for (const StreamKind& k : StreamTable()) names.push_back(k.name);
  return absl::NotFoundError(absl::StrCat("unknown stream \"", name,
                                          "\"; known: ", absl::StrJoin(names, ", "),
                                          "; or give a rate as 440MB/s@59.94"));
}

absl::StatusOr<CueStream> ParseCueStream(absl::string_view text) {
  std::string arg(absl::StripAsciiWhitespace(text));
  CueStream cue;
  // A trailing "x3" / " x 3" is the count.
  size_t x = arg.find_last_of("xX");
  if (x != std::string::npos && x + 1 < arg.size()) {
    std::string tail(absl::StripAsciiWhitespace(arg.substr(x + 1)));
    int count;
    if (absl::SimpleAtoi(tail, &count)) {
      if (count < 1 || count > 64) {
        return absl::InvalidArgumentError(
            absl::StrCat("--stream \"", text, "\": count ", count, " must be 1..64"));
      }
      cue.count = count;
      arg = std::string(absl::StripAsciiWhitespace(arg.substr(0, x)));
    }
  }
  if (absl::StrContains(absl::AsciiStrToLower(arg), "mb/s")) {
    size_t at = arg.find('@');
    std::string rate(absl::StripAsciiWhitespace(arg.substr(0, arg.find_first_of("mM"))));
    double mb = 0, fps = 0;
    if (at == std::string::npos || !absl::SimpleAtod(rate, &mb) ||
        !absl::SimpleAtod(arg.substr(at + 1), &fps) || !(mb > 0) || !(fps > 0) || mb > 100000 ||
        fps > 1000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--stream \"", text, "\": a custom stream is RATE MB/s@FPS, e.g. 440MB/s@59.94"));
    }
    cue.kind = {absl::StrCat(mb, " MB/s @ ", fps), mb, fps};
    return cue;
  }
  auto kind = FindStreamKind(arg);
  if (!kind.ok())
    return absl::InvalidArgumentError(absl::StrCat("--stream: ", kind.status().message()));
  cue.kind = *kind;
  return cue;
}

std::vector<CueStream> DefaultCue() {
  return {{*FindStreamKind("request 4K"), 1}, {*FindStreamKind("request HD"), 3}};
}

CueTargets DeriveTargets(const std::vector<CueStream>& cue, double safety) {
  CueTargets t;
  for (const CueStream& c : cue) {
    t.normal_mb_s += c.kind.mb_per_s * c.count;
    t.crossfade_mb_s += c.kind.mb_per_s * c.count * (c.holds ? 1 : 2) * safety;
  }
  return t;
}

absl::StatusOr<qdt::v1::Profile> DeriveProfile(const std::string& name,
                                               const std::vector<CueStream>& cue, double safety,
                                               double phase_s) {
  if (cue.empty()) return absl::InvalidArgumentError("--stream: the cue stack is empty");
  if (!(safety >= 1) || !std::isfinite(safety) || safety > 10) {
    return absl::InvalidArgumentError(absl::StrCat("--safety: ", safety, " must be in [1, 10]"));
  }
  if (!(phase_s > 0) || !std::isfinite(phase_s)) {
    return absl::InvalidArgumentError(absl::StrCat("--phase-seconds: ", phase_s, " must be > 0"));
  }
  CueTargets t = DeriveTargets(cue, safety);
  qdt::v1::Profile p;
  p.set_name(name);
  p.set_title(absl::StrCat("Cue stack ", name));
  p.set_description(absl::StrCat("Derived: normal ", t.normal_mb_s, " MB/s; crossfade peak ",
                                 t.crossfade_mb_s, " MB/s (outgoing + incoming cue x ", safety,
                                 " safety); then unpaced max read."));
  // only_fading: the incoming cue brings only the streams that crossfade.
  auto add_cue = [&](qdt::v1::Phase* ph, double factor, const std::string& suffix,
                     bool only_fading) {
    for (const CueStream& c : cue) {
      if (only_fading && c.holds) continue;
      for (int i = 1; i <= c.count; ++i) {
        auto* s = ph->add_streams();
        double rate = c.kind.mb_per_s * 1e6 * factor;
        s->set_name(absl::StrCat(c.kind.name, c.count > 1 ? absl::StrCat(" #", i) : "", suffix));
        s->set_rate_bytes_per_s(static_cast<uint64_t>(std::llround(rate)));
        s->set_block_size_bytes(BlockSizeForFrame(rate, c.kind.fps));
        s->set_iodepth(2);
        s->set_frame_rate(c.kind.fps);
      }
    }
  };
  auto* normal = p.add_phases();
  normal->set_name("normal");
  normal->set_duration_s(phase_s);
  add_cue(normal, 1.0, "", false);
  auto* xfade = p.add_phases();
  xfade->set_name("crossfade");
  xfade->set_duration_s(phase_s);
  add_cue(xfade, safety, " (out)", false);
  add_cue(xfade, safety, " (in)", true);
  auto* max = p.add_phases();
  max->set_name("max-read");
  max->set_duration_s(phase_s);
  auto* s = max->add_streams();
  s->set_name("unpaced sequential read");
  s->set_block_size_bytes(1 << 20);
  s->set_iodepth(8);
  if (auto st = ValidateProfile(p); !st.ok()) return st;
  return p;
}

}  // namespace qdt
