// RunStore: records survive a reload; a torn last event record (a crash in the
// middle of a write) is dropped and cut off, never misread; a damaged record
// in the middle costs that record alone (resynchronisation on the next magic);
// logs of the old format still read; the state folder's lock keeps a second
// agent out; every append is synced before a watcher can see it.
#include "agent/run_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/event_journal.h"
#include "common/crc32.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
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
  EXPECT_EQ(kept->events, 3u);
  EXPECT_EQ(kept->scan.tail_bytes, 6u);
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

using ::testing::HasSubstr;

std::string LogPath(const RunStore& store, const std::string& id) {
  return store.RunDir(id) + "/events.log";
}

// A store with one RUNNING run; `n` sample events appended (seq 1..n).
struct StoreWithLog {
  explicit StoreWithLog(int n, SyncFn sync = nullptr) : dir("store"), store(dir.path(), sync) {
    EXPECT_TRUE(store.Init().ok());
    run.set_run_id("20261128-120000-abcdef");
    run.set_state(qdt::v1::RUN_STATE_RUNNING);
    EXPECT_TRUE(store.CreateRun(run, {}, {}).ok());
    auto log = store.OpenEventLog(run.run_id());
    EXPECT_TRUE(log.ok());
    for (int i = 1; i <= n; ++i) {
      EXPECT_TRUE((*log)->Append(SampleEvent(static_cast<uint64_t>(i), i * 1e6)).ok());
    }
  }
  std::string Log() const { return *ReadFile(LogPath(store, run.run_id())); }
  testing::TempDir dir;
  RunStore store;
  qdt::v1::Run run;
};

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the check value of CRC-32C
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32cExtend(Crc32c("1234"), "56789"), 0xE3069283u);
}

TEST(EventLogTest, RecordsCarryMagicLengthAndCrc) {
  const std::string rec = EncodeEventRecord(SampleEvent(7, 1e6));
  ASSERT_GT(rec.size(), kEventRecordHeaderBytes);
  EXPECT_EQ(rec.substr(0, 4), std::string(kEventRecordMagic));
  const std::string payload = SampleEvent(7, 1e6).SerializeAsString();
  EXPECT_EQ(rec.substr(kEventRecordHeaderBytes), payload);
  EXPECT_EQ(static_cast<unsigned char>(rec[4]), payload.size());
  const uint32_t crc = Crc32cExtend(Crc32c(rec.substr(4, 4)), payload);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(static_cast<unsigned char>(rec[8 + i]), (crc >> (8 * i)) & 0xff) << i;
  }
}

// Every byte of record 3 (of 5) damaged in turn: records 1, 2, 4, 5 keep
// their seqs and rates, seq 3 is a warning saying what was skipped.
TEST(EventLogTest, ADamagedRecordCostsThatRecordAlone) {
  std::string log;
  std::vector<size_t> starts;
  for (uint64_t i = 1; i <= 5; ++i) {
    starts.push_back(log.size());
    log += EncodeEventRecord(SampleEvent(i, i * 1e6));
  }
  const size_t third = starts[2], fourth = starts[3];
  for (size_t at = third; at < fourth; ++at) {
    std::string damaged = log;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    EventLogScan scan;
    std::vector<qdt::v1::RunEvent> events = ParseEventLog(damaged, &scan);
    ASSERT_EQ(events.size(), 5u) << "byte " << at;
    for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(events[i].seq(), i + 1) << "byte " << at;
    for (int i : {0, 1, 3, 4}) {
      EXPECT_DOUBLE_EQ(events[static_cast<size_t>(i)].sample().read_bytes_per_s(), (i + 1) * 1e6);
    }
    ASSERT_TRUE(events[2].has_log()) << "byte " << at;
    EXPECT_EQ(events[2].log().level(), qdt::v1::LogLine::LEVEL_WARNING);
    EXPECT_THAT(events[2].log().text(),
                HasSubstr(absl::StrCat("event 3 was lost: ", fourth - third, " damaged bytes")));
    EXPECT_EQ(scan.good_records, 4u);
    EXPECT_EQ(scan.lost_events, 1u);
    EXPECT_EQ(scan.skipped_bytes, fourth - third);
    EXPECT_EQ(scan.tail_bytes, 0u);
  }
}

