// Keeps the test files out of the page cache before any timed phase, and
// proves it. fio's layout writes the stream files through the cache, and on
// macOS direct=1 only sets F_NOCACHE: XNU serves pages that are already cached
// first even then (bsd/vfs/vfs_cluster.c, cluster_read_direct: "First look for
// pages already in the cache and move them to user space"), and fio's
// invalidate=1 drops nothing there before fio 3.42 (its posix_fadvise is a
// stub returning 0; docs/MACOS.md has the sources). So after the layout every
// file is written out and evicted here, then checked with mincore(2).
//
// Linux: fdatasync, then posix_fadvise(POSIX_FADV_DONTNEED).
// macOS (compiled only on macOS): fcntl(F_FULLFSYNC), then msync(MS_INVALIDATE)
// over a mapping of the file — what fio 3.42 does (commit 41880b9b).
// Both: mincore(2) over a read-only mapping counts the resident pages.
//
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_RUN_PAGE_CACHE_H_
#define QDT_AGENT_RUN_PAGE_CACHE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/verdict.h"  // kMaxResidentFraction

namespace qdt::agent {

// Writes the file's data to the drive and drops its pages from the cache.
absl::Status EvictFromPageCache(const std::string& path);

struct Residency {
  uint64_t pages = 0;           // pages of the file
  uint64_t resident_pages = 0;  // of them in memory (mincore)
  double fraction() const { return pages == 0 ? 0 : static_cast<double>(resident_pages) / pages; }
};
absl::StatusOr<Residency> PageCacheResidency(const std::string& path);

struct EvictionResult {
  double max_resident_fraction = 0;  // the largest of any file
  std::string worst_file;
  // Empty when every file is out (at most kMaxResidentFraction resident); else
  // "\"<file>\" stays in memory after it was written out and evicted (37.0 %
  // of its pages resident): its reads would come from memory, not from the drive".
  std::string Problem() const;
};
// Evicts every file, then measures each. An error only when a file cannot be
// opened, written out or mapped (naming it).
absl::StatusOr<EvictionResult> EvictTestFiles(const std::vector<std::string>& paths);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_PAGE_CACHE_H_
