#include "common/errno_status.h"

#include <string.h>

#include "absl/strings/str_cat.h"

namespace qdt {
namespace {

// strerror_r comes in two shapes: XSI (returns int, fills buf) and GNU
// (returns the text, which may or may not be buf). Overloads pick the one
// this libc has.
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "unknown error";
}
[[maybe_unused]] const char* StrerrorResult(const char* text, const char*) { return text; }

}  // namespace

std::string ErrnoText(int err) {
  char buf[256] = {0};
  return StrerrorResult(::strerror_r(err, buf, sizeof(buf)), buf);
}

absl::Status ErrnoError(absl::StatusCode code, absl::string_view context, int err) {
  return absl::Status(code, absl::StrCat(context, ": ", ErrnoText(err)));
}

absl::Status ErrnoStatus(absl::string_view context, int err) {
  return ErrnoError(absl::ErrnoToStatusCode(err), context, err);
}

}  // namespace qdt
