// Crash consistency of the journal (issue 15, Must show): a REAL events.log
// from a real short run (real agent, real fio), cut before its final state as
// if the agent had died mid-run, with run.json set back to RUNNING and the
// run's test files on the target. Then for EVERY byte offset of that log:
// (i) the log truncated there, (ii) one byte flipped there; recovery runs on
// the folder and must serve (RecoverRuns OK, the run listed and readable),
// keep every record before the damage, keep every intact record after it
// (each with its own seq; the damaged one's seq becomes a warning), end the
// run INTERRUPTED and remove its test files.
//
// The per-offset loop runs in-process (RunStore + RecoverRuns on a folder in
// RAM when /dev/shm exists: the loop checks the recovery's logic, the sync
// tests check durability). Every 97th offset, and the first and last, the
// same is checked through the agent's gRPC API (GetRun, ListRuns, WatchRun
// from seq 1 and from just past the damage); three offsets per kind through a
// real qdt-agent process.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/run/run_plan.h"
#include "agent/run/run_recovery.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/proto_json.h"
#include "common/run_state.h"
#include "console/client/agent_client.h"
#include "fio/fio_job_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hardening/journal_common.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;
using ::testing::HasSubstr;

// What a real run left, cut back to "the agent died while RUNNING".
struct RealRun {
  std::string id;
  std::string run_json, request_json, profile_json;
  std::string log;                 // records before the final state
  std::vector<size_t> starts;      // each record's offset in `log` (+ log.size())
  std::vector<RunEvent> events;    // those records
  std::vector<std::string> files;  // the run's test file names (TestFileNames)
};

const RealRun& Real() {
  static const RealRun* real = [] {
    auto* r = new RealRun;
    InProcessAgent agent;
    TempDir target("target");
    auto run = agent.StartRun(SetupCheckRequest(target.path(), 0.2, 16ull << 20));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return r;
    r->id = run->run_id();
    auto events = agent.WatchAll(r->id);
    EXPECT_TRUE(events.ok()) << events.status();
    const std::string dir = agent.store().RunDir(r->id);
    const std::string full_log = *ReadFile(dir + "/events.log", 1 << 26);
    if (const char* out = std::getenv("QDT_JOURNAL_FIXTURE_OUT")) WriteRaw(out, full_log);
    agent::EventLogScan scan;
    std::vector<RunEvent> all = agent::ParseEventLog(full_log, &scan);
    EXPECT_EQ(scan.skipped_bytes, 0u);
    size_t pos = 0;
    for (const RunEvent& ev : all) {
      if (ev.has_state() && RunEnded(ev.state().state())) break;
      r->starts.push_back(pos);
      r->events.push_back(ev);
      pos += agent::EncodeEventRecord(ev).size();
    }
    r->log = full_log.substr(0, pos);
    r->starts.push_back(pos);
    auto stored = agent.store().LoadRun(r->id);
    qdt::v1::Run dying = *stored;
    dying.set_state(qdt::v1::RUN_STATE_RUNNING);
    dying.clear_ended_at();
    dying.clear_verdict();
    dying.clear_error();
    r->run_json = *ProtoToJson(dying);
    r->request_json = *ReadFile(dir + "/request.json");
    r->profile_json = *ReadFile(dir + "/profile.json");
    r->files =
        agent::TestFileNames(*agent.store().LoadProfile(r->id), fio::JobLayout::kJobPerStream);
    return r;
  }();
  return *real;
}

// A folder in RAM when there is one (fdatasync costs nothing there).
std::string RamBase() {
  struct stat st;
  if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) return "/dev/shm";
  return std::string(QDT_BINARY_DIR) + "/test-tmp";
}

class Scratch {
 public:
  Scratch() {
    std::string tmpl = RamBase() + "/qdt-journal-crash-XXXXXX";
    root_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
    EXPECT_FALSE(root_.empty());
    state_ = root_ + "/state";
    target_ = root_ + "/target";
  }
  ~Scratch() { RemoveTree(root_); }
  const std::string& state() const { return state_; }
  const std::string& target() const { return target_; }

