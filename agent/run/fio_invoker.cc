#include "agent/run/fio_invoker.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/unique_fd.h"
#include "common/utf8.h"

namespace qdt::agent {

absl::Duration FioSilenceLimit() {
  const char* value = std::getenv(kTestFioSilenceEnv);
  int64_t ms = 0;
  if (value != nullptr && absl::SimpleAtoi(value, &ms) && ms >= 100 && ms <= 600000) {
    return absl::Milliseconds(ms);
  }
  return kFioSilenceLimit;
}

absl::StatusOr<fio::FioExit> FioInvoker::Run(
    const FioCall& call, const std::function<void(absl::string_view)>& on_stdout,
    absl::Time deadline) {
  auto run = Start(call);
  if (!run.ok()) return run.status();
  bool timed_out = false;
  while ((*run)->Pump(on_stdout, absl::Milliseconds(100))) {
    if (!timed_out && absl::Now() >= deadline) {
      timed_out = true;
      Stop();  // SIGTERM to its group, SIGKILL after the grace; read on to its end
    }
  }
  fio::FioExit exit = (*run)->exit();
  exit.timed_out = exit.timed_out || timed_out;
  return exit;
}

namespace {

// The jobs that have reached their gate, from fio's own output: fio prints
// "<job> : Saving output of prerun in <job>.prerun.txt" as a job starts its
// exec_prerun, just before the command runs (fio backend.c, exec_string).
class PrerunWatch {
 public:
  void Feed(absl::string_view chunk) {
    for (char c : chunk) {
      if (c != '\n') {
        if (line_.size() < kMaxLine) line_ += c;
        continue;
      }
      static constexpr char kSaying[] = " : Saving output of prerun in ";
      if (const size_t at = line_.find(kSaying); at != std::string::npos) {
        waiting_.insert(line_.substr(0, at));
      }
      line_.clear();
    }
  }
  bool Waiting(const std::string& job) const { return waiting_.count(job) > 0; }

 private:
  static constexpr size_t kMaxLine = 512;  // longer lines are not the one looked for
  std::string line_;
  std::set<std::string> waiting_;
};

}  // namespace

// One fio process of a ProcessFioInvoker.
class ProcessFioRun final : public FioRun {
 public:
  ProcessFioRun(ProcessFioInvoker* invoker, FioCall call, std::vector<std::string> argv,
                std::string base, std::unique_ptr<fio::FioProcess> process)
      : invoker_(invoker),
        call_(std::move(call)),
        argv_(std::move(argv)),
        base_(std::move(base)),
        process_(std::move(process)),
        opened_(call_.gates.size()) {}
  ~ProcessFioRun() override {
    if (!ended_) invoker_->Forget(process_.get());  // destroying the process kills it
  }

  bool Pump(const std::function<void(absl::string_view)>& on_stdout,
            absl::Duration max_wait) override {
    if (ended_) return false;
    const bool running = process_->Poll(
        [&](absl::string_view chunk) {
          if (!call_.gates.empty()) prerun_.Feed(chunk);
          if (on_stdout) on_stdout(chunk);
        },
        max_wait);
    if (running) return true;
    ended_ = true;
    opened_.clear();  // the writer ends: nobody reads them any more
    invoker_->Forget(process_.get());
    ::unlink((base_ + ".pid").c_str());
    invoker_->Record(call_, argv_, process_->exit());
    return false;
  }
  fio::FioExit exit() const override { return process_->exit(); }

  bool Ready() const override {
    if (call_.gates.empty()) return true;
    for (const std::string& job : call_.gates[0].jobs) {
      if (!prerun_.Waiting(job)) return false;
    }
    return true;
  }

  absl::Status Release(size_t gate) override {
    if (gate >= call_.gates.size()) {
      return absl::InvalidArgumentError(absl::StrCat("no gate ", gate, " in ", call_.tag));
    }
    const fio::PhaseGate& g = call_.gates[gate];
    if (ended_ || opened_[gate] || g.jobs.empty()) return absl::OkStatus();
    const std::string path = absl::StrCat(invoker_->options_.working_dir, "/", g.fifo);
    // Non-blocking: with no job at the gate yet this fails (ENXIO) instead of
    // waiting, and the caller tries again.
    UniqueFd fd(::openat(invoker_->DirFd(),
                         invoker_->DirFd() == AT_FDCWD ? path.c_str() : g.fifo.c_str(),
                         O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      return ErrnoError(
          errno == ENXIO ? absl::StatusCode::kUnavailable : absl::StatusCode::kInternal,
          absl::StrCat("cannot open the gate ", path), errno);
    }
    // One byte per job; the writer stays open until fio ends, so a job that
    // reaches the gate late still finds its byte.
    const std::string bytes(g.jobs.size(), 'g');
    if (::write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot open the gate ", path),
                        errno);
    }
    opened_[gate] = std::move(fd);
    return absl::OkStatus();
  }

