#include "agent/run/run_plan.h"

#include <limits.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/profiles.h"
#include "common/quote.h"
#include "common/verdict.h"

namespace qdt::agent {
namespace {

using qdt::v1::Profile;
using qdt::v1::StartRunRequest;

// A phase of kMinPhaseS, cut anywhere by fio's once-a-second reports, keeps
// one part the verdict judges.
static_assert(kMinPhaseS >= 2 * kMinJudgedWindowS, "a minimal phase must hold a judged window");

absl::StatusOr<Profile> ResolveProfile(const StartRunRequest& request) {
  if (request.has_profile()) {
    if (auto st = ValidateProfile(request.profile()); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("profile.", st.message()));
    }
    return request.profile();
  }
  if (request.profile_name().empty()) {
    return absl::InvalidArgumentError(
        "profile_name: empty; name a built-in profile (e.g. setup-check) or send a profile");
  }
  auto builtin = BuiltinProfile(request.profile_name());
  if (!builtin.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("profile_name: ", builtin.status().message()));
  }
  return *builtin;
}

absl::StatusOr<uint64_t> FileSize(const StartRunRequest& request, const PlanOptions& options) {
  const uint64_t size =
      request.file_size_bytes() == 0 ? options.default_file_size : request.file_size_bytes();
  if (size < kMinFileSize || size > kMaxFileSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %d is out of range (%d bytes = 1 MiB to %d bytes = 1 TiB)",
        request.file_size_bytes() == 0 ? "default_file_size_bytes (the agent's config)"
                                       : "file_size_bytes",
        size, kMinFileSize, kMaxFileSize));
  }
  return size;
}

absl::StatusOr<absl::Time> StartAt(const StartRunRequest& request, absl::Time now) {
  if (!request.has_start_at()) return now;
  const auto& ts = request.start_at();
  if (ts.seconds() < 0 || ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat("start_at: ", ts.seconds(), "s ", ts.nanos(), "ns is not a valid time"));
  }
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  if (t > now + kMaxStartDelay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "start_at: ", absl::FormatTime(t), " is more than 24 h ahead of the agent's clock (",
        absl::FormatTime(now), ")"));
  }
  return t;
}

absl::Status CheckTargetSyntax(const std::string& target) {
  if (target.empty()) return absl::InvalidArgumentError("target_dir: empty; give a folder to test");
  if (target.size() > MaxTargetDirBytes()) {
    return absl::InvalidArgumentError(absl::StrCat("target_dir: ", QuoteForError(target), " is ",
                                                   target.size(), " bytes long, at most ",
                                                   MaxTargetDirBytes()));
  }
  if (!IsValidUtf8(target)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_dir: ", QuoteForError(target), " is not valid UTF-8"));
  }
  // A control character (a NUL would cut the path short) has no place in a
  // folder name, and the path is written in a job-file comment line.
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat("target_dir: ", QuoteForError(target),
                                                     " contains control character 0x",
                                                     absl::Hex(u, absl::kZeroPad2)));
    }
  }
  if (target[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("target_dir: ", QuoteForError(target), " is not an absolute path"));
  }
  return absl::OkStatus();
}

// The profile scaled by the request's time scale, every phase and stream long
// enough to measure.
absl::Status ScaleInto(const StartRunRequest& request, const Profile& profile, RunPlan* plan) {
  plan->time_scale = request.time_scale() == 0 ? 1.0 : request.time_scale();
  auto scaled = ScaleProfile(profile, plan->time_scale);
  if (!scaled.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("time_scale: ", scaled.status().message()));
  }
  if (auto st =
          CheckScaledLengths(profile, plan->time_scale, request.has_profile() ? "profile." : "");
      !st.ok()) {
    return st;
  }
  plan->profile = *std::move(scaled);
  return absl::OkStatus();
}

// Every job file is built now, so that nothing is created on disk for a run
// whose fio input cannot be written.
absl::Status BuildJobs(RunPlan* plan) {
  auto layout = fio::BuildLayoutJobFile(plan->profile, plan->job_options);
  if (!layout.ok()) return absl::InvalidArgumentError(layout.status().message());
  plan->layout_job = *std::move(layout);
  for (int i = 0; i < plan->profile.phases_size(); ++i) {
    auto job = PhaseJobFile(*plan, i, kPhaseLead);
    if (!job.ok()) return absl::InvalidArgumentError(job.status().message());
    plan->phase_jobs.push_back(*std::move(job));
  }
  return absl::OkStatus();
}

