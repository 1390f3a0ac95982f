// Recovery at agent start: a run that an earlier agent left unfinished (it
// crashed, was SIGKILLed, or the machine lost power) is ended here. For each
// such run: a fio that outlived its agent is killed (only when its command
// line proves it is that run's fio: pids are reused), its test files are
// removed (found by listing <target>/.qdt-test/<run-id>, not from the profile,
// which may be damaged), its event log is repaired (a torn end cut off,
// damaged records skipped, every good record kept with its seq), and the run
// becomes INTERRUPTED with a message saying in which state and phase the
// agent stopped and what damage was skipped. When the log's last state is
// already an end (run.json could not be rewritten), run.json follows the log.
// A run whose run.json cannot be read is quarantined (runs/<id> moved to
// quarantine/<id>) after its fio is stopped and its test files are removed.
// An unreadable events.log is moved aside. None of these stops the agent.
//
// Not thread-safe: called once, before the agent serves.
#ifndef QDT_AGENT_RUN_RUN_RECOVERY_H_
#define QDT_AGENT_RUN_RUN_RECOVERY_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/clock.h"
#include "agent/run_store.h"

namespace qdt::agent {

// `clock` stamps ended_at (null = the system clock). Fails only when the
// state folder's runs/ cannot be listed; each run's trouble is logged.
absl::Status RecoverRuns(RunStore* store, const Clock* clock = nullptr);

// Whether the agent makes a file of this name in a run's test folder
// (run_plan.h TestFileNames, by pattern): stream-NN.dat,
// stream-NN[.rK].prerun.txt, gate-P[-G].fifo.
bool IsAgentTestFileName(absl::string_view name);

struct TestFolderRemoval {
  std::string dir;                // <target>/.qdt-test/<run-id>
  bool found = false;             // the folder was there (a real folder, not a link)
  int removed = 0;                // files removed
  std::vector<std::string> left;  // entries not removed (not ours, or unlink failed)
  bool folder_removed = false;
};

// Empties <target>/.qdt-test/<run-id> of what the agent makes, by listing it
// through descriptors opened with O_NOFOLLOW (a link at .qdt-test or at the
// run's folder is never followed; a link under one of our names is removed
// itself), then removes the folder and .qdt-test when empty.
TestFolderRemoval RemoveTestFolder(const std::string& target, const std::string& run_id);
// "removed the test files in /x/.qdt-test/<id> (9 files)", or what was left and why.
std::string DescribeRemoval(const TestFolderRemoval& removal);

// True when `pid` is a live fio started for the run whose record folder is
// `run_dir`. Linux: its /proc/<pid>/cmdline names that folder (the job file
// is there). Elsewhere: it still leads its own process group, as the fio the
// agent started does.
bool IsOurFio(pid_t pid, const std::string& run_dir);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_RUN_RECOVERY_H_
