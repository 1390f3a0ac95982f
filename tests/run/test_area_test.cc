// TestArea: the target policy and the run's folder, on real folders.
#include "agent/run/test_area.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/run/fio_invoker.h"
#include "agent/run_store.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;
using testing::PathExists;
using testing::TempDir;
using testing::TreeListing;

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

// The run's folder swapped for a link to elsewhere after it was made: the
// gates are made and fio is started (here a shell in fio's place, through the
// invoker's wrapper) in the folder that was made, never where the link points.
TEST(TestAreaTest, FioAndItsGatesStayInTheRunFolderWhenALinkTakesItsPlace) {
  TempDir target("area");
  TempDir elsewhere("elsewhere");
  TempDir state("state");
  auto area = TestArea::Create(target.path(), "run-1");
  ASSERT_TRUE(area.ok()) << area.status();
  ASSERT_NE(area->dir_fd(), nullptr);
  const std::string moved = target.path() + "/.qdt-test/run-1.moved";
  ASSERT_EQ(::rename(area->dir().c_str(), moved.c_str()), 0);
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), area->dir().c_str()), 0);

  RunStore store(state.path());
  ASSERT_EQ(std::system(absl::StrCat("mkdir -p '", store.FioDir("run-1"), "'").c_str()), 0);
  ProcessFioInvokerOptions options;
  options.wrapper = {"/bin/sh", "-c", "pwd -P > where.txt; echo data > written.dat", "sh"};
  options.fio_path = "/bin/true";  // $0.. of the shell: never run
  options.working_dir = area->dir();
  options.working_dir_fd = area->dir_fd();
  options.store = &store;
  options.run_id = "run-1";
  ProcessFioInvoker invoker(options);
  FioCall call;
  call.tag = "phase-0";
  call.job_text = "[stream-00]\n";
  call.gates = {fio::PhaseGate{"gate-1.fifo", 0, {}, {}}};
  auto run = invoker.Start(call);
  ASSERT_TRUE(run.ok()) << run.status();
  while ((*run)->Pump(nullptr, absl::Seconds(1))) {
  }
  EXPECT_EQ((*run)->exit().exit_code, 0) << (*run)->exit().stderr_text;

  EXPECT_EQ(ReadFile(moved + "/where.txt").value_or(""), moved + "\n");
  EXPECT_TRUE(PathExists(moved + "/written.dat"));
  struct stat st;
  ASSERT_EQ(::lstat((moved + "/gate-1.fifo").c_str(), &st), 0)
      << "the gate is not in the run folder";
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_TRUE(TreeListing(elsewhere.path()).empty()) << "fio or a gate followed the link";
  EXPECT_FALSE(PathExists(elsewhere.path() + "/written.dat")) << "fio followed the link";
  EXPECT_FALSE(PathExists(elsewhere.path() + "/gate-1.fifo")) << "the gate followed the link";

  // The run's end closes the folder's descriptor with the target's.
  ::unlink(area->dir().c_str());
  area->RemoveFiles({"where.txt", "written.dat", "gate-1.fifo"});
  EXPECT_FALSE(*area->dir_fd()) << "the run folder is still held open";
  ::unlink((moved + "/where.txt").c_str());
  ::unlink((moved + "/written.dat").c_str());
  ::unlink((moved + "/gate-1.fifo").c_str());
  ::rmdir(moved.c_str());
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

