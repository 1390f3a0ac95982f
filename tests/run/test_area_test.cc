// TestArea: the target policy and the run's folder, on real folders.
#include "agent/run/test_area.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;
using testing::PathExists;
using testing::TempDir;

TEST(TestAreaTest, CreatesTheRunFolderAndRemovesOnlyWhatTheRunMade) {
  TempDir target("area");
  auto area = TestArea::Create(target.path(), "run-1");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_EQ(area->dir(), target.path() + "/.qdt-test/run-1");
  ASSERT_TRUE(WriteFile(area->dir() + "/stream-00.dat", "x").ok());
  ASSERT_TRUE(WriteFile(area->dir() + "/stream-01.dat", "x").ok());
  ASSERT_TRUE(WriteFile(area->dir() + "/notes.txt", "not ours").ok());
  area->RemoveFiles({"stream-00.dat", "stream-01.dat", "../../escape", "/etc/passwd"});
  EXPECT_FALSE(PathExists(area->dir() + "/stream-00.dat"));
  EXPECT_FALSE(PathExists(area->dir() + "/stream-01.dat"));
  EXPECT_TRUE(PathExists(area->dir() + "/notes.txt")) << "removed a file the run did not make";
  ::unlink((area->dir() + "/notes.txt").c_str());
  area->RemoveFiles({"stream-00.dat"});
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test")) << "empty folders stay behind";
}

TEST(TestAreaTest, AnotherRunsFolderKeepsDotQdtTest) {
  TempDir target("area");
  auto first = TestArea::Create(target.path(), "run-1");
  auto second = TestArea::Create(target.path(), "run-2");
  ASSERT_TRUE(first.ok() && second.ok());
  first->RemoveFiles({});
  EXPECT_FALSE(PathExists(first->dir()));
  EXPECT_TRUE(PathExists(second->dir()));
}

TEST(TestAreaTest, ALinkPlantedAtDotQdtTestIsNeverFollowed) {
  TempDir target("area");
  TempDir elsewhere("elsewhere");
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (target.path() + "/.qdt-test").c_str()), 0);
  auto area = TestArea::Create(target.path(), "run-1");
  ASSERT_FALSE(area.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(area.status()));
  EXPECT_THAT(area.status().message(), HasSubstr("is not a folder this agent made"));
  EXPECT_FALSE(PathExists(elsewhere.path() + "/run-1")) << "followed the planted link";
  // Removal of a run known from its record does not follow it either.
  ASSERT_EQ(::mkdir((elsewhere.path() + "/run-9").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(elsewhere.path() + "/run-9/stream-00.dat", "someone else's").ok());
  RemoveTestFiles(target.path(), "run-9", {"stream-00.dat"});
  EXPECT_TRUE(PathExists(elsewhere.path() + "/run-9/stream-00.dat"));
}

TEST(TestAreaTest, ALinkPlantedAsAStreamFileIsRemovedNotItsTarget) {
  TempDir target("area");
  TempDir elsewhere("elsewhere");
  ASSERT_TRUE(WriteFile(elsewhere.path() + "/precious.mov", "media").ok());
  auto area = TestArea::Create(target.path(), "run-1");
  ASSERT_TRUE(area.ok());
  ASSERT_EQ(::symlink((elsewhere.path() + "/precious.mov").c_str(),
                      (area->dir() + "/stream-00.dat").c_str()),
            0);
  area->RemoveFiles({"stream-00.dat"});
  EXPECT_TRUE(PathExists(elsewhere.path() + "/precious.mov"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test"));
}

TEST(TestAreaTest, TargetPolicyRefusalsWriteNothing) {
  TempDir target("area");
  TempDir allowed("allowed");
  TargetPolicy policy;
  policy.allowed_target_dirs = {allowed.path()};
  absl::Status st = CheckTarget(target.path(), policy);
  EXPECT_TRUE(absl::IsFailedPrecondition(st));
  EXPECT_THAT(st.message(), HasSubstr("is outside the folders this agent may test"));
  EXPECT_FALSE(PathExists(target.path() + "/.qdt-test")) << "a refused target got a folder";
  EXPECT_TRUE(CheckTarget(allowed.path(), policy).ok());

  EXPECT_THAT(CheckTarget("/usr/share", {}).message(), HasSubstr("is a system folder"));
  EXPECT_THAT(CheckTarget(target.path() + "/missing", {}).message(),
              HasSubstr("No such file or directory"));
  ASSERT_TRUE(WriteFile(target.path() + "/file", "x").ok());
  EXPECT_THAT(CheckTarget(target.path() + "/file", {}).message(), HasSubstr("is not a folder"));
}

TEST(TestAreaTest, SystemFoldersByPrefixOfWholeNames) {
  EXPECT_TRUE(InSystemFolder("/proc"));
  EXPECT_TRUE(InSystemFolder("/proc/self"));
  EXPECT_TRUE(InSystemFolder("/System/Volumes/VM"));
  EXPECT_TRUE(InSystemFolder("/Library/Application Support/QDT/runs"));
  EXPECT_FALSE(InSystemFolder("/processing"));
  EXPECT_FALSE(InSystemFolder("/System/Volumes/Data/Users/Shared"));
  EXPECT_FALSE(InSystemFolder("/Volumes/Show"));
}

TEST(TestAreaTest, FreeSpaceSaysWhatIsNeeded) {
  TempDir target("area");
  auto space = SpaceOf(target.path());
  ASSERT_TRUE(space.ok());
  EXPECT_GT(space->total_bytes, space->free_bytes);
  EXPECT_TRUE(CheckFreeSpace(target.path(), 1, 1 << 20, 0).ok());
  const uint64_t file = space->free_bytes / 4 + (1ull << 30);
  absl::Status st = CheckFreeSpace(target.path(), 4, file, 256ull << 20);
  EXPECT_TRUE(absl::IsFailedPrecondition(st));
  EXPECT_THAT(st.message(), HasSubstr("not enough free space on \"" + target.path() + "\""));
  EXPECT_THAT(st.message(), HasSubstr("4 files x"));
  EXPECT_THAT(st.message(), HasSubstr("+ 256.0 MiB reserve"));
}

}  // namespace
}  // namespace qdt::agent
