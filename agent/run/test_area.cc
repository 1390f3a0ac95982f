#include "agent/run/test_area.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/run/run_plan.h"
#include "common/errno_status.h"
#include "common/logging.h"
#include "common/quote.h"
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

// Folders that hold everyone's files: never tested as a whole (a subfolder
// may be). "/" is the root of the OS volume. macOS: /tmp and /var are links to
// /private/tmp and /private/var (realpath gives those), /Users and the other
// data folders are firmlinks into the data volume at /System/Volumes/Data,
// and every other volume is mounted in /Volumes (docs/MACOS.md, "The internal
// drive as a target"). Listed in allowed_target_dirs exactly, one may be
// tested; "/" never.
constexpr const char* kWholeSharedFolders[] = {
    "/",      "/tmp",   "/var",     "/home",        "/root",        "/mnt",
    "/media", "/Users", "/Volumes", "/private/tmp", "/private/var", "/System/Volumes/Data"};

std::string RealPathOr(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Whether `path` is `folder` or inside it (whole names: /proc is not in /pro).
bool IsOrIsInside(absl::string_view path, absl::string_view folder) {
  if (folder == "/") return true;
  return absl::StartsWith(path, folder) &&
         (path.size() == folder.size() || path[folder.size()] == '/');
}

absl::Status Refuse(const std::string& target, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("target_dir: ", QuoteForError(target), why));
}

