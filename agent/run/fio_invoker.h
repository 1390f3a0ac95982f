// FioInvoker starts fio for a run (the layout, then each phase) and can stop
// every fio it started from another thread. The run engine talks to fio only
// through this interface, so RunExecutor is unit-tested with a fake that
// replays captured fio output (tests/run/run_executor_test.cc).
//
// A phase's fio is started ahead of the moment the phase is due, with its jobs
// held at gates (fio_job_builder.h, PhaseGates); Release(0) opens the first
// and the phase's I/O begins at once, so one phase follows the previous one
// without a rest (see phase_pipeline.h). Streams that start later in the
// phase wait at later gates.
//
// ProcessFioInvoker is the real one: it writes the job file to the run's
// record (<state>/runs/<id>/fio/<tag>.fio), makes the gates (FIFOs in the
// run's test folder), starts fio in the test folder with its stdout and
// stderr copied beside the job file, writes <tag>.pid while fio runs (so a
// restarted agent can find a fio that outlived it: run_recovery.h), and
// records how it ended (<tag>.json).
//
// Thread-safety: Start() and a FioRun's methods are called by one thread (the
// run's worker); Stop() may be called from any thread at any time.
#ifndef QDT_AGENT_RUN_FIO_INVOKER_H_
#define QDT_AGENT_RUN_FIO_INVOKER_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/run_store.h"
#include "common/unique_fd.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_runner.h"

namespace qdt::agent {

// A fio that prints nothing for this long beyond its schedule has hung (a
// dying drive's uninterruptible read, a fio stuck in its own set-up): it is
// stopped and the run fails (phase_pipeline.h; the layout, run_executor.h).
// Beyond the schedule: a phase's fio is silent while it waits at its gate and
// prints a report a second while it runs, so its silence counts from the
// later of its last output and the phase's scheduled end.
inline constexpr absl::Duration kFioSilenceLimit = absl::Seconds(30);
// TEST ONLY: this variable (whole milliseconds, 100 to 600000) replaces
// kFioSilenceLimit, so the watchdog's tests do not wait half a minute.
inline constexpr char kTestFioSilenceEnv[] = "QDT_TEST_FIO_SILENCE_MS";
// kFioSilenceLimit, or the test's QDT_TEST_FIO_SILENCE_MS when valid.
absl::Duration FioSilenceLimit();
// The layout's bound: its bytes at this pessimistic rate (an old USB stick
// writes 5-10 MB/s), plus FioSilenceLimit(). fio prints nothing while it lays
// files out, so a bound on the whole is what can be checked.
inline constexpr double kLayoutMinBytesPerS = 5e6;

struct FioCall {
  std::string tag;                      // "layout", "phase-0", "phase-1", ...
  int phase_index = -1;                 // -1 for the layout
  std::string job_text;                 // the job file
  std::vector<std::string> extra_args;  // e.g. --status-interval=1
  // The FIFOs in the test folder the job file's jobs wait at
  // (fio::PhaseGates), in the order they open; empty = not gated.
  std::vector<fio::PhaseGate> gates;
};

// One fio invocation in flight.
class FioRun {
 public:
  virtual ~FioRun() = default;
  // Reads what fio printed for up to `max_wait`, handing stdout to
  // `on_stdout`. True while fio runs; false once it has ended (exit() then
  // says how, and the invocation is recorded).
  virtual bool Pump(const std::function<void(absl::string_view)>& on_stdout,
                    absl::Duration max_wait) = 0;
  virtual fio::FioExit exit() const = 0;
  // A gated run: whether every job of the first gate waits at it (as far as
  // fio's output read by Pump() tells).
  virtual bool Ready() const = 0;
  // Opens gate `gate` (an index into FioCall::gates); again is a no-op.
  // Unavailable while no job has reached it yet: the caller tries again.
  virtual absl::Status Release(size_t gate) = 0;
};

class FioInvoker {
 public:
  virtual ~FioInvoker() = default;
  // Starts fio. An error only when fio could not be started. After Stop(), a
  // call starts fio and stops it at once (its exit says terminated), so the
  // caller's flow stays the same.
  virtual absl::StatusOr<std::unique_ptr<FioRun>> Start(const FioCall& call) = 0;
  // Stops every fio running now (SIGTERM, then SIGKILL after a grace) and
  // every later one.
  virtual void Stop() = 0;

  // Starts fio and reads it to its end (an ungated call: the layout). At
  // `deadline` every fio is stopped (Stop()) and the exit says timed_out.
  absl::StatusOr<fio::FioExit> Run(const FioCall& call,
                                   const std::function<void(absl::string_view)>& on_stdout,
                                   absl::Time deadline = absl::InfiniteFuture());
};

struct ProcessFioInvokerOptions {
  std::string fio_path;  // absolute
  // Runs fio through this program, e.g. {"/usr/sbin/taskpolicy", "-d",
  // "important"} on macOS (its disk I/O policy); empty = fio directly.
  std::vector<std::string> wrapper;
  std::string working_dir;  // the run's test folder: job files name their files relative to it
  RunStore* store = nullptr;
  std::string run_id;
  // fio stops within a second of SIGTERM; a job stuck in I/O on a failing
  // drive may not, so SIGKILL follows after this.
  absl::Duration stop_grace = absl::Seconds(5);
  // working_dir opened (TestArea::dir_fd): when set, fio is started in it
  // (fchdir) and the phase gates are made and opened through it, so a link put
  // in place of working_dir's path is never followed. Unset: by path (tests).
  std::shared_ptr<UniqueFd> working_dir_fd;
};

class ProcessFioInvoker final : public FioInvoker {
 public:
  explicit ProcessFioInvoker(ProcessFioInvokerOptions options);
  absl::StatusOr<std::unique_ptr<FioRun>> Start(const FioCall& call) override;
  void Stop() override;

 private:
  friend class ProcessFioRun;
  void Forget(fio::FioProcess* process);  // a run has ended
  // The folder the gates are made in and fio starts in (options_.working_dir_fd),
  // or AT_FDCWD to use working_dir's path.
  int DirFd() const;
  void Record(const FioCall& call, const std::vector<std::string>& argv,
              const fio::FioExit& exit) const;

  const ProcessFioInvokerOptions options_;
  absl::Mutex mu_;
  std::set<fio::FioProcess*> running_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_FIO_INVOKER_H_
