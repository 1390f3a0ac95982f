#include "agent/run/run_recovery.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/event_journal.h"
#include "agent/run/run_plan.h"
#include "agent/run/test_area.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/run_state.h"
#include "common/timestamp.h"
#include "fio/fio_job_builder.h"
#include "google/protobuf/util/time_util.h"

namespace qdt::agent {
namespace {

using qdt::v1::RunEvent;

// PR_SET_PDEATHSIG makes fio die with the agent on Linux; this covers the rest.
void KillOrphanedFio(RunStore* store, const std::string& id, const qdt::v1::Run& run) {
  const std::string run_dir = store->RunDir(id);
  for (int i = -1; i < static_cast<int>(run.phase_count()); ++i) {
    const std::string pid_file = absl::StrCat(
        store->FioDir(id), "/", i < 0 ? std::string("layout") : absl::StrCat("phase-", i), ".pid");
    auto text = ReadFileTrimmed(pid_file, 64);
    pid_t pid = 0;
    if (!text.ok() || !absl::SimpleAtoi(*text, &pid)) continue;
    if (IsOurFio(pid, run_dir)) {
      QDT_LOG(Warning) << "run " << id << ": killing orphaned fio pid " << pid;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      for (int w = 0; w < 100 && ::kill(pid, 0) == 0; ++w) ::usleep(30000);
    }
    ::unlink(pid_file.c_str());
  }
}

absl::Status EndRun(RunStore* store, const std::string& id, qdt::v1::Run run, const Clock& clock) {
  auto kept = store->RepairEventLog(id);
  if (!kept.ok()) return kept.status();
  const std::string message = absl::StrCat(
      "the agent stopped while the run was ", qdt::v1::RunState_Name(run.state()),
      run.phase_index() >= 0
          ? absl::StrCat(" (phase ", run.phase_index() + 1, " of ", run.phase_count(), ")")
          : "",
      "; the ", *kept, " events recorded before that are kept");
  auto writer = store->OpenEventLog(id);
  if (!writer.ok()) return writer.status();
  auto events = store->ReadEvents(id);
  EventJournal journal(std::move(*writer),
                       events.ok() ? std::move(*events) : std::vector<RunEvent>{}, &clock);
  RunEvent removed;
  removed.mutable_log()->set_level(qdt::v1::LogLine::LEVEL_WARNING);
  removed.mutable_log()->set_text(
      absl::StrCat("removed the test files in ", TestDirFor(run.target_dir(), id)));
  if (auto seq = journal.Append(std::move(removed)); !seq.ok()) QDT_LOG(Error) << seq.status();
  RunEvent ended;
  ended.mutable_state()->set_state(qdt::v1::RUN_STATE_INTERRUPTED);
  ended.mutable_state()->set_message(message);
  if (auto seq = journal.Append(std::move(ended)); !seq.ok()) QDT_LOG(Error) << seq.status();
  journal.Close();
  run.set_state(qdt::v1::RUN_STATE_INTERRUPTED);
  run.set_error(message);
  run.set_last_seq(journal.last_seq());
  *run.mutable_ended_at() = qdt::ToTimestamp(clock.Now());
  if (auto st = store->SaveRun(run); !st.ok()) return st;
  QDT_LOG(Warning) << "run " << id << " marked INTERRUPTED: " << message;
  return absl::OkStatus();
}

}  // namespace

bool IsOurFio(pid_t pid, const std::string& run_dir) {
  if (pid <= 1 || ::kill(pid, 0) != 0) return false;
#if defined(__linux__)
  auto cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"), 1 << 20);
  return cmdline.ok() && absl::StrContains(*cmdline, run_dir);
#else
  return ::getpgid(pid) == pid;
#endif
}

absl::Status RecoverRuns(RunStore* store, const Clock* clock) {
  for (const std::string& id : store->ListRunIds()) {
    auto run = store->LoadRun(id);
    if (!run.ok()) {
      QDT_LOG(Warning) << "skipping run folder " << id << ": " << run.status();
      continue;
    }
    if (RunEnded(run->state())) continue;
    KillOrphanedFio(store, id, *run);
    auto profile = store->LoadProfile(id);
    // The layout of a dead agent's run is not recorded: kThreadPerRead names
    // every layout's files (a macOS run's reader prerun files too).
    const std::vector<std::string> names =
        profile.ok() ? TestFileNames(*profile, fio::JobLayout::kThreadPerRead)
                     : std::vector<std::string>{};
    if (!run->target_dir().empty()) RemoveTestFiles(run->target_dir(), id, names);
    if (auto st = EndRun(store, id, *std::move(run), ClockOrSystem(clock)); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace qdt::agent
