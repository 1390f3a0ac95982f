// The machine kept awake for a run's whole life, end to end: a real agent
// process with --platform=macos and a fake caffeinate first on its PATH that
// logs "start <time> <pid> <stream files> <args>" when started and "end <time>
// <pid> <stream files>" when terminated. For a run that ends DONE, FAILED,
// STOPPED and INTERRUPTED (agent shut down) it was started once before the
// run became PREPARING (no test file yet), ended once after the test files
// were removed and before the final state, with -w naming the agent, and no
// caffeinate is left. A fake pmset answers with a real capture of a MacBook
// on battery, which the run records and the verdict flags.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/run_store.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "common/verdict.h"
#include "console/client/agent_client.h"
#include "fio/fio_runner.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using google::protobuf::util::TimeUtil;
using qdt::v1::RunEvent;
using qdt::v1::RunState;
using ::testing::Contains;
using ::testing::HasSubstr;

// One line of the fake caffeinate's log.
struct HoldLine {
  std::string kind;  // "start" or "end"
  int64_t unix_ns = 0;
  pid_t pid = 0;
  int stream_files = -1;  // stream-*.dat under the target at that moment
  std::string args;       // what it was started with (start only)
};

int64_t EventNs(const RunEvent& ev) { return TimeUtil::TimestampToNanoseconds(ev.time()); }

class PowerHoldProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = bin_.path() + "/caffeinate.log";
    const std::string target = target_.path();
    Tool("caffeinate",
         absl::StrCat("left() { find '", target, "' -name 'stream-*.dat' | wc -l; }\n",
                      "trap 'echo \"end $(date +%s%N) $$ $(left)\" >> ", log_, "; exit 0' TERM\n",
                      "echo \"start $(date +%s%N) $$ $(left) $*\" >> ", log_,
                      "\nsleep 600 &\nwait"));
    Tool("pmset", absl::StrCat("[ \"$*\" = '-g batt' ] || exit 1\ncat '", QDT_FIXTURE_DIR,
                               "/pmset/pmset_g_batt_battery_power_discharging_macos.txt'"));
    // Spotlight indexes the target's volume (a real capture); tmutil logs.
    Tool("mdutil", absl::StrCat("[ \"$1\" = -s ] || exit 1\ncat '", QDT_FIXTURE_DIR,
                                "/mdutil/mdutil_s_smb_share_indexing_enabled_fs2es_issue30.txt'"));
    Tool("tmutil", absl::StrCat("echo \"$*\" >> '", bin_.path(), "/tmutil.log'"));
    // The real fio, except that its phases fail while the flag file exists.
    auto fio = fio::ResolveFioPath("");
    ASSERT_TRUE(fio.ok()) << fio.status();
    fail_flag_ = bin_.path() + "/fail-phases";
    Tool("fio", absl::StrCat("case \"$*\" in *fio/phase-*) if [ -e '", fail_flag_,
                             "' ]; then echo 'fio: injected failure' >&2; exit 1; fi ;; esac\n",
                             "exec '", *fio, "' \"$@\""));
    // fio 3.33 cannot drop cached pages on macOS; the run here is on Linux.
    agent_.Start(
        {"--platform", "macos", "--fio", bin_.path() + "/fio", "--allow-fio-without-cache-drop"},
        bin_.path());
    agent_pid_ = agent_.pid();
    auto token = agent::LoadOrCreateToken(token_file_, false);
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
    stub_ = qdt::v1::Agent::NewStub(client::MakeChannel(agent_.address()));
  }

  void Tool(const std::string& name, const std::string& body) {
    ASSERT_TRUE(WriteFile(bin_.path() + "/" + name, "#!/bin/sh\n" + body + "\n", 0755).ok());
  }

  // A one-phase run of unpaced 1 MiB reads on a 16 MiB file.
  std::string StartRun(double seconds) {
    qdt::v1::StartRunRequest req;
    req.set_target_dir(target_.path());
    req.set_file_size_bytes(16ull << 20);
    qdt::v1::Profile* p = req.mutable_profile();
    p->set_name("hold-check");
    qdt::v1::Phase* ph = p->add_phases();
    ph->set_name("max-read");
    ph->set_duration_s(seconds);
    qdt::v1::Stream* s = ph->add_streams();
    s->set_name("clip");
    s->set_block_size_bytes(1 << 20);
    s->set_iodepth(2);
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::Run run;
    grpc::Status st = stub_->StartRun(&ctx, req, &run);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return run.run_id();
  }

  std::vector<RunEvent> WatchUntil(const std::string& run_id,
                                   const std::function<bool(const RunEvent&)>& stop_after) {
    return Watch(*stub_, token_, run_id, 1, stop_after);
  }

  std::vector<HoldLine> HoldLog() {
    std::vector<HoldLine> lines;
    auto text = ReadFile(log_);
    if (!text.ok()) return lines;
    for (absl::string_view l : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      std::vector<std::string> w = absl::StrSplit(l, absl::MaxSplits(' ', 4));
      HoldLine h;
      EXPECT_GE(w.size(), 4u) << l;
      if (w.size() < 4) continue;
      h.kind = w[0];
      EXPECT_TRUE(absl::SimpleAtoi(w[1], &h.unix_ns)) << l;
      EXPECT_TRUE(absl::SimpleAtoi(w[2], &h.pid)) << l;
      EXPECT_TRUE(absl::SimpleAtoi(w[3], &h.stream_files)) << l;
      if (w.size() > 4) h.args = w[4];
      lines.push_back(h);
    }
    return lines;
  }

  // Held once, from before PREPARING (no test file yet) to after the test
  // files were removed and before the final state `end`; nothing left.
  void ExpectHeldThroughout(const qdt::v1::Run& run, const std::vector<RunEvent>& events,
                            RunState end) {
    ASSERT_FALSE(events.empty());
    const RunEvent& last = events.back();
    ASSERT_TRUE(last.has_state());
    EXPECT_EQ(last.state().state(), end) << last.state().message();
    int64_t preparing = 0, removed = 0;
    for (const RunEvent& ev : events) {
      if (ev.has_state() && ev.state().state() == qdt::v1::RUN_STATE_PREPARING) {
        preparing = EventNs(ev);
      }
      if (ev.has_log() && absl::StartsWith(ev.log().text(), "removed the test files")) {
        removed = EventNs(ev);
      }
    }
    ASSERT_GT(preparing, 0) << "no PREPARING event";
    ASSERT_GT(removed, 0) << "no clean-up event";
    const std::vector<HoldLine> lines = HoldLog();
    ASSERT_EQ(lines.size(), 2u) << "caffeinate must start and end exactly once";
    const HoldLine& start = lines[0];
    const HoldLine& stop = lines[1];
    EXPECT_EQ(start.kind, "start");
    EXPECT_EQ(stop.kind, "end");
    EXPECT_EQ(start.pid, stop.pid);
    EXPECT_EQ(start.args, absl::StrCat("-i -m -s -w ", agent_pid_));
    EXPECT_LT(start.unix_ns, preparing) << "the layout began before the Mac was held awake";
    EXPECT_EQ(start.stream_files, 0);
    EXPECT_GT(stop.unix_ns, removed) << "released before the test files were removed";
    EXPECT_LT(stop.unix_ns, EventNs(last)) << "released after the final state";
    EXPECT_EQ(stop.stream_files, 0);
    EXPECT_EQ(run.checks().power_hold(), absl::StrCat("caffeinate -i -m -s (pid ", start.pid, ")"));
    EXPECT_EQ(run.checks().power_hold_note(), "");
    EXPECT_EQ(run.checks().power_source(), "Battery Power");
    EXPECT_FALSE(ProcessAlive(start.pid)) << "caffeinate " << start.pid << " outlived its run";
    EXPECT_TRUE(ProcessesWithArg(bin_.path() + "/caffeinate").empty());
  }

  qdt::v1::Run GetRun(const std::string& run_id) {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::GetRunRequest req;
    req.set_run_id(run_id);
    qdt::v1::RunRecord rec;
    grpc::Status st = stub_->GetRun(&ctx, req, &rec);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return rec.run();
  }

  TempDir state_{"state"};
  TempDir target_{"target"};
  TempDir bin_{"fakebin"};
  const std::string token_file_ = state_.path() + "/token";
  AgentProcess agent_{state_.path(), token_file_};
  pid_t agent_pid_ = -1;
  std::string log_, fail_flag_, token_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

