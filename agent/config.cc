#include "agent/config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/proto_json.h"

namespace qdt::agent {

absl::StatusOr<qdt::v1::AgentConfig> LoadAgentConfig(const std::string& path) {
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
  if (config.tls_cert_file().empty() != config.tls_key_file().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config \"", path, "\": tls_cert_file and tls_key_file go together (one is empty)"));
  }
  return config;
}

}  // namespace qdt::agent
