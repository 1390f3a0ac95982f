#include "agent/run_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/crc32.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/proto_json.h"
#include "common/quote.h"
#include "common/utf8.h"

namespace qdt::agent {
namespace {

using qdt::v1::FioInvocation;
using qdt::v1::Profile;
using qdt::v1::Run;
using qdt::v1::RunEvent;
using qdt::v1::RunRecord;
using qdt::v1::StartRunRequest;

// Everything in the state folder is the agent's own: a failure there is internal.
absl::Status Errno(const std::string& what, const std::string& path) {
  return ErrnoError(absl::StatusCode::kInternal, absl::StrCat(what, " \"", path, "\""), errno);
}

// An event log is a few MB for a 2.5 h run at 1 Hz; far more is damage.
constexpr size_t kMaxEventLogBytes = 1u << 30;

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", partial);
    }
  }
  return absl::OkStatus();
}

absl::Status WriteJson(const std::string& path, const google::protobuf::Message& msg) {
  auto json = ProtoToJson(msg);
  if (!json.ok()) return absl::InternalError(absl::StrCat(path, ": ", json.status().message()));
  return WriteFileAtomically(path, *json);
}

template <typename Message>
absl::StatusOr<Message> ReadJson(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  Message msg;
  JsonReadOptions opts;
  opts.ignore_unknown_fields = true;  // files written by a newer agent stay readable
  if (auto st = ProtoFromJson(*text, &msg, absl::StrCat("cannot parse \"", path, "\""), opts);
      !st.ok()) {
    return absl::DataLossError(st.message());
  }
  return msg;
}

bool ValidRunId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

// All of `data`, retrying short writes and EINTR.
absl::Status WriteFully(int fd, absl::string_view data, const std::string& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write to", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

uint32_t LoadLe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

void AppendLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The smallest record that can hold an event: header + "seq = 1" (2 bytes).
// A run of damaged bytes can have held at most this many bytes per event.
constexpr size_t kMinRecordBytes = kEventRecordHeaderBytes + 2;

// Whether a good record (magic, length bound, CRC, parse) starts at `pos`.
bool RecordAt(absl::string_view data, size_t pos, RunEvent* ev, size_t* size) {
  if (data.size() - pos < kEventRecordHeaderBytes) return false;
  if (data.substr(pos, 4) != kEventRecordMagic) return false;
  const uint32_t len = LoadLe32(data.data() + pos + 4);
  if (len > kMaxEventRecordBytes || len > data.size() - pos - kEventRecordHeaderBytes) {
    return false;
  }
  const absl::string_view payload = data.substr(pos + kEventRecordHeaderBytes, len);
  if (Crc32cExtend(Crc32c(data.substr(pos + 4, 4)), payload) != LoadLe32(data.data() + pos + 8)) {
    return false;
  }
  if (!ev->ParseFromArray(payload.data(), static_cast<int>(len))) return false;
  *size = kEventRecordHeaderBytes + len;
  return true;
}

// Puts the good records in seq order: fills the seqs that damage took, drops
// a record whose seq does not follow (a second writer, or a forged record).
class Sequencer {
 public:
  explicit Sequencer(EventLogScan* scan) : scan_(scan) {}

  void Damage(size_t bytes) {
    damaged_ += bytes;
    scan_->skipped_bytes += bytes;
  }

  void Good(RunEvent ev, size_t bytes) {
    const uint64_t next = last_seq_ + 1;
    if (ev.seq() < next || ev.seq() - next > damaged_ / kMinRecordBytes) {
      ++scan_->dropped_records;
      scan_->skipped_bytes += bytes;
      return;
    }
    for (uint64_t seq = next; seq < ev.seq(); ++seq) {
      RunEvent lost;
      lost.set_seq(seq);
      *lost.mutable_time() = events_.empty() ? ev.time() : events_.back().time();
      lost.mutable_log()->set_level(qdt::v1::LogLine::LEVEL_WARNING);
      lost.mutable_log()->set_text(absl::StrCat("event ", seq, " was lost: ", damaged_,
                                                " damaged bytes of events.log were skipped"));
      events_.push_back(std::move(lost));
      ++scan_->lost_events;
    }
    last_seq_ = ev.seq();
    events_.push_back(std::move(ev));
    ++scan_->good_records;
    scan_->good_bytes += bytes;
    damaged_ = 0;
  }

  // Bytes since the last good record, at the end of the log.
  void End() { scan_->tail_bytes = damaged_; }
  std::vector<RunEvent> Take() { return std::move(events_); }

 private:
  EventLogScan* scan_;
  std::vector<RunEvent> events_;
  uint64_t last_seq_ = 0;
  size_t damaged_ = 0;  // since the last good record
};

std::vector<RunEvent> ParseCurrent(absl::string_view data, EventLogScan* scan) {
  Sequencer seq(scan);
  size_t pos = 0;
  while (pos < data.size()) {
    RunEvent ev;
    size_t size = 0;
    if (RecordAt(data, pos, &ev, &size)) {
      seq.Good(std::move(ev), size);
      pos += size;
      continue;
    }
    // Resynchronise: the next magic after this byte (its record is checked
    // on the next turn; a false magic only moves on by one more step).
    size_t next = data.find(kEventRecordMagic, pos + 1);
    if (next == absl::string_view::npos) next = data.size();
    seq.Damage(next - pos);
    pos = next;
  }
  seq.End();
  return seq.Take();
}

// Agents before the magic: 4-byte length + payload; no way to resynchronise,
// so the first bad record ends the log.
std::vector<RunEvent> ParseOld(absl::string_view data, EventLogScan* scan) {
  Sequencer seq(scan);
  size_t pos = 0;
  while (data.size() - pos >= 4) {
    const uint32_t len = LoadLe32(data.data() + pos);
    if (len > kMaxEventRecordBytes || len > data.size() - pos - 4) break;
    RunEvent ev;
    if (!ev.ParseFromArray(data.data() + pos + 4, static_cast<int>(len))) break;
    seq.Good(std::move(ev), 4 + len);
    pos += 4 + len;
  }
  seq.Damage(data.size() - pos);
  seq.End();
  return seq.Take();
}

}  // namespace

