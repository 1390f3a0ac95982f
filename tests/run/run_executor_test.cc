// RunExecutor with a fake FioInvoker that replays real fio output: every way
// a run can end (done, stopped during the layout, the wait or a phase, agent
// shut down, fio failing or not starting) gives the right final state, the
// right events, and no test file left behind; the power hold (a fake) is
// taken before the layout and released after the clean-up at every end. The
// real fio is exercised by tests/integration.
#include "agent/run/run_executor.h"

#include <signal.h>

#include <functional>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using qdt::v1::RunEvent;
using qdt::v1::RunState;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFiveReports[] =
    "fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json";

// What the fake fio does for one invocation (by tag).
struct Script {
  std::string output;  // printed on stdout, in chunks
  int exit_code = 0;
  std::string stderr_text;
  bool cannot_start = false;      // Run() fails as when the binary is missing
  bool block_until_stop = false;  // after printing `output`, run until Stop()
};

class FakeFioInvoker;

// One fake fio: a gated one waits for Release(); then it prints its output
// and ends (or runs on until Stop(), if scripted to).
class FakeFioRun final : public FioRun {
 public:
  FakeFioRun(FakeFioInvoker* invoker, FioCall call, Script script)
      : invoker_(invoker), call_(std::move(call)), script_(std::move(script)) {}
  bool Pump(const std::function<void(absl::string_view)>& on_stdout,
            absl::Duration max_wait) override;
  fio::FioExit exit() const override { return exit_; }
  bool Ready() const override { return true; }
  absl::Status Release(size_t gate) override {
    if (gate == 0) released_ = true;
    return absl::OkStatus();
  }

 private:
  bool End(bool terminated) {
    exit_.exit_code = terminated ? -1 : script_.exit_code;
    exit_.term_signal = terminated ? SIGTERM : 0;
    exit_.terminated = terminated;
    exit_.stderr_text = script_.stderr_text;
    ended_ = true;
    return false;
  }

  FakeFioInvoker* const invoker_;
  const FioCall call_;
  const Script script_;
  fio::FioExit exit_;
  bool released_ = false, delivered_ = false, ended_ = false;
};

class FakeFioInvoker final : public FioInvoker {
 public:
  FakeFioInvoker(std::string test_dir, std::map<std::string, Script> scripts)
      : test_dir_(std::move(test_dir)), scripts_(std::move(scripts)) {}

  absl::StatusOr<std::unique_ptr<FioRun>> Start(const FioCall& call) override {
    {
      absl::MutexLock lock(&mu_);
      calls_.push_back(call.tag);
      args_.push_back(call.extra_args);
      gates_.push_back(call.gates.empty() ? "" : call.gates[0].fifo);
    }
    Script script = scripts_.count(call.tag) ? scripts_.at(call.tag) : Default(call);
    if (script.cannot_start) return absl::NotFoundError("\"/opt/fio\" is not an executable file");
    if (call.tag == "layout") LayOut(call.job_text);
    return std::unique_ptr<FioRun>(new FakeFioRun(this, call, std::move(script)));
  }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  bool stopped() {
    absl::MutexLock lock(&mu_);
    return stopped_;
  }
  void MarkStarted(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    started_ = tag;
  }

  // Blocks until fio for `tag` has printed its output.
  void AwaitStarted(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    struct Awaited {
      const std::string* started;
      const std::string* tag;
    } awaited{&started_, &tag};
    mu_.Await(absl::Condition(
        +[](Awaited* a) { return *a->started == *a->tag; }, &awaited));
  }

  std::vector<std::string> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::vector<std::string>> args() {
    absl::MutexLock lock(&mu_);
    return args_;
  }
  std::vector<std::string> gates() {
    absl::MutexLock lock(&mu_);
    return gates_;
  }

 private:
  static Script Default(const FioCall& call) {
    Script s;
    if (call.tag != "layout") s.output = testing::Fixture(kFiveReports);
    return s;
  }
  // As fio's create_only layout does: one file per [layout-NN] section.
  void LayOut(const std::string& job) {
    for (int i = 0; absl::StrContains(job, absl::StrFormat("[layout-%02d]", i)); ++i) {
      EXPECT_TRUE(WriteFile(absl::StrFormat("%s/stream-%02d.dat", test_dir_, i), "data").ok());
    }
  }

