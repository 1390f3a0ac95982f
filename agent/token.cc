#include "agent/token.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/quote.h"
#include "common/unique_fd.h"

namespace qdt::agent {

namespace {

constexpr size_t kMaxTokenFileBytes = 64 * 1024;

// A fresh token (32 random bytes as hex) in a new file of mode 0600.
absl::StatusOr<std::string> CreateToken(const std::string& path) {
  std::random_device rd;  // /dev/urandom on Linux and macOS
  std::string token;
  for (int i = 0; i < 8; ++i) absl::StrAppend(&token, absl::StrFormat("%08x", rd()));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("--token-file: cannot create ", QuoteForError(path)), errno);
  }
  std::string line = token + "\n";
  bool ok = ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size());
  if (!ok)
    return absl::InternalError(absl::StrCat("--token-file: cannot write ", QuoteForError(path)));
  return token;
}

// What is wrong with the open token file's kind and mode, or OK.
absl::Status CheckTokenFileMode(int fd, const std::string& quoted) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("--token-file: cannot stat ", quoted), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--token-file: ", quoted, " is not a regular file (",
                     S_ISDIR(st.st_mode) ? "a folder" : "a device, socket or pipe",
                     "): give the path of the file that holds the rig token"));
  }
  if ((st.st_mode & 022) != 0) {
    // Whoever can write the token file can let anyone in.
    return absl::FailedPreconditionError(absl::StrFormat(
        "--token-file: %s can be changed by %s (mode %04o): only its owner may write it; fix it "
        "with: chmod 600 %s",
        quoted, (st.st_mode & 002) != 0 ? "every user" : "its group", st.st_mode & 07777, quoted));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateToken(const std::string& path, bool create_if_missing) {
  if (path.empty()) return absl::InvalidArgumentError("--token-file: empty path");
  const std::string quoted = QuoteForError(path);
  // Opened once, then checked and read through the same descriptor, so the
  // file checked is the file read. O_NONBLOCK: a FIFO planted there must not
  // block the agent's start (it is refused as not a regular file).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT && create_if_missing) return CreateToken(path);
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("--token-file: cannot read ", quoted), err);
  }
  if (auto st = CheckTokenFileMode(fd.get(), quoted); !st.ok()) return st;
  std::string text(kMaxTokenFileBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), &text[got], text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ErrnoError(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("--token-file: cannot read ", quoted), errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  // One line: the whitespace around the token (an editor's final newline) is
  // not part of it; anything inside it is an error.
  const std::string token(absl::StripAsciiWhitespace(text));
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("--token-file: ", quoted, " is empty"));
  }
  if (std::string problem = TokenProblem(token); !problem.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--token-file: the token in ", quoted, " ", problem));
  }
  return token;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Length is not secret (tokens have a fixed length); contents are.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

bool BearerMatches(absl::string_view header_value, absl::string_view token) {
  constexpr absl::string_view kPrefix = "Bearer ";
  if (!absl::StartsWith(header_value, kPrefix)) return false;
  return ConstantTimeEquals(header_value.substr(kPrefix.size()), token);
}

}  // namespace qdt::agent
