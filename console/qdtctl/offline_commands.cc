// The commands that need no agent: profiles, profile derive, streams, analyze.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/cue_stack.h"
#include "common/file_util.h"
#include "common/profiles.h"
#include "common/will_it_work.h"
#include "console/client/agent_client.h"
#include "console/qdtctl/commands.h"
#include "fio/fio_analysis.h"

namespace qdt::qdtctl {
namespace {

// fio's JSON output of a long run with --status-interval=1 runs to hundreds
// of MB; the bound only keeps a wrong file (a disk image) out of memory.
constexpr size_t kMaxFioOutputBytes = size_t{4} << 30;

std::string Duration(double s) {
  if (s >= 3600) return absl::StrFormat("%.1f h", s / 3600);
  if (s >= 120) return absl::StrFormat("%.0f min", s / 60);
  return absl::StrFormat("%.0f s", s);
}

// The cue stack from --stream and --hold, in the order given; the request's
// default cue when there are none.
absl::StatusOr<std::vector<qdt::CueStream>> CueFromArgs(const CommandArgs& args) {
  std::vector<qdt::CueStream> cue;
  for (const auto& [name, value] : args.options) {
    if (name != "--stream" && name != "--hold") continue;
    auto c = qdt::ParseCueStream(value);
    if (!c.ok()) return c.status();
    c->holds = name == "--hold";
    cue.push_back(*c);
  }
  if (cue.empty()) cue = qdt::DefaultCue();
  return cue;
}

// A number option's value, or `fallback` when it is not given. False (after
// reporting it) when the value is not a number.
bool NumberOption(const CommandArgs& args, std::string_view name, double fallback, double* out) {
  *out = fallback;
  const std::string* value = args.Find(name);
  if (value == nullptr || absl::SimpleAtod(*value, out)) return true;
  UsageError(std::string(name) + ": \"" + *value + "\" is not a number");
  return false;
}

void PrintCueTargets(const std::vector<qdt::CueStream>& cue, double safety) {
  qdt::CueTargets t = qdt::DeriveTargets(cue, safety);
  std::cout << "cue stack:\n";
  for (const auto& c : cue) {
    absl::PrintF("  %d x %-28s %8.1f MB/s each%s\n", c.count, c.kind.name, c.kind.mb_per_s,
                 c.holds ? "  (holds through crossfades)" : "");
  }
  absl::PrintF("normal playback target: %.1f MB/s\n", t.normal_mb_s);
  absl::PrintF("crossfade peak target:  %.1f MB/s  (outgoing + incoming cue x %.2f safety)\n",
               t.crossfade_mb_s, safety);
}

// The profile to judge against: --profile-file, else --profile, else setup-check.
absl::StatusOr<qdt::v1::Profile> ProfileToJudgeBy(const CommandArgs& args) {
  if (const std::string* file = args.Find("--profile-file")) {
    auto p = qdt::LoadProfileFile(*file);
    if (!p.ok())
      return absl::InvalidArgumentError(absl::StrCat("--profile-file: ", p.status().message()));
    return p;
  }
  auto p = qdt::BuiltinProfile(args.Get("--profile", "setup-check"));
  if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat("--profile: ", p.status().message()));
  return p;
}

}  // namespace

int RunProfiles(const CommandArgs& /*args*/, const RunContext& /*context*/) {
  for (const std::string& name : qdt::BuiltinProfileNames()) {
    auto p = qdt::BuiltinProfile(name);
    if (!p.ok()) continue;
    absl::PrintF("%s  (%s, %s)\n  %s\n", p->name(), p->title(), Duration(qdt::ProfileDurationS(*p)),
                 p->description());
    for (const auto& ph : p->phases()) {
      double peak = qdt::PhaseTargetBytesPerS(ph);
      double start = qdt::ScheduledTargetBytesPerS(ph, 0, 1e-3);
      std::string load = peak <= 0          ? "unpaced max read"
                         : peak > start + 1 ? absl::StrFormat("%.1f MB/s, bursts to %.1f MB/s",
                                                              start / 1e6, peak / 1e6)
                                            : absl::StrFormat("%.1f MB/s", peak / 1e6);
      absl::PrintF("    %-14s %9s  %3d streams  %s\n", ph.name(), Duration(ph.duration_s()),
                   ph.streams_size(), load);
    }
  }
  std::cout << "--time-scale X (0 < X <= 1) shrinks every duration, e.g. 0.01 runs show-pattern in "
               "90 s\n";
  return kExitPass;
}

