#include "agent/run/io_policy.h"

#include "absl/strings/str_cat.h"
#include "common/subprocess.h"

namespace qdt::agent {

FioIoPolicy ChooseFioIoPolicy(Platform platform) {
  FioIoPolicy p;
  if (platform != Platform::kMacOS) return p;
  auto taskpolicy = FindProgram("taskpolicy", {"/usr/sbin"});
  if (!taskpolicy.ok()) {
    p.description =
        absl::StrCat("not set: ", taskpolicy.status().message(),
                     "; fio runs with the agent's own I/O policy, which macOS may throttle");
    return p;
  }
  p.wrapper = {*taskpolicy, "-d", "important"};
  p.description = "IMPORTANT (taskpolicy -d important)";
  p.set = true;
  return p;
}

}  // namespace qdt::agent
