// RunManager is the agent's registry of runs: it admits a run (plan it, check
// the show-safety interlock and the target, one run at a time, free space),
// creates its record and test folder, hands it to a RunExecutor on a worker
// thread, and answers for runs: stop, get, list, their event journals. At
// start-up it ends the runs an earlier agent left unfinished (run_recovery.h).
//
// The life of a run itself is in agent/run/: run_plan (request → plan),
// test_area (where it may write), run_executor (the states), fio_invoker
// (fio), phase_sampler (fio's output → samples), run_recovery.
//
// Thread-safety: all public methods are thread-safe (gRPC handler threads call
// them concurrently). One run is active at a time, on its own worker thread.
#ifndef QDT_AGENT_RUN_MANAGER_H_
#define QDT_AGENT_RUN_MANAGER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/clock.h"
#include "agent/event_journal.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run/run_executor.h"
#include "agent/run/run_plan.h"
#include "agent/run/test_area.h"
#include "agent/run_store.h"
#include "common/units.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct RunManagerOptions {
  std::string fio_path;  // absolute
  // macOS: fio runs through `taskpolicy -d important` (FioIoPolicy); the
  // words for the run record. Empty on Linux.
  std::vector<std::string> fio_wrapper;
  std::string io_policy;
  std::string ioengine;  // empty = fio::DefaultIoEngine()
  uint64_t default_file_size = kGiB;
  // Kept free on the target beyond the test files, so a test never fills a show drive.
  uint64_t space_reserve_bytes = 256 * kMiB;
  // fio stops within a second of SIGTERM; a job stuck in I/O on a failing drive
  // may not, so SIGKILL follows after this.
  absl::Duration fio_stop_grace = absl::Seconds(5);
  // fio --status-interval in seconds: one sample per interval (docs/DESIGN.md: ~1 Hz).
  int status_interval_s = 1;
  // Temperature and thermal pressure for each sample; null = unknown. Each
  // run holds it active (ThermalMonitor::Demand::kRun) on its worker thread,
  // from before the layout to its final state, so it samples only then.
  ThermalMonitor* thermal = nullptr;
  // Runs `pgrep -x QLab` for the show-safety interlock; null = no interlock.
  CommandRunner* commands = nullptr;
  // When not empty, targets must lie inside one of these folders (config file).
  std::vector<std::string> allowed_target_dirs;
  // Which kernel counter checks fio against the drive (device_counter.h):
  // /proc/diskstats on Linux, ioreg (through `commands`) on macOS.
  Platform platform = HostPlatform();
  // Why fio cannot drop cached pages here (fio/fio_runner.h
  // FioCacheDropProblem); runs are refused with it unless allowed.
  std::string fio_cache_problem;
  bool allow_fio_without_cache_drop = false;
  // The agent's wall clock (clock.h) for start_at and every wall time of a
  // run; null = the system clock. Must outlive the manager.
  const Clock* clock = nullptr;
};

class RunManager {
 public:
  RunManager(RunStore* store, RunManagerOptions options);
  ~RunManager();

  // Ends the runs a dead agent left unfinished (INTERRUPTED, events kept).
  absl::Status Recover();

  absl::StatusOr<qdt::v1::Run> StartRun(const qdt::v1::StartRunRequest& request);
  // Whether `target` can be a run's target folder: StartRun's own check
  // (test_area.h CheckTarget with this agent's allowed folders and its state
  // folder, store->state_dir()), nothing written. For a console checking a
  // target before it starts.
  absl::Status CheckTargetFolder(const std::string& target) const;
  absl::StatusOr<qdt::v1::Run> StopRun(const std::string& run_id);

  // The journal of a run: live for the active run, loaded from disk otherwise.
  absl::StatusOr<std::shared_ptr<EventJournal>> OpenJournal(const std::string& run_id);

  absl::StatusOr<qdt::v1::RunRecord> GetRun(const std::string& run_id);
  // Newest first, at most `limit` (0 = all), only runs older than
  // `before_run_id` when it is given (ListRuns' page token).
  std::vector<qdt::v1::Run> ListRuns(uint32_t limit, absl::string_view before_run_id = {});
  std::string ActiveRunId() const;

  // Stops the active run (it ends INTERRUPTED: "agent shut down") and joins
  // its worker; later starts are refused.
  void Shutdown();

  // Waits until no run is active (for tests and the agent's shutdown).
  void WaitIdle();

 private:
  // The executor of `run_id` when it is this process's current or latest run.
  std::shared_ptr<RunExecutor> Find(const std::string& run_id) const;
  // Test folder, record and journal of an admitted run, and its executor;
  // `drive` gets the drive under test (for its temperature; macOS).
  absl::StatusOr<std::shared_ptr<RunExecutor>> Create(const qdt::v1::StartRunRequest& request,
                                                      RunPlan plan, const CheckedTarget& target,
                                                      ThermalMonitor::Drive* drive);
  // This agent's target policy: its allowed folders, reserve and state folder.
  TargetPolicy Policy() const;

  RunStore* const store_;
  const RunManagerOptions options_;

  mutable absl::Mutex mu_;
  // The current or most recent run of this agent process.
  std::shared_ptr<RunExecutor> active_ ABSL_GUARDED_BY(mu_);
  std::thread worker_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_MANAGER_H_
