#include "fio/fio_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace qdt::fio {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // A full disk must not stop the run; the parser still sees the data.
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

std::string LastNonEmptyLine(absl::string_view text) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) last = std::string(line);
  }
  return last;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FioExit::Describe() const {
  std::string detail = LastNonEmptyLine(stderr_text);
  if (term_signal != 0) {
    std::string out =
        absl::StrCat("fio was killed by signal ", term_signal, " (", ::strsignal(term_signal), ")");
    if (!detail.empty()) absl::StrAppend(&out, ": ", detail);
    return out;
  }
  if (exit_code == 0) return "";
  std::string out = absl::StrCat("fio exited with status ", exit_code);
  if (!detail.empty()) absl::StrAppend(&out, ": ", detail);
  return out;
}

FioProcess::FioProcess(pid_t pid, int out_fd, int err_fd, int out_file, int err_file)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd), out_file_(out_file), err_file_(err_file) {}

FioProcess::~FioProcess() {
  if (!reaped_) {
    ::kill(-pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  for (int fd : {out_fd_, err_fd_, out_file_, err_file_}) {
    if (fd >= 0) ::close(fd);
  }
}

absl::StatusOr<std::unique_ptr<FioProcess>> FioProcess::Start(const std::vector<std::string>& argv,
                                                              const std::string& stdout_path,
                                                              const std::string& stderr_path,
                                                              const std::string& working_dir) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("fio path must be absolute, got \"", argv.empty() ? "" : argv[0], "\""));
  }
  int out_file = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_file < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", stdout_path, ": ", strerror(errno)));
  }
  int err_file = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_file < 0) {
    ::close(out_file);
    return absl::InternalError(absl::StrCat("cannot create ", stderr_path, ": ", strerror(errno)));
  }
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0) {
    ::close(out_file);
    ::close(err_file);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  if (::pipe(err_pipe) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(out_file);
    ::close(err_file);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  // Everything the child needs is prepared before fork: between fork and exec a
  // multithreaded parent's child may only make async-signal-safe calls.
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], out_file, err_file}) {
      ::close(fd);
    }
    return absl::InternalError(absl::StrCat("fork: ", strerror(e)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // own group: a stop signal reaches fio and nothing else
#if defined(__linux__)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // parent already gone
#else
    (void)parent;
#endif
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    // Signals ignored or blocked by the agent must not leak into fio.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) {
      static const char kCd[] = "qdt: cannot enter the working folder\n";
      ssize_t ignored = ::write(STDERR_FILENO, kCd, sizeof(kCd) - 1);
      (void)ignored;
      ::_exit(126);
    }
    ::execv(cargv[0], cargv.data());
    static const char kMsg[] = "qdt: cannot exec fio\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so Terminate() cannot race the child's setpgid
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC);
  return std::unique_ptr<FioProcess>(
      new FioProcess(pid, out_pipe[0], err_pipe[0], out_file, err_file));
}

void FioProcess::Terminate(absl::Duration grace) {
  if (terminate_requested_.exchange(true)) return;
  kill_deadline_ns_.store(SteadyNowNs() + absl::ToInt64Nanoseconds(grace));
  ::kill(-pid_, SIGTERM);
}

