#include "agent/run/run_recovery.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/event_journal.h"
#include "agent/run/run_plan.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/run_state.h"
#include "common/timestamp.h"
#include "common/unique_fd.h"
#include "fio/fio_job_builder.h"

namespace qdt::agent {
namespace {

using qdt::v1::Run;
using qdt::v1::RunEvent;

// Names listed in the removal line at most (the count says the rest).
constexpr size_t kMaxNamesSaid = 8;

bool AllDigits(absl::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "gate-3.fifo", "gate-3-1.fifo" (fio::PhaseGates).
bool GateName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "gate-") || !absl::ConsumeSuffix(&name, ".fifo")) return false;
  const size_t dash = name.find('-');
  if (dash == absl::string_view::npos) return AllDigits(name);
  return AllDigits(name.substr(0, dash)) && AllDigits(name.substr(dash + 1));
}

}  // namespace

bool IsAgentTestFileName(absl::string_view name) {
  // run_plan.cc TestFileNames, by pattern: stream-NN.dat, stream-NN[.rK].prerun.txt,
  // gate-P[-G].fifo. ParseJobName accepts only the names the builder writes.
  absl::string_view job = name;
  if (absl::ConsumeSuffix(&job, ".dat")) {
    auto parsed = fio::ParseJobName(job);
    return parsed.ok() && parsed->reader == 0;
  }
  job = name;
  if (absl::ConsumeSuffix(&job, ".prerun.txt")) return fio::ParseJobName(job).ok();
  return GateName(name);
}

TestFolderRemoval RemoveTestFolder(const std::string& target, const std::string& run_id) {
  TestFolderRemoval out;
  out.dir = TestDirFor(target, run_id);
  UniqueFd target_fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target_fd) return out;  // the volume is gone: nothing of ours is there
  UniqueFd base_fd(
      ::openat(target_fd.get(), ".qdt-test", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!base_fd) return out;
  UniqueFd run_fd(
      ::openat(base_fd.get(), run_id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!run_fd) return out;
  out.found = true;
  // A copy of the descriptor for the listing: closedir closes it.
  DIR* d = ::fdopendir(::fcntl(run_fd.get(), F_DUPFD_CLOEXEC, 0));
  if (d != nullptr) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      // Regular files, the gates' FIFOs and links planted under our names
      // (unlinkat removes a link itself, never what it points to).
      const bool ours = IsAgentTestFileName(name) &&
                        ::fstatat(run_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                        (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISLNK(st.st_mode));
      if (ours && ::unlinkat(run_fd.get(), name.c_str(), 0) == 0) {
        ++out.removed;
      } else {
        out.left.push_back(name);
      }
    }
    ::closedir(d);
  }
  std::sort(out.left.begin(), out.left.end());
  // Only when empty: never what the agent did not make.
  out.folder_removed = ::unlinkat(base_fd.get(), run_id.c_str(), AT_REMOVEDIR) == 0;
  ::unlinkat(target_fd.get(), ".qdt-test", AT_REMOVEDIR);
  return out;
}

std::string DescribeRemoval(const TestFolderRemoval& r) {
  if (!r.found) return absl::StrCat("removed the test files in ", r.dir, " (none were left)");
  if (r.left.empty()) {
    return absl::StrCat("removed the test files in ", r.dir, " (", r.removed, " files)");
  }
  std::vector<std::string> said(r.left.begin(),
                                r.left.begin() + std::min(r.left.size(), kMaxNamesSaid));
  for (std::string& s : said) s = absl::CHexEscape(s.substr(0, 64));
  return absl::StrCat("removed ", r.removed, " test files in ", r.dir, "; left ", r.left.size(),
                      " entries the agent does not make or could not remove (",
                      absl::StrJoin(said, ", "), r.left.size() > said.size() ? ", ..." : "",
                      "), so the folder stays");
}

