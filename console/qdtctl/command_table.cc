#include "console/qdtctl/command_table.h"

#include <algorithm>
#include <cstddef>

#include "console/qdtctl/commands.h"

namespace qdt::qdtctl {
namespace {

// Help lines stay within this many columns (wider lines are wrapped).
constexpr size_t kHelpWidth = 100;
// Where the descriptions start in the command list of the full help.
constexpr size_t kCommandColumn = 31;

// --help is accepted everywhere without being listed with each command.
constexpr OptionSpec kHelpOption = {"--help", "", "this help"};

// What the agent and its machine are.
std::vector<CommandSpec> InspectionCommands() {
  return {
      {"info",
       {},
       "the agent: host, OS, fio version, clock, active run",
       "",
       {},
       /*needs_agent=*/true,
       &RunInfo},
      {"volumes",
       {},
       "testable volumes: device, drive, protocol, SSD, free/total space, model and serial",
       "",
       {},
       /*needs_agent=*/true,
       &RunVolumes},
      {"telemetry",
       {"[--count N]"},
       "drive temperature and thermal pressure once a second",
       "(N readings, default 5; 0 = until Ctrl-C)",
       {{"--count", "N", "readings to print (default 5; 0 = until Ctrl-C)"}},
       /*needs_agent=*/true,
       &RunTelemetry},
  };
}

// Profiles, cue stacks and fio output, without an agent.
std::vector<CommandSpec> OfflineCommands() {
  return {
      {"profiles",
       {},
       "built-in profiles and their phases (no agent needed)",
       "",
       {},
       /*needs_agent=*/false,
       &RunProfiles},
      {"profile derive",
       {"[--stream KIND[xN] ...] [--hold KIND[xN] ...] [--safety 1.6]",
        "[--phase-seconds 10] [--name NAME] [--out FILE.json]"},
       "targets and a runnable profile from your cue stack",
       "KIND: a table entry (\"ProRes 422 HQ UHD 29.97\") or \"440MB/s@59.94\";\n"
       "--hold: a stream that plays through crossfades (read once);\n"
       "no --stream = the request's 1 x 4K (440) + 3 x HD (72)",
       {{"--stream", "KIND[xN]",
         "N streams of KIND in the cue stack (repeat for more kinds); KIND is an entry of "
         "qdtctl streams or \"440MB/s@59.94\""},
        {"--hold", "KIND[xN]", "like --stream, for streams that play through crossfades"},
        {"--safety", "X", "safety factor on the targets (default 1.6)"},
        {"--phase-seconds", "S", "length of each phase of the profile (default 10)"},
        {"--name", "NAME", "the profile's name (default my-cue-stack)"},
        {"--out", "FILE.json", "write the profile to FILE.json instead of printing it"}},
       /*needs_agent=*/false,
       &RunProfileDerive},
      {"streams",
       {},
       "the stream table (MB/s per stream)",
       "",
       {},
       /*needs_agent=*/false,
       &RunStreams},
      {"analyze",
       {"FILE [--profile NAME | --profile-file F] [--json]"},
       "judge existing fio JSON output offline (no agent needed)",
       "",
       {{"--profile", "NAME", "built-in profile to judge against (default setup-check)"},
        {"--profile-file", "F", "profile file to judge against (e.g. from qdtctl profile derive)"},
        {"--json", "", "print the verdict as JSON"}},
       /*needs_agent=*/false,
       &RunAnalyze},
  };
}

// Runs on the agent.
std::vector<CommandSpec> RunCommands() {
  return {
      {"start",
       {"--target DIR [--profile NAME | --profile-file FILE.json] [--time-scale X]",
        "[--file-size SIZE] [--start-in SECONDS | --start-at RFC3339] [--force] [--wait]",
        "[--lines]"},
       "start a run; with --wait, follow it to the verdict (Ctrl-C stops the run): one live "
       "status line on a terminal, a line per second elsewhere or with --lines",
       "",
       {{"--target", "DIR", "folder on the drive under test (required)"},
        {"--profile", "NAME", "built-in profile to run (default setup-check; see qdtctl profiles)"},
        {"--profile-file", "FILE.json", "profile to run from a file (qdtctl profile derive)"},
        {"--time-scale", "X", "multiply every duration by X (0 < X <= 1), for rehearsals"},
        {"--file-size", "SIZE", "size of each stream's file, e.g. 256M, 1G (default 1G)"},
        {"--start-in", "SECONDS", "start the phases that many seconds from now"},
        {"--start-at", "RFC3339", "start the phases at that time (synchronised fleet start)"},
        {"--force", "", "start even when a show-safety interlock (QLab running) would refuse"},
        {"--wait", "", "follow the run to its verdict; Ctrl-C stops the run"},
        {"--lines", "",
         "with --wait: a line per second, also on a terminal (default there: one status line)"}},
       /*needs_agent=*/true,
       &RunStart},
      {"watch",
       {"RUN_ID [--from-seq N] [--lines]"},
       "follow a run's events (reconnects and resumes on its own); on a terminal the samples "
       "keep one live status line",
       "",
       {{"--from-seq", "N", "first event to show (default 1)"},
        {"--lines", "", "a line per sample, also on a terminal"}},
       /*needs_agent=*/true,
       &RunWatch},
      {"stop", {"RUN_ID"}, "stop a run", "", {}, /*needs_agent=*/true, &RunStop},
      {"runs",
       {"[--limit N]"},
       "runs on the agent, newest first",
       "",
       {{"--limit", "N", "show at most N runs"}},
       /*needs_agent=*/true,
       &RunRuns},
      {"get",
       {"RUN_ID [--json]"},
       "everything about a run: verdict, fio commands and files",
       "",
       {{"--json", "", "the whole run record as JSON (every event)"}},
       /*needs_agent=*/true,
       &RunGet},
  };
}

// The table; each entry is {name, usage, summary, details, options,
// needs_agent, handler}. Option names must mean the same (value or switch)
// in every command that has them: the parser relies on it to find the
// command word when options come first (command_table_test checks it).
CommandTable* MakeQdtctlTable() {
  auto* t = new CommandTable;
  t->program = "qdtctl";
  t->synopsis = "qdtctl [--agent HOST:PORT] [--token-file FILE | --token TOKEN] COMMAND [options]";
  for (const std::vector<CommandSpec>& part :
       {InspectionCommands(), OfflineCommands(), RunCommands()}) {
    t->commands.insert(t->commands.end(), part.begin(), part.end());
  }
  t->global_options = {
      {"--agent", "HOST:PORT", "agent address (default 127.0.0.1:50551, or $QDT_AGENT)"},
      {"--token-file", "FILE", "file holding the rig token (default $QDT_TOKEN_FILE)"},
      {"--token", "TOKEN", "the rig token itself"},
      {"--ca", "FILE",
       "CA certificate (PEM) of an agent that serves TLS: connect with TLS and check\n"
       "the agent's certificate against it (the token is sent on top)"},
      {"--tls-name", "NAME",
       "the name the agent's certificate must carry, when it differs from the\n"
       "host in --agent (an agent reached by IP)"},
  };
  t->notes =
      "SIZE takes a suffix K, M, G (binary: 64M = 64 MiB). Exit codes: 0 pass, 1 the drive\n"
      "fails its target, 2 usage or connection error, 3 the run did not finish.\n"
      "qdtctl help COMMAND (or qdtctl COMMAND --help) shows a command's options.";
  return t;
}

// ---- Parsing ----

bool IsOptionWord(const std::string& arg) { return arg.rfind("--", 0) == 0; }
bool IsHelpWord(const std::string& arg) { return arg == "-h" || arg == "--help"; }

const OptionSpec* FindIn(const std::vector<OptionSpec>& options, std::string_view name) {
  for (const OptionSpec& o : options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

// The option as `command` takes it: its own, a global one, or --help.
const OptionSpec* FindOption(const CommandTable& table, const CommandSpec& command,
                             std::string_view name) {
  if (const OptionSpec* o = FindIn(command.options, name)) return o;
  if (const OptionSpec* o = FindIn(table.global_options, name)) return o;
  return name == kHelpOption.name ? &kHelpOption : nullptr;
}

// The option as any command takes it (they all agree on whether it has a value).
const OptionSpec* FindOptionAnywhere(const CommandTable& table, std::string_view name) {
  for (const CommandSpec& c : table.commands) {
    if (const OptionSpec* o = FindIn(c.options, name)) return o;
  }
  if (const OptionSpec* o = FindIn(table.global_options, name)) return o;
  return name == kHelpOption.name ? &kHelpOption : nullptr;
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// The command whose name starts `words` (the longest such name); *used is
// the number of words the name takes.
const CommandSpec* MatchCommand(const CommandTable& table, const std::vector<std::string>& words,
                                size_t* used) {
  const CommandSpec* best = nullptr;
  *used = 0;
  for (const CommandSpec& c : table.commands) {
    std::vector<std::string_view> parts = SplitWords(c.name);
    if (parts.size() > words.size() || parts.size() <= *used) continue;
    if (std::equal(parts.begin(), parts.end(), words.begin())) {
      best = &c;
      *used = parts.size();
    }
  }
  return best;
}

// The second words of the commands in `group` ("profile" -> {"derive"}).
std::vector<std::string_view> Subcommands(const CommandTable& table, std::string_view group) {
  std::vector<std::string_view> subs;
  for (const CommandSpec& c : table.commands) {
    std::vector<std::string_view> parts = SplitWords(c.name);
    if (parts.size() > 1 && parts[0] == group) subs.push_back(parts[1]);
  }
  return subs;
}

// What pass one finds: the words that are not options or their values.
struct Scan {
  std::vector<std::string> words;
  bool help = false;
  std::string unknown_option;  // the first option that no command takes
};

// Pass one: finds the command's words before the command is known, using
// the union of all commands' options to know which options have a value.
Scan ScanWords(const CommandTable& table, const std::vector<std::string>& args) {
  Scan scan;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelpWord(arg)) {
      scan.help = true;
    } else if (!IsOptionWord(arg)) {
      scan.words.push_back(arg);
    } else {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      const OptionSpec* option = FindOptionAnywhere(table, name);
      if (option == nullptr && scan.unknown_option.empty()) scan.unknown_option = name;
      if (eq != std::string::npos) continue;
      // An unknown option is taken to have a value unless the next word is
      // an option, so that "--colour red start" is reported as start's
      // unknown option (not as command "red") and "--colour --help" is help.
      const bool next_is_option = i + 1 < args.size() && args[i + 1].rfind('-', 0) == 0;
      if (option != nullptr ? option->TakesValue() : !next_is_option) ++i;
    }
  }
  return scan;
}

// Pass two: reads every option as `command` takes it and the other words.
// Returns the problem ("" when none), without the command's name.
std::string ReadOptions(const CommandTable& table, const CommandSpec& command,
                        const std::vector<std::string>& args, CommandArgs* out,
                        std::vector<std::string>* words) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelpWord(arg)) continue;  // ParseCommandLine answered help before
    if (!IsOptionWord(arg)) {
      words->push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const OptionSpec* option = FindOption(table, command, name);
    if (option == nullptr) return "unknown option \"" + name + "\"";
    std::string value;
    if (!option->TakesValue()) {
      if (eq != std::string::npos) {
        return "option \"" + name + "\" is a switch and takes no value (got \"" + arg + "\")";
      }
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return "option \"" + name + "\" needs a value (" + name + " " +
             std::string(option->value_name) + ")";
    }
    out->options.emplace_back(name, std::move(value));
  }
  return "";
}

ParsedCommandLine Help(std::string topic) {
  ParsedCommandLine result;
  result.action = ParsedCommandLine::Action::kHelp;
  result.help_topic = std::move(topic);
  return result;
}

ParsedCommandLine Problem(std::string error, std::string_view command) {
  ParsedCommandLine result;
  result.action = ParsedCommandLine::Action::kUsageError;
  result.error_command = std::string(command);
  result.error = command.empty() ? std::move(error) : result.error_command + ": " + error;
  return result;
}

// No command is named exactly by the words: a group without (or with a
// wrong) subcommand, or an unknown command.
ParsedCommandLine NotACommand(const CommandTable& table, const std::vector<std::string>& words,
                              bool help) {
  const std::vector<std::string_view> subs = Subcommands(table, words[0]);
  if (subs.empty()) return Problem("unknown command \"" + words[0] + "\"", "");
  if (help) return Help(words[0]);
  std::string list;
  for (std::string_view s : subs) {
    if (!list.empty()) list += ", ";
    list += "\"" + std::string(s) + "\"";
  }
  return Problem(words[0] + ": the subcommand is " + (subs.size() > 1 ? "one of " : "") + list, "");
}

// "help [COMMAND]": the topic is the command's (or the group's) name.
ParsedCommandLine HelpFor(const CommandTable& table, std::vector<std::string> topic) {
  if (topic.empty()) return Help("");
  size_t used = 0;
  if (const CommandSpec* c = MatchCommand(table, topic, &used)) return Help(std::string(c->name));
  return NotACommand(table, topic, /*help=*/true);
}

// ---- Help text ----

std::string Spaces(size_t n) { return std::string(n, ' '); }

// `text` as lines of at most `width` columns: split at '\n', then wrapped
// at spaces (a word longer than `width` gets a line of its own).
std::vector<std::string> WrapLines(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string line;
    for (std::string_view word : SplitWords(text.substr(start, end - start))) {
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        lines.push_back(std::move(line));
        line.clear();
      }
      if (!line.empty()) line += ' ';
      line += word;
    }
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// A two-column entry: `head` lines on the left, `text` from `column` on. The
// text starts beside a one-line head when the head leaves two spaces.
void AppendEntry(const std::vector<std::string>& head, size_t column, std::string_view text,
                 std::string* out) {
  const std::vector<std::string> lines = WrapLines(text, kHelpWidth - column);
  size_t next = 0;
  if (head.size() == 1 && head[0].size() + 2 <= column && !lines.empty()) {
    *out += head[0] + Spaces(column - head[0].size()) + lines[next++] + "\n";
  } else {
    for (const std::string& h : head) *out += h + "\n";
  }
  for (; next < lines.size(); ++next) *out += Spaces(column) + lines[next] + "\n";
}

std::string OptionHead(const OptionSpec& option, bool with_value) {
  std::string head(option.name);
  if (with_value && option.TakesValue()) head += " " + std::string(option.value_name);
  return head;
}

void AppendOptions(const std::vector<OptionSpec>& options, bool with_values, std::string* out) {
  size_t widest = 0;
  for (const OptionSpec& o : options) widest = std::max(widest, OptionHead(o, with_values).size());
  for (const OptionSpec& o : options) {
    AppendEntry({"  " + OptionHead(o, with_values)}, 2 + widest + 2, o.help, out);
  }
}

// "start --target DIR ...": the name, then the synopsis lines aligned after it.
std::vector<std::string> SynopsisLines(const CommandSpec& command, size_t indent) {
  std::string first = Spaces(indent) + std::string(command.name);
  if (command.usage.empty()) return {first};
  std::vector<std::string> lines = {(first + " ").append(command.usage[0])};
  for (size_t i = 1; i < command.usage.size(); ++i) {
    lines.push_back(Spaces(indent + command.name.size() + 1).append(command.usage[i]));
  }
  return lines;
}

std::string Description(const CommandSpec& command) {
  std::string text(command.summary);
  if (!command.details.empty()) text += "\n" + std::string(command.details);
  return text;
}

}  // namespace

