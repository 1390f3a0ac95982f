// The one rule for a run's state, shared by the agent, qdtctl and the console:
// which states mean the run has ended, which mean it is still going, and the
// short name users read ("RUNNING", "DONE").
//
//   PENDING ─► PREPARING ─► RUNNING ─► DONE
//      │           │           │
//      └───────────┴───────────┴─────► FAILED | STOPPED | INTERRUPTED
//
// Pure functions; thread-safe.
#ifndef QDT_COMMON_RUN_STATE_H_
#define QDT_COMMON_RUN_STATE_H_

#include <string>

#include "qdt/v1/agent.pb.h"

namespace qdt {

// DONE, FAILED, STOPPED or INTERRUPTED: nothing more will happen to the run.
bool RunEnded(qdt::v1::RunState state);

// PENDING, PREPARING or RUNNING: the run holds its agent (one at a time).
bool RunActive(qdt::v1::RunState state);

// Whether the agent may move a run from `from` to `to` (the diagram above).
// DONE is reached only from RUNNING: a run that never measured is not done.
bool RunTransitionAllowed(qdt::v1::RunState from, qdt::v1::RunState to);

// "PENDING", "RUNNING", "DONE", ...: the enum name without "RUN_STATE_".
std::string RunStateName(qdt::v1::RunState state);

}  // namespace qdt

#endif  // QDT_COMMON_RUN_STATE_H_
