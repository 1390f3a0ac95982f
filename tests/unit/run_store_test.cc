// RunStore: records survive a reload; a torn last event record (a crash in the
// middle of a write) is dropped and cut off, never misread.
#include "agent/run_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

qdt::v1::RunEvent SampleEvent(uint64_t seq, double rate) {
  qdt::v1::RunEvent ev;
  ev.set_seq(seq);
  ev.mutable_sample()->set_read_bytes_per_s(rate);
  return ev;
}

TEST(RunStoreTest, EventsRoundTripAndATornTailIsCutOff) {
  testing::TempDir dir("store");
  RunStore store(dir.path());
  ASSERT_TRUE(store.Init().ok());
  qdt::v1::Run run;
  run.set_run_id("20261128-120000-abcdef");
  run.set_state(qdt::v1::RUN_STATE_RUNNING);
  ASSERT_TRUE(store.CreateRun(run, {}, {}).ok());
  {
    auto log = store.OpenEventLog(run.run_id());
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*log)->Append(SampleEvent(i, i * 1e6)).ok());
  }
  std::string path = store.RunDir(run.run_id()) + "/events.log";
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  // A crash mid-record: a length prefix promising more bytes than follow.
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out.write("\x40\x00\x00\x00\x08\x04", 6);
  }
  auto events = store.ReadEvents(run.run_id());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[2].seq(), 3u);
  EXPECT_DOUBLE_EQ((*events)[2].sample().read_bytes_per_s(), 3e6);

  auto kept = store.RepairEventLog(run.run_id());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 3u);
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_size, st.st_size) << "the torn tail was not cut off";
  // Appending after the repair gives a readable fourth record.
  auto log = store.OpenEventLog(run.run_id());
  ASSERT_TRUE((*log)->Append(SampleEvent(4, 4e6)).ok());
  events = store.ReadEvents(run.run_id());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[3].seq(), 4u);
}

TEST(RunStoreTest, RunStatusIsRewrittenAndListedInOrder) {
  testing::TempDir dir("store");
  RunStore store(dir.path());
  ASSERT_TRUE(store.Init().ok());
  for (const char* id : {"20261128-120002-bbbbbb", "20261128-120001-aaaaaa"}) {
    qdt::v1::Run run;
    run.set_run_id(id);
    run.set_state(qdt::v1::RUN_STATE_PENDING);
    ASSERT_TRUE(store.CreateRun(run, {}, {}).ok());
  }
  qdt::v1::Run run;
  run.set_run_id("20261128-120001-aaaaaa");
  run.set_state(qdt::v1::RUN_STATE_DONE);
  run.set_error("");
  ASSERT_TRUE(store.SaveRun(run).ok());
  auto loaded = store.LoadRun("20261128-120001-aaaaaa");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state(), qdt::v1::RUN_STATE_DONE);
  auto ids = store.ListRunIds();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], "20261128-120001-aaaaaa");
  EXPECT_TRUE(absl::IsNotFound(store.LoadRun("20261128-999999-cccccc").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store.LoadRun("../etc").status()));
}

TEST(RunStoreTest, InitRefusesARelativeStateDir) {
  RunStore store("relative/state");
  absl::Status st = store.Init();
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_NE(st.message().find("relative/state"), std::string::npos);
}

}  // namespace
}  // namespace qdt::agent
