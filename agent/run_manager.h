// RunManager owns the runs of one agent: it validates and starts a run, drives
// it through its states on a worker thread (PENDING -> PREPARING (layout) ->
// RUNNING (one fio process per phase) -> DONE | FAILED | STOPPED), turns fio's
// status reports into samples, judges the verdict, removes the test files, and
// at start-up marks runs that an earlier agent left unfinished as INTERRUPTED.
//
// One run is active at a time. Test files are created only in
// <target>/.qdt-test/<run-id>/ and only the files the run created are deleted.
//
// Thread-safety: all public methods are thread-safe (gRPC handler threads call
// them concurrently). Each run has one worker thread.
#ifndef QDT_AGENT_RUN_MANAGER_H_
#define QDT_AGENT_RUN_MANAGER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/event_journal.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run_store.h"
#include "common/units.h"
#include "fio/fio_runner.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct RunManagerOptions {
  std::string fio_path;  // absolute
  std::string ioengine;  // empty = fio::DefaultIoEngine()
  uint64_t default_file_size = kGiB;
  // Kept free on the target beyond the test files, so a test never fills a show drive.
  uint64_t space_reserve_bytes = 256 * kMiB;
  // fio stops within a second of SIGTERM; a job stuck in I/O on a failing drive
  // may not, so SIGKILL follows after this.
  absl::Duration fio_stop_grace = absl::Seconds(5);
  // fio --status-interval in seconds: one sample per interval (DESIGN.md: ~1 Hz).
  int status_interval_s = 1;
  // Temperature and thermal pressure for each sample; null = unknown.
  const ThermalMonitor* thermal = nullptr;
  // Runs `pgrep -x QLab` for the show-safety interlock; null = no interlock.
  CommandRunner* commands = nullptr;
  // When not empty, targets must lie inside one of these folders (config file).
  std::vector<std::string> allowed_target_dirs;
};

class RunManager {
 public:
  RunManager(RunStore* store, RunManagerOptions options);
  ~RunManager();

  // Marks runs left unfinished by a dead agent INTERRUPTED (keeping their
  // events), kills their fio if it survived, and removes their test files.
  absl::Status Recover();

  absl::StatusOr<qdt::v1::Run> StartRun(const qdt::v1::StartRunRequest& request);
  absl::StatusOr<qdt::v1::Run> StopRun(const std::string& run_id);

  // The journal of a run: live for the active run, loaded from disk otherwise.
  absl::StatusOr<std::shared_ptr<EventJournal>> OpenJournal(const std::string& run_id);

  absl::StatusOr<qdt::v1::RunRecord> GetRun(const std::string& run_id);
  std::vector<qdt::v1::Run> ListRuns(uint32_t limit);
  std::string ActiveRunId() const;

  // Stops the active run (its state becomes INTERRUPTED: "agent shut down") and
  // joins the worker.
  void Shutdown();

  // Waits until no run is active (for tests and the agent's shutdown).
  void WaitIdle();

 private:
  struct ActiveRun;
  void Work(std::shared_ptr<ActiveRun> run);
  void Emit(ActiveRun& run, qdt::v1::RunEvent event);
  void SetState(ActiveRun& run, qdt::v1::RunState state, const std::string& message);
  qdt::v1::Run Snapshot(const ActiveRun& run) const;

  RunStore* store_;
  RunManagerOptions options_;

  mutable std::mutex mu_;
  std::shared_ptr<ActiveRun> active_;  // the current or most recent run of this agent process
  std::thread worker_;
  bool shutting_down_ = false;
};

// Where a run's test files go: <target>/.qdt-test/<run-id>.
std::string TestDirFor(const std::string& target_dir, const std::string& run_id);

// Removes the stream files a run created (stream-00.dat ... for `file_count`),
// then the run's folder and .qdt-test if they are empty. Never removes anything else.
void RemoveTestFiles(const std::string& target_dir, const std::string& run_id, int file_count);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_MANAGER_H_