 private:
  ProcessFioInvoker* const invoker_;
  const FioCall call_;
  const std::vector<std::string> argv_;
  const std::string base_;  // <fio dir>/<tag>
  std::unique_ptr<fio::FioProcess> process_;
  PrerunWatch prerun_;
  std::vector<UniqueFd> opened_;  // per gate: its writer end once opened
  bool ended_ = false;
};

ProcessFioInvoker::ProcessFioInvoker(ProcessFioInvokerOptions options)
    : options_(std::move(options)) {}

int ProcessFioInvoker::DirFd() const {
  if (options_.working_dir_fd == nullptr) return AT_FDCWD;
  // Closed (the run's files removed): -1 makes every *at call fail with EBADF.
  return *options_.working_dir_fd ? options_.working_dir_fd->get() : -1;
}

absl::StatusOr<std::unique_ptr<FioRun>> ProcessFioInvoker::Start(const FioCall& call) {
  const std::string base = absl::StrCat(options_.store->FioDir(options_.run_id), "/", call.tag);
  if (auto st = WriteFile(base + ".fio", call.job_text); !st.ok()) {
    return absl::InternalError(absl::StrCat("cannot write ", base, ".fio: ", st.message()));
  }
  for (const fio::PhaseGate& g : call.gates) {
    const std::string gate = absl::StrCat(options_.working_dir, "/", g.fifo);
    if (g.fifo.empty() || g.fifo.find('/') != std::string::npos) {
      return absl::InternalError(absl::StrCat("gate name \"", g.fifo, "\" is not a plain name"));
    }
    const char* at = DirFd() == AT_FDCWD ? gate.c_str() : g.fifo.c_str();
    if (::mkfifoat(DirFd(), at, 0600) != 0) {
      const int err = errno;
      // Made by an earlier start of the same call: a FIFO it must be, not a
      // file or link put in its place.
      struct stat st;
      if (err != EEXIST || ::fstatat(DirFd(), at, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISFIFO(st.st_mode)) {
        return ErrnoError(absl::StatusCode::kInternal, absl::StrCat("cannot make the gate ", gate),
                          err);
      }
    }
  }
  std::vector<std::string> argv = options_.wrapper;
  argv.insert(argv.end(), {options_.fio_path, "--output-format=json"});
  argv.insert(argv.end(), call.extra_args.begin(), call.extra_args.end());
  argv.push_back(base + ".fio");
  auto proc = fio::FioProcess::Start(argv, base + ".stdout", base + ".stderr", options_.working_dir,
                                     options_.working_dir_fd != nullptr ? DirFd() : -1);
  if (!proc.ok()) return proc.status();
  // The pid file lets a restarted agent find and kill a fio that outlived it.
  if (auto st = WriteFile(base + ".pid", absl::StrCat((*proc)->pid(), "\n")); !st.ok()) {
    QDT_LOG(Warning) << "run " << options_.run_id << ": " << st.message();
  }
  {
    absl::MutexLock lock(&mu_);
    running_.insert(proc->get());
    if (stopped_) (*proc)->Terminate(options_.stop_grace);
  }
  return std::unique_ptr<FioRun>(
      new ProcessFioRun(this, call, std::move(argv), base, *std::move(proc)));
}

void ProcessFioInvoker::Forget(fio::FioProcess* process) {
  absl::MutexLock lock(&mu_);
  running_.erase(process);
}

void ProcessFioInvoker::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  for (fio::FioProcess* p : running_) p->Terminate(options_.stop_grace);
}

void ProcessFioInvoker::Record(const FioCall& call, const std::vector<std::string>& argv,
                               const fio::FioExit& exit) const {
  qdt::v1::FioInvocation inv;
  inv.set_phase_index(call.phase_index);
  for (const auto& a : argv) inv.add_argv(a);
  inv.set_exit_code(exit.exit_code);
  inv.set_term_signal(exit.term_signal);
  inv.set_stdout_bytes(exit.stdout_bytes);
  MakeStringsValidUtf8(&inv);  // the paths in argv are the user's
  if (auto st = options_.store->SaveFioInvocation(options_.run_id, call.tag, inv); !st.ok()) {
    QDT_LOG(Error) << st;
  }
}

}  // namespace qdt::agent
