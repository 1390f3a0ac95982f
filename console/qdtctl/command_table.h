// qdtctl's commands as data: for each command its name, usage, summary, the
// options it takes and the function that runs it. The command-line parser and
// the help text are both driven by this table, so an option cannot be
// documented without being accepted, or accepted without being documented.
//
// Parsing and help generation are pure (no I/O, no globals besides the
// constant table): the process-level work (printing, exiting, Ctrl-C) is in
// main.cc. Everything here is thread-safe.
#ifndef QDT_CONSOLE_QDTCTL_COMMAND_TABLE_H_
#define QDT_CONSOLE_QDTCTL_COMMAND_TABLE_H_

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qdt::qdtctl {

// qdtctl's exit codes; scripts (run.sh, bench/) and docs rely on them.
inline constexpr int kExitPass = 0;         // the drive meets its targets, or success
inline constexpr int kExitFailsTarget = 1;  // the drive fails its target
inline constexpr int kExitUsage = 2;        // usage or connection error
inline constexpr int kExitIncomplete = 3;   // the run did not finish

struct OptionSpec {
  std::string_view name;        // "--target"
  std::string_view value_name;  // "DIR"; empty for a switch (--wait)
  std::string_view help;        // '\n' starts a new line

  bool TakesValue() const { return !value_name.empty(); }
};

// A command line after parsing, as a handler reads it.
struct CommandArgs {
  // The words after the command's name ("watch RUN_ID": {"RUN_ID"}).
  std::vector<std::string> positional;
  // Every option in the order given, switches with "" as the value; a
  // repeatable option (--stream) appears once per use.
  std::vector<std::pair<std::string, std::string>> options;

  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // The value given last for `name` (the last one wins), or nullptr.
  const std::string* Find(std::string_view name) const;
  std::string Get(std::string_view name, std::string_view fallback) const;
};

// What main() gives a handler besides its arguments.
struct RunContext {
  // Ctrl-C presses so far, counted by main's SIGINT handler (installed for
  // the commands that talk to an agent). main() always sets it.
  const std::atomic<int>* interrupts = nullptr;
};

// Runs a command; returns the process's exit code.
using Handler = int (*)(const CommandArgs& args, const RunContext& context);

struct CommandSpec {
  std::string_view name;                // "start"; a group's command: "profile derive"
  std::vector<std::string_view> usage;  // synopsis after the name, one entry a line
  std::string_view summary;             // what it does, one sentence
  std::string_view details;             // more help, '\n' between lines; may be empty
  std::vector<OptionSpec> options;      // besides the global ones
  bool needs_agent = false;             // talks to an agent (Ctrl-C is counted, not fatal)
  Handler handler = nullptr;
};

struct CommandTable {
  std::string_view program;                // "qdtctl"
  std::string_view synopsis;               // the first line of the help, after "usage: "
  std::vector<CommandSpec> commands;       // in the order the help lists them
  std::vector<OptionSpec> global_options;  // accepted with every command
  std::string_view notes;                  // the help's last lines
};

// qdtctl's own table: every command it has.
const CommandTable& QdtctlTable();

struct ParsedCommandLine {
  enum class Action {
    kRun,             // run `command` with `args`
    kHelp,            // print HelpText(table, help_topic), exit 0
    kMissingCommand,  // no command at all: print the full help, exit 2
    kUsageError,      // print UsageErrorText(error, error_command), exit 2
  };
  Action action = Action::kUsageError;
  const CommandSpec* command = nullptr;  // kRun
  CommandArgs args;                      // kRun
  std::string help_topic;                // kHelp: "" (everything), a command or a group
  std::string error;                     // kUsageError: what is wrong
  std::string error_command;             // kUsageError: the command whose help to point at
};

// Parses `args` (argv without the program name). Options may come before or
// after the command, in "--name value" or "--name=value" form; "-h" and
// "--help" ask for help (of the command when one is named). "help [COMMAND]"
// is help too. An option that the command does not take, a switch given a
// value and a value option without one are usage errors naming the option
// and the command.
ParsedCommandLine ParseCommandLine(const CommandTable& table, const std::vector<std::string>& args);

// The whole help: synopsis, every command with its synopsis and description,
// the global options and the notes.
std::string FullUsage(const CommandTable& table);

// One command's help: its synopsis, description and every option it takes.
std::string CommandUsage(const CommandTable& table, const CommandSpec& command);

// FullUsage for "", the command's usage for a command's name, the usage of
// each of a group's commands for a group ("profile").
std::string HelpText(const CommandTable& table, std::string_view topic);

// What to print on stderr for a usage error: "qdtctl: <error>" and where to
// find help, the command's own when `command` is not empty.
std::string UsageErrorText(const CommandTable& table, std::string_view error,
                           std::string_view command);

}  // namespace qdt::qdtctl

#endif  // QDT_CONSOLE_QDTCTL_COMMAND_TABLE_H_
