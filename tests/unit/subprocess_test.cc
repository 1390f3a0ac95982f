// Subprocess: the one fork/exec of the tree. Real children (/bin/sh, sleep),
// real pipes, real signals.
#include "common/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

SubprocessOptions Shell(const std::string& script) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

std::string ScratchDir() {
  std::string dir = absl::StrCat(QDT_BINARY_DIR, "/test-tmp/subprocess-", ::getpid());
  std::string cmd = absl::StrCat("mkdir -p '", dir, "'");
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return dir;
}

// A process that has not exited. A killed grandchild whose parent is gone may
// stay a zombie until init reaps it (in a container, maybe never): dead.
bool Alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  size_t close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

// The descriptors this process has open now.
std::set<int> OpenFds() {
  std::set<int> fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      int n;
      if (absl::SimpleAtoi(e->d_name, &n)) fds.insert(n);
    }
    ::closedir(d);
  }
  return fds;
}

TEST(SubprocessTest, StdoutArrivesInChunksStderrIsKeptAndBothAreCopiedToFiles) {
  std::string dir = ScratchDir();
  auto o = Shell("echo one; echo oops >&2; echo two; exit 3");
  o.stdout_file = dir + "/out";
  o.stderr_file = dir + "/err";
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status();
  std::string seen;
  SubprocessExit exit =
      (*p)->Wait([&](absl::string_view chunk) { seen.append(chunk.data(), chunk.size()); });
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.term_signal, 0);
  EXPECT_FALSE(exit.timed_out);
  EXPECT_FALSE(exit.terminated);
  EXPECT_EQ(seen, "one\ntwo\n");
  EXPECT_EQ(exit.stdout_bytes, 8u);
  EXPECT_EQ(exit.stderr_text, "oops\n");
  EXPECT_EQ(*ReadFile(dir + "/out"), "one\ntwo\n");
  EXPECT_EQ(*ReadFile(dir + "/err"), "oops\n");
}

TEST(SubprocessTest, TerminateEscalatesToSigkillWhenTermIsIgnored) {
  auto p = Subprocess::Start(Shell("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Time start = absl::Now();
  SubprocessExit exit =
      (*p)->Wait([&](absl::string_view) { (*p)->Terminate(absl::Milliseconds(300)); });
  EXPECT_TRUE(exit.terminated);
  EXPECT_EQ(exit.term_signal, SIGKILL);
  EXPECT_EQ(exit.exit_code, -1);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300)) << "SIGKILL came before the grace ended";
}

TEST(SubprocessTest, TerminateStopsTheWholeProcessGroup) {
  // The shell starts a grandchild and prints its pid; stopping the shell must stop it too.
  auto p = Subprocess::Start(Shell("sleep 60 & echo $!; wait"));
  ASSERT_TRUE(p.ok()) << p.status();
  std::string out;
  pid_t grandchild = 0;
  SubprocessExit exit = (*p)->Wait([&](absl::string_view chunk) {
    out.append(chunk.data(), chunk.size());
    if (grandchild == 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &grandchild)) {
      (*p)->Terminate(absl::Seconds(2));
    }
  });
  ASSERT_GT(grandchild, 0) << out;
  EXPECT_TRUE(exit.terminated);
  for (int i = 0; i < 100 && Alive(grandchild); ++i) ::usleep(10000);
  EXPECT_FALSE(Alive(grandchild)) << "the grandchild " << grandchild << " outlived its group";
}

TEST(SubprocessTest, DeadlineKillsAndSaysSo) {
  SubprocessOptions o;
  o.argv = {"sleep", "30"};
  o.search_path = true;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status();
  SubprocessExit exit = (*p)->Wait(nullptr, absl::Now() + absl::Milliseconds(200));
  EXPECT_TRUE(exit.timed_out);
  EXPECT_EQ(exit.term_signal, SIGKILL);
  EXPECT_FALSE(exit.terminated);
}