  // The dead agent's folders: the run's record with `log` as events.log, and
  // its test files on the target (the gates as FIFOs).
  void Lay(const RealRun& real, const std::string& log) {
    RemoveTree(state_);
    RemoveTree(target_);
    const std::string run_dir = absl::StrCat(state_, "/runs/", real.id);
    ::mkdir(state_.c_str(), 0755);
    ::mkdir((state_ + "/runs").c_str(), 0755);
    ::mkdir(run_dir.c_str(), 0755);
    ::mkdir((run_dir + "/fio").c_str(), 0755);
    WriteRaw(run_dir + "/run.json", Retarget<qdt::v1::Run>(real.run_json));
    WriteRaw(run_dir + "/request.json", Retarget<qdt::v1::StartRunRequest>(real.request_json));
    WriteRaw(run_dir + "/profile.json", real.profile_json);
    WriteRaw(run_dir + "/events.log", log);
    const std::string test_dir = agent::TestDirFor(target_, real.id);
    ::mkdir(target_.c_str(), 0755);
    ::mkdir((target_ + "/.qdt-test").c_str(), 0755);
    ::mkdir(test_dir.c_str(), 0755);
    for (const std::string& name : real.files) {
      const std::string path = test_dir + "/" + name;
      if (absl::EndsWith(name, ".fifo")) {
        ::mkfifo(path.c_str(), 0600);
      } else {
        WriteRaw(path, "test data");
      }
    }
  }

 private:
  // The real run's target was another folder: the record names ours.
  template <typename Message>
  std::string Retarget(const std::string& json) const {
    Message msg;
    EXPECT_TRUE(ProtoFromJson(json, &msg, "record").ok());
    msg.set_target_dir(target_);
    return *ProtoToJson(msg);
  }
  std::string root_, state_, target_;
};

enum class Damage { kTruncate, kFlip };

std::string Damaged(const std::string& log, size_t at, Damage kind) {
  if (kind == Damage::kTruncate) return log.substr(0, at);
  std::string out = log;
  out[at] = static_cast<char>(out[at] ^ 0xff);
  return out;
}

// Which record holds byte `at`.
size_t RecordAt(const RealRun& real, size_t at) {
  size_t k = 0;
  while (k + 1 < real.starts.size() && real.starts[k + 1] <= at) ++k;
  return k;
}

// The events recovery must leave: every record before the damaged one, then
// (a flip) the damaged one's seq as a warning unless it was the last, every
// record after it, then the removal line and INTERRUPTED.
void ExpectRecovered(const RealRun& real, size_t at, Damage kind, const std::vector<RunEvent>& got,
                     const std::string& where) {
  const size_t n = real.events.size();
  const size_t k = RecordAt(real, at);
  // A cut on a record's first byte keeps every record before it whole.
  size_t expect_kept = kind == Damage::kTruncate ? k : n;
  const bool lost_last = kind == Damage::kFlip && k == n - 1;
  if (lost_last) expect_kept = n - 1;
  ASSERT_EQ(got.size(), expect_kept + 2) << where;
  for (size_t i = 0; i < expect_kept; ++i) {
    EXPECT_EQ(got[i].seq(), i + 1) << where;
    if (kind == Damage::kFlip && i == k) {
      ASSERT_TRUE(got[i].has_log()) << where << ": the damaged record's seq is not a warning";
      EXPECT_THAT(got[i].log().text(), HasSubstr(absl::StrCat("event ", k + 1, " was lost")));
      continue;
    }
    EXPECT_EQ(got[i].SerializeAsString(), real.events[i].SerializeAsString())
        << where << ": record " << i + 1 << " was not kept as it was";
  }
  EXPECT_EQ(got[expect_kept].seq(), expect_kept + 1) << where;
  EXPECT_TRUE(absl::StartsWith(got[expect_kept].log().text(), "removed the test files in "))
      << where << ": " << got[expect_kept].log().text();
  EXPECT_THAT(got[expect_kept].log().text(),
              HasSubstr(absl::StrCat("(", real.files.size(), " files)")));
  const RunEvent& last = got.back();
  EXPECT_EQ(last.seq(), expect_kept + 2) << where;
  EXPECT_EQ(last.state().state(), qdt::v1::RUN_STATE_INTERRUPTED) << where;
}

void ExpectStoreRecovered(const RealRun& real, const Scratch& s, size_t at, Damage kind,
                          const std::string& where) {
  agent::RunStore store(s.state(), [](int) { return 0; });
  ASSERT_TRUE(store.Init().ok()) << where;
  absl::Status st = agent::RecoverRuns(&store);
  ASSERT_TRUE(st.ok()) << where << ": " << st;
  auto run = store.LoadRun(real.id);
  ASSERT_TRUE(run.ok()) << where << ": " << run.status();
  EXPECT_EQ(run->state(), qdt::v1::RUN_STATE_INTERRUPTED) << where;
  auto events = store.ReadEvents(real.id);
  ASSERT_TRUE(events.ok()) << where;
  ExpectRecovered(real, at, kind, *events, where);
  EXPECT_EQ(run->last_seq(), events->back().seq()) << where;
  EXPECT_FALSE(PathExists(s.target() + "/.qdt-test")) << where << ": test files left";
}