std::string EncodeEventRecord(const RunEvent& event) {
  std::string payload;
  event.SerializeToString(&payload);
  std::string length;
  AppendLe32(&length, static_cast<uint32_t>(payload.size()));
  std::string record(kEventRecordMagic);
  record += length;
  AppendLe32(&record, Crc32cExtend(Crc32c(length), payload));
  record += payload;
  return record;
}

std::vector<RunEvent> ParseEventLog(absl::string_view data, EventLogScan* scan) {
  *scan = EventLogScan();
  std::vector<RunEvent> events = ParseCurrent(data, scan);
  if (scan->good_records > 0 || data.empty()) return events;
  // Not one current record: a log of an agent before the magic, if it reads so.
  EventLogScan old;
  old.old_format = true;
  std::vector<RunEvent> old_events = ParseOld(data, &old);
  if (old.good_records == 0) return events;
  *scan = old;
  return old_events;
}

EventLogWriter::~EventLogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status EventLogWriter::Append(const RunEvent& event) {
  const std::string record = EncodeEventRecord(event);
  // One write per record: with O_APPEND a crash leaves at most one torn record.
  if (auto st = WriteFully(fd_, record, path_); !st.ok()) return st;
  if (sync_(fd_) != 0) return Errno("cannot write to disk", path_);
  return absl::OkStatus();
}

RunStore::RunStore(std::string state_dir, SyncFn sync)
    : state_dir_(std::move(state_dir)), sync_(std::move(sync)) {
  if (!sync_) sync_ = SyncFileData;
}

RunStore::~RunStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing lets go of the flock
}

int RunStore::Sync(int fd) const { return sync_(fd); }

absl::Status RunStore::Init() {
  if (lock_fd_ >= 0) return absl::OkStatus();
  if (state_dir_.empty() || state_dir_[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--state-dir: must be an absolute path, got \"", state_dir_, "\""));
  }
  if (auto st = MakeDirs(state_dir_ + "/runs"); !st.ok()) return st;
  return Lock();
}