FioExit FioProcess::Wait(const std::function<void(absl::string_view)>& on_stdout) {
  FioExit result;
  char buf[65536];
  bool out_open = true, err_open = true;
  bool killed = false;
  while (out_open || err_open) {
    struct pollfd fds[2];
    int n = 0;
    int out_idx = -1, err_idx = -1;
    if (out_open) {
      fds[n] = {out_fd_, POLLIN, 0};
      out_idx = n++;
    }
    if (err_open) {
      fds[n] = {err_fd_, POLLIN, 0};
      err_idx = n++;
    }
    // Wake at least every 100 ms to enforce the SIGKILL deadline of Terminate().
    int rc = ::poll(fds, static_cast<nfds_t>(n), 100);
    int64_t deadline = kill_deadline_ns_.load();
    if (!killed && deadline != 0 && SteadyNowNs() >= deadline) {
      ::kill(-pid_, SIGKILL);
      killed = true;
    }
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (rc == 0) continue;
    if (out_idx >= 0 && (fds[out_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(out_fd_, buf, sizeof(buf));
      if (got > 0) {
        WriteAll(out_file_, buf, static_cast<size_t>(got));
        result.stdout_bytes += static_cast<uint64_t>(got);
        if (on_stdout) on_stdout(absl::string_view(buf, static_cast<size_t>(got)));
      } else if (got == 0 || errno != EINTR) {
        out_open = false;
      }
    }
    if (err_idx >= 0 && (fds[err_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(err_fd_, buf, sizeof(buf));
      if (got > 0) {
        WriteAll(err_file_, buf, static_cast<size_t>(got));
        // stderr holds a few lines of errors; cap it so a chatty failure cannot grow memory.
        if (result.stderr_text.size() < 256 * 1024) result.stderr_text.append(buf, got);
      } else if (got == 0 || errno != EINTR) {
        err_open = false;
      }
    }
  }
  // The pipes are closed; fio is exiting. Keep enforcing the kill deadline while reaping.
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) break;
    int64_t deadline = kill_deadline_ns_.load();
    if (!killed && deadline != 0 && SteadyNowNs() >= deadline) {
      ::kill(-pid_, SIGKILL);
      killed = true;
    }
    ::usleep(20000);
  }
  reaped_ = true;
  // fio's job threads are gone with the process, but a stray child of the group
  // (none expected: jobs run as threads) must not survive either.
  ::kill(-pid_, SIGKILL);
  if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.terminated = terminate_requested_.load();
  return result;
}

absl::StatusOr<std::string> ResolveFioPath(const std::string& requested) {
  if (!requested.empty() && requested[0] == '/') {
    if (IsExecutableFile(requested)) return requested;
    return absl::NotFoundError(
        absl::StrCat("--fio: \"", requested, "\" is not an executable file"));
  }
  std::string name = requested.empty() ? "fio" : requested;
  if (name.find('/') != std::string::npos) {
    char resolved[PATH_MAX];
    if (::realpath(name.c_str(), resolved) != nullptr && IsExecutableFile(resolved))
      return resolved;
    return absl::NotFoundError(absl::StrCat("--fio: \"", name, "\" is not an executable file"));
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      dirs.emplace_back(d);
    }
  }
  for (const char* d : {"/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/qdt/bin"}) {
    dirs.emplace_back(d);
  }
  for (const std::string& d : dirs) {
    if (d.empty() || d[0] != '/') continue;  // relative PATH entries would depend on the cwd
    std::string candidate = absl::StrCat(d, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(
      "fio not found on PATH or in /usr/bin, /usr/local/bin, /opt/homebrew/bin; install fio "
      "or pass --fio /absolute/path/to/fio"));
}

absl::StatusOr<std::string> FioVersion(const std::string& fio_path) {
  char tmpl[] = "/tmp/qdt-fio-version-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return absl::InternalError(absl::StrCat("mkstemp: ", strerror(errno)));
  ::close(fd);
  std::string out_path = tmpl;
  auto proc = FioProcess::Start({fio_path, "--version"}, out_path, "/dev/null");
  if (!proc.ok()) {
    ::unlink(out_path.c_str());
    return proc.status();
  }
  std::string out;
  FioExit exit =
      (*proc)->Wait([&out](absl::string_view chunk) { out.append(chunk.data(), chunk.size()); });
  ::unlink(out_path.c_str());
  if (exit.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(fio_path, " --version failed: ", exit.Describe()));
  }
  std::string line = LastNonEmptyLine(out);
  if (line.rfind("fio-", 0) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(fio_path, " --version printed \"", line, "\", not a fio version"));
  }
  return line;
}

}  // namespace qdt::fio