  const std::string test_dir_;
  const std::map<std::string, Script> scripts_;
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> args_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> gates_ ABSL_GUARDED_BY(mu_);
  std::string started_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

bool FakeFioRun::Pump(const std::function<void(absl::string_view)>& on_stdout,
                      absl::Duration max_wait) {
  if (ended_) return false;
  const absl::Duration nap = std::min(max_wait, absl::Milliseconds(1));
  if (!call_.gates.empty() && !released_) {
    if (invoker_->stopped()) return End(/*terminated=*/true);
    absl::SleepFor(nap);
    return true;  // waiting at the gate
  }
  if (!delivered_) {
    for (size_t i = 0; i < script_.output.size() && on_stdout; i += 4096) {
      on_stdout(absl::string_view(script_.output).substr(i, 4096));
    }
    delivered_ = true;
    invoker_->MarkStarted(call_.tag);
  }
  if (script_.block_until_stop && !invoker_->stopped()) {
    absl::SleepFor(nap);
    return true;
  }
  return End(/*terminated=*/script_.block_until_stop);
}

class RunExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Init().ok()); }

  // The Setup Check on the temporary target, with `scripts` for fio.
  void Make(std::map<std::string, Script> scripts, absl::Duration start_in = absl::ZeroDuration()) {
    qdt::v1::StartRunRequest req;
    req.set_profile_name("setup-check");
    req.set_target_dir(target_.path());
    // 1 s phases (the shortest a plan accepts): the fake prints at once, the
    // pipeline still waits each phase's due time.
    req.set_time_scale(0.1);
    PlanOptions options;
    options.run_id = "20261201-120000-abcdef";
    options.default_file_size = 16ull << 20;
    options.now = absl::Now();
    auto plan = PlanRun(req, options);
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan->start_at = absl::Now() + start_in;
    auto area = TestArea::Create(target_.path(), options.run_id);
    ASSERT_TRUE(area.ok()) << area.status();
    test_dir_ = area->dir();
    auto fake = std::make_unique<FakeFioInvoker>(test_dir_, std::move(scripts));
    fake_ = fake.get();
    RunExecutorDeps deps;
    deps.store = &store_;
    deps.invoker = std::move(fake);
    deps.status_interval_s = 1;
    if (tweak_deps_) tweak_deps_(&deps);
    auto executor = RunExecutor::Create(req, *std::move(plan), *std::move(area),
                                        VolumeSpace{1ull << 40, 2ull << 40}, std::move(deps));
    ASSERT_TRUE(executor.ok()) << executor.status();
    executor_ = *std::move(executor);
  }

  void ExecuteInBackground() {
    worker_ = std::thread([this] { executor_->Execute(); });
  }
  void Join() {
    if (worker_.joinable()) worker_.join();
  }
  void TearDown() override { Join(); }

  std::vector<RunState> States() {
    std::vector<RunState> states;
    for (const RunEvent& ev : executor_->journal()->Snapshot()) {
      if (ev.has_state()) states.push_back(ev.state().state());
    }
    return states;
  }
  int Count(RunEvent::KindCase kind) {
    int n = 0;
    for (const RunEvent& ev : executor_->journal()->Snapshot()) n += ev.kind_case() == kind;
    return n;
  }
  std::string FinalMessage() {
    auto events = executor_->journal()->Snapshot();
    return events.back().has_state() ? events.back().state().message() : "(last event not a state)";
  }
  // Nothing of the run is left on the target, and the journal is closed.
  void ExpectCleanedUp() {
    EXPECT_FALSE(testing::PathExists(target_.path() + "/.qdt-test")) << "test files left behind";
    EXPECT_TRUE(executor_->journal()->closed());
    EXPECT_FALSE(executor_->active());
    auto stored = store_.LoadRun(executor_->run_id());
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->state(), executor_->Snapshot().state()) << "run.json lags the final state";
  }

  std::function<void(RunExecutorDeps*)> tweak_deps_;  // before Create, when set
  testing::TempDir state_{"state"};
  testing::TempDir target_{"target"};
  RunStore store_{state_.path()};
  std::unique_ptr<RunExecutor> executor_;
  FakeFioInvoker* fake_ = nullptr;
  std::string test_dir_;
  std::thread worker_;
};

