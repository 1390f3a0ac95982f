// qdtctl: the agent's operations from a terminal, for scripts and for people
// without a display. The commands, their options and the help are in
// command_table.cc; this file parses the command line, handles Ctrl-C and
// runs the command. Exit codes: 0 = pass (the drive meets its targets, or the
// command succeeded), 1 = the drive fails its target, 2 = usage or connection
// error, 3 = the run did not finish (failed, stopped or interrupted).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include "console/qdtctl/command_table.h"

namespace {

// Ctrl-C presses: the first is left to the command (start --wait stops its
// run and prints how it ended), the second quits at once.
std::atomic<int> g_interrupts{0};

void OnInterrupt(int /*signal*/) {
  if (g_interrupts.fetch_add(1) >= 1) ::_exit(130);
}

}  // namespace

int main(int argc, char** argv) {
  using qdt::qdtctl::ParsedCommandLine;
  const qdt::qdtctl::CommandTable& table = qdt::qdtctl::QdtctlTable();
  const ParsedCommandLine parsed =
      qdt::qdtctl::ParseCommandLine(table, std::vector<std::string>(argv + 1, argv + argc));
  switch (parsed.action) {
    case ParsedCommandLine::Action::kHelp:
      std::cout << qdt::qdtctl::HelpText(table, parsed.help_topic);
      return qdt::qdtctl::kExitPass;
    case ParsedCommandLine::Action::kMissingCommand:
      std::cout << qdt::qdtctl::FullUsage(table);
      return qdt::qdtctl::kExitUsage;
    case ParsedCommandLine::Action::kUsageError:
      std::cerr << qdt::qdtctl::UsageErrorText(table, parsed.error, parsed.error_command);
      return qdt::qdtctl::kExitUsage;
    case ParsedCommandLine::Action::kRun:
      break;
  }
  // Offline commands keep the default (Ctrl-C ends them at once).
  if (parsed.command->needs_agent) {
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigaction(SIGINT, &sa, nullptr);
  }
  qdt::qdtctl::RunContext context;
  context.interrupts = &g_interrupts;
  return parsed.command->handler(parsed.args, context);
}