// Issue 15 #5: every refusal is decided before anything is written: the
// target (and wherever a planted link points) lists the same before and after.
TEST(TestAreaTest, EveryRefusedTargetLeavesItsFolderAsItWas) {
  TempDir root("refusals");
  TempDir allowed("allowed");
  TempDir elsewhere("elsewhere");
  TempDir state("state");
  const std::string planted = allowed.path() + "/planted";
  ASSERT_EQ(::mkdir(planted.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), (planted + "/.qdt-test").c_str()), 0);
  const std::string inside_state = state.path() + "/runs";
  ASSERT_EQ(::mkdir(inside_state.c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/usr", (allowed.path() + "/to-usr").c_str()), 0);
  ASSERT_EQ(::symlink("/", (allowed.path() + "/to-root").c_str()), 0);
  TargetPolicy policy;
  policy.allowed_target_dirs = {allowed.path(), state.path()};
  policy.state_dir = state.path();
  struct Case {
    std::string target, mentions;
  };
  const Case cases[] = {
      {root.path(), "is outside the folders this agent may test"},
      {planted, ".qdt-test in it is a link or a file, not a folder this agent made"},
      {state.path(), "is the agent's state folder or inside it"},
      {inside_state, "is the agent's state folder or inside it"},
      {allowed.path() + "/to-usr", "is a system folder"},
      {allowed.path() + "/to-root", "is the root of the system volume"},
  };
  for (const Case& c : cases) {
    const auto before = TreeListing(root.path()), before_allowed = TreeListing(allowed.path()),
               before_elsewhere = TreeListing(elsewhere.path()),
               before_state = TreeListing(state.path());
    absl::Status st = CheckTarget(c.target, policy);
    EXPECT_TRUE(absl::IsFailedPrecondition(st)) << c.target << ": " << st;
    EXPECT_THAT(st.message(), HasSubstr(c.mentions)) << c.target;
    auto opened = OpenTarget(c.target, policy);
    EXPECT_FALSE(opened.ok()) << c.target;
    EXPECT_EQ(TreeListing(root.path()), before) << c.target;
    EXPECT_EQ(TreeListing(allowed.path()), before_allowed) << c.target;
    EXPECT_EQ(TreeListing(elsewhere.path()), before_elsewhere) << c.target;
    EXPECT_EQ(TreeListing(state.path()), before_state) << c.target;
  }
  EXPECT_TRUE(TreeListing(elsewhere.path()).empty()) << "wrote where the planted link points";
}

// A run's folder is made through the descriptor opened at the check: a target
// swapped for a link after its check is not followed.
TEST(TestAreaTest, ATargetSwappedForALinkAfterItsCheckIsNotFollowed) {
  TempDir parent("swap");
  TempDir elsewhere("elsewhere");
  const std::string target = parent.path() + "/media";
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  auto checked = OpenTarget(target, {});
  ASSERT_TRUE(checked.ok()) << checked.status();
  ASSERT_EQ(::rename(target.c_str(), (target + ".old").c_str()), 0);
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), target.c_str()), 0);
  auto area = TestArea::Create(*checked, "run-1");
  ASSERT_TRUE(area.ok()) << area.status();
  EXPECT_TRUE(TreeListing(elsewhere.path()).empty()) << "followed the link swapped in";
  EXPECT_TRUE(PathExists(target + ".old/.qdt-test/run-1"));
  area->RemoveFiles({});
  EXPECT_FALSE(PathExists(target + ".old/.qdt-test"));
}