// flock, not a pid file alone: the kernel lets go of it when the agent dies
// however it dies, so a stale file never keeps the next agent out.
absl::Status RunStore::Lock() {
  const std::string path = state_dir_ + "/agent.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Errno("cannot open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot lock \"", path, "\""),
                        err);
    }
    long pid = 0;
    const bool known =
        n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)), &pid);
    return absl::FailedPreconditionError(absl::StrCat(
        "another qdt-agent", known ? absl::StrCat(" (pid ", pid, ")") : "",
        " is using the state folder ", state_dir_, "; stop it or use another --state-dir"));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot write \"", path, "\""),
                      err);
  }
  lock_fd_ = fd;
  return absl::OkStatus();
}

std::string RunStore::RunDir(const std::string& run_id) const {
  return absl::StrCat(state_dir_, "/runs/", run_id);
}
std::string RunStore::FioDir(const std::string& run_id) const {
  return absl::StrCat(RunDir(run_id), "/fio");
}

absl::Status RunStore::CreateRun(const Run& run, const StartRunRequest& request,
                                 const Profile& profile) {
  if (!ValidRunId(run.run_id())) {
    return absl::InvalidArgumentError(absl::StrCat("bad run id ", QuoteForError(run.run_id())));
  }
  std::string dir = RunDir(run.run_id());
  if (::mkdir(dir.c_str(), 0755) != 0) return Errno("cannot create run folder", dir);
  if (auto st = MakeDirs(FioDir(run.run_id())); !st.ok()) return st;
  if (auto st = WriteJson(dir + "/request.json", request); !st.ok()) return st;
  if (auto st = WriteJson(dir + "/profile.json", profile); !st.ok()) return st;
  return SaveRun(run);
}

absl::Status RunStore::SaveRun(const Run& run) {
  return WriteJson(RunDir(run.run_id()) + "/run.json", run);
}

absl::StatusOr<Run> RunStore::LoadRun(const std::string& run_id) const {
  if (!ValidRunId(run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("run_id: \"", run_id, "\" is not a run id"));
  }
  auto run = ReadJson<Run>(RunDir(run_id) + "/run.json");
  if (absl::IsNotFound(run.status())) {
    return absl::NotFoundError(absl::StrCat("run_id: no run \"", run_id, "\" on this agent"));
  }
  return run;
}

absl::StatusOr<StartRunRequest> RunStore::LoadRequest(const std::string& run_id) const {
  return ReadJson<StartRunRequest>(RunDir(run_id) + "/request.json");
}

absl::StatusOr<Profile> RunStore::LoadProfile(const std::string& run_id) const {
  return ReadJson<Profile>(RunDir(run_id) + "/profile.json");
}

absl::StatusOr<std::unique_ptr<EventLogWriter>> RunStore::OpenEventLog(const std::string& run_id) {
  std::string path = RunDir(run_id) + "/events.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  return std::unique_ptr<EventLogWriter>(new EventLogWriter(fd, path, sync_));
}

absl::StatusOr<std::vector<RunEvent>> RunStore::ReadEvents(const std::string& run_id,
                                                           EventLogScan* scan) const {
  EventLogScan local;
  if (scan == nullptr) scan = &local;
  *scan = EventLogScan();
  auto data = ReadFile(RunDir(run_id) + "/events.log", kMaxEventLogBytes);
  if (!data.ok()) {
    if (absl::IsNotFound(data.status())) return std::vector<RunEvent>{};
    return data.status();
  }
  return ParseEventLog(*data, scan);
}

absl::StatusOr<EventLogRepair> RunStore::RepairEventLog(const std::string& run_id) {
  const std::string path = RunDir(run_id) + "/events.log";
  EventLogRepair repair;
  auto events = ReadEvents(run_id, &repair.scan);
  if (!events.ok()) return events.status();
  repair.events = events->size();
  const EventLogScan& scan = repair.scan;
  if (!scan.old_format && scan.skipped_bytes == 0 && scan.dropped_records == 0 &&
      scan.lost_events == 0) {
    return repair;  // clean (or missing): appending goes on from its end
  }
  std::string content;
  for (const RunEvent& ev : *events) content += EncodeEventRecord(ev);
  // Replaced whole, never edited in place: a crash now leaves the old log or
  // the new one, never half of each.
  const std::string tmp = path + ".repair";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  absl::Status st = WriteFully(fd, content, tmp);
  if (st.ok() && Sync(fd) != 0) st = Errno("cannot write to disk", tmp);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Errno("cannot replace", path);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  int dir = ::open(RunDir(run_id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)Sync(dir);  // the rename itself on disk
    ::close(dir);
  }
  repair.rewritten = true;
  return repair;
}

