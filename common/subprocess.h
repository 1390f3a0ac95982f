// Subprocess: the one place QDT starts another program (fio, the DNS-SD
// publisher, every tool behind CommandRunner). It
// - resolves the program before fork (an absolute path, or a name on $PATH
//   and the extra folders given), so the child only calls async-signal-safe
//   functions between fork and exec;
// - runs it in its own process group, with stdin from /dev/null, an empty
//   signal mask and SIGPIPE at its default, and (Linux) PR_SET_PDEATHSIG so
//   it does not outlive a SIGKILLed agent;
// - hands stdout to the caller chunk by chunk while it arrives, keeps stderr
//   (bounded), and can copy both to files byte for byte;
// - stops it with SIGTERM to the group and SIGKILL after a grace period, or
//   with SIGKILL at a deadline.
// Every descriptor it makes is close-on-exec, so a program started from
// another thread at the same moment cannot inherit (and hold open) our pipes.
//
// Thread-safety: Wait() is called by one thread; Terminate() and pid() may be
// called from any thread while Wait() runs. The object owns the child:
// destroying it while the child runs kills the group and reaps it.
#ifndef QDT_COMMON_SUBPROCESS_H_
#define QDT_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"

namespace qdt {

struct SubprocessOptions {
  // argv[0] is an absolute path, or (with search_path) a bare name looked up
  // in $PATH and then in `extra_dirs` (daemons get a minimal PATH).
  std::vector<std::string> argv;
  bool search_path = false;
  std::vector<std::string> extra_dirs;
  // The child's current folder; empty = the parent's. When the child cannot
  // enter it, it writes "qdt: cannot enter the working folder" to stderr and
  // exits with 126 without running the program.
  std::string working_dir;
  // The child's current folder as an open folder descriptor (fchdir), taken
  // instead of working_dir when >= 0: a link put in place of the folder's path
  // after it was opened is not followed. The descriptor stays the caller's.
  int working_dir_fd = -1;
  // Where stdout / stderr also go, created (mode 0644) or truncated. With
  // `read_output` the pipes are read by Wait() and every byte is copied to
  // these files; without it the child writes to the files directly and Wait()
  // only reaps (for long-lived children nobody reads, like the DNS-SD
  // publisher; an empty path is /dev/null then).
  std::string stdout_file, stderr_file;
  bool read_output = true;
  // Linux: the child gets SIGKILL when the thread that started it dies.
  bool die_with_parent = true;
  // Wait() keeps at most this much of stderr in SubprocessExit::stderr_text.
  size_t stderr_limit = 256 * 1024;
};

struct SubprocessExit {
  int exit_code = -1;       // -1 when killed by a signal
  int term_signal = 0;      // 0 unless killed by a signal
  bool terminated = false;  // Terminate() was called before the child ended
  bool timed_out = false;   // Wait()'s deadline passed and the group was killed
  uint64_t stdout_bytes = 0;
  std::string stderr_text;  // the first SubprocessOptions::stderr_limit bytes
};

class Subprocess {
 public:
  // NotFound naming the program when it is not an executable file (or not on
  // the path); Internal when pipes, files or fork fail.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads until the child closes its output and exits, calling `on_stdout`
  // (may be null) with each chunk of stdout as it arrives, then reaps it. At
  // `deadline` the group is killed (SIGKILL) and the result says timed_out.
  SubprocessExit Wait(const std::function<void(absl::string_view)>& on_stdout,
                      absl::Time deadline = absl::InfiniteFuture());

  // One step of Wait(), for a caller that watches several children at once:
  // reads what the child printed within `max_wait` (at most 100 ms), handing
  // stdout to `on_stdout`. True while the child runs or has output left;
  // false once it has ended and was reaped (exit() then says how).
  bool Poll(const std::function<void(absl::string_view)>& on_stdout, absl::Duration max_wait);
  // How the child ended; complete once Poll() returned false or Wait() returned.
  const SubprocessExit& exit() const { return result_; }

  // SIGTERM to the group now, SIGKILL if it still runs after `grace`. Only
  // the first call counts.
  void Terminate(absl::Duration grace);

  pid_t pid() const { return pid_; }
  // The program that was started (argv[0] after the path search).
  const std::string& program() const { return program_; }

 private:
  Subprocess(pid_t pid, std::string program, UniqueFd out_pipe, UniqueFd err_pipe,
             UniqueFd out_file, UniqueFd err_file, size_t stderr_limit);
  void KillGroupIfDue();
  void ReadOutput(const std::function<void(absl::string_view)>& on_stdout, absl::Duration max_wait);
  bool TryReap();  // true once reaped (result_ filled)
  void Kill();     // SIGKILL to the group now, output no longer read

  const pid_t pid_;
  const std::string program_;
  UniqueFd out_pipe_, err_pipe_;  // read ends; invalid when not read
  UniqueFd out_file_, err_file_;  // copies on disk; invalid when not asked for
  const size_t stderr_limit_;
  // The reading thread's alone (Wait / Poll / the destructor).
  bool reaped_ = false;
  bool killed_ = false;
  SubprocessExit result_;
  std::atomic<bool> terminate_requested_{false};
  std::atomic<int64_t> kill_deadline_ns_{0};  // steady clock; 0 = none
};

// An executable file named `name`: itself when it contains a '/', else the
// first match in $PATH (absolute entries only), then in `extra_dirs`.
// NotFound naming the program and where it was looked for.
absl::StatusOr<std::string> FindProgram(const std::string& name,
                                        const std::vector<std::string>& extra_dirs = {});

// What a finished program printed, for short-lived tools.
struct CapturedOutput {
  SubprocessExit exit;
  std::string out;  // stdout, at most `stdout_limit` bytes
};

// Starts the program, reads everything it prints until it exits or `timeout`
// passes (then SIGKILL and exit.timed_out), and returns it.
absl::StatusOr<CapturedOutput> RunAndCapture(SubprocessOptions options, absl::Duration timeout,
                                             size_t stdout_limit = 64u << 20);

}  // namespace qdt

#endif  // QDT_COMMON_SUBPROCESS_H_
