// The show-safety interlock: is QLab (the playback app of a show Mac) running?
// A disk test competes with playback for the same drive, so the agent refuses
// to start one while QLab runs unless the request forces it.
//
// Thread-safe when the runner is.
#ifndef QDT_AGENT_PROBES_QLAB_H_
#define QDT_AGENT_PROBES_QLAB_H_

#include "agent/probes/command_runner.h"

namespace qdt::agent {

// Whether QLab is running (`pgrep -x QLab` exits 0; pgrep(1) exits 1 when no
// process matched). Unknown (no runner, pgrep missing, failing or hanging)
// counts as not running, with a log line.
bool QlabRunning(CommandRunner* commands);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_QLAB_H_
