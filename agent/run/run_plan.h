// PlanRun turns a StartRunRequest into everything a run will do, decided from
// the request alone: the resolved and time-scaled profile, the file size and
// count, the synchronised start, and the text of every fio job file. It reads
// no disk and starts nothing, so every refusal of a bad request is decided
// here and unit-tested without a disk (tests/unit/run_plan_test.cc).
//
// What needs the machine (the target folder, free space, QLab, one run at a
// time) is checked by TestArea and RunManager after planning.
//
// Pure function; thread-safe.
#ifndef QDT_AGENT_RUN_RUN_PLAN_H_
#define QDT_AGENT_RUN_RUN_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/platform.h"
#include "agent/probes/sysctl.h"
#include "common/units.h"
#include "fio/fio_job_builder.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// Bounds on a request (refused beyond them with the field named).
inline constexpr uint64_t kMinFileSize = kMiB;
// Larger files than this are a typo, not a test plan.
inline constexpr uint64_t kMaxFileSize = 1024 * kGiB;
// A synchronised start further away than this is a clock or typing mistake.
inline constexpr absl::Duration kMaxStartDelay = absl::Hours(24);
// How long before a phase is due its fio starts (phase_pipeline.h): enough
// for fio to create and set up a phase's jobs (a show-pattern act has over a
// hundred), short enough that the wait costs nothing.
inline constexpr absl::Duration kPhaseLead = absl::Seconds(3);
// The longest target_dir: the run's files are <target>/.qdt-test/<run-id>/
// <file> (run ids at most 64 bytes, file names under 32), and the whole must
// stay within the system's PATH_MAX (4096 on Linux, 1024 on macOS).
size_t MaxTargetDirBytes();

struct PlanOptions {
  std::string run_id;                 // names the test folder written into the job files
  uint64_t default_file_size = kGiB;  // when the request gives none
  // fio's engine; empty = the platform's default (fio::DefaultIoEngine:
  // psync on macOS, libaio elsewhere).
  std::string ioengine;
  absl::Time now = absl::UnixEpoch();  // the agent's clock, for start_at
  // The run's platform (the agent's --platform), which decides how the reads
  // are laid out (fio::LayoutFor): on macOS one psync thread per outstanding
  // read (or, with posixaio asked for, one process per stream), elsewhere one
  // job per stream.
  Platform platform = HostPlatform();
  // macOS: the kernel's POSIX AIO limits (ReadAioLimits) or why they are
  // unknown; recorded in the run, and with posixaio the cap of every job's
  // iodepth. Not used elsewhere.
  absl::StatusOr<AioLimits> aio_limits = absl::UnknownError("not read");
};

struct RunPlan {
  std::string run_id;
  std::string target_dir;    // as requested (absolute)
  std::string test_dir;      // <target_dir>/.qdt-test/<run_id>
  qdt::v1::Profile profile;  // resolved and scaled: what runs
  double time_scale = 1;
  uint64_t file_size_bytes = 0;
  int file_count = 0;        // stream files laid out
  absl::Time start_at;       // the synchronised start; options.now when not asked for
  bool start_asked = false;  // the request gave start_at (a synchronised rig start)
  fio::FioJobOptions job_options;
  std::string layout_job;  // fio/layout.fio
  // fio/phase-N.fio, one per profile phase, for a phase started kPhaseLead
  // ahead (the pipeline writes each with the lead it really has).
  std::vector<std::string> phase_jobs;
  double planned_duration_s = 0;
  // How fio issues the reads (Run.checks.io_engine), e.g. "psync: one thread
  // per outstanding read, 16 threads at the peak (crossfade)".
  std::string io_engine_note;
  // macOS (Run.checks.aio_limits): "kern.aioprocmax 16, kern.aiomax 90,
  // kern.aiothreads 4", or "unknown: <why>"; empty elsewhere.
  std::string aio_limits_note;
  // Verdict flags for reads macOS AIO holds back (AioCapFlags: posixaio
  // beyond kern.aioprocmax or kern.aiomax); empty with psync.
  std::vector<std::string> aio_flags;

  // "profile setup-check, target /x, time scale 0.1, 8 files x 64.0 MiB"
  std::string Describe() const;
};

// InvalidArgument naming the field and its value for a request that cannot
// run (profile, time_scale, file_size_bytes, start_at, target_dir syntax, job
// files); the messages are the ones the agent's StartRun returns. Every
// duration is bounded (profiles.h kMaxDurationS), every phase and stream long
// enough to measure at the asked time scale (CheckScaledLengths), names are
// bounded valid UTF-8 (kMaxNameBytes), target_dir an absolute path of valid
// UTF-8 without control characters, at most MaxTargetDirBytes(). Values from
// the request are quoted at most ~200 bytes long (common/quote.h).
absl::StatusOr<RunPlan> PlanRun(const qdt::v1::StartRunRequest& request,
                                const PlanOptions& options);

// Every name a run of `profile` laid out with `layout` creates in its test
// folder: the stream files (stream-00.dat ...), the outputs fio's exec_prerun
// writes beside them, one per job (stream-00.prerun.txt ..., and with
// kThreadPerRead the readers' stream-00.r1.prerun.txt ...) and the phase
// gates (gate-0.fifo, gate-1-1.fifo ...). Cleaning up removes exactly these.
// kThreadPerRead names a superset of the other layouts' names (for a run
// whose layout is not known, e.g. one a dead agent left).
std::vector<std::string> TestFileNames(const qdt::v1::Profile& profile,
                                       fio::JobLayout layout = fio::JobLayout::kJobPerStream);

// The job file of phase `index`, gated, for a fio started `lead` before the
// phase is due.
absl::StatusOr<std::string> PhaseJobFile(const RunPlan& plan, int index, absl::Duration lead);

// Where a run's test files go: <target>/.qdt-test/<run-id>.
std::string TestDirFor(const std::string& target_dir, const std::string& run_id);

// 1.5 GiB, 64.0 MiB: sizes as people read them.
std::string HumanBytes(double bytes);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_RUN_PLAN_H_