absl::Status RunStore::SaveFioInvocation(const std::string& run_id, const std::string& tag,
                                         const FioInvocation& invocation) {
  FioInvocation meta = invocation;
  meta.clear_job_file();  // kept in <tag>.fio
  meta.clear_stdout();    // kept in <tag>.stdout
  meta.clear_stderr();    // kept in <tag>.stderr
  return WriteJson(absl::StrCat(FioDir(run_id), "/", tag, ".json"), meta);
}

absl::StatusOr<RunRecord> RunStore::LoadRecord(const std::string& run_id,
                                               size_t max_stdout_bytes) const {
  RunRecord record;
  auto run = LoadRun(run_id);
  if (!run.ok()) return run.status();
  *record.mutable_run() = *run;
  if (auto req = LoadRequest(run_id); req.ok()) *record.mutable_request() = *req;
  if (auto prof = LoadProfile(run_id); prof.ok()) *record.mutable_profile() = *prof;
  auto events = ReadEvents(run_id);
  if (!events.ok()) return events.status();
  for (auto& ev : *events) *record.add_events() = std::move(ev);

  std::string fio_dir = FioDir(run_id);
  std::vector<std::string> tags;
  if (DIR* d = ::opendir(fio_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (absl::EndsWith(name, ".json")) tags.push_back(name.substr(0, name.size() - 5));
    }
    ::closedir(d);
  }
  // layout first, then phase-0, phase-1, ... in numeric order
  std::sort(tags.begin(), tags.end(), [](const std::string& a, const std::string& b) {
    auto key = [](const std::string& t) {
      if (t == "layout") return -1;
      return absl::StartsWith(t, "phase-") ? std::atoi(t.c_str() + 6) : 1 << 20;
    };
    return key(a) < key(b);
  });
  for (const std::string& tag : tags) {
    std::string base = absl::StrCat(fio_dir, "/", tag);
    auto meta = ReadJson<FioInvocation>(base + ".json");
    if (!meta.ok()) continue;
    FioInvocation* inv = record.add_fio();
    *inv = *meta;
    if (auto t = ReadFile(base + ".fio"); t.ok()) inv->set_job_file(*t);
    if (auto t = ReadFileTail(base + ".stderr", 256 * 1024); t.ok()) inv->set_stderr(*t);
    if (auto t = ReadFileTail(base + ".stdout", max_stdout_bytes); t.ok()) {
      inv->set_stdout_truncated(inv->stdout_bytes() > t->size());
      inv->set_stdout(*t);
    }
    inv->set_files_dir(fio_dir);
  }
  // fio's files are kept as fio wrote them; a tail can also start inside a
  // character. What goes into the record (proto3 strings) is valid UTF-8.
  MakeStringsValidUtf8(&record);
  return record;
}

std::vector<std::string> RunStore::ListRunIds() const {
  std::vector<std::string> ids;
  std::string dir = state_dir_ + "/runs";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (ValidRunId(name)) ids.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<std::string> RunStore::QuarantineRun(const std::string& run_id) {
  if (!ValidRunId(run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("run_id: \"", run_id, "\" is not a run id"));
  }
  const std::string base = state_dir_ + "/quarantine";
  if (::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", base);
  std::string to = absl::StrCat(base, "/", run_id);
  // A run quarantined before under the same id keeps its folder.
  for (int i = 2; i < 100 && ::access(to.c_str(), F_OK) == 0; ++i) {
    to = absl::StrCat(base, "/", run_id, ".", i);
  }
  const std::string from = RunDir(run_id);
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("cannot move", from);
  return to;
}

}  // namespace qdt::agent
