#include "agent/run/read_check.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/unique_fd.h"

#ifdef __APPLE__
#include <mach-o/dyld.h>  // _NSGetExecutablePath (compiled only on macOS)
#endif

namespace qdt::agent {

absl::Status ReadFirstMiB(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return ErrnoStatus(absl::StrCat("cannot open \"", path, "\""), errno);
  std::vector<char> buf(1 << 20);
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::read(fd.get(), buf.data() + done, buf.size() - done);
    if (n == 0) break;  // a file shorter than 1 MiB
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(absl::StrCat("cannot read \"", path, "\""), errno);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status CheckReadable(const std::vector<std::string>& paths, const ReadProbe& probe,
                           Platform platform, const std::string& target,
                           const std::string& agent_path) {
  for (const std::string& path : paths) {
    absl::Status st = probe(path);
    if (st.ok()) continue;
    if (absl::IsPermissionDenied(st)) {
      if (platform == Platform::kMacOS) {
        return absl::FailedPreconditionError(absl::StrCat(
            "macOS did not let qdt-agent read ", target, ": add ", agent_path,
            " in System Settings › Privacy & Security › Full Disk Access (", st.message(), ")"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "the agent may write but not read its test files in ", target, ": ", st.message()));
    }
    return absl::InternalError(absl::StrCat("cannot read back a test file: ", st.message()));
  }
  return absl::OkStatus();
}

std::string SelfExecutablePath() {
#ifdef __APPLE__
  char buf[PATH_MAX];
  uint32_t size = sizeof(buf);
  if (_NSGetExecutablePath(buf, &size) == 0) {
    char real[PATH_MAX];
    if (::realpath(buf, real) != nullptr) return real;
    return buf;
  }
#else
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
#endif
  return kInstalledAgentPath;
}

}  // namespace qdt::agent
