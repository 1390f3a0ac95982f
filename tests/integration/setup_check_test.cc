// The Setup Check end to end with real fio and real gRPC on loopback: event
// numbering, states and phases in order, samples that agree with fio's own
// numbers, a verdict, test files removed; and a watcher that reconnects.
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "fio/fio_stream_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;
using ::testing::ElementsAre;

// 3 phases x 10 s x 0.3 = 9 s of I/O: long enough for ~3 one-second samples a phase.
constexpr double kTimeScale = 0.3;

TEST(SetupCheckTest, RunsWithRealFioAndStreamsSamplesThatMatchFio) {
  InProcessAgent agent;
  TempDir target("target");
  absl::StatusOr<qdt::v1::Run> run = agent.StartRun(SetupCheckRequest(target.path(), kTimeScale));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_FALSE(run->run_id().empty());
  EXPECT_EQ(run->phase_count(), 3u);

  absl::StatusOr<std::vector<RunEvent>> watched = agent.WatchAll(run->run_id());
  ASSERT_TRUE(watched.ok()) << watched.status();
  const std::vector<RunEvent>& events = *watched;

  // seq runs 1, 2, 3, ... without a gap.
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].seq(), i + 1);

  std::vector<qdt::v1::RunState> states;
  std::vector<int> phases;
  std::map<int, std::vector<qdt::v1::Sample>> samples;
  int current_phase = -1;
  const qdt::v1::Verdict* verdict = nullptr;
  for (const RunEvent& ev : events) {
    if (ev.has_state()) states.push_back(ev.state().state());
    if (ev.has_phase()) {
      phases.push_back(ev.phase().phase_index());
      current_phase = ev.phase().phase_index();
    }
    if (ev.has_sample()) {
      EXPECT_EQ(ev.sample().phase_index(), current_phase) << "sample outside its phase";
      samples[ev.sample().phase_index()].push_back(ev.sample());
    }
    if (ev.has_verdict()) verdict = &ev.verdict();
  }
  EXPECT_THAT(states, ElementsAre(qdt::v1::RUN_STATE_PENDING, qdt::v1::RUN_STATE_PREPARING,
                                  qdt::v1::RUN_STATE_RUNNING, qdt::v1::RUN_STATE_DONE));
  EXPECT_THAT(phases, ElementsAre(0, 1, 2));
  ASSERT_NE(verdict, nullptr);
  ASSERT_EQ(verdict->phases_size(), 3);
  for (const auto& p : verdict->phases()) EXPECT_TRUE(p.ran()) << p.name();
  EXPECT_NE(verdict->rating(), qdt::v1::RATING_UNSPECIFIED);
  EXPECT_GT(verdict->sustained_mb_s(), 0);

  // The test files and folders are gone; nothing else was left in the target.
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));

  // Samples agree with fio's own whole-phase numbers (io_bytes / runtime) within 10 %.
  absl::StatusOr<qdt::v1::RunRecord> rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->run().state(), qdt::v1::RUN_STATE_DONE);
  ASSERT_EQ(rec->events_size(), static_cast<int>(events.size()));
  int phase_invocations = 0;
  for (const auto& inv : rec->fio()) {
    if (inv.phase_index() < 0) continue;
    ++phase_invocations;
    EXPECT_EQ(inv.exit_code(), 0);
    EXPECT_FALSE(inv.stdout_truncated());
    EXPECT_THAT(inv.job_file(), ::testing::HasSubstr("[stream-00]"));
    auto reports = fio::ParseFioOutput(inv.stdout());
    ASSERT_TRUE(reports.ok()) << reports.status();
    double fio_mean = fio::MeanReadBytesPerS(reports->back());
    const auto& ps = samples[inv.phase_index()];
    ASSERT_GE(ps.size(), 2u) << "phase " << inv.phase_index();
    double bytes = 0, secs = 0;
    for (const auto& s : ps) {
      EXPECT_GT(s.read_bytes_per_s(), 0) << "a zero-rate sample";
      bytes += s.read_bytes_per_s() * s.interval_s();
      secs += s.interval_s();
    }
    double sampled = bytes / secs;
    EXPECT_NEAR(sampled / fio_mean, 1.0, 0.10)
        << "phase " << inv.phase_index() << ": samples " << sampled / 1e6 << " MB/s, fio "
        << fio_mean / 1e6 << " MB/s";
  }
  EXPECT_EQ(phase_invocations, 3);
}

TEST(SetupCheckTest, WatcherThatReconnectsWithFromSeqMissesNothing) {
  InProcessAgent agent;
  TempDir target("target");
  absl::StatusOr<qdt::v1::Run> run = agent.StartRun(SetupCheckRequest(target.path(), kTimeScale));
  ASSERT_TRUE(run.ok()) << run.status();

  // The first watcher drops after a few samples ...
  int seen_samples = 0;
  std::vector<RunEvent> first =
      Watch(agent.stub(), agent.token(), run->run_id(), 1, [&](const RunEvent& ev) {
        if (ev.has_sample()) ++seen_samples;
        return seen_samples >= 2;
      });
  ASSERT_GE(seen_samples, 2);
  // ... misses what happens in the meantime ...
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // ... and comes back on a new connection with its last seq + 1.
  auto stub2 = agent.NewStub();
  grpc::Status st;
  std::vector<RunEvent> second =
      Watch(*stub2, agent.token(), run->run_id(), first.back().seq() + 1, nullptr, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.front().seq(), first.back().seq() + 1);

  absl::StatusOr<qdt::v1::RunRecord> rec = agent.GetRun(run->run_id());
  ASSERT_TRUE(rec.ok()) << rec.status();
  std::vector<RunEvent> received = first;
  received.insert(received.end(), second.begin(), second.end());
  ASSERT_EQ(received.size(), static_cast<size_t>(rec->events_size()));
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].SerializeAsString(), rec->events(static_cast<int>(i)).SerializeAsString())
        << "event " << i + 1 << " differs";
  }
  // A finished run replays from any point and then ends.
  absl::StatusOr<std::vector<RunEvent>> tail =
      agent.WatchAll(run->run_id(), rec->events_size() - 1);
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ(tail->back().seq(), static_cast<uint64_t>(rec->events_size()));
}

}  // namespace
}  // namespace qdt::testing
