// qdtctl's command table: the parser (options per command, values, switches,
// help, positional words) and the help generated from the table.
#include "console/qdtctl/command_table.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::qdtctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;
using Action = ParsedCommandLine::Action;

ParsedCommandLine Parse(const std::vector<std::string>& args) {
  return ParseCommandLine(QdtctlTable(), args);
}

const CommandSpec& Command(std::string_view name) {
  for (const CommandSpec& c : QdtctlTable().commands) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no command " << name;
  return QdtctlTable().commands.front();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

int Handler1(const CommandArgs&, const RunContext&) { return 41; }

// A small table whose help can be checked line by line.
CommandTable FakeTable() {
  CommandTable t;
  t.program = "tool";
  t.synopsis = "tool [--host H] COMMAND";
  t.commands = {
      {"go",
       {"[--fast] [--level N]"},
       "go somewhere",
       "",
       {{"--fast", "", "quickly"}, {"--level", "N", "how far"}},
       false,
       &Handler1},
      {"grp a", {}, "first of the group", "", {}, false, &Handler1},
      {"grp b",
       {"--very-long-option-name VALUE [--another-long-option-name VALUE]",
        "[--third-option VALUE]"},
       "second of the group",
       "more words\nand a line",
       {{"--very-long-option-name", "VALUE", "one"},
        {"--another-long-option-name", "VALUE", "two"},
        {"--third-option", "VALUE", "three"}},
       true,
       &Handler1},
  };
  t.global_options = {{"--host", "H", "where\nto go"}};
  t.notes = "a note";
  return t;
}

// ---- The table itself ----

TEST(QdtctlTableTest, HasEveryCommandOnceWithAHandlerAndASummary) {
  std::vector<std::string> names;
  for (const CommandSpec& c : QdtctlTable().commands) {
    names.emplace_back(c.name);
    EXPECT_NE(c.handler, nullptr) << c.name;
    EXPECT_FALSE(c.summary.empty()) << c.name;
  }
  EXPECT_THAT(names, ElementsAre("info", "volumes", "telemetry", "profiles", "profile derive",
                                 "streams", "analyze", "start", "watch", "stop", "runs", "get"));
  EXPECT_FALSE(Command("profiles").needs_agent);
  EXPECT_FALSE(Command("analyze").needs_agent);
  EXPECT_TRUE(Command("start").needs_agent);
  EXPECT_TRUE(Command("watch").needs_agent);
}

// The parser finds the command word before it knows the command, so an
// option must take a value in every command or in none.
TEST(QdtctlTableTest, AnOptionTakesAValueEverywhereOrNowhere) {
  const CommandTable& t = QdtctlTable();
  std::map<std::string, bool> takes_value;
  std::set<std::string> globals;
  for (const OptionSpec& o : t.global_options) {
    EXPECT_TRUE(globals.emplace(o.name).second) << "global " << o.name << " twice";
    takes_value[std::string(o.name)] = o.TakesValue();
  }
  for (const CommandSpec& c : t.commands) {
    std::set<std::string> seen;
    for (const OptionSpec& o : c.options) {
      const std::string name(o.name);
      EXPECT_THAT(name, StartsWith("--"));
      EXPECT_FALSE(o.help.empty()) << c.name << " " << name;
      EXPECT_TRUE(seen.insert(name).second) << c.name << " has " << name << " twice";
      EXPECT_EQ(globals.count(name), 0u) << c.name << " shadows the global " << name;
      auto [it, inserted] = takes_value.emplace(name, o.TakesValue());
      EXPECT_TRUE(inserted || it->second == o.TakesValue()) << name << " in " << c.name;
    }
  }
  EXPECT_FALSE(takes_value.at("--wait"));
  EXPECT_FALSE(takes_value.at("--json"));
  EXPECT_TRUE(takes_value.at("--profile"));
}

// ---- Parsing ----

TEST(QdtctlParseTest, RunsTheCommandWithItsPositionalWordsAndOptions) {
  ParsedCommandLine p = Parse({"watch", "RUN1", "--from-seq", "3"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.command->name, "watch");
  EXPECT_THAT(p.args.positional, ElementsAre("RUN1"));
  EXPECT_EQ(p.args.Get("--from-seq", "1"), "3");
  EXPECT_FALSE(p.args.Has("--json"));

  p = Parse({"analyze", "out.json", "--json", "--profile", "show-pattern"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_THAT(p.args.positional, ElementsAre("out.json"));
  EXPECT_TRUE(p.args.Has("--json"));
  EXPECT_EQ(p.args.Get("--profile", "setup-check"), "show-pattern");
  EXPECT_EQ(p.args.Get("--profile-file", "none"), "none");
}

TEST(QdtctlParseTest, GlobalOptionsGoBeforeOrAfterTheCommand) {
  ParsedCommandLine p = Parse({"--agent", "h:1", "--token", "t", "get", "ID", "--json"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.command->name, "get");
  EXPECT_THAT(p.args.positional, ElementsAre("ID"));
  EXPECT_EQ(p.args.Get("--agent", ""), "h:1");
  EXPECT_EQ(p.args.Get("--token", ""), "t");

  // The value of a leading option is not taken for the command.
  p = Parse({"--agent", "start", "info", "--ca", "ca.pem"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.command->name, "info");
  EXPECT_EQ(p.args.Get("--agent", ""), "start");
  EXPECT_EQ(p.args.Get("--ca", ""), "ca.pem");

  // Offline commands accept (and ignore) them too.
  p = Parse({"profiles", "--agent", "h:1"});
  EXPECT_EQ(p.action, Action::kRun) << p.error;
}

TEST(QdtctlParseTest, EqualsFormGivesTheValue) {
  ParsedCommandLine p = Parse({"start", "--target=/mnt/x", "--name-less", "x"});
  EXPECT_EQ(p.action, Action::kUsageError);  // not a start option
  p = Parse({"start", "--target=/mnt/x", "--file-size=1G", "--profile=", "--start-at=a=b"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.args.Get("--target", ""), "/mnt/x");
  EXPECT_EQ(p.args.Get("--file-size", ""), "1G");
  EXPECT_TRUE(p.args.Has("--profile"));
  EXPECT_EQ(p.args.Get("--profile", "setup-check"), "");
  EXPECT_EQ(p.args.Get("--start-at", ""), "a=b");
  EXPECT_THAT(p.args.positional, IsEmpty());
}

TEST(QdtctlParseTest, AValueOptionTakesTheNextWordWhateverItLooksLike) {
  ParsedCommandLine p = Parse({"start", "--target", "--wait", "--time-scale", "-h"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.args.Get("--target", ""), "--wait");
  EXPECT_EQ(p.args.Get("--time-scale", ""), "-h");
  EXPECT_FALSE(p.args.Has("--wait"));
}

TEST(QdtctlParseTest, RepeatedStreamsStayInOrderAndTheLastSingleValueWins) {
  ParsedCommandLine p = Parse({"profile", "derive", "--stream", "HAP Q 1080p29.97 x3", "--hold",
                               "ProRes 422 HQ UHD 59.94", "--stream=440MB/s@59.94", "--safety",
                               "1.2", "--safety", "2"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.command->name, "profile derive");
  EXPECT_THAT(p.args.positional, IsEmpty());
  EXPECT_THAT(p.args.options, ElementsAre(Pair("--stream", "HAP Q 1080p29.97 x3"),
                                          Pair("--hold", "ProRes 422 HQ UHD 59.94"),
                                          Pair("--stream", "440MB/s@59.94"),
                                          Pair("--safety", "1.2"), Pair("--safety", "2")));
  EXPECT_EQ(p.args.Get("--safety", "1.6"), "2");
}

TEST(QdtctlParseTest, UnknownOptionIsRejectedWithItsNameAndTheCommand) {
  ParsedCommandLine p = Parse({"start", "--colour", "red", "--target", "/x"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "start: unknown option \"--colour\"");
  EXPECT_EQ(p.error_command, "start");
  EXPECT_EQ(UsageErrorText(QdtctlTable(), p.error, p.error_command),
            "qdtctl: start: unknown option \"--colour\" (qdtctl help start shows its options)\n");

  // Before the command, too.
  p = Parse({"--colour", "red", "start"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "start: unknown option \"--colour\"");

  // An option of another command is not one of this command's.
  p = Parse({"info", "--wait"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "info: unknown option \"--wait\"");
  p = Parse({"profile", "derive", "--json"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "profile derive: unknown option \"--json\"");
  EXPECT_EQ(p.error_command, "profile derive");

  // With no command at all the option is still named.
  p = Parse({"--colour"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "unknown option \"--colour\"");
  EXPECT_EQ(p.error_command, "");
}

TEST(QdtctlParseTest, ValueOptionWithoutAValueIsAUsageError) {
  ParsedCommandLine p = Parse({"start", "--wait", "--target"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "start: option \"--target\" needs a value (--target DIR)");
  EXPECT_EQ(p.error_command, "start");
  p = Parse({"info", "--agent"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_THAT(p.error, HasSubstr("\"--agent\" needs a value"));
}

TEST(QdtctlParseTest, SwitchGivenAValueIsAUsageError) {
  ParsedCommandLine p = Parse({"start", "--target", "/x", "--wait=1"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "start: option \"--wait\" is a switch and takes no value (got \"--wait=1\")");
  EXPECT_EQ(p.error_command, "start");
  p = Parse({"get", "ID", "--help=yes"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_THAT(p.error, HasSubstr("\"--help\" is a switch"));
  // The switch without a value is fine.
  EXPECT_EQ(Parse({"get", "ID", "--json"}).action, Action::kRun);
}

TEST(QdtctlParseTest, HelpInEveryForm) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"--agent", "h:1", "--help"}}) {
    ParsedCommandLine p = Parse(args);
    EXPECT_EQ(p.action, Action::kHelp) << args[0];
    EXPECT_EQ(p.help_topic, "") << args[0];
  }
  for (const auto& args : std::vector<std::vector<std::string>>{{"help", "start"},
                                                                {"start", "--help"},
                                                                {"start", "-h"},
                                                                {"--help", "start"},
                                                                {"start", "--colour", "--help"}}) {
    ParsedCommandLine p = Parse(args);
    EXPECT_EQ(p.action, Action::kHelp) << args[0] << " " << args[1];
    EXPECT_EQ(p.help_topic, "start") << args[0] << " " << args[1];
  }
  EXPECT_EQ(Parse({"help", "profile", "derive"}).help_topic, "profile derive");
  EXPECT_EQ(Parse({"profile", "derive", "-h"}).help_topic, "profile derive");
  EXPECT_EQ(Parse({"help", "profile"}).help_topic, "profile");
  EXPECT_EQ(Parse({"profile", "--help"}).help_topic, "profile");

  ParsedCommandLine p = Parse({"help", "frobnicate"});
  EXPECT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "unknown command \"frobnicate\"");
  // "help" names a command only as the first word.
  p = Parse({"watch", "help"});
  ASSERT_EQ(p.action, Action::kRun);
  EXPECT_THAT(p.args.positional, ElementsAre("help"));
}

TEST(QdtctlParseTest, NoCommandAndUnknownCommands) {
  EXPECT_EQ(Parse({}).action, Action::kMissingCommand);
  EXPECT_EQ(Parse({"--agent", "h:1"}).action, Action::kMissingCommand);

  ParsedCommandLine p = Parse({"frobnicate", "--wait"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "unknown command \"frobnicate\"");
  EXPECT_EQ(p.error_command, "");
  EXPECT_EQ(UsageErrorText(QdtctlTable(), p.error, p.error_command),
            "qdtctl: unknown command \"frobnicate\"\n"
            "(qdtctl help shows the commands and options)\n");

  for (const auto& args : std::vector<std::vector<std::string>>{{"profile"}, {"profile", "x"}}) {
    p = Parse(args);
    ASSERT_EQ(p.action, Action::kUsageError);
    EXPECT_EQ(p.error, "profile: the subcommand is \"derive\"");
  }
}

TEST(QdtctlParseTest, AGroupWithSeveralSubcommandsListsThem) {
  const CommandTable t = FakeTable();
  ParsedCommandLine p = ParseCommandLine(t, {"grp", "c"});
  ASSERT_EQ(p.action, Action::kUsageError);
  EXPECT_EQ(p.error, "grp: the subcommand is one of \"a\", \"b\"");
  p = ParseCommandLine(t, {"grp", "b", "x", "--host=h"});
  ASSERT_EQ(p.action, Action::kRun) << p.error;
  EXPECT_EQ(p.command->name, "grp b");
  EXPECT_THAT(p.args.positional, ElementsAre("x"));
  EXPECT_EQ(p.command->handler(p.args, RunContext{}), 41);
}

// ---- Help ----

TEST(QdtctlUsageTest, FullHelpListsEveryCommandAndEveryOption) {
  const CommandTable& t = QdtctlTable();
  const std::string help = FullUsage(t);
  EXPECT_THAT(help, StartsWith("usage: qdtctl [--agent HOST:PORT] [--token-file FILE | --token "
                               "TOKEN] COMMAND [options]\n\ncommands:\n"));
  for (const CommandSpec& c : t.commands) {
    EXPECT_THAT(help, HasSubstr("\n  " + std::string(c.name) + " ")) << c.name;
    EXPECT_THAT(help, HasSubstr(std::string(c.summary.substr(0, 30)))) << c.name;
    for (const OptionSpec& o : c.options) {
      EXPECT_THAT(help, HasSubstr(std::string(o.name))) << c.name;
    }
  }
  for (const OptionSpec& o : t.global_options) {
    EXPECT_THAT(help, HasSubstr("\n  " + std::string(o.name) + " ")) << o.name;
  }
  EXPECT_THAT(help, HasSubstr("\noptions:\n"));
  EXPECT_THAT(help, HasSubstr("SIZE takes a suffix K, M, G (binary: 64M = 64 MiB)"));
  EXPECT_THAT(help, HasSubstr("3 the run did not finish."));
}

// The help keeps the layout qdtctl always had: short synopses share a line
// with the description at column 31, long ones get their own lines.
TEST(QdtctlUsageTest, FullHelpKeepsTheColumns) {
  const std::string help = FullUsage(QdtctlTable());
  EXPECT_THAT(help, HasSubstr("\n  telemetry [--count N]        drive temperature and thermal "
                              "pressure once a second\n"
                              "                               (N readings, default 5; 0 = until "
                              "Ctrl-C)\n"));
  EXPECT_THAT(help, HasSubstr("\n  runs [--limit N]             runs on the agent"));
  EXPECT_THAT(help, HasSubstr("\n  watch RUN_ID [--from-seq N] [--lines]\n"
                              "                               follow a run's events"));
  EXPECT_THAT(help,
              HasSubstr("\n  start --target DIR [--profile NAME | --profile-file FILE.json] "
                        "[--time-scale X]\n"
                        "        [--file-size SIZE] [--start-in SECONDS | --start-at RFC3339] "
                        "[--force] [--wait]\n"
                        "        [--lines]\n"
                        "                               start a run;"));
  EXPECT_THAT(help, HasSubstr("\n  --token-file  file holding the rig token"));
  EXPECT_THAT(help, HasSubstr("\n  --ca          CA certificate (PEM) of an agent that serves "
                              "TLS: connect with TLS and check\n"
                              "                the agent's certificate against it"));
  for (const std::string& line : Lines(help)) EXPECT_LE(line.size(), 100u) << line;
}

TEST(QdtctlUsageTest, EachCommandsUsageShowsItsOptions) {
  const CommandTable& t = QdtctlTable();
  for (const CommandSpec& c : t.commands) {
    const std::string usage = CommandUsage(t, c);
    EXPECT_THAT(usage, StartsWith("usage: qdtctl " + std::string(c.name))) << c.name;
    EXPECT_THAT(usage, HasSubstr(std::string(c.summary.substr(0, 30)))) << c.name;
    std::string synopsis;
    for (std::string_view line : c.usage) synopsis += std::string(line) + "\n";
    for (const OptionSpec& o : c.options) {
      // In the option list with its help, and in the synopsis.
      std::string head(o.name);
      if (o.TakesValue()) head += " " + std::string(o.value_name);
      EXPECT_THAT(usage, HasSubstr("\n  " + head + " ")) << c.name;
      EXPECT_THAT(usage, HasSubstr(std::string(o.help.substr(0, 20)))) << c.name << " " << o.name;
      EXPECT_THAT(synopsis, HasSubstr(std::string(o.name) + (o.TakesValue() ? " " : "")))
          << c.name << "'s synopsis lacks " << o.name;
    }
    // Commands that talk to an agent say how to reach it.
    EXPECT_EQ(usage.find("--token-file FILE") != std::string::npos, c.needs_agent) << c.name;
    for (const std::string& line : Lines(usage)) EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST(QdtctlUsageTest, HelpTopics) {
  const CommandTable& t = QdtctlTable();
  EXPECT_EQ(HelpText(t, ""), FullUsage(t));
  EXPECT_EQ(HelpText(t, "start"), CommandUsage(t, Command("start")));
  EXPECT_EQ(HelpText(t, "profile"), CommandUsage(t, Command("profile derive")));
  EXPECT_THAT(HelpText(t, "start"), HasSubstr("\n  --target DIR "));
  EXPECT_THAT(HelpText(t, "start"), ::testing::Not(HasSubstr("--stream")));
}

// The exact text for a small table: synopsis continuation aligned after the
// name, the description beside a short synopsis or under a long one, wrapped
// option help and the agent options for a command that needs an agent.
TEST(QdtctlUsageTest, ExactLayoutOfASmallTable) {
  const CommandTable t = FakeTable();
  EXPECT_EQ(FullUsage(t),
            "usage: tool [--host H] COMMAND\n"
            "\n"
            "commands:\n"
            "  go [--fast] [--level N]      go somewhere\n"
            "  grp a                        first of the group\n"
            "  grp b --very-long-option-name VALUE [--another-long-option-name VALUE]\n"
            "        [--third-option VALUE]\n"
            "                               second of the group\n"
            "                               more words\n"
            "                               and a line\n"
            "\n"
            "options:\n"
            "  --host  where\n"
            "          to go\n"
            "a note\n");
  EXPECT_EQ(CommandUsage(t, t.commands[0]),
            "usage: tool go [--fast] [--level N]\n"
            "\n"
            "go somewhere\n"
            "\n"
            "options:\n"
            "  --fast     quickly\n"
            "  --level N  how far\n");
  EXPECT_EQ(CommandUsage(t, t.commands[2]),
            "usage: tool grp b --very-long-option-name VALUE [--another-long-option-name VALUE]\n"
            "                  [--third-option VALUE]\n"
            "\n"
            "second of the group\n"
            "more words\n"
            "and a line\n"
            "\n"
            "options:\n"
            "  --very-long-option-name VALUE     one\n"
            "  --another-long-option-name VALUE  two\n"
            "  --third-option VALUE              three\n"
            "\n"
            "agent options (before or after the command):\n"
            "  --host H  where\n"
            "            to go\n");
  EXPECT_EQ(HelpText(t, "grp"),
            CommandUsage(t, t.commands[1]) + "\n" + CommandUsage(t, t.commands[2]));
}

// A description starts beside the synopsis only when two spaces are left.
TEST(QdtctlUsageTest, DescriptionBesideASynopsisThatLeavesTwoSpaces) {
  CommandTable t = FakeTable();
  t.commands.resize(2);
  t.commands[1].usage = {"[--twenty-one-chars-]"};  // a 29-column head: two spaces left
  EXPECT_THAT(FullUsage(t), HasSubstr("\n  grp a [--twenty-one-chars-]  first of the group\n"));
  t.commands[1].usage = {"[--twenty-one-chars--]"};  // 30 columns: one space left
  EXPECT_THAT(FullUsage(t), HasSubstr("\n  grp a [--twenty-one-chars--]\n"
                                      "                               first of the group\n"));
}

TEST(QdtctlUsageTest, LongLinesAreWrappedAtWords) {
  CommandTable t = FakeTable();
  const std::string long_help =
      "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
      "sigma tau upsilon";
  t.commands[0].options[0].help = long_help;
  const std::string usage = CommandUsage(t, t.commands[0]);
  EXPECT_THAT(usage, HasSubstr("  --fast     alpha beta"));
  EXPECT_THAT(usage, HasSubstr("omicron pi rho\n             sigma tau upsilon\n"));
  for (const std::string& line : Lines(usage)) EXPECT_LE(line.size(), 100u) << line;
}

}  // namespace
}  // namespace qdt::qdtctl