TEST(EventLogTest, GarbageBetweenRecordsIsSkippedAndCounted) {
  std::string log = EncodeEventRecord(SampleEvent(1, 1e6));
  log += std::string("QDT") + "garbage QDT\xE7\xff\xff\xff\xff";  // false magics included
  log += EncodeEventRecord(SampleEvent(2, 2e6));
  EventLogScan scan;
  auto events = ParseEventLog(log, &scan);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].seq(), 2u);
  EXPECT_DOUBLE_EQ(events[1].sample().read_bytes_per_s(), 2e6);
  EXPECT_EQ(scan.skipped_bytes, 3u + 12u + 4u);
  EXPECT_EQ(scan.lost_events, 0u) << "too few damaged bytes to have held an event";
}

TEST(EventLogTest, RecordsWhoseSeqDoesNotFollowAreDropped) {
  // Two writers on one log (seqs 1 2 3 2 3) and a forged far seq.
  std::string log;
  for (uint64_t seq : {1, 2, 3, 2, 3, 1000000, 4}) log += EncodeEventRecord(SampleEvent(seq, 1));
  EventLogScan scan;
  auto events = ParseEventLog(log, &scan);
  ASSERT_EQ(events.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(events[i].seq(), i + 1);
  EXPECT_EQ(scan.dropped_records, 3u);
}

TEST(EventLogTest, OldFormatLogsStillReadAndAreRewrittenOnRepair) {
  StoreWithLog s(0);
  std::string old;
  for (uint64_t i = 1; i <= 3; ++i) {
    const std::string payload = SampleEvent(i, i * 1e6).SerializeAsString();
    const uint32_t len = static_cast<uint32_t>(payload.size());
    for (int b = 0; b < 4; ++b) old.push_back(static_cast<char>((len >> (8 * b)) & 0xff));
    old += payload;
  }
  old += std::string("\x40\x00\x00", 3);  // torn
  ASSERT_TRUE(WriteFileAtomically(LogPath(s.store, s.run.run_id()), old).ok());
  EventLogScan scan;
  auto events = s.store.ReadEvents(s.run.run_id(), &scan);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_TRUE(scan.old_format);
  EXPECT_EQ(scan.tail_bytes, 3u);
  EXPECT_DOUBLE_EQ((*events)[2].sample().read_bytes_per_s(), 3e6);
  auto repair = s.store.RepairEventLog(s.run.run_id());
  ASSERT_TRUE(repair.ok()) << repair.status();
  EXPECT_TRUE(repair->rewritten);
  EXPECT_EQ(s.Log().substr(0, 4), std::string(kEventRecordMagic)) << "not in the current format";
  // Appended after the repair: one log, one format.
  auto log = s.store.OpenEventLog(s.run.run_id());
  ASSERT_TRUE((*log)->Append(SampleEvent(4, 4e6)).ok());
  events = s.store.ReadEvents(s.run.run_id(), &scan);
  ASSERT_EQ(events->size(), 4u);
  EXPECT_FALSE(scan.old_format);
  EXPECT_EQ(scan.skipped_bytes, 0u);
}

TEST(EventLogTest, RepairKeepsSeqsAndTheNextAppendFollowsTheLast) {
  StoreWithLog s(6);
  std::string log = s.Log();
  const size_t rec = EncodeEventRecord(SampleEvent(1, 1e6)).size();
  log[2 * rec + 13] ^= 0x01;  // in record 3's payload
  ASSERT_TRUE(WriteFileAtomically(LogPath(s.store, s.run.run_id()), log).ok());
  auto repair = s.store.RepairEventLog(s.run.run_id());
  ASSERT_TRUE(repair.ok());
  EXPECT_TRUE(repair->rewritten);
  EXPECT_EQ(repair->events, 6u);
  EXPECT_EQ(repair->scan.lost_events, 1u);
  auto events = s.store.ReadEvents(s.run.run_id());
  ASSERT_EQ(events->size(), 6u);
  EventJournal journal(*s.store.OpenEventLog(s.run.run_id()), *std::move(events));
  auto seq = journal.Append(SampleEvent(0, 7e6));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 7u);
  qdt::v1::RunEvent got;
  ASSERT_TRUE(journal.Get(3, &got));
  EXPECT_TRUE(got.has_log());
  ASSERT_TRUE(journal.Get(6, &got));
  EXPECT_DOUBLE_EQ(got.sample().read_bytes_per_s(), 6e6);
  EventLogScan scan;
  EXPECT_EQ(s.store.ReadEvents(s.run.run_id(), &scan)->size(), 7u);
  EXPECT_EQ(scan.skipped_bytes, 0u) << "the repaired log still holds damage";
}