namespace {

// PR_SET_PDEATHSIG makes fio die with the agent on Linux; this covers the
// rest (macOS, or a fio started some other way). Every fio/<tag>.pid is read:
// the run's record may be unreadable.
void KillOrphanedFio(RunStore* store, const std::string& id) {
  const std::string run_dir = store->RunDir(id);
  const std::string fio_dir = store->FioDir(id);
  std::vector<std::string> pid_files;
  if (DIR* d = ::opendir(fio_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (absl::EndsWith(e->d_name, ".pid")) pid_files.push_back(fio_dir + "/" + e->d_name);
    }
    ::closedir(d);
  }
  for (const std::string& pid_file : pid_files) {
    auto text = ReadFileTrimmed(pid_file, 64);
    pid_t pid = 0;
    if (text.ok() && absl::SimpleAtoi(*text, &pid) && IsOurFio(pid, run_dir)) {
      QDT_LOG(Warning) << "run " << id << ": killing orphaned fio pid " << pid;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      for (int w = 0; w < 100 && ::kill(pid, 0) == 0; ++w) ::usleep(30000);
    }
    ::unlink(pid_file.c_str());
  }
}

// The run's target: its record's, else the request's.
std::string TargetOf(RunStore* store, const std::string& id, const Run* run) {
  if (run != nullptr && !run->target_dir().empty()) return run->target_dir();
  auto request = store->LoadRequest(id);
  return request.ok() ? request->target_dir() : std::string();
}

std::string DamageNote(const EventLogScan& scan) {
  if (scan.skipped_bytes == 0 && scan.dropped_records == 0) return "";
  std::vector<std::string> what;
  if (scan.lost_events > 0) what.push_back(absl::StrCat(scan.lost_events, " events lost"));
  if (scan.tail_bytes > 0) what.push_back("a torn end cut off");
  if (scan.dropped_records > 0) {
    what.push_back(absl::StrCat(scan.dropped_records, " out-of-order records dropped"));
  }
  return absl::StrCat("; ", scan.skipped_bytes, " damaged bytes of events.log were skipped (",
                      absl::StrJoin(what, ", "), ")");
}

// A log that cannot be read or repaired (a folder in its place, an I/O
// error) is moved aside: the run goes on to its end with a new log.
std::string SetAsideLog(RunStore* store, const std::string& id, const absl::Status& why) {
  const std::string path = store->RunDir(id) + "/events.log";
  const std::string aside = path + ".unreadable";
  if (::rename(path.c_str(), aside.c_str()) != 0 && errno != ENOENT) {
    return absl::StrCat("events.log cannot be read (", why.message(),
                        ") nor moved aside: ", ErrnoText(errno));
  }
  return absl::StrCat("events.log could not be read (", why.message(),
                      "); it was moved to events.log.unreadable and its events are not served");
}

// Appends the recovery's events; false when nothing could be written.
bool AppendEnd(RunStore* store, const std::string& id, std::vector<RunEvent> events,
               std::vector<RunEvent> to_append, const Clock& clock, uint64_t* last_seq) {
  auto writer = store->OpenEventLog(id);
  if (!writer.ok()) {
    QDT_LOG(Error) << "run " << id << ": " << writer.status();
    *last_seq = events.empty() ? 0 : events.back().seq();
    return false;
  }
  EventJournal journal(std::move(*writer), std::move(events), &clock);
  bool ok = true;
  for (RunEvent& ev : to_append) {
    if (auto seq = journal.Append(std::move(ev)); !seq.ok()) {
      QDT_LOG(Error) << "run " << id << ": " << seq.status();
      ok = false;
      break;
    }
  }
  journal.Close();
  *last_seq = journal.last_seq();
  return ok;
}

RunEvent LogEvent(qdt::v1::LogLine::Level level, std::string text) {
  RunEvent ev;
  ev.mutable_log()->set_level(level);
  ev.mutable_log()->set_text(std::move(text));
  return ev;
}

// The run a dead agent left active becomes INTERRUPTED, its events kept.
void EndRun(RunStore* store, const std::string& id, Run run, const std::string& removal,
            bool files_left, const Clock& clock) {
  std::vector<RunEvent> events, to_append;
  std::string note;
  auto repair = store->RepairEventLog(id);
  if (repair.ok()) {
    if (auto read = store->ReadEvents(id); read.ok()) events = *std::move(read);
    note = DamageNote(repair->scan);
  } else {
    note = absl::StrCat("; ", SetAsideLog(store, id, repair.status()));
    to_append.push_back(LogEvent(qdt::v1::LogLine::LEVEL_WARNING, note.substr(2)));
  }
  const std::string message = absl::StrCat(
      "the agent stopped while the run was ", qdt::v1::RunState_Name(run.state()),
      run.phase_index() >= 0
          ? absl::StrCat(" (phase ", run.phase_index() + 1, " of ", run.phase_count(), ")")
          : "",
      "; the ", events.size(), " events recorded before that are kept", note);
  to_append.push_back(LogEvent(
      files_left ? qdt::v1::LogLine::LEVEL_WARNING : qdt::v1::LogLine::LEVEL_INFO, removal));
  RunEvent ended;
  ended.mutable_state()->set_state(qdt::v1::RUN_STATE_INTERRUPTED);
  ended.mutable_state()->set_message(message);
  to_append.push_back(std::move(ended));
  uint64_t last_seq = 0;
  AppendEnd(store, id, std::move(events), std::move(to_append), clock, &last_seq);
  run.set_state(qdt::v1::RUN_STATE_INTERRUPTED);
  run.set_error(message);
  run.set_last_seq(last_seq);
  *run.mutable_ended_at() = qdt::ToTimestamp(clock.Now());
  if (auto st = store->SaveRun(run); !st.ok()) QDT_LOG(Error) << "run " << id << ": " << st;
  QDT_LOG(Warning) << "run " << id << " marked INTERRUPTED: " << message;
}

// run.json still says active, but the log's last state is an end (the agent
// could not rewrite run.json, e.g. a full state folder): the log is the truth.
bool Reconcile(RunStore* store, const std::string& id, Run* run) {
  auto events = store->ReadEvents(id);
  if (!events.ok()) return false;
  const RunEvent* last_state = nullptr;
  const RunEvent* verdict = nullptr;
  for (const RunEvent& ev : *events) {
    if (ev.has_state()) last_state = &ev;
    if (ev.has_verdict()) verdict = &ev;
  }
  if (last_state == nullptr || !RunEnded(last_state->state().state())) return false;
  const qdt::v1::RunState was = run->state();
  const qdt::v1::RunState state = last_state->state().state();
  run->set_state(state);
  const bool failed = state != qdt::v1::RUN_STATE_DONE && state != qdt::v1::RUN_STATE_STOPPED;
  run->set_error(failed ? last_state->state().message() : "");
  *run->mutable_ended_at() = last_state->time();
  run->set_last_seq(events->back().seq());
  if (verdict != nullptr && !run->has_verdict()) *run->mutable_verdict() = verdict->verdict();
  if (auto st = store->SaveRun(*run); !st.ok()) QDT_LOG(Error) << "run " << id << ": " << st;
  QDT_LOG(Warning) << "run " << id << ": run.json said " << qdt::v1::RunState_Name(was)
                   << ", its events.log ends " << qdt::v1::RunState_Name(state)
                   << "; run.json follows the log";
  return true;
}

// run.json cannot be read: the run cannot be served. Its fio is stopped, its
// test files are removed when its target is known, and the folder is moved
// to quarantine/ for a person to look at.
void Quarantine(RunStore* store, const std::string& id, const absl::Status& why) {
  KillOrphanedFio(store, id);
  const std::string target = TargetOf(store, id, nullptr);
  std::string removal = "its test files cannot be found: request.json does not name its target";
  if (!target.empty()) removal = DescribeRemoval(RemoveTestFolder(target, id));
  auto moved = store->QuarantineRun(id);
  QDT_LOG(Warning) << "run " << id << ": run.json cannot be read (" << why.message() << "); "
                   << removal << "; "
                   << (moved.ok()
                           ? absl::StrCat("the run's folder was moved to ", *moved)
                           : absl::StrCat("the run's folder stays: ", moved.status().message()));
}

void RecoverRun(RunStore* store, const std::string& id, const Clock& clock) {
  auto run = store->LoadRun(id);
  if (!run.ok()) {
    Quarantine(store, id, run.status());
    return;
  }
  if (RunEnded(run->state())) return;
  KillOrphanedFio(store, id);
  const std::string target = TargetOf(store, id, &*run);
  TestFolderRemoval removal;
  std::string removal_text =
      "the test files cannot be found: neither run.json nor request.json names the target";
  if (!target.empty()) {
    removal = RemoveTestFolder(target, id);
    removal_text = DescribeRemoval(removal);
  }
  if (Reconcile(store, id, &*run)) {
    QDT_LOG(Info) << "run " << id << ": " << removal_text;
    return;
  }
  EndRun(store, id, *std::move(run), removal_text, target.empty() || !removal.left.empty(), clock);
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
  const std::string runs = store->state_dir() + "/runs";
  if (DIR* d = ::opendir(runs.c_str())) {
    ::closedir(d);
  } else {
    return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot list \"", runs, "\""),
                      errno);
  }
  // One run's damage never keeps the agent from serving the others.
  for (const std::string& id : store->ListRunIds()) RecoverRun(store, id, ClockOrSystem(clock));
  return absl::OkStatus();
}

}  // namespace qdt::agent