int RunStreams(const CommandArgs& /*args*/, const RunContext& /*context*/) {
  // One format (codec and frame size) a block, its frame rates in order.
  absl::PrintF("%-26s %8s %6s  %s\n", "stream", "MB/s", "fps", "source");
  std::string format;
  for (const auto& k : qdt::StreamTable()) {
    if (k.format != format && !format.empty()) std::cout << "\n";
    format = k.format;
    absl::PrintF("%-26s %8.1f %6s  %s\n", k.name, k.mb_per_s, k.fps_label, k.source);
  }
  absl::PrintF(
      "\nA cue of N streams plays at N x MB/s; its crossfade (outgoing and incoming cue at once) "
      "peaks at 2 x N x MB/s x %.1f safety.\nDerive a profile with: qdtctl profile derive "
      "--stream \"NAME xN\"\n",
      qdt::kCrossfadeSafety);
  return kExitPass;
}

int RunProfileDerive(const CommandArgs& args, const RunContext& /*context*/) {
  if (!args.positional.empty()) return UsageError("profile: the subcommand is \"derive\"");
  auto cue = CueFromArgs(args);
  if (!cue.ok()) return UsageError(std::string(cue.status().message()));
  double safety, phase_s;
  if (!NumberOption(args, "--safety", qdt::kCrossfadeSafety, &safety) ||
      !NumberOption(args, "--phase-seconds", 10, &phase_s)) {
    return kExitUsage;
  }
  auto profile = qdt::DeriveProfile(args.Get("--name", "my-cue-stack"), *cue, safety, phase_s);
  if (!profile.ok()) return UsageError(std::string(profile.status().message()));
  PrintCueTargets(*cue, safety);
  std::string json;
  if (!ToJsonOrReport(*profile, "profile derive", &json)) return kExitUsage;
  const std::string* out = args.Find("--out");
  if (out == nullptr) {
    std::cout << json;
    return kExitPass;
  }
  auto written = qdt::WriteFile(*out, json);
  if (!written.ok()) return UsageError(absl::StrCat("--out: ", written.message()));
  std::cout << "profile written to " << *out << " (run it with: qdtctl start --profile-file "
            << *out << " --target DIR)\n";
  return kExitPass;
}

int RunAnalyze(const CommandArgs& args, const RunContext& /*context*/) {
  if (args.positional.size() != 1) return UsageError("analyze: give one FILE of fio JSON output");
  const std::string& path = args.positional[0];
  auto text = qdt::ReadFile(path, kMaxFioOutputBytes);
  if (!text.ok()) return UsageError(absl::StrCat("analyze: ", text.status().message()));
  auto profile = ProfileToJudgeBy(args);
  if (!profile.ok()) return UsageError(std::string(profile.status().message()));
  qdt::ProfileLevels levels = qdt::TargetLevels(*profile);
  auto analysis = qdt::fio::AnalyzeFioOutput(*text, levels, path);
  if (!analysis.ok()) {
    std::cerr << "qdtctl: " << analysis.status().message() << "\n";
    return kExitUsage;
  }
  const qdt::v1::Verdict& v = analysis->verdict;
  if (args.Has("--json")) {
    std::string json;
    if (!ToJsonOrReport(v, "analyze", &json)) return kExitUsage;
    std::cout << json;
  } else {
    absl::PrintF("%s: %d fio report(s), %d job(s), %d non-JSON line(s) skipped\n", path,
                 analysis->reports, analysis->jobs, analysis->skipped_lines.size());
    absl::PrintF("judged against %s: normal %.1f MB/s, crossfade %.1f MB/s\n\n", profile->name(),
                 levels.normal_mb_s, levels.crossfade_mb_s);
    std::cout << qdt::client::FormatVerdict(v);
  }
  return v.rating() == qdt::v1::RATING_EXCELLENT ? kExitPass : kExitFailsTarget;
}

}  // namespace qdt::qdtctl
