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
#include "common/unique_fd.h"

namespace qdt::agent {

absl::StatusOr<std::string> LoadOrCreateToken(const std::string& path, bool create_if_missing) {
  if (path.empty()) return absl::InvalidArgumentError("--token-file: empty path");
  auto text = ReadFileTrimmed(path, 64 * 1024);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status()) || !create_if_missing) {
      return absl::FailedPreconditionError(absl::StrCat("--token-file: ", text.status().message()));
    }
    std::random_device rd;  // /dev/urandom on Linux and macOS
    std::string token;
    for (int i = 0; i < 8; ++i) absl::StrAppend(&token, absl::StrFormat("%08x", rd()));
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
      return ErrnoError(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("--token-file: cannot create \"", path, "\""), errno);
    }
    std::string line = token + "\n";
    bool ok = ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size());
    if (!ok) return absl::InternalError(absl::StrCat("--token-file: cannot write \"", path, "\""));
    return token;
  }
  const std::string& token = *text;
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("--token-file: \"", path, "\" is empty"));
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
