#include "common/pem.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"

namespace qdt {

absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat(flag, ": ", text.status().message()));
  }
  if (text->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", path, "\" is not a PEM file (no -----BEGIN line)"));
  }
  return text;
}

}  // namespace qdt
