#include "agent/probes/sysctl.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/parse_util.h"

namespace qdt::agent {
namespace {

constexpr char kProcMax[] = "kern.aioprocmax";
constexpr char kMax[] = "kern.aiomax";
constexpr char kThreads[] = "kern.aiothreads";

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("sysctl: ", what));
}

absl::StatusOr<int> ParseLimit(absl::string_view name, absl::string_view value) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n)) {
    return Bad(absl::StrCat(name, ": \"", PrintableExcerpt(value), "\" is not a whole number"));
  }
  if (n < 1) return Bad(absl::StrCat(name, ": ", n, " must be at least 1"));
  if (n > kMaxAioLimit) return Bad(absl::StrCat(name, ": ", n, " is more than ", kMaxAioLimit));
  return static_cast<int>(n);
}

// The phase of `profile` with the most reads in flight (capped per stream at
// `cap` when not 0), and how many.
std::pair<std::string, int> PeakPhase(const qdt::v1::Profile& profile, uint32_t cap = 0) {
  std::pair<std::string, int> peak{"", 0};
  for (const qdt::v1::Phase& ph : profile.phases()) {
    if (const int n = fio::PeakReadsInFlight(ph, cap); n > peak.second) peak = {ph.name(), n};
  }
  return peak;
}

}  // namespace

std::string AioLimits::Describe() const {
  return absl::StrCat(kProcMax, " ", aioprocmax, ", ", kMax, " ", aiomax, ", ", kThreads, " ",
                      aiothreads);
}

absl::StatusOr<AioLimits> ParseAioSysctl(absl::string_view text) {
  if (text.size() > kMaxSysctlBytes) {
    return Bad(absl::StrCat("output of ", text.size(), " bytes is more than ", kMaxSysctlBytes));
  }
  const std::array<absl::string_view, 3> names = {kProcMax, kMax, kThreads};
  std::array<std::optional<int>, 3> values;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return Bad(absl::StrCat("line \"", PrintableExcerpt(line), "\" is not \"name: value\""));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) continue;  // a name not asked for
    auto n = ParseLimit(name, value);
    if (!n.ok()) return n.status();
    std::optional<int>& slot = values[static_cast<size_t>(it - names.begin())];
    if (slot.has_value()) {
      return Bad(absl::StrCat(name, ": given twice (", *slot, ", then ", *n, ")"));
    }
    slot = *n;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!values[i].has_value()) return Bad(absl::StrCat(names[i], ": missing from the output"));
  }
  return AioLimits{*values[0], *values[1], *values[2]};
}

absl::StatusOr<AioLimits> ReadAioLimits(CommandRunner* runner) {
  auto r = runner->Run({"sysctl", kProcMax, kMax, kThreads}, absl::Seconds(5));
  if (!r.ok()) return absl::UnavailableError(absl::StrCat("sysctl: ", r.status().message()));
  if (r->timed_out) return absl::UnavailableError("sysctl: no answer within 5 s");
  if (r->exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("sysctl exited ", r->exit_code, ": ",
                     PrintableExcerpt(absl::StripAsciiWhitespace(r->err))));
  }
  return ParseAioSysctl(r->out);
}

std::vector<std::string> AioCapFlags(const AioLimits& limits, const qdt::v1::Profile& profile,
                                     const fio::FioJobOptions& options) {
  std::vector<std::string> flags;
  if (options.layout != fio::JobLayout::kProcessPerStream || limits.aioprocmax < 1) return flags;
  const auto per_process = static_cast<uint32_t>(limits.aioprocmax);
  for (const qdt::v1::Phase& ph : profile.phases()) {
    // The first stream asking for more than one process may have, and how
    // many more do.
    int capped = 0;
    std::string first;
    for (int i = 0; i < ph.streams_size(); ++i) {
      const uint32_t asked = std::max<uint32_t>(1, ph.streams(i).iodepth());
      if (asked <= per_process) continue;
      if (capped++ == 0) {
        first = absl::StrCat(fio::StreamJobName(i), " in ", ph.name(), " asked ", asked,
                             " reads in flight, got ", per_process);
      }
    }
    if (capped > 0) {
      flags.push_back(
          absl::StrCat("queue capped by macOS AIO: ", first,
                       capped > 1 ? absl::StrCat(" (and ", capped - 1, " more streams)") : "", " (",
                       kProcMax, " ", limits.aioprocmax, ")"));
    }
    const int together = fio::PeakReadsInFlight(ph, per_process);
    if (limits.aiomax > 0 && together > limits.aiomax) {
      flags.push_back(absl::StrCat("queue capped by macOS AIO: ", ph.name(), " keeps up to ",
                                   together, " reads in flight, the Mac allows ", limits.aiomax,
                                   " at once (", kMax, " ", limits.aiomax, ")"));
    }
  }
  return flags;
}

AioFit DescribeAioFit(const AioLimits& limits, const qdt::v1::Profile& profile,
                      const std::string& ioengine) {
  AioFit fit;
  const auto [phase, reads] = PeakPhase(profile);
  if (fio::IsSyncEngine(ioengine)) {
    fit.detail = absl::StrCat(phase, ": ", reads, " reads in flight as ", reads, " ", ioengine,
                              " threads; AIO not used (", kProcMax, " ", limits.aioprocmax, ")");
    return fit;
  }
  if (ioengine != "posixaio") {
    fit.detail = absl::StrCat(phase, ": ", reads, " reads in flight with ", ioengine,
                              "; POSIX AIO not used");
    return fit;
  }
  fio::FioJobOptions o;
  o.ioengine = ioengine;
  o.layout = fio::JobLayout::kProcessPerStream;
  o.max_iodepth = static_cast<uint32_t>(std::max(0, limits.aioprocmax));
  const std::vector<std::string> capped = AioCapFlags(limits, profile, o);
  const std::string fix =
      "leave the engine at its default on macOS (psync: one thread per outstanding read, no AIO "
      "limit)";
  if (!capped.empty()) {
    fit.ok = false;
    fit.detail =
        absl::StrCat(capped.front().substr(capped.front().find(": ") + 2),
                     capped.size() > 1 ? absl::StrCat(" (", capped.size(), " limits hit)") : "");
    fit.fix = absl::StrCat(fix, ", or raise the limits until the next restart: sudo sysctl ",
                           kProcMax, "=256 ", kMax, "=1024");
    return fit;
  }
  if (reads > limits.aiothreads) {
    fit.ok = false;
    fit.detail =
        absl::StrCat(phase, ": ", reads, " reads in flight through posixaio share ",
                     limits.aiothreads, " kernel AIO threads (", kThreads, " ", limits.aiothreads,
                     "): reads wait for a thread, and their latency "
                     "includes that wait");
    fit.fix = fix;
    return fit;
  }
  fit.detail = absl::StrCat(phase, ": ", reads, " reads in flight through posixaio, within ",
                            limits.Describe());
  return fit;
}

}  // namespace qdt::agent
