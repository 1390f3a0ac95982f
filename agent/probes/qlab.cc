#include "agent/probes/qlab.h"

#include "common/logging.h"

namespace qdt::agent {

bool QlabRunning(CommandRunner* commands) {
  if (commands == nullptr) return false;
  // pgrep is on macOS and Linux; "-x" matches the process name exactly.
  auto r = commands->Run({"pgrep", "-x", "QLab"}, absl::Seconds(2));
  if (!r.ok() || r->timed_out || r->exit_code > 1) {
    QDT_LOG(Warning) << "cannot tell whether QLab is running (pgrep failed)";
    return false;
  }
  return r->exit_code == 0;
}

}  // namespace qdt::agent