TEST_F(RunExecutorTest, ARunThatMeasuresEveryPhaseEndsDone) {
  Make({});
  executor_->Execute();
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                    qdt::v1::RUN_STATE_RUNNING, qdt::v1::RUN_STATE_DONE));
  EXPECT_THAT(fake_->calls(), ElementsAre("layout", "phase-0", "phase-1", "phase-2"));
  EXPECT_THAT(fake_->args()[1], ElementsAre("--status-interval=1"));
  EXPECT_THAT(fake_->gates(), ElementsAre("", "gate-0.fifo", "gate-1.fifo", "gate-2.fifo"));
  // Back to back: each phase begins when the previous one is due to end
  // (1 s phases at this time scale).
  std::vector<absl::Time> begins;
  for (const RunEvent& ev : executor_->journal()->Snapshot()) {
    if (ev.has_phase())
      begins.push_back(
          absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(ev.time())));
  }
  // Never early: phase i is released no sooner than phase 0's release plus
  // the phases before it (how late it may be is timing, for the benchmarks).
  ASSERT_EQ(begins.size(), 3u);
  for (int i = 1; i < 3; ++i) {
    EXPECT_GE(absl::ToDoubleMilliseconds(begins[i] - begins[0]), 1000.0 * i - 5) << "phase " << i;
  }
  EXPECT_EQ(Count(RunEvent::kPhase), 3);
  EXPECT_EQ(Count(RunEvent::kSample), 15);
  EXPECT_EQ(Count(RunEvent::kVerdict), 1);
  qdt::v1::Run run = executor_->Snapshot();
  EXPECT_EQ(run.state(), qdt::v1::RUN_STATE_DONE);
  EXPECT_EQ(run.phase_index(), 2);
  EXPECT_EQ(run.last_seq(), executor_->journal()->last_seq());
  EXPECT_TRUE(run.has_started_at());
  EXPECT_TRUE(run.has_ended_at());
  EXPECT_EQ(run.error(), "");
  ASSERT_EQ(run.verdict().phases_size(), 3);
  for (const auto& p : run.verdict().phases()) {
    EXPECT_TRUE(p.ran()) << p.name();
    // Five samples, the first (0.486 s) too short to judge.
    EXPECT_EQ(p.windows(), 4u) << p.name();
  }
  for (const auto& flag : run.verdict().flags()) EXPECT_THAT(flag, Not(HasSubstr("incomplete")));
  EXPECT_EQ(FinalMessage(), run.verdict().summary());
  ExpectCleanedUp();
}

// Issue 15 (2): a text from outside with invalid UTF-8 (here the reason
// there is no device counter, which the verdict quotes) is escaped in every
// event the journal keeps, so each one survives the wire format.
TEST_F(RunExecutorTest, EveryEventIsValidUtf8WhateverATextFromOutsideHolds) {
  tweak_deps_ = [](RunExecutorDeps* deps) { deps->counter_note = "no counter: \xFF\xFE"; };
  Make({});
  executor_->Execute();
  bool quoted = false;
  for (const RunEvent& ev : executor_->journal()->Snapshot()) {
    std::string wire;
    ASSERT_TRUE(ev.SerializeToString(&wire));
    RunEvent back;
    ASSERT_TRUE(back.ParseFromString(wire)) << ev.ShortDebugString();
    for (const std::string& flag : ev.verdict().flags()) {
      quoted = quoted || flag.find("no counter: \\xff\\xfe") != std::string::npos;
    }
  }
  EXPECT_TRUE(quoted) << "the verdict did not quote the note";
  EXPECT_EQ(executor_->Snapshot().checks().device_counter_note(), "no counter: \\xff\\xfe");
}

