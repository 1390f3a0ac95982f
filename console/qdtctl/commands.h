// The handlers of qdtctl's commands (see command_table.cc for the table that
// names them) and the output helpers they share. Handlers print to
// stdout/stderr and return the exit code.
//
// Thread-safety: a handler is called once per process, from main's thread;
// the helpers only write to the standard streams.
#ifndef QDT_CONSOLE_QDTCTL_COMMANDS_H_
#define QDT_CONSOLE_QDTCTL_COMMANDS_H_

#include <string>
#include <string_view>

#include "console/qdtctl/command_table.h"
#include "google/protobuf/message.h"

namespace qdt::qdtctl {

// Commands that talk to an agent (agent_commands.cc).
int RunInfo(const CommandArgs& args, const RunContext& context);
int RunVolumes(const CommandArgs& args, const RunContext& context);
int RunTelemetry(const CommandArgs& args, const RunContext& context);
int RunStart(const CommandArgs& args, const RunContext& context);
int RunWatch(const CommandArgs& args, const RunContext& context);
int RunStop(const CommandArgs& args, const RunContext& context);
int RunRuns(const CommandArgs& args, const RunContext& context);
int RunGet(const CommandArgs& args, const RunContext& context);

// Commands that need no agent (offline_commands.cc).
int RunProfiles(const CommandArgs& args, const RunContext& context);
int RunProfileDerive(const CommandArgs& args, const RunContext& context);
int RunStreams(const CommandArgs& args, const RunContext& context);
int RunAnalyze(const CommandArgs& args, const RunContext& context);

// Prints "qdtctl: <message>" and the pointer to the help on stderr; returns
// kExitUsage.
int UsageError(std::string_view message);

// The message as QDT's JSON (common/proto_json.h). When protobuf cannot
// encode it, prints "qdtctl: <what>: <why>" on stderr and returns false: the
// caller exits with kExitUsage rather than print half a document.
bool ToJsonOrReport(const google::protobuf::Message& message, std::string_view what,
                    std::string* json);

}  // namespace qdt::qdtctl

#endif  // QDT_CONSOLE_QDTCTL_COMMANDS_H_