TEST(RunStoreLockTest, ASecondStoreOnTheFolderIsRefusedNamingThePid) {
  testing::TempDir dir("store");
  auto first = std::make_unique<RunStore>(dir.path());
  ASSERT_TRUE(first->Init().ok());
  EXPECT_TRUE(first->Init().ok()) << "a second Init of the same store";
  EXPECT_EQ(*ReadFileTrimmed(dir.path() + "/agent.lock"), absl::StrCat(::getpid()));
  RunStore second(dir.path());
  absl::Status st = second.Init();
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr(absl::StrCat("another qdt-agent (pid ", ::getpid(),
                                                   ") is using the state folder ", dir.path())));
  EXPECT_THAT(st.message(), HasSubstr("--state-dir"));
  first.reset();  // the lock goes with the store
  EXPECT_TRUE(second.Init().ok());
}

// Each append: written, then synced, then seen. A sync that fails publishes
// nothing.
TEST(EventLogSyncTest, EveryAppendIsSyncedBeforeAnyWatcherSeesIt) {
  struct Seen {
    int syncs = 0;
    int wakes = 0;
    int wakes_at_sync = -1;
    off_t size_at_sync = -1;
    bool fail = false;
  } seen;
  StoreWithLog s(0, [&seen](int fd) {
    ++seen.syncs;
    seen.wakes_at_sync = seen.wakes;
    struct stat st;
    seen.size_at_sync = ::fstat(fd, &st) == 0 ? st.st_size : -1;
    if (seen.fail) {
      errno = EIO;
      return -1;
    }
    return SyncFileData(fd);
  });
  const int syncs_before = seen.syncs;  // run.json's own are WriteFileAtomically's
  EventJournal journal(*s.store.OpenEventLog(s.run.run_id()));
  auto sub = journal.Subscribe([&seen] { ++seen.wakes; });
  const std::string path = LogPath(s.store, s.run.run_id());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(journal.Append(SampleEvent(0, i * 1e6)).ok());
    EXPECT_EQ(seen.syncs, syncs_before + i) << "append " << i << " was not synced once";
    EXPECT_EQ(seen.wakes_at_sync, i - 1) << "a watcher was woken before the sync";
    EXPECT_EQ(seen.wakes, i);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(seen.size_at_sync, st.st_size) << "synced before the record was written";
  }
  seen.fail = true;
  auto failed = journal.Append(SampleEvent(0, 4e6));
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("cannot write to disk"));
  EXPECT_EQ(seen.wakes, 3) << "an event that is not on disk was published";
  qdt::v1::RunEvent ev;
  EXPECT_FALSE(journal.Get(4, &ev));
  EXPECT_EQ(journal.last_seq(), 3u);
}

TEST(EventLogSyncTest, ARepairIsSyncedBeforeItReplacesTheLog) {
  std::vector<std::string> synced;
  StoreWithLog s(3, [&synced](int fd) {
    char path[64];
    char target[4096] = {};
    std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(path, target, sizeof(target) - 1);
    synced.push_back(n > 0 ? std::string(target, static_cast<size_t>(n)) : "?");
    return SyncFileData(fd);
  });
  std::string log = s.Log() + "torn";
  ASSERT_TRUE(WriteFileAtomically(LogPath(s.store, s.run.run_id()), log).ok());
  synced.clear();
  auto repair = s.store.RepairEventLog(s.run.run_id());
  ASSERT_TRUE(repair.ok());
  ASSERT_TRUE(repair->rewritten);
  ASSERT_GE(synced.size(), 1u);
  EXPECT_EQ(synced[0], LogPath(s.store, s.run.run_id()) + ".repair")
      << "the new log was not synced before the rename";
}

}  // namespace
}  // namespace qdt::agent