TEST(SubprocessTest, AFolderItCannotEnterIsReportedAndNothingRuns) {
  std::string dir = ScratchDir();
  auto o = Shell(absl::StrCat("touch '", dir, "/ran'"));
  o.working_dir = dir + "/no-such-folder";
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status();
  SubprocessExit exit = (*p)->Wait(nullptr);
  EXPECT_EQ(exit.exit_code, 126);
  EXPECT_THAT(exit.stderr_text, HasSubstr("cannot enter the working folder"));
  EXPECT_NE(::access((dir + "/ran").c_str(), F_OK), 0);
}

TEST(SubprocessTest, WorkingFolderIsTheChildsCurrentFolder) {
  std::string dir = ScratchDir();
  auto o = Shell("pwd");
  o.working_dir = dir;
  auto run = RunAndCapture(o, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, dir + "\n");
}

// The run folder's path swapped for a link after it was opened: a child
// started with the folder's descriptor works in the folder that was opened,
// never where the link points.
TEST(SubprocessTest, AnOpenedWorkingFolderIsEnteredEvenWhenALinkTookItsPlace) {
  std::string dir = ScratchDir() + "/fd";
  ASSERT_EQ(std::system(
                absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "/run' '", dir, "/elsewhere'")
                    .c_str()),
            0);
  UniqueFd run_fd(::open((dir + "/run").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(run_fd);
  ASSERT_EQ(::rename((dir + "/run").c_str(), (dir + "/moved").c_str()), 0);
  ASSERT_EQ(::symlink((dir + "/elsewhere").c_str(), (dir + "/run").c_str()), 0);

  auto o = Shell("pwd -P; echo data > written");
  o.working_dir = dir + "/run";  // the path: now a link to elsewhere
  o.working_dir_fd = run_fd.get();
  auto run = RunAndCapture(o, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, dir + "/moved\n");
  EXPECT_EQ(::access((dir + "/moved/written").c_str(), F_OK), 0);
  EXPECT_NE(::access((dir + "/elsewhere/written").c_str(), F_OK), 0);
  EXPECT_TRUE(run_fd) << "the caller's descriptor stays open";

  // By path alone the same child would have followed the link.
  o.working_dir_fd = -1;
  run = RunAndCapture(o, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, dir + "/elsewhere\n");
}

TEST(SubprocessTest, AClosedWorkingFolderDescriptorRunsNothing) {
  std::string dir = ScratchDir();
  auto o = Shell(absl::StrCat("touch '", dir, "/ran-closed'"));
  int closed = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(closed, 0);
  ::close(closed);
  o.working_dir_fd = closed;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status();
  SubprocessExit exit = (*p)->Wait(nullptr);
  EXPECT_EQ(exit.exit_code, 126);
  EXPECT_THAT(exit.stderr_text, HasSubstr("cannot enter the working folder"));
  EXPECT_NE(::access((dir + "/ran-closed").c_str(), F_OK), 0);
}

TEST(SubprocessTest, ProgramsAreFoundOnPathOrNamedWhenMissing) {
  auto sh = FindProgram("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_EQ((*sh)[0], '/');
  auto missing = FindProgram("qdt-no-such-tool", {"/nonexistent"});
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr("qdt-no-such-tool"));
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent"));
  SubprocessOptions o;
  o.argv = {"qdt-no-such-tool"};
  o.search_path = true;
  EXPECT_TRUE(absl::IsNotFound(Subprocess::Start(o).status()));
  o.search_path = false;
  auto relative = Subprocess::Start(o);
  EXPECT_TRUE(absl::IsInvalidArgument(relative.status()));
  EXPECT_THAT(relative.status().message(), HasSubstr("must be absolute"));
}

// A child started while another child's pipes are open must not inherit them:
// an inherited write end keeps the first child's output open after it exits.
TEST(SubprocessTest, ChildrenInheritNoDescriptorsButTheirOwnThree) {
  // Whatever the test runner itself left open (not ours to judge) is allowed.
  const std::set<int> before = OpenFds();
  auto holder = Subprocess::Start(Shell("sleep 5"));
  ASSERT_TRUE(holder.ok());
  auto run = RunAndCapture(Shell("ls /proc/self/fd"), absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  std::vector<std::string> fds = absl::StrSplit(run->out, '\n', absl::SkipEmpty());
  int checked = 0;
  for (const auto& fd : fds) {
    int n = -1;
    ASSERT_TRUE(absl::SimpleAtoi(fd, &n)) << fd;
    // 0, 1, 2 and the descriptor ls opens to read the folder.
    if (n <= 3 || before.count(n) > 0) continue;
    ++checked;
    ADD_FAILURE() << "the child inherited descriptor " << n << " (a pipe of another child?)";
  }
  EXPECT_EQ(checked, 0);
  (*holder)->Terminate(absl::ZeroDuration());
  (*holder)->Wait(nullptr);
}

TEST(SubprocessTest, StderrIsBoundedInMemoryButCompleteOnDisk) {
  std::string dir = ScratchDir();
  auto o = Shell("i=0; while [ $i -lt 2000 ]; do echo 0123456789abcdef >&2; i=$((i+1)); done");
  o.stderr_file = dir + "/err";
  o.stderr_limit = 1000;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  SubprocessExit exit = (*p)->Wait(nullptr);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.stderr_text.size(), 1000u);
  EXPECT_EQ(ReadFile(dir + "/err")->size(), 2000u * 17);
}

TEST(SubprocessTest, UnreadOutputGoesStraightToTheFiles) {
  std::string dir = ScratchDir();
  auto o = Shell("echo announced; echo noise >&2");
  o.read_output = false;
  o.stdout_file = dir + "/pub.out";
  o.stderr_file = dir + "/pub.err";
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  int chunks = 0;
  SubprocessExit exit = (*p)->Wait([&](absl::string_view) { ++chunks; });
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(*ReadFile(dir + "/pub.out"), "announced\n");
  EXPECT_EQ(*ReadFile(dir + "/pub.err"), "noise\n");
}

TEST(SubprocessTest, DestroyingARunningChildKillsAndReapsIt) {
  pid_t pid;
  {
    auto p = Subprocess::Start(Shell("sleep 30"));
    ASSERT_TRUE(p.ok());
    pid = (*p)->pid();
    EXPECT_TRUE(Alive(pid));
  }
  EXPECT_FALSE(Alive(pid)) << "pid " << pid << " survives (or is an unreaped zombie)";
}

TEST(SubprocessTest, CaptureStopsAtItsLimit) {
  auto run = RunAndCapture(Shell("yes | head -c 100000"), absl::Seconds(10), 4096);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->out.size(), 4096u);
  EXPECT_EQ(run->exit.stdout_bytes, 100000u);
}

TEST(SubprocessTest, TwoChildrenPolledInTurnEachDeliverEverything) {
  auto a = Subprocess::Start(Shell("for i in 1 2 3; do echo a$i; sleep 0.05; done"));
  auto b = Subprocess::Start(Shell("sleep 0.1; echo b1; exit 4"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::string out_a, out_b;
  bool a_running = true, b_running = true;
  while (a_running || b_running) {
    if (a_running) {
      a_running = (*a)->Poll([&](absl::string_view c) { out_a.append(c.data(), c.size()); },
                             absl::Milliseconds(5));
    }
    if (b_running) {
      b_running = (*b)->Poll([&](absl::string_view c) { out_b.append(c.data(), c.size()); },
                             absl::Milliseconds(5));
    }
  }
  EXPECT_EQ(out_a, "a1\na2\na3\n");
  EXPECT_EQ(out_b, "b1\n");
  EXPECT_EQ((*a)->exit().exit_code, 0);
  EXPECT_EQ((*b)->exit().exit_code, 4);
  EXPECT_FALSE((*b)->Poll(nullptr, absl::Milliseconds(1))) << "an ended child stays ended";
}

}  // namespace
}  // namespace qdt