void ExpectServed(const RealRun& real, const Scratch& s, size_t at, Damage kind,
                  const std::string& where) {
  ServedState served(s.state());
  ASSERT_TRUE(served.recovered().ok()) << where << ": " << served.recovered();
  auto list = served.ListRuns();
  ASSERT_TRUE(list.ok()) << where << ": " << list.status();
  ASSERT_EQ(list->runs_size(), 1) << where;
  EXPECT_EQ(list->runs(0).state(), qdt::v1::RUN_STATE_INTERRUPTED) << where;
  auto record = served.GetRun(real.id);
  ASSERT_TRUE(record.ok()) << where << ": " << record.status();
  std::vector<RunEvent> got(record->events().begin(), record->events().end());
  ExpectRecovered(real, at, kind, got, where);
  EXPECT_EQ(record->run().last_seq(), got.back().seq()) << where;
  auto watched = served.WatchAll(real.id, 1);
  ASSERT_TRUE(watched.ok()) << where << ": " << watched.status();
  ExpectRecovered(real, at, kind, *watched, where);
  // A watcher resuming just past the damaged record misses nothing after it.
  const uint64_t from = RecordAt(real, at) + 2;
  auto rest = served.WatchAll(real.id, from);
  ASSERT_TRUE(rest.ok()) << where;
  ASSERT_FALSE(rest->empty()) << where;
  EXPECT_EQ(rest->front().seq(), std::min<uint64_t>(from, got.back().seq())) << where;
  EXPECT_EQ(rest->back().SerializeAsString(), got.back().SerializeAsString()) << where;
}

class JournalCrashTest : public ::testing::TestWithParam<Damage> {};

TEST_P(JournalCrashTest, EveryOffsetRecoversKeepingEveryIntactRecord) {
  const RealRun& real = Real();
  ASSERT_FALSE(real.id.empty());
  ASSERT_GE(real.events.size(), 10u) << "the real run's log is too short to mean much";
  const Damage kind = GetParam();
  Scratch s;
  int served = 0;
  // Thousands of recoveries: their warnings would bury a failure's message.
  SetMinLogLevel(LogLevel::kError);
  for (size_t at = 0; at < real.log.size(); ++at) {
    const std::string where = absl::StrCat(kind == Damage::kFlip ? "flip" : "truncate", " at ", at,
                                           " of ", real.log.size());
    s.Lay(real, Damaged(real.log, at, kind));
    ExpectStoreRecovered(real, s, at, kind, where);
    if (at % 97 == 0 || at + 1 == real.log.size()) {
      s.Lay(real, Damaged(real.log, at, kind));
      ExpectServed(real, s, at, kind, where);
      ++served;
    }
    if (HasFailure()) break;  // one offset's story, not thousands
  }
  SetMinLogLevel(LogLevel::kInfo);
  EXPECT_GT(served, 2);
}

// The real binary on three offsets: it starts, serves, and says the same.
TEST_P(JournalCrashTest, ARealAgentProcessServesADamagedLog) {
  const RealRun& real = Real();
  ASSERT_FALSE(real.id.empty());
  const Damage kind = GetParam();
  for (size_t at : {size_t{0}, real.log.size() / 2, real.log.size() - 1}) {
    const std::string where =
        absl::StrCat(kind == Damage::kFlip ? "flip" : "truncate", " at ", at, " (agent process)");
    TempDir root("journal-crash");
    Scratch s;
    s.Lay(real, Damaged(real.log, at, kind));
    const std::string token_file = root.path() + "/token";
    AgentProcess agent(s.state(), token_file);
    agent.Start();
    ASSERT_FALSE(agent.address().empty()) << where;
    auto token = agent::LoadOrCreateToken(token_file, false);
    ASSERT_TRUE(token.ok());
    auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(agent.address()));
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, *token, absl::Seconds(30));
    qdt::v1::GetRunRequest get;
    get.set_run_id(real.id);
    qdt::v1::RunRecord record;
    grpc::Status st = stub->GetRun(&ctx, get, &record);
    ASSERT_TRUE(st.ok()) << where << ": " << st.error_message();
    EXPECT_EQ(record.run().state(), qdt::v1::RUN_STATE_INTERRUPTED) << where;
    std::vector<RunEvent> got(record.events().begin(), record.events().end());
    ExpectRecovered(real, at, kind, got, where);
    EXPECT_FALSE(PathExists(s.target() + "/.qdt-test")) << where << ": test files left";
    agent.Signal(SIGTERM);
    EXPECT_EQ(agent.Wait(), 0) << where;
  }
}

INSTANTIATE_TEST_SUITE_P(Damage, JournalCrashTest,
                         ::testing::Values(Damage::kTruncate, Damage::kFlip),
                         [](const ::testing::TestParamInfo<Damage>& info) {
                           return info.param == Damage::kFlip ? std::string("Flip")
                                                              : std::string("Truncate");
                         });

}  // namespace
}  // namespace qdt::testing