// Issue 15 #12: the root of the OS volume, the folders that hold everyone's
// files as a whole, and the agent's own state folder are never targets.
TEST(TestAreaTest, WholeSharedFoldersAndTheStateFolderAreRefused) {
  for (const char* whole : {"/", "/tmp", "/var", "/home", "/root", "/tmp/", "/Users", "/Volumes",
                            "/private/var", "/System/Volumes/Data", "/media", "/mnt"}) {
    EXPECT_TRUE(IsWholeSharedFolder(whole)) << whole;
  }
  for (const char* sub : {"/tmp/show", "/home/op/media", "/Volumes/Show", "/Users/Shared",
                          "/var/tmp", "/mnt/media", "/homes"}) {
    EXPECT_FALSE(IsWholeSharedFolder(sub)) << sub;
  }
  for (const char* whole : {"/tmp", "/var", "/home", "/root"}) {
    struct stat st;
    if (::stat(whole, &st) != 0) continue;  // not on this machine
    absl::Status refused = CheckTarget(whole, {});
    EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << whole;
    EXPECT_THAT(refused.message(), HasSubstr("holds everyone's files")) << whole;
    EXPECT_FALSE(PathExists(std::string(whole) + "/.qdt-test")) << whole;
  }
  // A folder of mount points is refused even when the config lists it (the
  // packaged configs list /mnt, /media and /Volumes as parents), unless a
  // drive is mounted on it.
  for (const char* parent : {"/mnt", "/media"}) {
    struct stat st, up;
    if (::stat(parent, &st) != 0 || ::stat((std::string(parent) + "/..").c_str(), &up) != 0) {
      continue;  // not on this machine
    }
    TargetPolicy listed;
    listed.allowed_target_dirs = {parent};
    absl::Status checked = CheckTarget(parent, listed);
    if (st.st_dev != up.st_dev) {
      EXPECT_TRUE(checked.ok()) << parent << " is a mount point here: " << checked;
    } else {
      EXPECT_THAT(checked.message(), HasSubstr("holds other drives' mount points")) << parent;
    }
  }
  // Listed exactly, /tmp may be tested; "/" never.
  TargetPolicy tmp;
  tmp.allowed_target_dirs = {"/tmp"};
  EXPECT_TRUE(CheckTarget("/tmp", tmp).ok()) << CheckTarget("/tmp", tmp);
  TargetPolicy root;
  root.allowed_target_dirs = {"/"};
  EXPECT_THAT(CheckTarget("/", root).message(), HasSubstr("is the root of the system volume"));
  // A link to / is judged by where it leads.
  TempDir links("links");
  ASSERT_EQ(::symlink("/", (links.path() + "/slash").c_str()), 0);
  EXPECT_THAT(CheckTarget(links.path() + "/slash", {}).message(),
              HasSubstr("is the root of the system volume"));
  ASSERT_EQ(::symlink("/tmp", (links.path() + "/tmp").c_str()), 0);
  EXPECT_THAT(CheckTarget(links.path() + "/tmp", {}).message(),
              HasSubstr("holds everyone's files"));

  // The state folder: itself and anything inside refused, a folder holding it
  // fine (the files go to .qdt-test), unless it lies inside that .qdt-test.
  TempDir media("media");
  const std::string state = media.path() + "/qdt-state";
  ASSERT_EQ(::mkdir(state.c_str(), 0755), 0);
  TargetPolicy policy;
  policy.state_dir = state + "/";
  EXPECT_THAT(CheckTarget(state, policy).message(), HasSubstr("is the agent's state folder"));
  ASSERT_EQ(::mkdir((state + "/runs").c_str(), 0755), 0);
  EXPECT_THAT(CheckTarget(state + "/runs", policy).message(),
              HasSubstr("is the agent's state folder or inside it"));
  ASSERT_EQ(::symlink(state.c_str(), (media.path() + "/state-link").c_str()), 0);
  EXPECT_THAT(CheckTarget(media.path() + "/state-link", policy).message(),
              HasSubstr("is the agent's state folder"));
  EXPECT_TRUE(CheckTarget(media.path(), policy).ok()) << CheckTarget(media.path(), policy);
  ASSERT_EQ(::mkdir((media.path() + "/.qdt-test").c_str(), 0755), 0);
  policy.state_dir = media.path() + "/.qdt-test/state";
  ASSERT_EQ(::mkdir(policy.state_dir.c_str(), 0755), 0);
  EXPECT_THAT(CheckTarget(media.path(), policy).message(), HasSubstr("is inside its .qdt-test"));
}

// Errors quote at most ~200 bytes of a target from outside.
TEST(TestAreaTest, LongTargetsAreQuotedShort) {
  const std::string missing = "/nonexistent-" + std::string(3000, 'x');
  absl::Status st = CheckTarget(missing, {});
  EXPECT_FALSE(st.ok());
  EXPECT_LT(st.message().size(), 400u) << st.message().substr(0, 400);
  EXPECT_THAT(st.message(), HasSubstr("(3013 bytes)"));
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
