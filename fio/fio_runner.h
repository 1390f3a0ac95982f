// FioProcess runs one fio process the way DESIGN.md §4 asks: by absolute path,
// in its own process group, stdout and stderr kept apart (each copied to its own
// file), stopped with SIGTERM and then SIGKILL after a grace period.
//
// Thread-safety: Wait() is called by one thread (the run's worker); Terminate()
// may be called from any thread while Wait() runs. The object owns the child:
// destroying it while fio still runs kills the process group.
#ifndef QDT_FIO_FIO_RUNNER_H_
#define QDT_FIO_FIO_RUNNER_H_

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace qdt::fio {

struct FioExit {
  int exit_code = -1;       // -1 when killed by a signal
  int term_signal = 0;      // 0 unless killed by a signal
  bool terminated = false;  // Terminate() was called before fio ended
  uint64_t stdout_bytes = 0;
  std::string stderr_text;  // all of it: fio's stderr is a few lines
  // "fio exited with status 1: <last stderr line>" / "fio was killed by signal 9 (Killed)";
  // empty when fio exited with 0.
  std::string Describe() const;
};

class FioProcess {
 public:
  // Starts argv[0] (an absolute path) with argv. stdout and stderr are copied to
  // the given files (created, mode 0644). On Linux the child gets
  // PR_SET_PDEATHSIG=SIGKILL, so fio does not outlive a SIGKILLed agent.
  // A non-empty `working_dir` becomes the child's current folder (job files name
  // their data files relative to it; see fio_job_builder.h); when the child
  // cannot enter it, fio is not started and the child exits with 126 after
  // writing "qdt: cannot enter the working folder" to stderr.
  static absl::StatusOr<std::unique_ptr<FioProcess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& stdout_path,
                                                           const std::string& stderr_path,
                                                           const std::string& working_dir = "");
  ~FioProcess();
  FioProcess(const FioProcess&) = delete;
  FioProcess& operator=(const FioProcess&) = delete;

  // Reads until fio exits, calling on_stdout with every chunk of stdout as it
  // arrives, then reaps the child.
  FioExit Wait(const std::function<void(absl::string_view)>& on_stdout);

  // Asks fio to stop: SIGTERM to its process group now, SIGKILL if it is still
  // running after `grace` (fio normally stops within a second on SIGTERM, but a
  // job stuck in uninterruptible I/O on a dying drive does not).
  void Terminate(absl::Duration grace);

  pid_t pid() const { return pid_; }

 private:
  FioProcess(pid_t pid, int out_fd, int err_fd, int out_file, int err_file);

  pid_t pid_;
  int out_fd_, err_fd_;      // pipe read ends
  int out_file_, err_file_;  // copies on disk
  bool reaped_ = false;
  std::atomic<bool> terminate_requested_{false};
  std::atomic<int64_t> kill_deadline_ns_{0};  // steady clock; 0 = none
};

// Resolves the fio binary to an absolute path: `requested` if it is absolute
// (must be executable), else searched on PATH and then in the usual install
// folders (/usr/bin, /usr/local/bin, /opt/homebrew/bin) because launchd and
// systemd give daemons a minimal PATH.
absl::StatusOr<std::string> ResolveFioPath(const std::string& requested);

// Runs `fio --version` and returns its first line, e.g. "fio-3.33".
absl::StatusOr<std::string> FioVersion(const std::string& fio_path);

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_RUNNER_H_
