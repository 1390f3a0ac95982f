#include "fio/fio_runner.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/utf8.h"

namespace qdt::fio {
namespace {

std::string LastNonEmptyLine(absl::string_view text) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) last = std::string(line);
  }
  return last;
}

// fio's words for a message: its last stderr line, at most kMaxQuotedBytes,
// valid UTF-8 (fio may print any bytes; a message ends up in a proto).
std::string QuotedDetail(absl::string_view stderr_text) {
  std::string line = LastNonEmptyLine(stderr_text);
  if (line.size() > kMaxQuotedBytes) line = absl::StrCat(line.substr(0, kMaxQuotedBytes), "...");
  return ToValidUtf8(line);
}

}  // namespace

std::string FioExit::Describe() const {
  std::string detail = QuotedDetail(stderr_text);
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

absl::StatusOr<std::unique_ptr<FioProcess>> FioProcess::Start(const std::vector<std::string>& argv,
                                                              const std::string& stdout_path,
                                                              const std::string& stderr_path,
                                                              const std::string& working_dir,
                                                              int working_dir_fd) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("fio path must be absolute, got \"", argv.empty() ? "" : argv[0], "\""));
  }
  SubprocessOptions options;
  options.argv = argv;
  options.working_dir = working_dir;
  options.working_dir_fd = working_dir_fd;
  options.stdout_file = stdout_path;
  options.stderr_file = stderr_path;
  auto process = Subprocess::Start(options);
  if (!process.ok()) return process.status();
  return std::unique_ptr<FioProcess>(new FioProcess(std::move(*process)));
}

FioExit FioProcess::Wait(const std::function<void(absl::string_view)>& on_stdout) {
  process_->Wait(on_stdout);
  return exit();
}

FioExit FioProcess::exit() const {
  FioExit exit;
  static_cast<SubprocessExit&>(exit) = process_->exit();
  return exit;
}

absl::StatusOr<std::string> ResolveFioPath(const std::string& requested) {
  if (!requested.empty() && requested[0] == '/') {
    struct stat st;
    if (::stat(requested.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(requested.c_str(), X_OK) == 0) {
      return requested;
    }
    return absl::NotFoundError(
        absl::StrCat("--fio: \"", requested, "\" is not an executable file"));
  }
  const std::string name = requested.empty() ? "fio" : requested;
  auto found =
      FindProgram(name, {"/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/qdt/bin"});
  if (found.ok()) return found;
  if (name.find('/') != std::string::npos) {
    return absl::NotFoundError(absl::StrCat("--fio: \"", name, "\" is not an executable file"));
  }
  return absl::NotFoundError(
      "fio not found on PATH or in /usr/bin, /usr/local/bin, /opt/homebrew/bin; install fio "
      "or pass --fio /absolute/path/to/fio");
}

absl::StatusOr<FioVersionNumber> ParseFioVersion(absl::string_view text) {
  absl::string_view v = absl::StripAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&v, "fio-")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text.substr(0, 64), "\" is not a fio version"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(v, absl::ByAnyChar(".-"));
  FioVersionNumber n;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &n.major) ||
      !absl::SimpleAtoi(parts[1], &n.minor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text.substr(0, 64), "\" is not a fio version"));
  }
  return n;
}

std::string FioCacheDropProblem(bool macos, absl::string_view version) {
  if (!macos) return "";
  auto n = ParseFioVersion(version);
  if (!n.ok()) return absl::StrCat(n.status().message(), "; QDT needs fio 3.42 or newer on macOS");
  if (n->major > 3 || (n->major == 3 && n->minor >= 42)) return "";
  return absl::StrCat("fio ", n->major, ".", n->minor,
                      " cannot drop cached pages on macOS; QDT needs 3.42 or newer");
}

absl::StatusOr<std::string> FioVersion(const std::string& fio_path, absl::Duration timeout) {
  SubprocessOptions options;
  options.argv = {fio_path, "--version"};
  auto run = RunAndCapture(options, timeout, 64 * 1024);
  if (!run.ok()) return run.status();
  FioExit exit;
  static_cast<SubprocessExit&>(exit) = run->exit;
  if (exit.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(fio_path, " --version did not answer within ", absl::FormatDuration(timeout)));
  }
  if (exit.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(fio_path, " --version failed: ", exit.Describe()));
  }
  std::string line = LastNonEmptyLine(run->out);
  if (line.rfind("fio-", 0) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(fio_path, " --version printed \"", line, "\", not a fio version"));
  }
  return line;
}

}  // namespace qdt::fio