TEST_F(RunExecutorTest, ATestFileTheSystemWillNotLetItReadFailsTheRunWithTheFix) {
  // As macOS answers a daemon without Full Disk Access on /Volumes: the layout
  // was written, the read back is refused.
  std::vector<std::string> probed;
  tweak_deps_ = [&probed](RunExecutorDeps* deps) {
    deps->platform = Platform::kMacOS;
    deps->agent_path = "/Library/QDT/bin/qdt-agent";
    deps->read_probe = [&probed](const std::string& path) {
      probed.push_back(path);
      // The real probe reads what the layout wrote; the refusal comes after.
      if (auto st = ReadFirstMiB(path); !st.ok()) return st;
      if (probed.size() < 3) return absl::OkStatus();
      return ErrnoStatus("cannot open \"" + path + "\"", EPERM);
    };
  };
  Make({});
  executor_->Execute();
  EXPECT_THAT(fake_->calls(), ElementsAre("layout"));  // no phase began
  ASSERT_EQ(probed.size(), 3u);
  EXPECT_THAT(probed[0], ::testing::EndsWith("/stream-00.dat"));
  qdt::v1::Run run = executor_->Snapshot();
  EXPECT_EQ(run.state(), qdt::v1::RUN_STATE_FAILED);
  EXPECT_THAT(run.error(),
              HasSubstr("macOS did not let qdt-agent read " + target_.path() +
                        ": add /Library/QDT/bin/qdt-agent in System Settings › Privacy & "
                        "Security › Full Disk Access"));
  EXPECT_THAT(run.error(), HasSubstr("Operation not permitted"));
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, StopBeforeItBeganStartsNoFio) {
  Make({});
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  executor_->Execute();
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_STOPPED));
  EXPECT_TRUE(fake_->calls().empty());
  EXPECT_EQ(Count(RunEvent::kVerdict), 0);
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, StopDuringTheLayoutEndsStoppedWithTheFilesRemoved) {
  Script layout;
  layout.block_until_stop = true;
  Make({{"layout", layout}});
  ExecuteInBackground();
  fake_->AwaitStarted("layout");
  EXPECT_TRUE(testing::PathExists(test_dir_ + "/stream-07.dat"));
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  Join();
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                    qdt::v1::RUN_STATE_STOPPED));
  EXPECT_EQ(FinalMessage(), "stopped on request");
  EXPECT_THAT(fake_->calls(), ElementsAre("layout"));
  EXPECT_EQ(Count(RunEvent::kVerdict), 0) << "nothing was measured";
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, StopDuringTheWaitForTheSynchronisedStart) {
  Make({}, absl::Hours(1));
  ExecuteInBackground();
  // The wait is announced once the layout is done.
  for (int i = 0; i < 500; ++i) {
    bool waiting = false;
    for (const RunEvent& ev : executor_->journal()->Snapshot()) {
      waiting |= ev.has_log() && absl::StrContains(ev.log().text(), "waiting for the synchronised");
    }
    if (waiting) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Time stop_at = absl::Now();
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  Join();
  EXPECT_LT(absl::Now() - stop_at, absl::Seconds(5)) << "the wait was not cut short";
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                    qdt::v1::RUN_STATE_STOPPED));
  EXPECT_THAT(fake_->calls(), ElementsAre("layout"));
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, StopDuringPhaseTwoKeepsWhatRanAndGivesNoRating) {
  Script crossfade;
  crossfade.output = testing::Fixture(kFiveReports);
  crossfade.block_until_stop = true;
  Make({{"phase-1", crossfade}});
  ExecuteInBackground();
  fake_->AwaitStarted("phase-1");
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  Join();
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                    qdt::v1::RUN_STATE_RUNNING, qdt::v1::RUN_STATE_STOPPED));
  // The next phase's fio may have been started ahead; it never began.
  const std::vector<std::string> calls = fake_->calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_THAT(std::vector<std::string>(calls.begin(), calls.begin() + 3),
              ElementsAre("layout", "phase-0", "phase-1"));
  EXPECT_EQ(Count(RunEvent::kSample), 10) << "the samples of the stopped phase are kept";
  EXPECT_EQ(Count(RunEvent::kPhase), 2);
  const qdt::v1::Verdict v = executor_->Snapshot().verdict();
  ASSERT_EQ(v.phases_size(), 3);
  EXPECT_TRUE(v.phases(0).ran());
  EXPECT_EQ(v.phases(0).windows(), 4u);
  EXPECT_TRUE(v.phases(1).ran());
  EXPECT_FALSE(v.phases(2).ran());
  EXPECT_THAT(v.flags(), Contains("incomplete: phase crossfade did not finish"));
  EXPECT_EQ(v.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_THAT(v.summary(), HasSubstr("NO RATING: the run did not finish"));
  EXPECT_EQ(executor_->Snapshot().error(), "") << "a stop is not an error";
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, AgentShutdownDuringAPhaseEndsInterrupted) {
  Script normal;
  normal.block_until_stop = true;
  Make({{"phase-0", normal}});
  ExecuteInBackground();
  fake_->AwaitStarted("phase-0");
  ASSERT_TRUE(executor_->Stop(StopReason::kShutdown).ok());
  Join();
  EXPECT_EQ(States().back(), qdt::v1::RUN_STATE_INTERRUPTED);
  EXPECT_EQ(FinalMessage(), "the agent was shut down during the run");
  EXPECT_EQ(executor_->Snapshot().error(), "the agent was shut down during the run");
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, FioFailingInAPhaseFailsTheRunNamingThePhase) {
  Script crossfade;
  crossfade.output = testing::Fixture(kFiveReports);
  crossfade.exit_code = 1;
  crossfade.stderr_text = "fio: io_u error on file stream-03.dat: Input/output error: read\n";
  Make({{"phase-1", crossfade}});
  executor_->Execute();
  EXPECT_EQ(States().back(), qdt::v1::RUN_STATE_FAILED);
  const std::string expected =
      "phase 2 \"crossfade\": fio exited with status 1: fio: io_u error on file stream-03.dat: "
      "Input/output error: read";
  EXPECT_EQ(FinalMessage(), expected);
  EXPECT_EQ(executor_->Snapshot().error(), expected);
  // 0.1 s phases: all three started within the lead, before phase 0 was
  // released; phase 3 was stopped at its gate and never began.
  EXPECT_THAT(fake_->calls(), ElementsAre("layout", "phase-0", "phase-1", "phase-2"));
  EXPECT_EQ(Count(RunEvent::kPhase), 2);
  EXPECT_TRUE(fake_->stopped());
  EXPECT_EQ(Count(RunEvent::kVerdict), 1) << "what ran is still judged";
  EXPECT_EQ(executor_->Snapshot().verdict().rating(), qdt::v1::RATING_NO_RATING);
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, TheLayoutFailingFailsTheRunBeforeAnyPhase) {
  Script layout;
  layout.exit_code = 1;
  layout.stderr_text = "fio: No space left on device\n";
  Make({{"layout", layout}});
  executor_->Execute();
  EXPECT_THAT(States(), ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                    qdt::v1::RUN_STATE_FAILED));
  EXPECT_EQ(FinalMessage(),
            "layout failed: fio exited with status 1: fio: No space left on device");
  EXPECT_THAT(fake_->calls(), ElementsAre("layout"));
  EXPECT_EQ(Count(RunEvent::kVerdict), 0);
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, FioThatCannotStartFailsTheRun) {
  Script missing;
  missing.cannot_start = true;
  Make({{"phase-0", missing}});
  executor_->Execute();
  EXPECT_EQ(States().back(), qdt::v1::RUN_STATE_FAILED);
  EXPECT_EQ(FinalMessage(), "cannot start fio: \"/opt/fio\" is not an executable file");
  ExpectCleanedUp();
}

