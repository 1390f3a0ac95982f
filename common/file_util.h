// Whole-file reads and writes, bounded and with errors that name the path.
// Used for small files only: configs, tokens, run records, sysfs/procfs
// entries, fio's job files. Large reads take a bound, so a file planted by
// someone else cannot make the agent allocate without limit.
//
// Thread-safe (no shared state).
#ifndef QDT_COMMON_FILE_UTIL_H_
#define QDT_COMMON_FILE_UTIL_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qdt {

inline constexpr size_t kDefaultMaxFileBytes = 64u << 20;

// The whole file. Errors say `cannot read "<path>": <why>`: NotFound when it
// does not exist, FailedPrecondition for a folder, ResourceExhausted when it
// is larger than `max_bytes`, the errno's code otherwise.
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     size_t max_bytes = kDefaultMaxFileBytes);

// At most the last `max_tail_bytes` of the file (all of it when it is shorter).
absl::StatusOr<std::string> ReadFileTail(const std::string& path, size_t max_tail_bytes);

// The file with surrounding whitespace removed (sysfs attributes, tokens).
absl::StatusOr<std::string> ReadFileTrimmed(const std::string& path,
                                            size_t max_bytes = kDefaultMaxFileBytes);

// Replaces the file's content (created with `mode` when missing). Not atomic:
// for files nobody reads while they are written (job files, pid files).
absl::Status WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644);

// Writes `content` to "<path>.tmp", syncs it and renames it over `path`, so a
// reader (or a crash) never sees a half-written file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content,
                                 mode_t mode = 0644);

// fdatasync where the system has it, fsync elsewhere (macOS). Returns the
// call's result (0 or -1 with errno).
int SyncFileData(int fd);

}  // namespace qdt

#endif  // QDT_COMMON_FILE_UTIL_H_
