// mdutil -s on real captures (tests/fixtures/mdutil, SOURCES.md) and on what
// is not mdutil output.
#include "agent/probes/mdutil.h"

#include "agent/run/background_readers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::HasSubstr;

TEST(MdutilTest, RealCapturesGiveTheStoreAndWhetherSpotlightIndexes) {
  auto share =
      ParseMdutilStatus(Fixture("mdutil/mdutil_s_smb_share_indexing_enabled_fs2es_issue30.txt"));
  ASSERT_TRUE(share.ok()) << share.status();
  EXPECT_EQ(share->store, "/System/Volumes/Data/Volumes/Shared");
  EXPECT_EQ(share->status, "Indexing enabled.");
  EXPECT_TRUE(share->indexing);
  auto off = ParseMdutilStatus(
      Fixture("mdutil/mdutil_s_root_indexing_and_searching_disabled_xcodeplugin_issue394.txt"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->store, "/");
  EXPECT_EQ(off->status, "Indexing and searching disabled.");
  EXPECT_FALSE(off->indexing);
  // -a lists several stores: the first is the one asked about.
  auto two = ParseMdutilStatus(Fixture("mdutil/mdutil_a_s_two_stores_fish_shell_pr3524.txt"));
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->store, "/");
  EXPECT_TRUE(two->indexing);
  auto none = ParseMdutilStatus("/.MobileBackups:\n\tNo index.\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->indexing);
}

TEST(MdutilTest, WhatIsNotMdutilOutputIsRefusedByName) {
  for (const char* bad : {"", "/:\n", "Indexing enabled.\n", "/Volumes/Show\n\tIndexing enabled.\n",
                          "/:\nIndexing enabled.\n", ":\n\tIndexing enabled.\n"}) {
    auto st = ParseMdutilStatus(bad);
    EXPECT_FALSE(st.ok()) << "accepted: " << bad;
    EXPECT_THAT(st.status().message(), HasSubstr("mdutil -s")) << bad;
  }
  EXPECT_FALSE(ParseMdutilStatus("/:\n\tIndexing\x1b[31m enabled.\n").ok());
  EXPECT_FALSE(ParseMdutilStatus(std::string(70000, 'a')).ok());
}

agent::CommandResult Reply(int exit_code, std::string out, std::string err) {
  agent::CommandResult r;
  r.exit_code = exit_code;
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

// Spotlight asked about the target, Time Machine told to skip the test area;
// each failure said, none fatal.
TEST(BackgroundReadersTest, AsksSpotlightAndExcludesTheTestAreaFromTimeMachine) {
  testing::FakeRunner runner;
  runner.replies["mdutil -s /Volumes/Show"] =
      Reply(0, Fixture("mdutil/mdutil_s_smb_share_indexing_enabled_fs2es_issue30.txt"), "");
  runner.replies["tmutil addexclusion /Volumes/Show/.qdt-test"] = Reply(0, "", "");
  BackgroundReaders b = CheckBackgroundReaders(&runner, "/Volumes/Show", "/Volumes/Show/.qdt-test");
  EXPECT_EQ(b.spotlight, "Indexing enabled.");
  EXPECT_TRUE(b.spotlight_indexes);
  EXPECT_EQ(b.spotlight_store, "/System/Volumes/Data/Volumes/Shared");
  EXPECT_EQ(b.time_machine, "excluded /Volumes/Show/.qdt-test");
  ASSERT_EQ(runner.calls.size(), 2u);

  // tmutil failing, mdutil printing something else, tools missing (synthetic
  // failures: what the agent does with them, not what the tools print).
  testing::FakeRunner bad;
  bad.replies["mdutil"] = Reply(0, "synthetic: not mdutil output\n", "");
  bad.replies["tmutil"] = Reply(1, "", "synthetic failure\n");
  b = CheckBackgroundReaders(&bad, "/Volumes/X", "/Volumes/X/.qdt-test");
  EXPECT_EQ(b.spotlight, "");
  EXPECT_FALSE(b.spotlight_indexes);
  EXPECT_THAT(b.spotlight_note, HasSubstr("mdutil -s"));
  EXPECT_EQ(b.time_machine, "not excluded: tmutil addexclusion exited 1: synthetic failure");
  testing::FakeRunner none;
  b = CheckBackgroundReaders(&none, "/Volumes/X", "/Volumes/X/.qdt-test");
  EXPECT_THAT(b.spotlight_note, HasSubstr("mdutil"));
  EXPECT_THAT(b.time_machine, HasSubstr("not excluded: tmutil"));
}

}  // namespace
}  // namespace qdt::agent