TEST_F(RunExecutorTest, StoppingAnEndedRunSaysItHasEnded) {
  Make({});
  executor_->Execute();
  absl::Status st = executor_->Stop(StopReason::kRequested);
  EXPECT_TRUE(absl::IsFailedPrecondition(st));
  EXPECT_THAT(st.message(), HasSubstr("has already ended (RUN_STATE_DONE)"));
  EXPECT_EQ(States().back(), qdt::v1::RUN_STATE_DONE);
}

// A PowerHold that records the run as it was when it was taken and when it
// was released.
struct HoldMoment {
  std::vector<std::string> fio_calls;  // fio started so far, by tag
  std::vector<RunState> states;        // states announced so far
  bool removed_said = false;           // "removed the test files" was logged
  bool stream_file = false;            // stream-00.dat exists
};

struct HoldRecord {
  int acquired = 0, released = 0;
  HoldMoment at_acquire, at_release;
};

class FakePowerHold final : public PowerHold {
 public:
  FakePowerHold(std::string holder, std::string note, std::function<void()> on_release)
      : holder_(std::move(holder)), note_(std::move(note)), on_release_(std::move(on_release)) {}
  ~FakePowerHold() override { Release(); }
  std::string holder() const override { return holder_; }
  std::string note() const override { return note_; }
  void Release() override {
    if (released_) return;
    released_ = true;
    on_release_();
  }

