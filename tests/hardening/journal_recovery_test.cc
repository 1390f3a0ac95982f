// The state folder against a second agent and against damage (issue 15,
// defects 3, 9, 16, 17b), with real agent processes and real gRPC:
// - a second qdt-agent on the same --state-dir refuses to start naming the
//   first one's pid, and the first one's live run goes on untouched;
// - run folders damaged every way the issue names (garbage or empty run.json,
//   garbage profile.json, a folder in place of events.log, a damaged record
//   in the middle) never stop the agent: readable runs are kept and served,
//   unreadable ones quarantined, and every test file is removed from what is
//   on disk;
// - run.json saying RUNNING under a log that ends FAILED follows the log;
// - a leftover fio that is NOT the agent's child (so it does not die with
//   it) is killed by recovery, and an unrelated process whose pid is in the
//   pid file is not.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/run/run_plan.h"
#include "agent/run/run_recovery.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "common/proto_json.h"
#include "common/subprocess.h"
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/hardening/journal_common.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;
using ::testing::HasSubstr;
using ::testing::Not;

// Starts qdt-agent on `state` and waits for it to end (at most 20 s): its
// exit status and what it wrote to stderr.
int RunAgentToExit(const std::string& state, const std::string& token_file, std::string* log) {
  const std::string log_path = state + "/second-agent.log";
  std::vector<std::string> args = {AgentBinary(), "--listen",    "127.0.0.1:0",
                                   "--state-dir", state,         "--token-file",
                                   token_file,    "--port-file", state + "/second.port"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::freopen(log_path.c_str(), "w", stderr);
    (void)f;
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = -1;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (i == 199) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "the second agent did not exit: it serves beside the first";
    }
    ::usleep(100000);
  }
  *log = *ReadFile(log_path);
  return status;
}

TEST(StateLockTest, ASecondAgentRefusesAndTheFirstRunGoesOn) {
  TempDir state("state");
  TempDir target("target");
  const std::string token_file = state.path() + "/token";
  AgentProcess first(state.path(), token_file);
  first.Start();
  auto token = agent::LoadOrCreateToken(token_file, false);
  ASSERT_TRUE(token.ok());
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(first.address()));
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, *token, absl::Seconds(30));
  qdt::v1::Run run;
  ASSERT_TRUE(stub->StartRun(&ctx, SetupCheckRequest(target.path(), 1.0, 16ull << 20), &run).ok());
  int samples = 0;
  Watch(*stub, *token, run.run_id(), 1, [&](const RunEvent& ev) {
    samples += ev.has_sample() ? 1 : 0;
    return samples >= 2;
  });
  ASSERT_EQ(samples, 2);
  const std::string run_dir = state.path() + "/runs/" + run.run_id();
  const std::vector<pid_t> fio_before = ProcessesWithArg(run_dir);
  ASSERT_FALSE(fio_before.empty()) << "no fio running for the run";

  std::string log;
  const int status = RunAgentToExit(state.path(), token_file, &log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status << ": " << log;
  EXPECT_THAT(log, HasSubstr(absl::StrCat("another qdt-agent (pid ", first.pid(),
                                          ") is using the state folder ", state.path())));
  EXPECT_THAT(log, Not(HasSubstr("INTERRUPTED"))) << "the second agent recovered a live run";

  // The first agent's run: still going, its fio alive, its files there.
  for (pid_t pid : fio_before) EXPECT_TRUE(ProcessAlive(pid)) << "fio " << pid << " was killed";
  EXPECT_TRUE(PathExists(agent::TestDirFor(target.path(), run.run_id()) + "/stream-00.dat"));
  grpc::ClientContext get_ctx;
  client::PrepareContext(&get_ctx, *token, absl::Seconds(30));
  qdt::v1::GetRunRequest get;
  get.set_run_id(run.run_id());
  qdt::v1::RunRecord record;
  ASSERT_TRUE(stub->GetRun(&get_ctx, get, &record).ok());
  EXPECT_EQ(record.run().state(), qdt::v1::RUN_STATE_RUNNING);
  // Two more samples, then stop; one writer: seqs 1, 2, 3, ... once each.
  samples = 0;
  Watch(*stub, *token, run.run_id(), record.run().last_seq() + 1, [&](const RunEvent& ev) {
    samples += ev.has_sample() ? 1 : 0;
    return samples >= 2;
  });
  grpc::ClientContext stop_ctx;
  client::PrepareContext(&stop_ctx, *token, absl::Seconds(30));
  qdt::v1::StopRunRequest stop;
  stop.set_run_id(run.run_id());
  qdt::v1::Run stopped;
  ASSERT_TRUE(stub->StopRun(&stop_ctx, stop, &stopped).ok());
  std::vector<RunEvent> all = Watch(*stub, *token, run.run_id(), 1);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().state().state(), qdt::v1::RUN_STATE_STOPPED);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq(), i + 1);
  agent::EventLogScan scan;
  std::vector<RunEvent> on_disk =
      agent::ParseEventLog(*ReadFile(run_dir + "/events.log", 1 << 26), &scan);
  EXPECT_EQ(scan.skipped_bytes, 0u);
  EXPECT_EQ(scan.dropped_records, 0u) << "two writers on one log";
  EXPECT_EQ(on_disk.size(), all.size());
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0);
}

