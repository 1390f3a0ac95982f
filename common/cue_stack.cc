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

struct Rate {
  const char* label;
  double fps;
};
// 23.98 is NTSC film, 24000/1001 = 23.976 fps; 29.97 and 59.94 are written
// as the table always had them (profiles derived from them keep their block
// sizes).
constexpr Rate kRates[] = {
    {"23.98", 23.976}, {"25", 25}, {"29.97", 29.97}, {"50", 50}, {"59.94", 59.94}};

// Apple ProRes White Paper (Apple, April 2022; also January 2020), appendix
// "Target Data Rates": Mb/s (10^6 bits per second) of each codec by frame
// size and frame rate, the columns 24p, 25p, 30p, 50p and 60p standing for
// 23.976, 25, 29.97, 50 and 59.94 fps (the paper's prose: "ProRes 422 ...
// 147 Mbps at 1920x1080 and 29.97 fps", the 30p column). MB/s = Mb/s / 8,
// not rounded. Every figure is the paper's own, none derived: its table has
// all five rates for 1920 x 1080 and 3840 x 2160. The figures that were
// already in docs/DESIGN.md §5 (1080p29.97 422 18.4, 422 HQ 27.5, 4444 41.2;
// 1080p59.94 422 36.6; UHD 29.97 422 73.6, 422 HQ 110.5; UHD 59.94 422
// 147.2, 422 HQ 221.0, 4444 XQ 497.1) are these divided by 8.
// cue_stack_test checks each row is proportional to fps within 1 %, as the
// paper says ProRes data rates are (same frame size, bits per frame fixed).
struct ProResRow {
  const char* codec;
  double mbit_per_s[5];  // at each of kRates
};
constexpr ProResRow kProRes1080[] = {
    {"ProRes 422", {117, 122, 147, 245, 293}},
    {"ProRes 422 HQ", {176, 184, 220, 367, 440}},
    {"ProRes 4444", {264, 275, 330, 551, 660}},
    {"ProRes 4444 XQ", {396, 413, 495, 826, 990}},
};
constexpr ProResRow kProResUhd[] = {
    {"ProRes 422", {471, 492, 589, 983, 1178}},
    {"ProRes 422 HQ", {707, 737, 884, 1475, 1768}},
    {"ProRes 4444", {1061, 1106, 1326, 2212, 2652}},
    {"ProRes 4444 XQ", {1591, 1659, 1989, 3318, 3977}},
};

struct FrameSize {
  const char* label;  // "1080p", "UHD"
  double w, h;
  const ProResRow* prores;
  // "1080p29.97" but "UHD 29.97": the names the table always had.
  const char* rate_separator;
};

void AddFrameSize(const FrameSize& size, std::vector<StreamKind>* table) {
  auto add = [&](const std::string& codec, const Rate& r, double mb_per_s, std::string source) {
    std::string format = absl::StrCat(codec, " ", size.label);
    table->push_back({absl::StrCat(format, size.rate_separator, r.label), mb_per_s, r.fps, format,
                      r.label, std::move(source)});
  };
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i < 5; ++i) {
      const double mbit = size.prores[c].mbit_per_s[i];
      add(size.prores[c].codec, kRates[i], mbit / 8,
          absl::StrCat("Apple ProRes White Paper: ", mbit, " Mb/s"));
    }
  }
  for (const auto& [codec, bytes_per_pixel] :
       {std::pair<const char*, double>{"HAP", 0.5}, std::pair<const char*, double>{"HAP Q", 1.0}}) {
    for (const Rate& r : kRates) {
      add(codec, r, Hap(bytes_per_pixel, size.w, size.h, r.fps),
          absl::StrCat(codec, ": ", bytes_per_pixel, " B/px x ", size.w, " x ", size.h, " x ",
                       r.fps, " fps"));
    }
  }
}

// "ProRes 422 HQ UHD 29.97" -> "prores422hquhd29.97": what lookups compare.
std::string LookupKey(absl::string_view name) {
  std::string key;
  for (char c : name) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) key += absl::ascii_tolower(c);
  }
  return key;
}

}  // namespace

const std::vector<std::string>& StreamTableFrameRates() {
  static const auto* kLabels = [] {
    auto* labels = new std::vector<std::string>;
    for (const Rate& r : kRates) labels->push_back(r.label);
    return labels;
  }();
  return *kLabels;
}

const std::vector<StreamKind>& StreamTable() {
  static const auto* kTable = [] {
    auto* table = new std::vector<StreamKind>;
    AddFrameSize({"1080p", 1920, 1080, kProRes1080, ""}, table);
    AddFrameSize({"UHD", 3840, 2160, kProResUhd, " "}, table);
    // The original request's figures: rates, not codecs.
    const std::string request = "the request's figure (a rate, no codec)";
    table->push_back({"request 4K", 440.0, 59.94, "request", "59.94", request});
    table->push_back({"request HD", 72.0, 59.94, "request", "59.94", request});
    return table;
  }();
  return *kTable;
}

absl::StatusOr<StreamKind> FindStreamKind(absl::string_view name) {
  const std::string key = LookupKey(name);
  for (const StreamKind& k : StreamTable()) {
    if (LookupKey(k.name) == key) return k;
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
    cue.kind.name = absl::StrCat(mb, " MB/s @ ", fps);
    cue.kind.mb_per_s = mb;
    cue.kind.fps = fps;
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