 private:
  const std::string holder_, note_;
  const std::function<void()> on_release_;
  bool released_ = false;
};

class RunExecutorPowerTest : public RunExecutorTest {
 protected:
  // Runs get a fake hold (and `source` as the power source); `record_` says
  // when it was taken and released.
  void HoldWith(std::string holder, std::string note = "",
                absl::StatusOr<std::string> source = std::string("AC Power")) {
    tweak_deps_ = [this, holder, note, source](RunExecutorDeps* deps) {
      deps->power_hold = [this, holder, note]() -> std::unique_ptr<PowerHold> {
        ++record_.acquired;
        record_.at_acquire = Moment();
        return std::make_unique<FakePowerHold>(holder, note, [this] {
          ++record_.released;
          record_.at_release = Moment();
        });
      };
      deps->power_source = [source] { return source; };
    };
  }

  HoldMoment Moment() {
    HoldMoment m;
    m.fio_calls = fake_->calls();
    m.states = States();
    for (const RunEvent& ev : executor_->journal()->Snapshot()) {
      m.removed_said |= ev.has_log() && absl::StartsWith(ev.log().text(), "removed the test files");
    }
    m.stream_file = testing::PathExists(test_dir_ + "/stream-00.dat");
    return m;
  }

  // Taken once before the layout (no fio yet, still PENDING, no file) and
  // released once after the clean-up and before the final state `end`.
  void ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(RunState end) {
    EXPECT_EQ(record_.acquired, 1);
    EXPECT_EQ(record_.released, 1);
    EXPECT_TRUE(record_.at_acquire.fio_calls.empty()) << "fio started before the hold";
    EXPECT_THAT(record_.at_acquire.states, ElementsAre(qdt::v1::RUN_STATE_PENDING));
    EXPECT_FALSE(record_.at_acquire.stream_file);
    EXPECT_TRUE(record_.at_release.removed_said) << "released before the clean-up";
    EXPECT_FALSE(record_.at_release.stream_file);
    EXPECT_THAT(record_.at_release.states, Not(Contains(end))) << "released after the end";
    EXPECT_EQ(States().back(), end);
    EXPECT_EQ(executor_->Snapshot().checks().power_hold(), "fake caffeinate (pid 7)");
    ExpectCleanedUp();
  }

  HoldRecord record_;
};

TEST_F(RunExecutorPowerTest, HeldForTheWholeOfADoneRunAndRecorded) {
  HoldWith("fake caffeinate (pid 7)");
  Make({});
  executor_->Execute();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_DONE);
  EXPECT_THAT(record_.at_release.fio_calls, ElementsAre("layout", "phase-0", "phase-1", "phase-2"));
  const qdt::v1::Run run = executor_->Snapshot();
  EXPECT_EQ(run.checks().power_hold_note(), "");
  EXPECT_EQ(run.checks().power_source(), "AC Power");
  EXPECT_THAT(run.verdict().flags(), Not(Contains(HasSubstr("on battery"))));
  auto stored = store_.LoadRun(executor_->run_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->checks().power_hold(), "fake caffeinate (pid 7)") << "not in run.json";
  bool said = false;
  for (const RunEvent& ev : executor_->journal()->Snapshot()) {
    said |= ev.has_log() && ev.log().text() == "keeping the machine awake: fake caffeinate (pid 7)";
  }
  EXPECT_TRUE(said);
}