// A folder inside `parent_fd`, opened without following a link in its place.
UniqueFd OpenSubfolder(int parent_fd, const char* name) {
  return UniqueFd(::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// The real path of an open folder: what was opened, whatever links led to it
// (and whatever the path names by now). Empty when the system cannot say.
// macOS: fcntl(2) F_GETPATH ("get the path of the file descriptor; the
// argument must be a buffer of size MAXPATHLEN or greater"); Linux: proc(5),
// /proc/self/fd/N is a link to the opened file's path.
std::string PathOfFd(int fd) {
#if defined(__APPLE__)
  char path[MAXPATHLEN];
  if (::fcntl(fd, F_GETPATH, path) == 0) return path;
  return "";
#else
  char path[PATH_MAX];
  const std::string link = absl::StrCat("/proc/self/fd/", fd);
  const ssize_t n = ::readlink(link.c_str(), path, sizeof(path) - 1);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(path) - 1) return "";
  return std::string(path, static_cast<size_t>(n));
#endif
}

// Folders whose entries are other volumes' mount points (Linux /mnt and
// /media; macOS /Volumes, where every volume but the boot volume is mounted:
// docs/MACOS.md). The folder itself is on the system volume, unless a drive
// is mounted on it (Linux: `mount /dev/sdb1 /mnt`).
bool IsMountParent(const std::string& real) {
  return real == "/mnt" || real == "/media" || real == "/Volumes";
}

// A mount point is on another device than its parent folder.
bool IsOwnMountPoint(const std::string& real) {
  struct stat self, parent;
  if (::stat(real.c_str(), &self) != 0) return false;
  if (::stat((real + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

// The policy's folder rules on the real path of the opened target.
absl::Status CheckPlace(const std::string& target, const std::string& real,
                        const TargetPolicy& policy) {
  if (InSystemFolder(real))
    return Refuse(target, " is a system folder; test a media folder instead");
  if (real == "/") {
    return Refuse(target, " is the root of the system volume; test a media folder instead");
  }
  if (IsMountParent(real) && !IsOwnMountPoint(real)) {
    // Listed or not: the packaged configs list /mnt, /media and /Volumes as
    // the folders whose drives may be tested, not as targets themselves.
    return Refuse(target, absl::StrCat(" (", QuoteForError(real),
                                       ") holds other drives' mount points and is on the system "
                                       "volume itself: test a folder on a drive mounted in it"));
  }
  if (IsWholeSharedFolder(real) && !IsMountParent(real)) {
    bool listed = false;
    for (const std::string& a : policy.allowed_target_dirs) {
      listed = listed || WithoutTrailingSlashes(RealPathOr(a)) == real;
    }
    if (!listed) {
      return Refuse(target, absl::StrCat(" (", QuoteForError(real),
                                         ") holds everyone's files: test a folder inside it, or "
                                         "list it in allowed_target_dirs"));
    }
  }
  if (!policy.state_dir.empty()) {
    const std::string state = WithoutTrailingSlashes(RealPathOr(policy.state_dir));
    if (IsOrIsInside(real, state)) {
      return Refuse(target, absl::StrCat(" is the agent's state folder or inside it (",
                                         QuoteForError(state), ")"));
    }
    if (IsOrIsInside(state, real + "/.qdt-test")) {
      return Refuse(target, absl::StrCat(": the agent's state folder ", QuoteForError(state),
                                         " is inside its .qdt-test"));
    }
  }
  return CheckAllowedTarget(real, policy.allowed_target_dirs).ok()
             ? absl::OkStatus()
             : Refuse(target, absl::StrCat(" is outside the folders this agent may test (",
                                           absl::StrJoin(policy.allowed_target_dirs, ", "), ")"));
}

// What the open folder allows: writable, not read-only, no link or file at
// .qdt-test.
absl::Status CheckOpenFolder(const std::string& target, int fd) {
  struct statvfs vfs;
  if (::fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
    return Refuse(target, " is on a read-only volume");
  }
  // access() says yes to root everywhere; TestArea::Create's mkdirat is the real test.
  if (::faccessat(fd, ".", W_OK, 0) != 0) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: ", QuoteForError(target), " is not writable"),
                      errno);
  }
  struct stat area;
  if (::fstatat(fd, kAreaName, &area, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(area.st_mode)) {
    return Refuse(target, absl::StrCat(": ", kAreaName,
                                       " in it is a link or a file, not a folder this agent "
                                       "made; remove it and start again"));
  }
  return absl::OkStatus();
}

}  // namespace

bool InSystemFolder(const std::string& path) {
  for (const char* folder : kSystemFolders) {
    if (IsOrIsInside(path, folder)) return true;
  }
  return false;
}

bool IsWholeSharedFolder(const std::string& path) {
  const std::string p = WithoutTrailingSlashes(path);
  for (const char* folder : kWholeSharedFolders) {
    if (p == folder) return true;
  }
  return false;
}

absl::Status CheckAllowedTarget(const std::string& target,
                                const std::vector<std::string>& allowed) {
  if (allowed.empty()) return absl::OkStatus();
  const std::string real = RealPathOr(target);
  for (const std::string& a : allowed) {
    const std::string root = WithoutTrailingSlashes(RealPathOr(a));
    if (IsOrIsInside(real, root)) return absl::OkStatus();
  }
  return Refuse(target, absl::StrCat(" is outside the folders this agent may test (",
                                     absl::StrJoin(allowed, ", "), ")"));
}

CheckedTarget::CheckedTarget(std::string path, std::string real, UniqueFd fd)
    : path_(std::move(path)),
      real_(std::move(real)),
      fd_(std::make_shared<UniqueFd>(std::move(fd))) {}

absl::StatusOr<CheckedTarget> OpenTarget(const std::string& target, const TargetPolicy& policy) {
  // The words first, so a system folder is named as such even where it is missing.
  if (InSystemFolder(target)) {
    return Refuse(target, " is a system folder; test a media folder instead");
  }
  UniqueFd fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOTDIR) return Refuse(target, " is not a folder");
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: ", QuoteForError(target)), errno);
  }
  // Judged by what was opened: a link to / or into /usr is found out here.
  std::string real = PathOfFd(fd.get());
  if (real.empty()) real = RealPathOr(target);
  if (auto st = CheckPlace(target, real, policy); !st.ok()) return st;
  if (auto st = CheckOpenFolder(target, fd.get()); !st.ok()) return st;
  return CheckedTarget(target, std::move(real), std::move(fd));
}

absl::Status CheckTarget(const std::string& target, const TargetPolicy& policy) {
  return OpenTarget(target, policy).status();
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

namespace {

absl::Status SpaceFor(const std::string& target, const VolumeSpace& space, int file_count,
                      uint64_t file_size, uint64_t reserve_bytes) {
  const double need = static_cast<double>(file_count) * file_size + reserve_bytes;
  const double free_bytes = static_cast<double>(space.free_bytes);
  if (free_bytes >= need) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "target_dir: not enough free space on ", QuoteForError(target), ": need ", HumanBytes(need),
      " (", file_count, " files x ", HumanBytes(static_cast<double>(file_size)), " + ",
      HumanBytes(static_cast<double>(reserve_bytes)), " reserve), ", HumanBytes(free_bytes),
      " free"));
}

}  // namespace

absl::Status CheckFreeSpace(const std::string& target, int file_count, uint64_t file_size,
                            uint64_t reserve_bytes) {
  auto space = SpaceOf(target);
  if (!space.ok()) return absl::OkStatus();
  return SpaceFor(target, *space, file_count, file_size, reserve_bytes);
}

absl::Status CheckFreeSpace(const CheckedTarget& target, int file_count, uint64_t file_size,
                            uint64_t reserve_bytes) {
  struct statvfs vfs;
  if (::fstatvfs(target.fd(), &vfs) != 0) return absl::OkStatus();
  VolumeSpace space;
  space.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  space.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  return SpaceFor(target.path(), space, file_count, file_size, reserve_bytes);
}

