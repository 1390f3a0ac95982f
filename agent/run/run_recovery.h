// Recovery at agent start: a run that an earlier agent left unfinished (it
// crashed, was SIGKILLed, or the machine lost power) is ended here. For each
// such run: a fio that outlived its agent is killed (only when its command
// line proves it is that run's fio: pids are reused), its test files are
// removed, a torn last record is cut off its event log, and the run becomes
// INTERRUPTED with every event recorded before kept and a message saying in
// which state and phase the agent stopped.
//
// Not thread-safe: called once, before the agent serves.
#ifndef QDT_AGENT_RUN_RUN_RECOVERY_H_
#define QDT_AGENT_RUN_RUN_RECOVERY_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "agent/clock.h"
#include "agent/run_store.h"

namespace qdt::agent {

// `clock` stamps ended_at (null = the system clock).
absl::Status RecoverRuns(RunStore* store, const Clock* clock = nullptr);

// True when `pid` is a live fio started for the run whose record folder is
// `run_dir`. Linux: its /proc/<pid>/cmdline names that folder (the job file
// is there). Elsewhere: it still leads its own process group, as the fio the
// agent started does.
bool IsOurFio(pid_t pid, const std::string& run_dir);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_RUN_RECOVERY_H_