bool IsSample(const RunEvent& ev) { return ev.has_sample(); }

TEST_F(PowerHoldProcessTest, HeldThroughADoneRunOnBatteryWhichIsFlagged) {
  const std::string id = StartRun(1.5);
  ASSERT_FALSE(id.empty());
  const std::vector<RunEvent> events = WatchUntil(id, nullptr);
  const qdt::v1::Run run = GetRun(id);
  ExpectHeldThroughout(run, events, qdt::v1::RUN_STATE_DONE);
  EXPECT_THAT(run.verdict().flags(), Contains(std::string(kOnBatteryFlag)));
  bool warned = false;
  for (const RunEvent& ev : events) {
    warned |= ev.has_log() && ev.log().text() == "power source: Battery Power";
  }
  EXPECT_TRUE(warned);
  // Spotlight and Time Machine on the target (background_readers.h).
  EXPECT_EQ(run.checks().spotlight(), "Indexing enabled.");
  EXPECT_EQ(run.checks().time_machine(), "excluded " + target_.path() + "/.qdt-test");
  auto tm = ReadFile(bin_.path() + "/tmutil.log");
  ASSERT_TRUE(tm.ok());
  EXPECT_EQ(*tm, "addexclusion " + target_.path() + "/.qdt-test\n");
  bool spotlight_said = false;
  for (const RunEvent& ev : events) {
    spotlight_said |= ev.has_log() && ev.log().level() == qdt::v1::LogLine::LEVEL_WARNING &&
                      absl::StrContains(ev.log().text(), "Spotlight indexes " + target_.path()) &&
                      absl::StrContains(ev.log().text(),
                                        "sudo mdutil -i off /System/Volumes/Data/Volumes/Shared");
  }
  EXPECT_TRUE(spotlight_said);
  agent_.Signal(SIGTERM);
  EXPECT_EQ(agent_.Wait(), 0);
}

TEST_F(PowerHoldProcessTest, ReleasedWhenFioFails) {
  ASSERT_TRUE(WriteFile(fail_flag_, "").ok());
  const std::string id = StartRun(30);
  ASSERT_FALSE(id.empty());
  const std::vector<RunEvent> events = WatchUntil(id, nullptr);
  const qdt::v1::Run run = GetRun(id);
  ExpectHeldThroughout(run, events, qdt::v1::RUN_STATE_FAILED);
  EXPECT_THAT(run.error(), HasSubstr("fio: injected failure"));
  agent_.Signal(SIGTERM);
  EXPECT_EQ(agent_.Wait(), 0);
}

TEST_F(PowerHoldProcessTest, ReleasedWhenStopped) {
  const std::string id = StartRun(30);
  ASSERT_FALSE(id.empty());
  WatchUntil(id, IsSample);
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, absl::Seconds(30));
  qdt::v1::StopRunRequest stop;
  stop.set_run_id(id);
  qdt::v1::Run stopped;
  ASSERT_TRUE(stub_->StopRun(&ctx, stop, &stopped).ok());
  const std::vector<RunEvent> events = WatchUntil(id, nullptr);
  ExpectHeldThroughout(GetRun(id), events, qdt::v1::RUN_STATE_STOPPED);
  agent_.Signal(SIGTERM);
  EXPECT_EQ(agent_.Wait(), 0);
}

TEST_F(PowerHoldProcessTest, ReleasedWhenTheAgentShutsDown) {
  const std::string id = StartRun(30);
  ASSERT_FALSE(id.empty());
  WatchUntil(id, IsSample);
  agent_.Signal(SIGTERM);
  EXPECT_EQ(agent_.Wait(), 0);
  // The agent is gone: its record on disk.
  agent::RunStore store(state_.path());
  auto record = store.LoadRecord(id);
  ASSERT_TRUE(record.ok()) << record.status();
  std::vector<RunEvent> events(record->events().begin(), record->events().end());
  ExpectHeldThroughout(record->run(), events, qdt::v1::RUN_STATE_INTERRUPTED);
}

}  // namespace
}  // namespace qdt::testing