const std::string* CommandArgs::Find(std::string_view name) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

std::string CommandArgs::Get(std::string_view name, std::string_view fallback) const {
  const std::string* value = Find(name);
  return value != nullptr ? *value : std::string(fallback);
}

const CommandTable& QdtctlTable() {
  static const CommandTable* table = MakeQdtctlTable();
  return *table;
}

ParsedCommandLine ParseCommandLine(const CommandTable& table,
                                   const std::vector<std::string>& args) {
  const Scan scan = ScanWords(table, args);
  if (scan.words.empty()) {
    if (scan.help) return Help("");
    if (!scan.unknown_option.empty()) {
      return Problem("unknown option \"" + scan.unknown_option + "\"", "");
    }
    ParsedCommandLine result;
    result.action = ParsedCommandLine::Action::kMissingCommand;
    return result;
  }
  if (scan.words[0] == "help") {
    return HelpFor(table, std::vector<std::string>(scan.words.begin() + 1, scan.words.end()));
  }
  size_t used = 0;
  const CommandSpec* command = MatchCommand(table, scan.words, &used);
  if (command == nullptr) return NotACommand(table, scan.words, scan.help);
  if (scan.help) return Help(std::string(command->name));

  ParsedCommandLine result;
  std::vector<std::string> words;
  std::string problem = ReadOptions(table, *command, args, &result.args, &words);
  if (!problem.empty()) return Problem(std::move(problem), command->name);
  result.action = ParsedCommandLine::Action::kRun;
  result.command = command;
  result.args.positional.assign(words.begin() + static_cast<std::ptrdiff_t>(used), words.end());
  return result;
}

