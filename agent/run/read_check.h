// Proves the agent may read what it laid out, before any phase. On macOS a
// root LaunchDaemon is subject to TCC: reading files on removable and network
// volumes (and other protected places) needs Full Disk Access, which a daemon
// cannot ask for with a prompt, while writing is not guarded — so the target's
// writability check and fio's layout pass and the first phase would die with
// "Operation not permitted" (docs/MACOS.md, "TCC"). After the layout the first
// MiB of every test file is read; a refusal fails the run with the fix.
//
// Thread-safe (no shared state).
#ifndef QDT_AGENT_RUN_READ_CHECK_H_
#define QDT_AGENT_RUN_READ_CHECK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/probes/platform.h"

namespace qdt::agent {

// Reads the first MiB of one file (PermissionDenied when the system refuses).
using ReadProbe = std::function<absl::Status(const std::string& path)>;

// The real probe: open(O_RDONLY | O_NOFOLLOW) and read up to 1 MiB.
absl::Status ReadFirstMiB(const std::string& path);

// Every file through `probe`. A refusal (PermissionDenied) becomes
// FailedPrecondition; on macOS it names the fix: "macOS did not let qdt-agent
// read /Volumes/Show: add /Library/QDT/bin/qdt-agent in System Settings ›
// Privacy & Security › Full Disk Access". Other errors are Internal, naming
// the file.
absl::Status CheckReadable(const std::vector<std::string>& paths, const ReadProbe& probe,
                           Platform platform, const std::string& target,
                           const std::string& agent_path);

// This program's own path (/proc/self/exe on Linux, _NSGetExecutablePath on
// macOS); the installed path when it cannot be told.
std::string SelfExecutablePath();

// Where the macOS package installs the agent (deploy/macos/build-pkg.sh).
inline constexpr char kInstalledAgentPath[] = "/Library/QDT/bin/qdt-agent";

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_READ_CHECK_H_
