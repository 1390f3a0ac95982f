// The disk I/O policy fio runs with (issue 13). macOS throttles the disk I/O
// of processes whose policy is below IMPORTANT (setiopolicy_np(3): THROTTLE,
// UTILITY and STANDARD are "throttled" tiers, IMPORTANT is not); a test that
// is throttled measures the policy, not the drive. So on macOS every fio
// runs through the stock `taskpolicy -d important <fio> ...` (taskpolicy(8),
// system_cmds taskpolicy.tproj: `-d <policy>` sets the disk I/O policy of
// the program it then runs), found on PATH (a daemon's PATH is root-owned,
// deploy/macos/com.qdt.agent.plist) or in /usr/sbin. Linux has no such
// policy for a root process's reads: nothing is wrapped.
//
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_RUN_IO_POLICY_H_
#define QDT_AGENT_RUN_IO_POLICY_H_

#include <string>
#include <vector>

#include "agent/probes/platform.h"

namespace qdt::agent {

struct FioIoPolicy {
  // What fio runs through, e.g. {"/usr/sbin/taskpolicy", "-d", "important"};
  // empty = fio directly.
  std::vector<std::string> wrapper;
  // For the run record and GetInfo: "IMPORTANT (taskpolicy -d important)",
  // or why none is set; empty on Linux.
  std::string description;
  bool set = false;  // macOS: whether the IMPORTANT policy is applied
};

FioIoPolicy ChooseFioIoPolicy(Platform platform);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_IO_POLICY_H_
