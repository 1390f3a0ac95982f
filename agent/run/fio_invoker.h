// FioInvoker runs fio for a run, one invocation at a time (the layout, then
// each phase), and can stop it from another thread. The run engine talks to
// fio only through this interface, so RunExecutor is unit-tested with a fake
// that replays captured fio output (tests/unit/run_executor_test.cc).
//
// ProcessFioInvoker is the real one: it writes the job file to the run's
// record (<state>/runs/<id>/fio/<tag>.fio), starts fio in the run's test
// folder with its stdout and stderr copied beside the job file, writes
// <tag>.pid while fio runs (so a restarted agent can find a fio that outlived
// it: run_recovery.h), and records how it ended (<tag>.json).
//
// Thread-safety: Run() is called by one thread (the run's worker); Stop() may
// be called from any thread at any time.
#ifndef QDT_AGENT_RUN_FIO_INVOKER_H_
#define QDT_AGENT_RUN_FIO_INVOKER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/run_store.h"
#include "fio/fio_runner.h"

namespace qdt::agent {

struct FioCall {
  std::string tag;                      // "layout", "phase-0", "phase-1", ...
  int phase_index = -1;                 // -1 for the layout
  std::string job_text;                 // the job file
  std::vector<std::string> extra_args;  // e.g. --status-interval=1
};

class FioInvoker {
 public:
  virtual ~FioInvoker() = default;
  // Runs fio once and hands every chunk of its stdout to `on_stdout` as it
  // arrives. An error only when fio could not be started (how fio itself
  // ended is in the FioExit). After Stop(), a call starts fio and stops it at
  // once (its exit says terminated), so the caller's flow stays the same.
  virtual absl::StatusOr<fio::FioExit> Run(
      const FioCall& call, const std::function<void(absl::string_view)>& on_stdout) = 0;
  // Stops the fio that runs now (SIGTERM, then SIGKILL after a grace) and
  // every later one.
  virtual void Stop() = 0;
};

struct ProcessFioInvokerOptions {
  std::string fio_path;     // absolute
  std::string working_dir;  // the run's test folder: job files name their files relative to it
  RunStore* store = nullptr;
  std::string run_id;
  // fio stops within a second of SIGTERM; a job stuck in I/O on a failing
  // drive may not, so SIGKILL follows after this.
  absl::Duration stop_grace = absl::Seconds(5);
};

class ProcessFioInvoker final : public FioInvoker {
 public:
  explicit ProcessFioInvoker(ProcessFioInvokerOptions options);
  absl::StatusOr<fio::FioExit> Run(
      const FioCall& call, const std::function<void(absl::string_view)>& on_stdout) override;
  void Stop() override;

 private:
  void Record(const FioCall& call, const std::vector<std::string>& argv,
              const fio::FioExit& exit) const;

  const ProcessFioInvokerOptions options_;
  absl::Mutex mu_;
  fio::FioProcess* running_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_FIO_INVOKER_H_
