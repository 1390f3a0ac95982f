#include "agent/config.h"

#include <errno.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/run/run_plan.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/proto_json.h"
#include "common/quote.h"

namespace qdt::agent {

absl::StatusOr<qdt::v1::AgentConfig> LoadAgentConfig(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("--config: empty path; give the config file");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config: ", QuoteForError(path),
                     " is a folder; give the config file itself "
                     "(a JSON AgentConfig, e.g. /etc/qdt/agent.json)"));
  }
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("--config: ", text.status().message()));
  }
  qdt::v1::AgentConfig config;
  // Unknown fields are refused: a typo must not silently leave a default.
  if (auto st = ProtoFromJson(*text, &config, absl::StrCat("config \"", path, "\"")); !st.ok()) {
    return st;
  }
  if (!config.listen().empty() && config.listen().find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("config \"", path, "\": listen: \"", config.listen(), "\" is not HOST:PORT"));
  }
  for (int i = 0; i < config.allowed_target_dirs_size(); ++i) {
    const std::string& d = config.allowed_target_dirs(i);
    if (d.empty() || d[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("config \"", path, "\": allowed_target_dirs[",
                                                     i, "]: \"", d, "\" is not an absolute path"));
    }
  }
  // 0 = the built-in default; anything else must be a size StartRun takes.
  const uint64_t size = config.default_file_size_bytes();
  if (size != 0 && (size < kMinFileSize || size > kMaxFileSize)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "config \"%s\": default_file_size_bytes: %d is out of range (%d bytes = 1 MiB to %d "
        "bytes = 1 TiB)",
        path, size, kMinFileSize, kMaxFileSize));
  }
  if (config.tls_cert_file().empty() != config.tls_key_file().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config \"", path, "\": tls_cert_file and tls_key_file go together (one is empty)"));
  }
  return config;
}

std::vector<std::string> MissingAllowedTargetDirs(const std::vector<std::string>& dirs) {
  std::vector<std::string> missing;
  for (const std::string& d : dirs) {
    struct stat st;
    if (::stat(d.c_str(), &st) != 0) {
      const int err = errno;
      missing.push_back(absl::StrCat(QuoteForError(d), ": ", ErrnoText(err)));
    } else if (!S_ISDIR(st.st_mode)) {
      missing.push_back(absl::StrCat(QuoteForError(d), ": not a folder"));
    }
  }
  return missing;
}

}  // namespace qdt::agent