TestArea::TestArea(std::string target, std::string run_id, std::shared_ptr<UniqueFd> target_fd,
                   std::shared_ptr<UniqueFd> dir_fd)
    : target_(std::move(target)),
      run_id_(std::move(run_id)),
      dir_(TestDirFor(target_, run_id_)),
      target_fd_(std::move(target_fd)),
      dir_fd_(std::move(dir_fd)) {}

namespace {

// <target>/.qdt-test/<run_id> through the target's descriptor; returns the
// run's folder opened (O_NOFOLLOW at every step).
absl::StatusOr<UniqueFd> MakeRunFolder(const std::string& target, int target_fd,
                                       const std::string& run_id) {
  const std::string base = absl::StrCat(target, "/", kAreaName);
  bool made_base = true;
  if (::mkdirat(target_fd, kAreaName, 0755) != 0) {
    if (errno != EEXIST) {
      return ErrnoError(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("target_dir: ", QuoteForError(target),
                                     " is not writable: cannot create ", QuoteForError(base)),
                        errno);
    }
    made_base = false;
  }
  UniqueFd base_fd = OpenSubfolder(target_fd, kAreaName);
  if (!base_fd) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target_dir: ", QuoteForError(base), " is not a folder this agent made (",
        errno == ELOOP || errno == ENOTDIR ? "a link or a file is in its place" : ErrnoText(errno),
        "); remove it and start again"));
  }
  if (::mkdirat(base_fd.get(), run_id.c_str(), 0755) != 0) {
    const int err = errno;
    if (made_base) ::unlinkat(target_fd, kAreaName, AT_REMOVEDIR);
    return ErrnoError(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat("target_dir: cannot create ", QuoteForError(TestDirFor(target, run_id))), err);
  }
  UniqueFd run_fd = OpenSubfolder(base_fd.get(), run_id.c_str());
  if (!run_fd) {
    const int err = errno;
    ::unlinkat(base_fd.get(), run_id.c_str(), AT_REMOVEDIR);
    if (made_base) ::unlinkat(target_fd, kAreaName, AT_REMOVEDIR);
    return ErrnoError(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat("target_dir: cannot open ", QuoteForError(TestDirFor(target, run_id))), err);
  }
  return run_fd;
}

// Removes the run's files by name through the target's descriptor.
void RemoveThrough(int target_fd, const std::string& target, const std::string& run_id,
                   const std::vector<std::string>& names) {
  UniqueFd base_fd = OpenSubfolder(target_fd, kAreaName);
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
  ::unlinkat(target_fd, kAreaName, AT_REMOVEDIR);
}

}  // namespace

absl::StatusOr<TestArea> TestArea::Create(const CheckedTarget& target, const std::string& run_id) {
  auto dir = MakeRunFolder(target.path(), target.fd(), run_id);
  if (!dir.ok()) return dir.status();
  // The descriptor is shared, not duplicated: the area keeps the checked folder.
  return TestArea(target.path(), run_id, target.shared_fd(),
                  std::make_shared<UniqueFd>(*std::move(dir)));
}

absl::StatusOr<TestArea> TestArea::Create(const std::string& target, const std::string& run_id) {
  auto fd = std::make_shared<UniqueFd>(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!*fd) {
    return ErrnoError(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("target_dir: ", QuoteForError(target)), errno);
  }
  auto dir = MakeRunFolder(target, fd->get(), run_id);
  if (!dir.ok()) return dir.status();
  return TestArea(target, run_id, std::move(fd), std::make_shared<UniqueFd>(*std::move(dir)));
}

void TestArea::RemoveFiles(const std::vector<std::string>& names) const {
  if (dir_fd_ != nullptr) dir_fd_->reset();  // nothing of the run may hold the volume
  if (target_fd_ != nullptr && *target_fd_) {
    RemoveThrough(target_fd_->get(), target_, run_id_, names);
    // The run's last use of the target: a descriptor kept open after it would
    // hold the volume busy (no umount, no eject of the show drive) until the
    // next run replaced this one.
    target_fd_->reset();
    return;
  }
  RemoveTestFiles(target_, run_id_, names);
}

void RemoveTestFiles(const std::string& target, const std::string& run_id,
                     const std::vector<std::string>& names) {
  UniqueFd target_fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target_fd) return;  // the volume is gone: nothing of ours can be removed
  RemoveThrough(target_fd.get(), target, run_id, names);
}

}  // namespace qdt::agent
