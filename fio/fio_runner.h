// FioProcess runs one fio process the way docs/DESIGN.md §4 asks: by absolute
// path, in its own process group, stdout and stderr kept apart (each copied to
// its own file), stopped with SIGTERM and then SIGKILL after a grace period.
// It is a Subprocess (common/subprocess.h) with fio's words for how it ended.
//
// Thread-safety: Wait() is called by one thread (the run's worker); Terminate()
// may be called from any thread while Wait() runs. The object owns the child:
// destroying it while fio still runs kills the process group.
#ifndef QDT_FIO_FIO_RUNNER_H_
#define QDT_FIO_FIO_RUNNER_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/subprocess.h"

namespace qdt::fio {

struct FioExit : SubprocessExit {
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
  // `working_dir_fd` >= 0: the child enters that open folder instead (fchdir;
  // subprocess.h SubprocessOptions::working_dir_fd), never a link put in place
  // of working_dir's path after the folder was opened.
  static absl::StatusOr<std::unique_ptr<FioProcess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& stdout_path,
                                                           const std::string& stderr_path,
                                                           const std::string& working_dir = "",
                                                           int working_dir_fd = -1);

  // Reads until fio exits, calling on_stdout with every chunk of stdout as it
  // arrives, then reaps the child.
  FioExit Wait(const std::function<void(absl::string_view)>& on_stdout);

  // One step of Wait() (Subprocess::Poll): true while fio runs; false once it
  // has ended, and exit() says how.
  bool Poll(const std::function<void(absl::string_view)>& on_stdout, absl::Duration max_wait) {
    return process_->Poll(on_stdout, max_wait);
  }
  FioExit exit() const;

  // Asks fio to stop: SIGTERM to its process group now, SIGKILL if it is still
  // running after `grace` (fio normally stops within a second on SIGTERM, but a
  // job stuck in uninterruptible I/O on a dying drive does not).
  void Terminate(absl::Duration grace) { process_->Terminate(grace); }

  pid_t pid() const { return process_->pid(); }

 private:
  explicit FioProcess(std::unique_ptr<Subprocess> process) : process_(std::move(process)) {}
  std::unique_ptr<Subprocess> process_;
};

// Resolves the fio binary to an absolute path: `requested` if it is absolute
// (must be executable), else searched on PATH and then in the usual install
// folders (/usr/bin, /usr/local/bin, /opt/homebrew/bin) because launchd and
// systemd give daemons a minimal PATH.
absl::StatusOr<std::string> ResolveFioPath(const std::string& requested);

// "fio-3.41" → {3, 41}; "fio-3.42-12-gdeadbee" → {3, 42}. InvalidArgument
// naming the text when it is not fio's version.
struct FioVersionNumber {
  int major = 0, minor = 0;
};
absl::StatusOr<FioVersionNumber> ParseFioVersion(absl::string_view text);

// Whether this fio's invalidate=1 really drops a file's cached pages: always
// on Linux (posix_fadvise DONTNEED); on macOS only from fio 3.42 — up to 3.41
// its posix_fadvise there is a stub that returns 0, and 3.42 (commit
// 41880b9b, "mac: implement (file) cache invalidation", fixing axboe/fio#48)
// drops them with mmap + msync(MS_INVALIDATE). Empty when it does, else why
// not: "fio 3.41 cannot drop cached pages on macOS; QDT needs 3.42 or newer".
std::string FioCacheDropProblem(bool macos, absl::string_view version);

// Runs `fio --version` (killed after `timeout`) and returns its last line,
// e.g. "fio-3.33".
absl::StatusOr<std::string> FioVersion(const std::string& fio_path,
                                       absl::Duration timeout = absl::Seconds(10));

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_RUNNER_H_
