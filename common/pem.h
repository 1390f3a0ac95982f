// Reading PEM files (TLS certificates, keys, CAs) named by a flag.
#ifndef QDT_COMMON_PEM_H_
#define QDT_COMMON_PEM_H_

#include <string>

#include "absl/status/statusor.h"

namespace qdt {

// The text of a PEM file; the error names the flag and the path ("--ca:
// cannot read \"/x\"", "... is not a PEM file (no -----BEGIN line)").
absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path);

}  // namespace qdt

#endif  // QDT_COMMON_PEM_H_