// The engine and the layout of the reads (docs/ARCHITECTURE.md, "Reads on
// macOS"): on macOS psync, one thread per outstanding read, which needs no
// POSIX AIO; posixaio, when asked for, one process per stream with its
// iodepth capped at kern.aioprocmax, and flagged where that holds reads back.
void LayOutReads(const PlanOptions& options, RunPlan* plan) {
  const bool macos = options.platform == Platform::kMacOS;
  fio::FioJobOptions& o = plan->job_options;
  o.ioengine = options.ioengine.empty() ? fio::DefaultIoEngine(macos) : options.ioengine;
  o.layout = fio::LayoutFor(macos, o.ioengine);
  if (!macos) return;
  if (!options.aio_limits.ok()) {
    plan->aio_limits_note = absl::StrCat("unknown: ", options.aio_limits.status().message());
    return;
  }
  plan->aio_limits_note = options.aio_limits->Describe();
  if (o.layout == fio::JobLayout::kProcessPerStream) {
    o.max_iodepth = static_cast<uint32_t>(options.aio_limits->aioprocmax);
    plan->aio_flags = AioCapFlags(*options.aio_limits, plan->profile, o);
  }
}

}  // namespace

absl::StatusOr<std::string> PhaseJobFile(const RunPlan& plan, int index, absl::Duration lead) {
  fio::FioJobOptions gated = plan.job_options;
  gated.gated = true;
  gated.gate_lead_s = absl::ToDoubleSeconds(std::max(lead, absl::ZeroDuration()));
  return fio::BuildPhaseJobFile(plan.profile.phases(index), index, gated);
}

std::vector<std::string> TestFileNames(const Profile& profile, fio::JobLayout layout) {
  std::vector<std::string> names;
  for (int i = 0; i < fio::FileCount(profile); ++i) names.push_back(fio::StreamFileName(i));
  // Stream i's readers across every phase: the most any phase gives it.
  std::vector<int> readers;
  for (int p = 0; p < profile.phases_size(); ++p) {
    const qdt::v1::Phase& phase = profile.phases(p);
    if (readers.size() < static_cast<size_t>(phase.streams_size())) {
      readers.resize(static_cast<size_t>(phase.streams_size()), 0);
    }
    for (int i = 0; i < phase.streams_size(); ++i) {
      readers[static_cast<size_t>(i)] =
          std::max(readers[static_cast<size_t>(i)], fio::ReaderCount(phase.streams(i), layout));
    }
    for (const fio::PhaseGate& g : fio::PhaseGates(phase, p, layout)) names.push_back(g.fifo);
  }
  // fio names the file after the job: [stream-NN] → stream-NN.prerun.txt.
  for (size_t i = 0; i < readers.size(); ++i) {
    for (int k = 0; k < readers[i]; ++k) {
      names.push_back(absl::StrCat(fio::ReaderJobName(static_cast<int>(i), k), ".prerun.txt"));
    }
  }
  return names;
}

size_t MaxTargetDirBytes() {
  // "/.qdt-test/" + a run id (<= 64) + "/" + a file name (< 32) + NUL.
  constexpr size_t kRunFolderRoom = 11 + 64 + 1 + 32 + 1;
  return PATH_MAX - kRunFolderRoom;
}

std::string TestDirFor(const std::string& target_dir, const std::string& run_id) {
  return absl::StrCat(target_dir, "/.qdt-test/", run_id);
}

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", bytes, units[u]);
}

std::string RunPlan::Describe() const {
  return absl::StrCat("profile ", profile.name(), ", target ", target_dir, ", time scale ",
                      time_scale, ", ", file_count, " files x ",
                      HumanBytes(static_cast<double>(file_size_bytes)));
}

absl::StatusOr<RunPlan> PlanRun(const StartRunRequest& request, const PlanOptions& options) {
  RunPlan plan;
  plan.run_id = options.run_id;
  auto profile = ResolveProfile(request);
  if (!profile.ok()) return profile.status();
  if (auto st = ScaleInto(request, *profile, &plan); !st.ok()) return st;
  auto file_size = FileSize(request, options);
  if (!file_size.ok()) return file_size.status();
  plan.file_size_bytes = *file_size;
  auto start_at = StartAt(request, options.now);
  if (!start_at.ok()) return start_at.status();
  plan.start_at = *start_at;
  plan.start_asked = request.has_start_at();
  if (auto st = CheckTargetSyntax(request.target_dir()); !st.ok()) return st;
  plan.target_dir = request.target_dir();
  plan.test_dir = TestDirFor(plan.target_dir, plan.run_id);
  plan.file_count = fio::FileCount(plan.profile);
  plan.job_options.test_dir = plan.test_dir;
  plan.job_options.file_size_bytes = plan.file_size_bytes;
  // A buffered profile reads through the page cache (volumes that refuse
  // O_DIRECT); the drive's counter still judges every phase.
  plan.job_options.direct = !plan.profile.buffered();
  LayOutReads(options, &plan);
  if (auto st = BuildJobs(&plan); !st.ok()) return st;
  plan.io_engine_note = fio::DescribeIoLayout(plan.profile, plan.job_options);
  plan.planned_duration_s = ProfileDurationS(plan.profile);
  return plan;
}

}  // namespace qdt::agent