TEST_F(RunExecutorPowerTest, ReleasedWhenFioFailsInAPhase) {
  HoldWith("fake caffeinate (pid 7)");
  Script crossfade;
  crossfade.output = testing::Fixture(kFiveReports);
  crossfade.exit_code = 1;
  crossfade.stderr_text = "fio: io_u error on file stream-03.dat: Input/output error: read\n";
  Make({{"phase-1", crossfade}});
  executor_->Execute();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_FAILED);
}

TEST_F(RunExecutorPowerTest, ReleasedWhenStoppedDuringAPhase) {
  HoldWith("fake caffeinate (pid 7)");
  Script crossfade;
  crossfade.output = testing::Fixture(kFiveReports);
  crossfade.block_until_stop = true;
  Make({{"phase-1", crossfade}});
  ExecuteInBackground();
  fake_->AwaitStarted("phase-1");
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  Join();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_STOPPED);
}

TEST_F(RunExecutorPowerTest, ReleasedWhenTheAgentShutsDown) {
  HoldWith("fake caffeinate (pid 7)");
  Script normal;
  normal.block_until_stop = true;
  Make({{"phase-0", normal}});
  ExecuteInBackground();
  fake_->AwaitStarted("phase-0");
  ASSERT_TRUE(executor_->Stop(StopReason::kShutdown).ok());
  Join();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_INTERRUPTED);
}

TEST_F(RunExecutorPowerTest, ReleasedWhenTheRunEndsBeforeTheLayout) {
  HoldWith("fake caffeinate (pid 7)");
  Script missing;
  missing.cannot_start = true;
  Make({{"layout", missing}});
  executor_->Execute();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_FAILED);
  EXPECT_THAT(FinalMessage(), HasSubstr("cannot start fio"));
}

TEST_F(RunExecutorPowerTest, ReleasedWhenStoppedBeforeItBegan) {
  HoldWith("fake caffeinate (pid 7)");
  Make({});
  ASSERT_TRUE(executor_->Stop(StopReason::kRequested).ok());
  executor_->Execute();
  ExpectHeldFromBeforeTheLayoutToAfterTheCleanUp(qdt::v1::RUN_STATE_STOPPED);
  EXPECT_TRUE(fake_->calls().empty());
}

TEST_F(RunExecutorPowerTest, NoHoldIsRecordedWithWhyAndTheRunGoesOn) {
  HoldWith("", "systemd-inhibit exited with status 1 within 200 ms: Failed to connect to bus",
           absl::NotFoundError("pmset -g batt: pmset not found on PATH"));
  Make({});
  executor_->Execute();
  EXPECT_EQ(States().back(), qdt::v1::RUN_STATE_DONE);
  const qdt::v1::Run run = executor_->Snapshot();
  EXPECT_EQ(run.checks().power_hold(), "");
  EXPECT_EQ(run.checks().power_hold_note(),
            "systemd-inhibit exited with status 1 within 200 ms: Failed to connect to bus");
  EXPECT_EQ(run.checks().power_source(), "");
  std::vector<std::string> warnings;
  for (const RunEvent& ev : executor_->journal()->Snapshot()) {
    if (ev.has_log() && ev.log().level() == qdt::v1::LogLine::LEVEL_WARNING) {
      warnings.push_back(ev.log().text());
    }
  }
  EXPECT_THAT(warnings, Contains("nothing keeps the machine awake during the run (if it sleeps, "
                                 "the test stalls): systemd-inhibit exited with status 1 within "
                                 "200 ms: Failed to connect to bus"));
  EXPECT_THAT(warnings, Contains("power source unknown: pmset -g batt: pmset not found on PATH"));
  EXPECT_EQ(record_.released, 1);
}

TEST_F(RunExecutorPowerTest, OnBatteryTheVerdictSaysSo) {
  HoldWith("fake caffeinate (pid 7)", "", std::string("Battery Power"));
  Make({});
  executor_->Execute();
  const qdt::v1::Run run = executor_->Snapshot();
  EXPECT_EQ(run.state(), qdt::v1::RUN_STATE_DONE);
  EXPECT_EQ(run.checks().power_source(), "Battery Power");
  EXPECT_THAT(run.verdict().flags(), Contains(std::string(kOnBatteryFlag)));
}

}  // namespace
}  // namespace qdt::agent
