#include "agent/run_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/proto_json.h"

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

// Reads records from the event log; `good_bytes` receives the length of the
// complete prefix.
absl::StatusOr<std::vector<RunEvent>> ReadRecords(const std::string& path, size_t* good_bytes) {
  auto data = ReadFile(path, kMaxEventLogBytes);
  if (!data.ok()) {
    if (absl::IsNotFound(data.status())) {
      *good_bytes = 0;
      return std::vector<RunEvent>{};
    }
    return data.status();
  }
  std::vector<RunEvent> events;
  size_t pos = 0;
  while (pos + 4 <= data->size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(data->data() + pos);
    uint32_t len = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    if (pos + 4 + len > data->size()) break;  // torn tail
    RunEvent ev;
    if (!ev.ParseFromArray(data->data() + pos + 4, static_cast<int>(len))) break;
    events.push_back(std::move(ev));
    pos += 4 + len;
  }
  *good_bytes = pos;
  return events;
}

}  // namespace

EventLogWriter::~EventLogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status EventLogWriter::Append(const RunEvent& event) {
  std::string payload;
  event.SerializeToString(&payload);
  std::string record(4, '\0');
  uint32_t len = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) record[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  record += payload;
  // One write per record: with O_APPEND a crash leaves at most one torn record.
  const char* p = record.data();
  size_t left = record.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot append to", path_);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (SyncFileData(fd_) != 0) return Errno("cannot write to disk", path_);
  return absl::OkStatus();
}

RunStore::RunStore(std::string state_dir) : state_dir_(std::move(state_dir)) {}

absl::Status RunStore::Init() {
  if (state_dir_.empty() || state_dir_[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("--state-dir: must be an absolute path, got \"", state_dir_, "\""));
  }
  return MakeDirs(state_dir_ + "/runs");
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
    return absl::InvalidArgumentError(absl::StrCat("bad run id \"", run.run_id(), "\""));
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
  return std::unique_ptr<EventLogWriter>(new EventLogWriter(fd, path));
}

absl::StatusOr<std::vector<RunEvent>> RunStore::ReadEvents(const std::string& run_id) const {
  size_t good = 0;
  return ReadRecords(RunDir(run_id) + "/events.log", &good);
}

absl::StatusOr<size_t> RunStore::RepairEventLog(const std::string& run_id) {
  std::string path = RunDir(run_id) + "/events.log";
  size_t good = 0;
  auto events = ReadRecords(path, &good);
  if (!events.ok()) return events.status();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) > good) {
    if (::truncate(path.c_str(), static_cast<off_t>(good)) != 0) return Errno("truncate", path);
  }
  return events->size();
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

}  // namespace qdt::agent
