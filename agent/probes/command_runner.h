// CommandRunner: the one way the agent runs an external tool (powermetrics,
// pmset, smartctl, diskutil, ...). Probes take it in their constructor, so
// tests hand them a fake that replays captured output (the KDE plasma-disks
// pattern), and process-level tests put fake tools first on PATH.
//
// Thread-safety: implementations are safe to call from several threads.
#ifndef QDT_AGENT_PROBES_COMMAND_RUNNER_H_
#define QDT_AGENT_PROBES_COMMAND_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace qdt::agent {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int term_signal = 0;
  bool timed_out = false;
  std::string out, err;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv (argv[0] found on PATH unless absolute) and waits at most
  // `timeout`; then SIGKILL and timed_out. An error only when it cannot start.
  virtual absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                            absl::Duration timeout) = 0;
};

// Runs the tool as a Subprocess (common/subprocess.h), found on $PATH; stdout
// and stderr kept apart. A tool that is not on PATH answers exit status 127.
class SystemCommandRunner : public CommandRunner {
 public:
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                    absl::Duration timeout) override;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_COMMAND_RUNNER_H_
