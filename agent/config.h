// The agent's config file: a JSON AgentConfig (proto/qdt/v1/agent.proto).
// Unknown fields are errors (a typo must not silently leave a default), and
// every error names the file, the field and the value.
#ifndef QDT_AGENT_CONFIG_H_
#define QDT_AGENT_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// Also refused: a path that is a folder, and default_file_size_bytes outside
// what StartRun accepts for a file size (run_plan.h kMinFileSize..kMaxFileSize:
// 1 MiB to 1 TiB), so a value that passes --check-config never fails a start.
absl::StatusOr<qdt::v1::AgentConfig> LoadAgentConfig(const std::string& path);

// The entries of allowed_target_dirs that are not existing folders now, each
// with why ("\"/Volumes/Show\": No such file or directory"). --check-config
// reports them as errors; a serving agent only warns and keeps them (a show
// drive may be plugged in after the agent started).
std::vector<std::string> MissingAllowedTargetDirs(const std::vector<std::string>& dirs);

}  // namespace qdt::agent

#endif  // QDT_AGENT_CONFIG_H_
