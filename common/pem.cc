#include "common/pem.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace qdt {

absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read \"", path, "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", path, "\" is not a PEM file (no -----BEGIN line)"));
  }
  return ss.str();
}

}  // namespace qdt
