// RunStore keeps every run on the agent's own disk, under
// <state-dir>/runs/<run-id>/:
//   request.json   the StartRunRequest as received
//   profile.json   the resolved, scaled profile that actually ran
//   run.json       the run's current status (rewritten atomically on change)
//   events.log     append-only event log: 4-byte little-endian length + RunEvent bytes,
//                  flushed to disk before the event is sent to any watcher
//   fio/<tag>.fio, .stdout, .stderr, .json   each fio invocation (tag = layout, phase-0, ...)
// A crash can leave at most a torn last record in events.log; readers stop
// before it and RepairEventLog() cuts it off before anything is appended.
//
// Thread-safety: the methods are safe to call from several threads for
// different runs; EventLogWriter is used by one thread at a time.
#ifndef QDT_AGENT_RUN_STORE_H_
#define QDT_AGENT_RUN_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

class EventLogWriter {
 public:
  ~EventLogWriter();
  // Appends one record and waits until it is on disk.
  absl::Status Append(const qdt::v1::RunEvent& event);

 private:
  friend class RunStore;
  EventLogWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

class RunStore {
 public:
  explicit RunStore(std::string state_dir);

  // Creates <state-dir>/runs (and the state folder) if needed.
  absl::Status Init();

  const std::string& state_dir() const { return state_dir_; }
  std::string RunDir(const std::string& run_id) const;
  std::string FioDir(const std::string& run_id) const;

  // Creates the run's folder and writes request, profile and status.
  absl::Status CreateRun(const qdt::v1::Run& run, const qdt::v1::StartRunRequest& request,
                         const qdt::v1::Profile& profile);
  absl::Status SaveRun(const qdt::v1::Run& run);
  absl::StatusOr<qdt::v1::Run> LoadRun(const std::string& run_id) const;

  absl::StatusOr<std::unique_ptr<EventLogWriter>> OpenEventLog(const std::string& run_id);
  // All complete records, in order; a torn tail is ignored.
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> ReadEvents(const std::string& run_id) const;
  // Cuts a torn tail off events.log; returns the number of complete records.
  absl::StatusOr<size_t> RepairEventLog(const std::string& run_id);

  // Writes fio/<tag>.json with the command and exit status (job file, stdout and
  // stderr are written by the runner beside it).
  absl::Status SaveFioInvocation(const std::string& run_id, const std::string& tag,
                                 const qdt::v1::FioInvocation& invocation);

  // Everything about a run, with fio's files read back (stdout: at most the last
  // `max_stdout_bytes`, which always holds fio's final report).
  absl::StatusOr<qdt::v1::RunRecord> LoadRecord(const std::string& run_id,
                                                size_t max_stdout_bytes = 1 << 20) const;
  absl::StatusOr<qdt::v1::StartRunRequest> LoadRequest(const std::string& run_id) const;
  absl::StatusOr<qdt::v1::Profile> LoadProfile(const std::string& run_id) const;

  // Run ids with a folder, oldest first (ids sort by creation time).
  std::vector<std::string> ListRunIds() const;

 private:
  std::string state_dir_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_STORE_H_
