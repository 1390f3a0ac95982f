// RunExecutor drives one accepted run from PENDING to its final state on the
// run's worker thread. Execute() is the whole life of a run:
//
//   hold the machine awake (power_hold.h) → prepare (lay the files out) →
//   evict them from the page cache (and prove it) → the phases, back to back
//   from the synchronised start (phase_pipeline.h) → judge → clean up →
//   release the hold → final state
//
// One absl::Status flows through those steps: the first step that fails (or
// sees a stop) decides the final state, and the steps after it are skipped,
// except judging (a verdict of what ran) and cleaning up, which always run.
// Stopping is a status too: CancelledError ends the run STOPPED, or
// INTERRUPTED when the agent is shutting down.
//
// Every state change goes through SetState, which refuses a transition the
// state diagram (common/run_state.h) does not allow.
//
// Thread-safety: Execute() runs on one thread (the worker); Stop(),
// Snapshot(), active() and journal() may be called from any thread.
#ifndef QDT_AGENT_RUN_RUN_EXECUTOR_H_
#define QDT_AGENT_RUN_RUN_EXECUTOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/clock.h"
#include "agent/event_journal.h"
#include "agent/run/background_readers.h"
#include "agent/run/device_counter.h"
#include "agent/run/fio_invoker.h"
#include "agent/run/phase_sampler.h"
#include "agent/run/power_hold.h"
#include "agent/run/read_check.h"
#include "agent/run/run_plan.h"
#include "agent/run/test_area.h"
#include "agent/run_store.h"
#include "common/verdict.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct RunExecutorDeps {
  RunStore* store = nullptr;            // the run's record; must outlive the executor
  std::unique_ptr<FioInvoker> invoker;  // runs fio for this run
  SampleSources sample_sources;         // temperature etc. for each sample
  int status_interval_s = 1;            // fio --status-interval: one sample per interval
  // The target drive's own read counter (device_counter.h); null when none
  // was found, and counter_note says why.
  std::unique_ptr<DeviceCounter> counter;
  std::string counter_note;
  // After the layout, every test file is read back through this
  // (read_check.h: macOS refuses a daemon without Full Disk Access).
  ReadProbe read_probe = ReadFirstMiB;
  Platform platform = HostPlatform();
  std::string agent_path = kInstalledAgentPath;  // named in the Full Disk Access fix
  // macOS: the disk I/O policy fio runs with, for Run.checks.io_policy.
  std::string io_policy;
  // Keeps the machine awake (power_hold.h): called on the worker thread before
  // the layout; the hold is released after the clean-up, before the final
  // state, at every end. Null = no hold is asked for and none is recorded.
  std::function<std::unique_ptr<PowerHold>()> power_hold;
  // What powers the machine as the run begins (ReadPowerSource): "AC Power",
  // "Battery Power", "UPS Power" or "" (unknown). Null = not asked.
  std::function<absl::StatusOr<std::string>()> power_source;
  // macOS: Spotlight and Time Machine on the target (background_readers.h),
  // checked by the manager before the executor starts; unset on Linux.
  std::optional<BackgroundReaders> background;
  // A fio silent this long beyond its schedule is stopped and the run fails
  // (fio_invoker.h kFioSilenceLimit).
  absl::Duration fio_silence_limit = FioSilenceLimit();
  // The agent's wall clock (clock.h): start_at is in it, and the run's wall
  // times come from it. Null = the system clock. Must outlive the executor.
  const Clock* clock = nullptr;
};

enum class StopReason { kRequested, kShutdown };

// Phase 0 beginning this much after the synchronised start is said in the
// run's log: the rig's drives did not start together (docs/CLOCKS.md).
inline constexpr absl::Duration kLateStartWarning = absl::Milliseconds(50);

class RunExecutor {
 public:
  // Writes the run's record (request, profile, a PENDING status and the
  // journal's first event, "accepted: <plan>") and returns its executor.
  // `space` is the target volume before the layout (for the low-free-space
  // flag). On an error nothing is left in the store's run folder to run.
  static absl::StatusOr<std::unique_ptr<RunExecutor>> Create(
      const qdt::v1::StartRunRequest& request, RunPlan plan, TestArea area, VolumeSpace space,
      RunExecutorDeps deps);

  // `run` is the PENDING record already in the store, `journal` its open
  // event log.
  RunExecutor(RunPlan plan, TestArea area, VolumeSpace space, qdt::v1::Run run,
              std::shared_ptr<EventJournal> journal, RunExecutorDeps deps);

  // The run's whole life; returns when the run has ended and its journal is closed.
  void Execute();

  // Asks the run to stop: fio is stopped, a wait for the start is cut short.
  // FailedPrecondition when the run has already ended.
  absl::Status Stop(StopReason reason);

  qdt::v1::Run Snapshot() const;  // the status, with last_seq
  bool active() const;
  const std::string& run_id() const { return plan_.run_id; }
  const std::shared_ptr<EventJournal>& journal() const { return journal_; }

 private:
  // The steps of Execute(), in order.
  // Before the layout: the power hold taken and recorded with the power source.
  std::unique_ptr<PowerHold> HoldPower();
  // Spotlight and Time Machine on the target, recorded and said (macOS).
  void NoteBackgroundReaders();
  absl::Status Prepare();
  absl::Status EvictCache();
  absl::Status RunPhases();
  void Judge();
  void CleanUp();
  void Finish(const absl::Status& status);

  // CancelledError once a stop was asked for.
  absl::Status Checkpoint() const;
  // Sleeps `d`, or less when a stop is asked for meanwhile.
  void SleepUnlessStopped(absl::Duration d) const;
  // Phase 0 began reading: at `at` on the system clock, `steady_ns` on the
  // steady clock; kept in the run (first_read_*).
  void NoteFirstRead(absl::Time at, int64_t steady_ns);
  // A warning in the run's log when phase 0 began `late` after start_at by
  // more than kLateStartWarning.
  void SayIfLate(absl::Duration late);
  // Applies and announces a state change (event, run.json, log line).
  absl::Status SetState(qdt::v1::RunState state, const std::string& message);
  void BeginPhase(int index, absl::Time released_system);
  // How long the drive rested at each handover (gap_monitor.h), kept in the run.
  void RecordBoundaries(std::vector<qdt::v1::PhaseBoundary> boundaries);
  void Emit(qdt::v1::RunEvent event);
  void Log(qdt::v1::LogLine::Level level, const std::string& text);
  // The drive's counter now; nullopt without a counter or when it cannot be read.
  std::optional<uint64_t> ReadCounter() const;

  // Constant after construction.
  const Clock& clock_;
  const RunPlan plan_;
  const TestArea area_;
  const VolumeSpace space_;
  const std::shared_ptr<EventJournal> journal_;
  const RunExecutorDeps deps_;

  mutable absl::Mutex mu_;
  qdt::v1::Run run_ ABSL_GUARDED_BY(mu_);
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;

  // The worker thread's alone: every phase's series, for the verdict, and the
  // test files' page-cache residency after the eviction.
  std::vector<PhaseSeries> series_;
  std::optional<double> resident_fraction_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_RUN_EXECUTOR_H_
