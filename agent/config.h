// The agent's config file: a JSON AgentConfig (proto/qdt/v1/agent.proto).
// Unknown fields are errors (a typo must not silently leave a default), and
// every error names the file, the field and the value.
#ifndef QDT_AGENT_CONFIG_H_
#define QDT_AGENT_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

absl::StatusOr<qdt::v1::AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace qdt::agent

#endif  // QDT_AGENT_CONFIG_H_
