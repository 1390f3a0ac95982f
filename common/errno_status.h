// errno → absl::Status, in one place. Every OS call that fails with errno
// becomes a Status whose message names what was being done and the system's
// words for the error: `cannot create "/x/.qdt-test": Permission denied`.
//
// Capture errno right after the failing call (`const int err = errno;`) when
// anything else runs before the Status is built: building the context string
// may allocate, and allocation may change errno.
//
// Thread-safe (strerror_r).
#ifndef QDT_COMMON_ERRNO_STATUS_H_
#define QDT_COMMON_ERRNO_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace qdt {

// The system's text for an errno value, e.g. "No such file or directory".
std::string ErrnoText(int err);

// `code` with the message "<context>: <ErrnoText(err)>".
absl::Status ErrnoError(absl::StatusCode code, absl::string_view context, int err);

// The same with the code that fits the errno value (ENOENT → NotFound, EACCES
// and EPERM → PermissionDenied, ENOSPC → ResourceExhausted, ...; see
// absl::ErrnoToStatusCode).
absl::Status ErrnoStatus(absl::string_view context, int err);

}  // namespace qdt

#endif  // QDT_COMMON_ERRNO_STATUS_H_