// A run folder laid by hand as a dead agent leaves it, with test files.
struct DeadRun {
  std::string id;
  std::string dir;       // the run's record folder
  std::string test_dir;  // <target>/.qdt-test/<id>
};

DeadRun LayDeadRun(agent::RunStore* store, const std::string& target, const std::string& id,
                   int events) {
  DeadRun d{id, store->RunDir(id), agent::TestDirFor(target, id)};
  qdt::v1::Run run;
  run.set_run_id(id);
  run.set_state(qdt::v1::RUN_STATE_RUNNING);
  run.set_target_dir(target);
  run.set_phase_index(1);
  run.set_phase_count(3);
  qdt::v1::StartRunRequest request = SetupCheckRequest(target, 1.0);
  qdt::v1::Profile profile;
  profile.set_name("setup-check");
  EXPECT_TRUE(store->CreateRun(run, request, profile).ok());
  auto log = store->OpenEventLog(id);
  for (int i = 1; i <= events; ++i) {
    RunEvent ev;
    ev.set_seq(static_cast<uint64_t>(i));
    ev.mutable_sample()->set_read_bytes_per_s(i * 1e6);
    EXPECT_TRUE((*log)->Append(ev).ok());
  }
  ::mkdir((target + "/.qdt-test").c_str(), 0755);
  ::mkdir(d.test_dir.c_str(), 0755);
  for (const char* name : {"stream-00.dat", "stream-01.dat", "stream-00.prerun.txt"}) {
    WriteRaw(d.test_dir + "/" + name, "data");
  }
  ::mkfifo((d.test_dir + "/gate-1.fifo").c_str(), 0600);
  return d;
}

