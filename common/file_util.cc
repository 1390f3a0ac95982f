#include "common/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/unique_fd.h"

namespace qdt {
namespace {

absl::Status CannotRead(const std::string& path, int err) {
  return ErrnoStatus(absl::StrCat("cannot read \"", path, "\""), err);
}

absl::Status WriteAll(int fd, const std::string& content, const std::string& path) {
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(absl::StrCat("cannot write \"", path, "\""), errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Reads from `fd` (already positioned) to the end, at most `limit` bytes; a
// file that grows past `limit` while read is cut there.
absl::StatusOr<std::string> ReadToEnd(int fd, size_t limit, const std::string& path) {
  std::string out;
  char buf[65536];
  while (out.size() < limit) {
    size_t want = std::min(sizeof(buf), limit - out.size());
    ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return CannotRead(path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::StatusOr<UniqueFd> OpenForReading(const std::string& path, struct stat* st) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return CannotRead(path, errno);
  if (::fstat(fd.get(), st) != 0) return CannotRead(path, errno);
  if (S_ISDIR(st->st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read \"", path, "\": it is a folder, not a file"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  struct stat st;
  auto fd = OpenForReading(path, &st);
  if (!fd.ok()) return fd.status();
  // Regular files say their size up front; sysfs/procfs files say 0 or 4096
  // and are read until the bound.
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot read \"", path, "\": it has ",
                                                     st.st_size, " bytes, more than the ",
                                                     max_bytes, " expected"));
  }
  auto text = ReadToEnd(fd->get(), max_bytes + 1, path);
  if (!text.ok()) return text.status();
  if (text->size() > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot read \"", path, "\": it has more than the ", max_bytes, " bytes expected"));
  }
  return text;
}

absl::StatusOr<std::string> ReadFileTail(const std::string& path, size_t max_tail_bytes) {
  struct stat st;
  auto fd = OpenForReading(path, &st);
  if (!fd.ok()) return fd.status();
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_tail_bytes) {
    if (::lseek(fd->get(), st.st_size - static_cast<off_t>(max_tail_bytes), SEEK_SET) < 0) {
      return CannotRead(path, errno);
    }
  }
  return ReadToEnd(fd->get(), max_tail_bytes, path);
}

absl::StatusOr<std::string> ReadFileTrimmed(const std::string& path, size_t max_bytes) {
  auto text = ReadFile(path, max_bytes);
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

absl::Status WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus(absl::StrCat("cannot create \"", path, "\""), errno);
  return WriteAll(fd.get(), content, path);
}

int SyncFileData(int fd) {
#if defined(__APPLE__)
  return ::fsync(fd);  // macOS has no fdatasync(2)
#else
  return ::fdatasync(fd);
#endif
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus(absl::StrCat("cannot create \"", tmp, "\""), errno);
  absl::Status st = WriteAll(fd.get(), content, tmp);
  if (st.ok() && SyncFileData(fd.get()) != 0) {
    st = ErrnoStatus(absl::StrCat("cannot write \"", tmp, "\" to disk"), errno);
  }
  fd.reset();
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(absl::StrCat("cannot rename \"", tmp, "\" to \"", path, "\""), err);
  }
  return absl::OkStatus();
}

}  // namespace qdt
