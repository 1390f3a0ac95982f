#include "agent/run/page_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/unique_fd.h"

namespace qdt::agent {
namespace {

absl::Status Fail(const std::string& what, const std::string& path, int err) {
  return ErrnoError(absl::StatusCode::kFailedPrecondition, absl::StrCat(what, " \"", path, "\""),
                    err);
}

// A read-only shared mapping of the whole file, unmapped on destruction.
class Mapping {
 public:
  Mapping(int fd, size_t size)
      : size_(size),
        addr_(size == 0 ? nullptr : ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0)) {}
  ~Mapping() {
    if (ok() && addr_ != nullptr) ::munmap(addr_, size_);
  }
  bool ok() const { return addr_ != MAP_FAILED; }
  void* addr() const { return addr_; }

 private:
  size_t size_;
  void* addr_;
};

absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, off_t* size) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return Fail("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Fail("cannot stat", path, errno);
  *size = st.st_size;
  return fd;
}

}  // namespace

absl::Status EvictFromPageCache(const std::string& path) {
  off_t size = 0;
  auto fd = Open(path, O_RDWR, &size);
  if (!fd.ok()) return fd.status();
#if defined(__APPLE__)
  // F_FULLFSYNC asks the drive to flush its own cache too (fsync(2) on macOS
  // does not); then MS_INVALIDATE drops the now clean pages.
  if (::fcntl(fd->get(), F_FULLFSYNC) != 0 && ::fsync(fd->get()) != 0) {
    return Fail("cannot write to disk", path, errno);
  }
  if (size > 0) {
    void* addr = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd->get(), 0);
    if (addr == MAP_FAILED) return Fail("cannot map", path, errno);
    const int rc = ::msync(addr, static_cast<size_t>(size), MS_INVALIDATE);
    const int err = errno;
    ::munmap(addr, static_cast<size_t>(size));
    if (rc != 0) return Fail("cannot drop the cached pages of", path, err);
  }
#else
  if (SyncFileData(fd->get()) != 0) return Fail("cannot write to disk", path, errno);
  if (const int rc = ::posix_fadvise(fd->get(), 0, 0, POSIX_FADV_DONTNEED); rc != 0) {
    return Fail("cannot drop the cached pages of", path, rc);
  }
#endif
  return absl::OkStatus();
}

absl::StatusOr<Residency> PageCacheResidency(const std::string& path) {
  off_t size = 0;
  auto fd = Open(path, O_RDONLY, &size);
  if (!fd.ok()) return fd.status();
  Residency r;
  if (size <= 0) return r;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  r.pages = (static_cast<uint64_t>(size) + page - 1) / page;
  Mapping map(fd->get(), static_cast<size_t>(size));
  if (!map.ok()) return Fail("cannot map", path, errno);
#if defined(__APPLE__)
  std::vector<char> vec(r.pages);
#else
  std::vector<unsigned char> vec(r.pages);
#endif
  if (::mincore(map.addr(), static_cast<size_t>(size), vec.data()) != 0) {
    return Fail("mincore", path, errno);
  }
  r.resident_pages = static_cast<uint64_t>(
      std::count_if(vec.begin(), vec.end(), [](auto v) { return (v & 1) != 0; }));
  return r;
}

absl::StatusOr<EvictionResult> EvictTestFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (auto st = EvictFromPageCache(path); !st.ok()) return st;
  }
  EvictionResult result;
  for (const std::string& path : paths) {
    auto r = PageCacheResidency(path);
    if (!r.ok()) return r.status();
    if (r->fraction() >= result.max_resident_fraction) {
      result.max_resident_fraction = r->fraction();
      result.worst_file = path;
    }
  }
  return result;
}

std::string EvictionResult::Problem() const {
  if (max_resident_fraction <= kMaxResidentFraction) return "";
  return absl::StrFormat(
      "\"%s\" stays in memory after it was written out and evicted (%.1f %% of its pages "
      "resident): its reads would come from memory, not from the drive",
      worst_file, 100 * max_resident_fraction);
}

}  // namespace qdt::agent