std::string FullUsage(const CommandTable& table) {
  std::string out = "usage: " + std::string(table.synopsis) + "\n\ncommands:\n";
  for (const CommandSpec& c : table.commands) {
    AppendEntry(SynopsisLines(c, 2), kCommandColumn, Description(c), &out);
  }
  out += "\noptions:\n";
  AppendOptions(table.global_options, /*with_values=*/false, &out);
  for (const std::string& line : WrapLines(table.notes, kHelpWidth)) out += line + "\n";
  return out;
}

std::string CommandUsage(const CommandTable& table, const CommandSpec& command) {
  const std::string prefix = "usage: " + std::string(table.program) + " ";
  std::vector<std::string> synopsis = SynopsisLines(command, prefix.size());
  synopsis[0].replace(0, prefix.size(), prefix);
  std::string out;
  for (const std::string& line : synopsis) out += line + "\n";
  out += "\n";
  for (const std::string& line : WrapLines(Description(command), kHelpWidth)) out += line + "\n";
  if (!command.options.empty()) {
    out += "\noptions:\n";
    AppendOptions(command.options, /*with_values=*/true, &out);
  }
  if (command.needs_agent) {
    out += "\nagent options (before or after the command):\n";
    AppendOptions(table.global_options, /*with_values=*/true, &out);
  }
  return out;
}

std::string HelpText(const CommandTable& table, std::string_view topic) {
  if (topic.empty()) return FullUsage(table);
  std::string out;
  for (const CommandSpec& c : table.commands) {
    if (c.name != topic && SplitWords(c.name)[0] != topic) continue;
    if (!out.empty()) out += "\n";
    out += CommandUsage(table, c);
  }
  return out.empty() ? FullUsage(table) : out;
}

std::string UsageErrorText(const CommandTable& table, std::string_view error,
                           std::string_view command) {
  const std::string program(table.program);
  const std::string text = program + ": " + std::string(error);
  if (command.empty()) return text + "\n(" + program + " help shows the commands and options)\n";
  return text + " (" + program + " help " + std::string(command) + " shows its options)\n";
}

}  // namespace qdt::qdtctl
