#include "common/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/errno_status.h"

namespace qdt {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A pipe whose both ends are close-on-exec (dup2 in the child clears the flag
// on the copy it makes). macOS has no pipe2: the window between pipe and
// fcntl there is the only one left.
absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
#if defined(__linux__)
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(absl::StatusCode::kInternal, "pipe", errno);
#else
  if (::pipe(fds) != 0) return ErrnoError(absl::StatusCode::kInternal, "pipe", errno);
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
#endif
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> CreateOutputFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot create ", path), errno);
  return fd;
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // A full disk must not stop the child; the caller still sees the data.
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// dup2 that also works when `from` already is `to` (dup2 then keeps the
// close-on-exec flag, and exec would close the descriptor).
void MoveFd(int from, int to) {
  if (from == to) {
    ::fcntl(to, F_SETFD, 0);
  } else {
    ::dup2(from, to);
  }
}

// Only async-signal-safe calls from here to exec or _exit: the parent has
// other threads, and one of them may have held a lock (malloc's) at fork.
[[noreturn]] void ExecChild(const char* program, char* const* argv, const char* working_dir,
                            int working_dir_fd, int stdin_fd, int stdout_fd, int stderr_fd,
                            bool die_with_parent, pid_t parent) {
  ::setpgid(0, 0);  // own group: a stop signal reaches the child and its children only
  // Before the descriptors are moved: working_dir_fd cannot be overwritten by them.
  bool entered = true;
  if (working_dir_fd >= 0) {
    entered = ::fchdir(working_dir_fd) == 0;
  } else if (working_dir != nullptr) {
    entered = ::chdir(working_dir) == 0;
  }
#if defined(__linux__)
  if (die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  }
#else
  (void)die_with_parent;
  (void)parent;
#endif
  MoveFd(stdin_fd, STDIN_FILENO);
  MoveFd(stdout_fd, STDOUT_FILENO);
  MoveFd(stderr_fd, STDERR_FILENO);
  // Signals the agent blocks (it takes SIGTERM with sigwait) or ignores
  // (SIGPIPE) must not carry over into the child.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (!entered) {
    static const char kCd[] = "qdt: cannot enter the working folder\n";
    ssize_t ignored = ::write(STDERR_FILENO, kCd, sizeof(kCd) - 1);
    (void)ignored;
    ::_exit(126);
  }
  ::execv(program, argv);
  static const char kExec[] = "qdt: cannot execute the program\n";
  ssize_t ignored = ::write(STDERR_FILENO, kExec, sizeof(kExec) - 1);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

absl::StatusOr<std::string> FindProgram(const std::string& name,
                                        const std::vector<std::string>& extra_dirs) {
  if (name.empty()) return absl::InvalidArgumentError("program: empty name");
  if (name.find('/') != std::string::npos) {
    char resolved[PATH_MAX];
    if (::realpath(name.c_str(), resolved) != nullptr && IsExecutableFile(resolved)) {
      return std::string(resolved);
    }
    return absl::NotFoundError(absl::StrCat("\"", name, "\" is not an executable file"));
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) dirs.emplace_back(d);
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const std::string& d : dirs) {
    if (d.empty() || d[0] != '/') continue;  // a relative entry would depend on the cwd
    std::string candidate = absl::StrCat(d, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(name, " not found on PATH",
                                          extra_dirs.empty() ? "" : " or in ",
                                          absl::StrJoin(extra_dirs, ", ")));
}

Subprocess::Subprocess(pid_t pid, std::string program, UniqueFd out_pipe, UniqueFd err_pipe,
                       UniqueFd out_file, UniqueFd err_file, size_t stderr_limit)
    : pid_(pid),
      program_(std::move(program)),
      out_pipe_(std::move(out_pipe)),
      err_pipe_(std::move(err_pipe)),
      out_file_(std::move(out_file)),
      err_file_(std::move(err_file)),
      stderr_limit_(stderr_limit) {}

Subprocess::~Subprocess() {
  if (!reaped_) {
    ::kill(-pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("program: empty argv");
  std::string program = options.argv[0];
  if (options.search_path) {
    auto found = FindProgram(program, options.extra_dirs);
    if (!found.ok()) return found.status();
    program = *found;
  } else if (program.empty() || program[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("program path must be absolute, got \"", program, "\""));
  }

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return ErrnoError(absl::StatusCode::kInternal, "cannot open /dev/null", errno);
  UniqueFd out_file, err_file;
  if (!options.stdout_file.empty()) {
    auto f = CreateOutputFile(options.stdout_file);
    if (!f.ok()) return f.status();
    out_file = std::move(*f);
  }
  if (!options.stderr_file.empty()) {
    auto f = CreateOutputFile(options.stderr_file);
    if (!f.ok()) return f.status();
    err_file = std::move(*f);
  }
  UniqueFd out_read, out_write, err_read, err_write;
  if (options.read_output) {
    if (auto st = MakePipe(&out_read, &out_write); !st.ok()) return st;
    if (auto st = MakePipe(&err_read, &err_write); !st.ok()) return st;
  }
  const int child_out = options.read_output ? out_write.get()
                        : out_file          ? out_file.get()
                                            : devnull.get();
  const int child_err = options.read_output ? err_write.get()
                        : err_file          ? err_file.get()
                                            : devnull.get();

  // Everything the child needs is prepared before fork.
  std::vector<char*> cargv;
  cargv.reserve(options.argv.size() + 1);
  for (const std::string& a : options.argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const char* working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(absl::StatusCode::kInternal, "fork", errno);
  if (pid == 0) {
    ExecChild(program.c_str(), cargv.data(), working_dir, options.working_dir_fd, devnull.get(),
              child_out, child_err, options.die_with_parent, parent);
  }
  // Also from the parent, so that Terminate() cannot run before the child's setpgid.
  ::setpgid(pid, pid);
  if (!options.read_output) {
    out_file.reset();  // the child has its own copies; Wait() only reaps
    err_file.reset();
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, std::move(program), std::move(out_read),
                                                    std::move(err_read), std::move(out_file),
                                                    std::move(err_file), options.stderr_limit));
}

void Subprocess::Terminate(absl::Duration grace) {
  if (terminate_requested_.exchange(true)) return;
  kill_deadline_ns_.store(SteadyNowNs() + absl::ToInt64Nanoseconds(grace));
  ::kill(-pid_, SIGTERM);
}

void Subprocess::KillGroupIfDue() {
  const int64_t due = kill_deadline_ns_.load();
  if (!killed_ && due != 0 && SteadyNowNs() >= due) {
    ::kill(-pid_, SIGKILL);
    killed_ = true;
  }
}

void Subprocess::ReadOutput(const std::function<void(absl::string_view)>& on_stdout,
                            absl::Duration max_wait) {
  struct pollfd fds[2];
  nfds_t n = 0;
  int out_idx = -1, err_idx = -1;
  if (out_pipe_) {
    fds[n] = {out_pipe_.get(), POLLIN, 0};
    out_idx = static_cast<int>(n++);
  }
  if (err_pipe_) {
    fds[n] = {err_pipe_.get(), POLLIN, 0};
    err_idx = static_cast<int>(n++);
  }
  // At most 100 ms, to enforce the SIGKILL deadline of Terminate().
  const int wait_ms =
      static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(max_wait), 0, 100));
  const int rc = ::poll(fds, n, wait_ms);
  KillGroupIfDue();
  if (rc <= 0) return;  // nothing yet (or EINTR): the caller polls again
  char buf[65536];
  if (out_idx >= 0 && (fds[out_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t got = ::read(out_pipe_.get(), buf, sizeof(buf));
    if (got > 0) {
      if (out_file_) WriteAll(out_file_.get(), buf, static_cast<size_t>(got));
      result_.stdout_bytes += static_cast<uint64_t>(got);
      if (on_stdout) on_stdout(absl::string_view(buf, static_cast<size_t>(got)));
    } else if (got == 0 || errno != EINTR) {
      out_pipe_.reset();
    }
  }
  if (err_idx >= 0 && (fds[err_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t got = ::read(err_pipe_.get(), buf, sizeof(buf));
    if (got > 0) {
      if (err_file_) WriteAll(err_file_.get(), buf, static_cast<size_t>(got));
      // A chatty failure must not grow memory without bound.
      size_t room = stderr_limit_ - std::min(stderr_limit_, result_.stderr_text.size());
      result_.stderr_text.append(buf, std::min(room, static_cast<size_t>(got)));
    } else if (got == 0 || errno != EINTR) {
      err_pipe_.reset();
    }
  }
}

bool Subprocess::TryReap() {
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0 || (r < 0 && errno == EINTR)) return false;
  reaped_ = true;
  // A stray child of the group must not survive its leader.
  ::kill(-pid_, SIGKILL);
  if (r == pid_ && WIFSIGNALED(status)) {
    result_.term_signal = WTERMSIG(status);
    result_.exit_code = -1;
  } else if (r == pid_ && WIFEXITED(status)) {
    result_.exit_code = WEXITSTATUS(status);
  }
  result_.terminated = terminate_requested_.load();
  return true;
}

bool Subprocess::Poll(const std::function<void(absl::string_view)>& on_stdout,
                      absl::Duration max_wait) {
  if (reaped_) return false;
  if (out_pipe_ || err_pipe_) {
    ReadOutput(on_stdout, max_wait);
    return true;
  }
  // The output is closed; the child is exiting. Keep enforcing the kill
  // deadline while reaping.
  if (TryReap()) return false;
  KillGroupIfDue();
  absl::SleepFor(std::min(max_wait, absl::Milliseconds(10)));
  return !TryReap();
}

void Subprocess::Kill() {
  ::kill(-pid_, SIGKILL);
  killed_ = true;
  out_pipe_.reset();  // what is still in the pipes is not waited for
  err_pipe_.reset();
}

SubprocessExit Subprocess::Wait(const std::function<void(absl::string_view)>& on_stdout,
                                absl::Time deadline) {
  while (Poll(on_stdout, absl::Milliseconds(100))) {
    if (deadline != absl::InfiniteFuture() && absl::Now() >= deadline && !result_.timed_out) {
      result_.timed_out = true;
      Kill();
    }
  }
  return result_;
}

absl::StatusOr<CapturedOutput> RunAndCapture(SubprocessOptions options, absl::Duration timeout,
                                             size_t stdout_limit) {
  options.read_output = true;
  auto proc = Subprocess::Start(options);
  if (!proc.ok()) return proc.status();
  CapturedOutput captured;
  captured.exit = (*proc)->Wait(
      [&](absl::string_view chunk) {
        size_t room = stdout_limit - std::min(stdout_limit, captured.out.size());
        captured.out.append(chunk.data(), std::min(room, chunk.size()));
      },
      absl::Now() + timeout);
  return captured;
}

}  // namespace qdt
