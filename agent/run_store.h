// RunStore keeps every run on the agent's own disk, under
// <state-dir>/runs/<run-id>/:
//   request.json   the StartRunRequest as received
//   profile.json   the resolved, scaled profile that actually ran
//   run.json       the run's current status (rewritten atomically on change)
//   events.log     append-only event log, one record per RunEvent, flushed to disk
//                  before the event is sent to any watcher (format below)
//   fio/<tag>.fio, .stdout, .stderr, .json   each fio invocation (tag = layout, phase-0, ...)
// and <state-dir>/agent.lock, locked (flock) by the agent that uses the folder,
// holding its pid; <state-dir>/quarantine/<run-id> holds run folders recovery
// could not read (run_recovery.h).
//
// events.log record (docs/JOURNAL.md): magic "QDT\xE7" (4 bytes), payload length
// (4, little-endian), CRC-32C of the length bytes and the payload (4, LE),
// payload (the serialized RunEvent). A record counts only when all of it
// checks; past a bad one the reader resynchronises on the next magic whose
// record checks, so one damaged byte loses one event, not the rest. Logs
// written before the magic existed (4-byte length + payload) are still read.
// Each event keeps its own seq; a seq lost to damage is filled with a warning
// event of that seq, so seqs stay 1, 2, 3, ... (EventJournal::Get, WatchRun's
// from_seq and GetRun's last_seq index by seq).
//
// Thread-safety: the methods are safe to call from several threads for
// different runs; EventLogWriter is used by one thread at a time.
#ifndef QDT_AGENT_RUN_STORE_H_
#define QDT_AGENT_RUN_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// Makes a file's written data durable; 0 or -1 with errno, as fdatasync(2).
// SyncFileData (common/file_util.h) unless a test watches the calls.
using SyncFn = std::function<int(int fd)>;

// What ParseEventLog found in a log image.
struct EventLogScan {
  bool old_format = false;     // 4-byte length records (agents before the magic)
  size_t good_records = 0;     // records that checked, each kept with its own seq
  size_t good_bytes = 0;       // their bytes
  size_t skipped_bytes = 0;    // damaged bytes skipped (in the middle and at the end)
  size_t tail_bytes = 0;       // of those, after the last good record (a torn tail)
  size_t dropped_records = 0;  // records that checked but whose seq did not follow
  size_t lost_events = 0;      // seqs filled with a warning event (lost to damage)
};

// The magic that starts every record.
inline constexpr absl::string_view kEventRecordMagic{"QDT\xE7", 4};
// Magic, length, CRC.
inline constexpr size_t kEventRecordHeaderBytes = 12;
// One record's payload at most: an event is a few hundred bytes.
inline constexpr size_t kMaxEventRecordBytes = 16u << 20;

// One record (header + payload) for `event`.
std::string EncodeEventRecord(const qdt::v1::RunEvent& event);

// Pure: the events of an events.log image, in log order, seqs 1, 2, 3, ...:
// every record that checks keeps its seq, a seq lost to damage between two
// good records becomes a warning LogLine event of that seq (only as many as
// the damaged bytes could have held), and a record whose seq does not follow
// the previous one is dropped. Never fails: damage is counted in `*scan`.
std::vector<qdt::v1::RunEvent> ParseEventLog(absl::string_view data, EventLogScan* scan);

class EventLogWriter {
 public:
  ~EventLogWriter();
  // Appends one record and returns once `sync` said it is on disk.
  absl::Status Append(const qdt::v1::RunEvent& event);

 private:
  friend class RunStore;
  EventLogWriter(int fd, std::string path, SyncFn sync)
      : fd_(fd), path_(std::move(path)), sync_(std::move(sync)) {}
  int fd_;
  std::string path_;
  SyncFn sync_;
};

// What RepairEventLog did.
struct EventLogRepair {
  size_t events = 0;       // events in the log afterwards (filled seqs included)
  EventLogScan scan;       // what was found
  bool rewritten = false;  // the log was rewritten with only its good records
};

class RunStore {
 public:
  // `sync` null = SyncFileData.
  explicit RunStore(std::string state_dir, SyncFn sync = nullptr);
  ~RunStore();  // lets go of the lock
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Creates <state-dir>/runs (and the state folder) if needed, and takes the
  // folder's lock for this object's lifetime: FailedPrecondition naming the
  // pid of the agent that holds it ("another qdt-agent (pid 1234) is using
  // the state folder ..."). A second call does nothing.
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
  // The log's events as ParseEventLog gives them (none when there is no log);
  // `scan` (optional) receives what was found.
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> ReadEvents(const std::string& run_id,
                                                            EventLogScan* scan = nullptr) const;
  // Before anything is appended to a log a dead agent left: when it holds
  // damage, a torn tail or the old format, it is replaced (temp file, sync,
  // rename) by its events alone, in the current format, each with its seq.
  absl::StatusOr<EventLogRepair> RepairEventLog(const std::string& run_id);

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

  // Moves runs/<id> to quarantine/<id> (a run recovery cannot read: kept for
  // a person to look at, out of every listing). Returns the new path.
  absl::StatusOr<std::string> QuarantineRun(const std::string& run_id);

 private:
  absl::Status Lock();
  int Sync(int fd) const;

  std::string state_dir_;
  SyncFn sync_;
  int lock_fd_ = -1;  // agent.lock, flock'ed while this store lives
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_STORE_H_
