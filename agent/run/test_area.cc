#include "agent/run/test_area.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/run/run_plan.h"
#include "common/errno_status.h"
#include "common/logging.h"
#include "common/unique_fd.h"
#include "fio/fio_job_builder.h"

namespace qdt::agent {
namespace {

constexpr char kAreaName[] = ".qdt-test";

// Folders of the operating system itself. (macOS helper volumes are "Media
// OS Use Only"; /Library/Application Support/QDT and /var/lib/qdt are the
// agent's default state folders.)
constexpr const char* kSystemFolders[] = {"/proc",
                                          "/sys",
                                          "/dev",
                                          "/run",
                                          "/boot",
                                          "/etc",
                                          "/usr",
                                          "/bin",
                                          "/sbin",
                                          "/lib",
                                          "/System/Volumes/Preboot",
                                          "/System/Volumes/VM",
                                          "/System/Volumes/Recovery",
                                          "/System/Volumes/Update",
                                          "/System/Volumes/xarts",
                                          "/System/Volumes/iSCPreboot",
                                          "/System/Volumes/Hardware",
                                          "/Library/Application Support/QDT",
                                          "/var/lib/qdt"};

std::string RealPathOr(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}

absl::Status Refuse(const std::string& target, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("target_dir: \"", target, "\"", why));
}

// A folder inside `parent_fd`, opened without following a link in its place.
UniqueFd OpenSubfolder(int parent_fd, const char* name) {
  return UniqueFd(::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

}  // namespace

bool InSystemFolder(const std::string& path) {
  for (const char* folder : kSystemFolders) {
    absl::string_view f(folder);
    if (absl::StartsWith(path, f) && (path.size() == f.size() || path[f.size()] == '/')) {
      return true;
    }
  }
  return false;
}

absl::Status CheckAllowedTarget(const std::string& target,
                                const std::vector<std::string>& allowed) {
  if (allowed.empty()) return absl::OkStatus();
  const std::string real = RealPathOr(target);
  for (const std::string& a : allowed) {
    std::string root = RealPathOr(a);
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (real == root || real.rfind(root + "/", 0) == 0) return absl::OkStatus();
  }
  return Refuse(target, absl::StrCat(" is outside the folders this agent may test (",
                                     absl::StrJoin(allowed, ", "), ")"));
}

absl::Status CheckTarget(const std::string& target, const TargetPolicy& policy) {
  if (InSystemFolder(target) || InSystemFolder(RealPathOr(target))) {
    return Refuse(target, " is a system folder; test a media folder instead");
  }
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: \"", target, "\""), errno);
  }
  if (!S_ISDIR(st.st_mode)) return Refuse(target, " is not a folder");
  if (auto allowed = CheckAllowedTarget(target, policy.allowed_target_dirs); !allowed.ok()) {
    return allowed;
  }
  struct statvfs vfs;
  if (::statvfs(target.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
    return Refuse(target, " is on a read-only volume");
  }
  // access() says yes to root everywhere; TestArea::Create's mkdir is the real test.
  if (::access(target.c_str(), W_OK) != 0) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: \"", target, "\" is not writable"), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<VolumeSpace> SpaceOf(const std::string& path) {
  struct statvfs vfs;
  if (::statvfs(path.c_str(), &vfs) != 0) {
    return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("statvfs \"", path, "\""), errno);
  }
  VolumeSpace space;
  space.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  space.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  return space;
}

absl::Status CheckFreeSpace(const std::string& target, int file_count, uint64_t file_size,
                            uint64_t reserve_bytes) {
  auto space = SpaceOf(target);
  if (!space.ok()) return absl::OkStatus();
  const double need = static_cast<double>(file_count) * file_size + reserve_bytes;
  const double free_bytes = static_cast<double>(space->free_bytes);
  if (free_bytes >= need) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("target_dir: not enough free space on \"", target, "\": need ", HumanBytes(need),
                   " (", file_count, " files x ", HumanBytes(static_cast<double>(file_size)), " + ",
                   HumanBytes(static_cast<double>(reserve_bytes)), " reserve), ",
                   HumanBytes(free_bytes), " free"));
}

TestArea::TestArea(std::string target, std::string run_id)
    : target_(std::move(target)), run_id_(std::move(run_id)), dir_(TestDirFor(target_, run_id_)) {}

absl::StatusOr<TestArea> TestArea::Create(const std::string& target, const std::string& run_id) {
  const std::string base = absl::StrCat(target, "/", kAreaName);
  UniqueFd target_fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target_fd) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: \"", target, "\""), errno);
  }
  bool made_base = true;
  if (::mkdirat(target_fd.get(), kAreaName, 0755) != 0) {
    if (errno != EEXIST) {
      return ErrnoError(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("target_dir: \"", target,
                                     "\" is not writable: cannot create \"", base, "\""),
                        errno);
    }
    made_base = false;
  }
  UniqueFd base_fd = OpenSubfolder(target_fd.get(), kAreaName);
  if (!base_fd) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target_dir: \"", base, "\" is not a folder this agent made (",
        errno == ELOOP || errno == ENOTDIR ? "a link or a file is in its place" : ErrnoText(errno),
        "); remove it and start again"));
  }
  if (::mkdirat(base_fd.get(), run_id.c_str(), 0755) != 0) {
    const int err = errno;
    if (made_base) ::unlinkat(target_fd.get(), kAreaName, AT_REMOVEDIR);
    return ErrnoError(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat("target_dir: cannot create \"", TestDirFor(target, run_id), "\""), err);
  }
  return TestArea(target, run_id);
}

void TestArea::RemoveFiles(const std::vector<std::string>& names) const {
  RemoveTestFiles(target_, run_id_, names);
}

void RemoveTestFiles(const std::string& target, const std::string& run_id,
                     const std::vector<std::string>& names) {
  UniqueFd target_fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target_fd) return;  // the volume is gone: nothing of ours can be removed
  UniqueFd base_fd = OpenSubfolder(target_fd.get(), kAreaName);
  if (!base_fd) return;
  if (UniqueFd run_fd = OpenSubfolder(base_fd.get(), run_id.c_str())) {
    for (const std::string& name : names) {
      // Names only, never a path: nothing outside the run's folder.
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
        continue;
      }
      if (::unlinkat(run_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
        QDT_LOG(Warning) << "cannot remove test file " << TestDirFor(target, run_id) << "/" << name
                         << ": " << ErrnoText(errno);
      }
    }
  }
  // Only if empty: never remove what we did not create.
  ::unlinkat(base_fd.get(), run_id.c_str(), AT_REMOVEDIR);
  ::unlinkat(target_fd.get(), kAreaName, AT_REMOVEDIR);
}

}  // namespace qdt::agent
