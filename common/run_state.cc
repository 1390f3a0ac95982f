#include "common/run_state.h"

#include "absl/strings/strip.h"

namespace qdt {

using qdt::v1::RunState;

bool RunEnded(RunState s) {
  return s == qdt::v1::RUN_STATE_DONE || s == qdt::v1::RUN_STATE_FAILED ||
         s == qdt::v1::RUN_STATE_STOPPED || s == qdt::v1::RUN_STATE_INTERRUPTED;
}

bool RunActive(RunState s) {
  return s == qdt::v1::RUN_STATE_PENDING || s == qdt::v1::RUN_STATE_PREPARING ||
         s == qdt::v1::RUN_STATE_RUNNING;
}

bool RunTransitionAllowed(RunState from, RunState to) {
  if (!RunActive(from)) return false;  // an ended (or unset) run stays as it is
  switch (to) {
    case qdt::v1::RUN_STATE_PREPARING:
      return from == qdt::v1::RUN_STATE_PENDING;
    case qdt::v1::RUN_STATE_RUNNING:
      return from == qdt::v1::RUN_STATE_PREPARING;
    case qdt::v1::RUN_STATE_DONE:
      return from == qdt::v1::RUN_STATE_RUNNING;
    case qdt::v1::RUN_STATE_FAILED:
    case qdt::v1::RUN_STATE_STOPPED:
    case qdt::v1::RUN_STATE_INTERRUPTED:
      return true;
    default:
      return false;
  }
}

std::string RunStateName(RunState state) {
  return std::string(absl::StripPrefix(qdt::v1::RunState_Name(state), "RUN_STATE_"));
}

}  // namespace qdt
