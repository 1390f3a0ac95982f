#include "agent/probes/command_runner.h"

#include "common/subprocess.h"

namespace qdt::agent {

absl::StatusOr<CommandResult> SystemCommandRunner::Run(const std::vector<std::string>& argv,
                                                       absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("command: empty argv");
  SubprocessOptions options;
  options.argv = argv;
  options.search_path = true;
  // Tools run from whichever thread asks (the thermal monitor's, a gRPC
  // handler's), and that thread may end before the tool does: no death signal.
  options.die_with_parent = false;
  options.stderr_limit = 4u << 20;
  auto run = RunAndCapture(options, timeout);
  CommandResult r;
  if (!run.ok()) {
    if (!absl::IsNotFound(run.status())) return run.status();
    // As a shell says it: a missing tool is exit status 127, not an error to
    // start, so callers treat "not installed" like any other failing tool.
    r.exit_code = 127;
    r.err = std::string(run.status().message());
    return r;
  }
  r.exit_code = run->exit.exit_code;
  r.term_signal = run->exit.term_signal;
  r.timed_out = run->exit.timed_out;
  r.out = std::move(run->out);
  r.err = std::move(run->exit.stderr_text);
  return r;
}

}  // namespace qdt::agent