TEST(DamagedRunFolderTest, EveryDamageIsRecoveredAndTheAgentServes) {
  TempDir state("state");
  TempDir target("target");
  TempDir outside("outside");
  std::vector<DeadRun> runs;
  {
    agent::RunStore store(state.path());
    ASSERT_TRUE(store.Init().ok());
    for (int i = 0; i < 6; ++i) {
      runs.push_back(
          LayDeadRun(&store, target.path(), absl::StrCat("20261128-12000", i, "-aaaaaa"), 6));
    }
  }
  // 0: garbage run.json (request.json names the target). 1: empty run.json,
  // garbage request.json: cannot be tied to a target. 2: garbage profile.json,
  // plus a file the agent does not make and a link planted under its names.
  // 3: a folder in place of events.log. 4: a record in the middle damaged.
  // 5: healthy.
  WriteRaw(runs[0].dir + "/run.json", "{ not json \xff");
  WriteRaw(runs[1].dir + "/run.json", "");
  WriteRaw(runs[1].dir + "/request.json", "garbage");
  WriteRaw(runs[2].dir + "/profile.json", "\x01\x02 garbage");
  WriteRaw(runs[2].test_dir + "/notes.txt", "the operator's");
  WriteRaw(outside.path() + "/precious.dat", "keep");
  ASSERT_EQ(::symlink((outside.path() + "/precious.dat").c_str(),
                      (runs[2].test_dir + "/stream-02.dat").c_str()),
            0);
  ASSERT_EQ(::unlink((runs[3].dir + "/events.log").c_str()), 0);
  ASSERT_EQ(::mkdir((runs[3].dir + "/events.log").c_str(), 0755), 0);
  {
    std::string log = *ReadFile(runs[4].dir + "/events.log");
    log[log.size() / 2] ^= 0x20;
    WriteRaw(runs[4].dir + "/events.log", log);
  }

  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  ASSERT_FALSE(agent.address().empty()) << "damage kept the agent from starting";
  const std::string log = agent.Log();
  auto token = agent::LoadOrCreateToken(token_file, false);
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(agent.address()));
  auto get = [&](const std::string& id) -> absl::StatusOr<qdt::v1::RunRecord> {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, *token, absl::Seconds(30));
    qdt::v1::GetRunRequest req;
    req.set_run_id(id);
    qdt::v1::RunRecord rec;
    absl::Status st = ToAbslStatus(stub->GetRun(&ctx, req, &rec));
    if (!st.ok()) return st;
    return rec;
  };

  // Quarantined, with a warning each; 0's files removed, 1's cannot be found.
  for (int i : {0, 1}) {
    EXPECT_FALSE(PathExists(runs[i].dir)) << i;
    EXPECT_TRUE(PathExists(state.path() + "/quarantine/" + runs[i].id + "/request.json")) << i;
    EXPECT_THAT(log, HasSubstr(absl::StrCat("run ", runs[i].id, ": run.json cannot be read")));
  }
  EXPECT_FALSE(PathExists(runs[0].test_dir)) << "an unreadable run's test files were left";
  EXPECT_TRUE(PathExists(runs[1].test_dir + "/stream-00.dat"))
      << "removed files of a run that cannot be tied to a target?";
  EXPECT_THAT(log, HasSubstr("request.json does not name its target"));

  // No client lists the set-aside runs: the readiness checks name them.
  {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, *token, absl::Seconds(60));
    qdt::v1::GetInfoRequest req;
    req.set_readiness(true);
    qdt::v1::AgentInfo info;
    ASSERT_TRUE(stub->GetInfo(&ctx, req, &info).ok());
    const qdt::v1::ReadinessCheck* set_aside = nullptr;
    for (const auto& c : info.readiness()) {
      if (c.name() == "set-aside runs") set_aside = &c;
    }
    ASSERT_NE(set_aside, nullptr) << "no readiness check names the set-aside runs";
    EXPECT_EQ(set_aside->level(), "warn");
    EXPECT_THAT(set_aside->detail(), HasSubstr("2 runs the agent could not read"));
    EXPECT_THAT(set_aside->detail(), HasSubstr(state.path() + "/quarantine"));
    EXPECT_THAT(set_aside->detail(), HasSubstr("\"" + runs[0].id + "\""));
    EXPECT_THAT(set_aside->detail(), HasSubstr("\"" + runs[1].id + "\""));
    EXPECT_THAT(set_aside->fix(), HasSubstr("events.log"));
  }
  // The same from `qdt-agent doctor --state-dir` on the machine.
  {
    SubprocessOptions o;
    o.argv = {AgentBinary(), "doctor", "--state-dir", state.path()};
    auto doctor = RunAndCapture(o, absl::Seconds(120));
    ASSERT_TRUE(doctor.ok()) << doctor.status();
    EXPECT_THAT(doctor->out, HasSubstr("warn  set-aside runs"));
    EXPECT_THAT(doctor->out, HasSubstr("\"" + runs[1].id + "\""));
    EXPECT_GE(doctor->exit.exit_code, 1) << "a warning is not \"ready\"";
  }

  grpc::ClientContext list_ctx;
  client::PrepareContext(&list_ctx, *token, absl::Seconds(30));
  qdt::v1::ListRunsResponse list;
  ASSERT_TRUE(stub->ListRuns(&list_ctx, qdt::v1::ListRunsRequest(), &list).ok());
  std::set<std::string> listed;
  for (const auto& r : list.runs()) listed.insert(r.run_id());
  EXPECT_EQ(listed, (std::set<std::string>{runs[2].id, runs[3].id, runs[4].id, runs[5].id}));

  // 2: the files found by listing, the operator's file and the folder kept,
  // the link removed (not what it points to), and the log line says so.
  auto r2 = get(runs[2].id);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->run().state(), qdt::v1::RUN_STATE_INTERRUPTED);
  EXPECT_FALSE(PathExists(runs[2].test_dir + "/stream-00.dat"));
  EXPECT_FALSE(PathExists(runs[2].test_dir + "/gate-1.fifo"));
  EXPECT_FALSE(PathExists(runs[2].test_dir + "/stream-02.dat"));
  EXPECT_TRUE(PathExists(outside.path() + "/precious.dat"));
  EXPECT_TRUE(PathExists(runs[2].test_dir + "/notes.txt"));
  std::string removal;
  for (const auto& ev : r2->events()) {
    if (ev.has_log() && absl::StrContains(ev.log().text(), "test files")) removal = ev.log().text();
  }
  EXPECT_THAT(removal, HasSubstr(absl::StrCat("removed 5 test files in ", runs[2].test_dir)));
  EXPECT_THAT(removal, HasSubstr("left 1 entries"));
  EXPECT_THAT(removal, HasSubstr("notes.txt"));

  // 3: served, INTERRUPTED, its broken log set aside and said so.
  auto r3 = get(runs[3].id);
  ASSERT_TRUE(r3.ok()) << r3.status();
  EXPECT_EQ(r3->run().state(), qdt::v1::RUN_STATE_INTERRUPTED);
  EXPECT_THAT(r3->run().error(), HasSubstr("events.log could not be read"));
  EXPECT_TRUE(PathExists(runs[3].dir + "/events.log.unreadable"));
  EXPECT_FALSE(PathExists(runs[3].test_dir));

  // 4 and 5: every event kept with its seq (4's damaged one a warning),
  // then the removal and INTERRUPTED; a watcher from seq 4 gets 4 on.
  for (int i : {4, 5}) {
    auto r = get(runs[i].id);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->events_size(), 8) << i;
    for (int k = 0; k < 8; ++k) EXPECT_EQ(r->events(k).seq(), static_cast<uint64_t>(k + 1));
    int samples = 0;
    for (int k = 0; k < 6; ++k) samples += r->events(k).has_sample() ? 1 : 0;
    EXPECT_EQ(samples, i == 4 ? 5 : 6) << i;
    EXPECT_EQ(r->run().last_seq(), 8u);
    EXPECT_EQ(r->events(7).state().state(), qdt::v1::RUN_STATE_INTERRUPTED);
    EXPECT_FALSE(PathExists(runs[i].test_dir)) << i;
    std::vector<RunEvent> from4 = Watch(*stub, *token, runs[i].id, 4);
    ASSERT_EQ(from4.size(), 5u) << i;
    EXPECT_EQ(from4.front().seq(), 4u);
  }
  auto r4 = get(runs[4].id);
  EXPECT_THAT(r4->run().error(),
              HasSubstr("damaged bytes of events.log were skipped (1 events lost)"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// Defect 16: the agent wrote FAILED to the log but could not rewrite run.json.
TEST(DamagedRunFolderTest, RunJsonFollowsTheLogsFinalState) {
  TempDir state("state");
  TempDir target("target");
  DeadRun d;
  {
    agent::RunStore store(state.path());
    ASSERT_TRUE(store.Init().ok());
    d = LayDeadRun(&store, target.path(), "20261128-120000-ffffff", 3);
    auto log = store.OpenEventLog(d.id);
    RunEvent failed;
    failed.set_seq(4);
    *failed.mutable_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1800000000);
    failed.mutable_state()->set_state(qdt::v1::RUN_STATE_FAILED);
    failed.mutable_state()->set_message("cannot write to disk: No space left on device");
    ASSERT_TRUE((*log)->Append(failed).ok());
  }
  ServedState served(state.path());
  ASSERT_TRUE(served.recovered().ok()) << served.recovered();
  auto record = served.GetRun(d.id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->run().state(), qdt::v1::RUN_STATE_FAILED);
  EXPECT_EQ(record->run().error(), "cannot write to disk: No space left on device");
  EXPECT_EQ(record->run().ended_at().seconds(), 1800000000);
  EXPECT_EQ(record->events_size(), 4) << "recovery appended to a run that had ended";
  EXPECT_EQ(served.store().LoadRun(d.id)->state(), qdt::v1::RUN_STATE_FAILED) << "run.json";
  EXPECT_FALSE(PathExists(d.test_dir));
}

// Starts `script` (sh) in a session of its own, not a child of the agent nor
// of this test (setsid -f): it outlives whatever started it, as a fio whose
// agent died on macOS does. Returns its pid, read from `pid_file`.
pid_t StartDetached(const std::string& script, const std::string& arg,
                    const std::string& pid_file) {
  int rc = -1;
  RunCommand(absl::StrCat("setsid -f /bin/sh '", script, "' '", arg, "' '", pid_file,
                          "' </dev/null >/dev/null 2>&1"),
             &rc);
  EXPECT_EQ(rc, 0);
  for (int i = 0; i < 100; ++i) {
    auto text = ReadFileTrimmed(pid_file);
    pid_t pid = 0;
    if (text.ok() && absl::SimpleAtoi(*text, &pid) && pid > 0) return pid;
    ::usleep(50000);
  }
  ADD_FAILURE() << "the detached process did not write " << pid_file;
  return -1;
}

TEST(OrphanedFioTest, RecoveryKillsALeftoverFioAndNothingElse) {
  TempDir state("state");
  TempDir target("target");
  TempDir bin("bin");
  DeadRun d;
  {
    agent::RunStore store(state.path());
    ASSERT_TRUE(store.Init().ok());
    d = LayDeadRun(&store, target.path(), "20261128-120000-dddddd", 3);
  }
  // Like the real fio: its command line names the job file in the run's folder.
  const std::string script = bin.path() + "/fake-fio.sh";
  WriteRaw(script, "echo $$ > \"$2.tmp\" && mv \"$2.tmp\" \"$2\"\nwhile :; do sleep 1; done\n");
  const pid_t fio = StartDetached(script, d.dir + "/fio/phase-1.fio", d.dir + "/fio/phase-1.pid");
  // Not ours: a process whose pid sits in a pid file, its command line
  // without the run's folder (a reused pid).
  const std::string other_pid = bin.path() + "/other.pid";
  const pid_t other = StartDetached(script, bin.path() + "/unrelated", other_pid);
  ASSERT_GT(fio, 0);
  ASSERT_GT(other, 0);
  WriteRaw(d.dir + "/fio/layout.pid", absl::StrCat(other, "\n"));
  ASSERT_TRUE(ProcessAlive(fio));

  AgentProcess agent(state.path(), state.path() + "/token");
  agent.Start();
  EXPECT_FALSE(ProcessAlive(fio)) << "the leftover fio " << fio << " still runs";
  EXPECT_TRUE(ProcessAlive(other)) << "recovery killed an unrelated process " << other;
  EXPECT_THAT(agent.Log(), HasSubstr(absl::StrCat("killing orphaned fio pid ", fio)));
  EXPECT_FALSE(PathExists(d.test_dir));
  ::kill(-other, SIGKILL);
  ::kill(other, SIGKILL);
  ::kill(-fio, SIGKILL);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

// The run store's durability seen from outside, as the kernel sees it: the
// test binary runs a few store calls again under strace, and every run.json
// (WriteFileAtomically) must be fdatasync'ed before it is renamed over the
// old one, every events.log record fdatasync'ed before the next is written.
// No seam, no LD_PRELOAD: the real syscalls of the real code.
TEST(StoreSyncTest, DISABLED_StoreCallsForStrace) {
  const char* dir = std::getenv("QDT_STRACE_STATE");
  if (dir == nullptr) GTEST_SKIP() << "run by StoreSyncTest.RecordsReachTheDiskBeforeTheyCount";
  agent::RunStore store(dir);
  ASSERT_TRUE(store.Init().ok());
  qdt::v1::Run run;
  run.set_run_id("20261128-120000-5a5a5a");
  run.set_state(qdt::v1::RUN_STATE_PENDING);
  ASSERT_TRUE(store.CreateRun(run, {}, {}).ok());
  run.set_state(qdt::v1::RUN_STATE_RUNNING);
  ASSERT_TRUE(store.SaveRun(run).ok());
  auto log = store.OpenEventLog(run.run_id());
  for (uint64_t i = 1; i <= 3; ++i) {
    RunEvent ev;
    ev.set_seq(i);
    ASSERT_TRUE((*log)->Append(ev).ok());
  }
}

TEST(StoreSyncTest, RecordsReachTheDiskBeforeTheyCount) {
  int rc = -1;
  RunCommand("strace -o /dev/null true", &rc);
  if (rc != 0) GTEST_SKIP() << "strace cannot trace here (missing, or ptrace not allowed)";
  TempDir state("strace-state");
  const std::string trace = state.path() + "/../strace-" + std::to_string(::getpid()) + ".txt";
  const std::string out =
      RunCommand(absl::StrCat("QDT_STRACE_STATE='", state.path(), "' strace -f -qq -o '", trace,
                              "' -e trace=openat,write,fdatasync,fsync,rename /proc/", ::getpid(),
                              "/exe --gtest_also_run_disabled_tests "
                              "--gtest_filter=StoreSyncTest.DISABLED_StoreCallsForStrace"),
                 &rc);
  ASSERT_EQ(rc, 0) << out;
  std::ifstream in(trace);
  std::string line;
  std::map<int, std::string> fds;  // fd -> path of our files
  std::map<int, bool> synced;      // fd -> synced since its last write / open
  int renames = 0, records = 0;
  auto fd_of = [](const std::string& l, const std::string& call) {
    const size_t at = l.find(call + "(");
    return at == std::string::npos ? -1 : std::atoi(l.c_str() + at + call.size() + 1);
  };
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "openat(") &&
        (absl::StrContains(line, "run.json.tmp\"") || absl::StrContains(line, "events.log\""))) {
      const int fd = std::atoi(line.c_str() + line.rfind("= ") + 2);
      fds[fd] = absl::StrContains(line, "run.json.tmp") ? "run.json.tmp" : "events.log";
      synced[fd] = false;
    } else if (int fd = fd_of(line, "write"); fd >= 0 && fds.count(fd) > 0) {
      if (fds[fd] == "events.log") {
        EXPECT_TRUE(records == 0 || synced[fd]) << "a record written before the last was synced";
        ++records;
      }
      synced[fd] = false;
    } else if (int fd = std::max(fd_of(line, "fdatasync"), fd_of(line, "fsync")); fd >= 0) {
      synced[fd] = true;
    } else if (absl::StrContains(line, "rename(") && absl::StrContains(line, "run.json.tmp")) {
      ++renames;
      for (const auto& [fd, name] : fds) {
        if (name == "run.json.tmp") {
          EXPECT_TRUE(synced[fd]) << "run.json renamed before it was synced: " << line;
        }
      }
      for (auto it = fds.begin(); it != fds.end();) {
        it = it->second == "run.json.tmp" ? fds.erase(it) : std::next(it);
      }
    }
  }
  EXPECT_EQ(renames, 2) << "CreateRun and SaveRun each write run.json once";
  EXPECT_EQ(records, 3);
  for (const auto& [fd, name] : fds) {
    if (name == "events.log") EXPECT_TRUE(synced[fd]) << "the last record was never synced";
  }
  ::unlink(trace.c_str());
}

}  // namespace
}  // namespace qdt::testing
