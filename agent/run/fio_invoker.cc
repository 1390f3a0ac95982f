#include "agent/run/fio_invoker.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/logging.h"

namespace qdt::agent {

ProcessFioInvoker::ProcessFioInvoker(ProcessFioInvokerOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<fio::FioExit> ProcessFioInvoker::Run(
    const FioCall& call, const std::function<void(absl::string_view)>& on_stdout) {
  const std::string base = absl::StrCat(options_.store->FioDir(options_.run_id), "/", call.tag);
  if (auto st = WriteFile(base + ".fio", call.job_text); !st.ok()) {
    return absl::InternalError(absl::StrCat("cannot write ", base, ".fio: ", st.message()));
  }
  std::vector<std::string> argv = {options_.fio_path, "--output-format=json"};
  argv.insert(argv.end(), call.extra_args.begin(), call.extra_args.end());
  argv.push_back(base + ".fio");
  auto proc =
      fio::FioProcess::Start(argv, base + ".stdout", base + ".stderr", options_.working_dir);
  if (!proc.ok()) return proc.status();
  // The pid file lets a restarted agent find and kill a fio that outlived it.
  if (auto st = WriteFile(base + ".pid", absl::StrCat((*proc)->pid(), "\n")); !st.ok()) {
    QDT_LOG(Warning) << "run " << options_.run_id << ": " << st.message();
  }
  {
    absl::MutexLock lock(&mu_);
    running_ = proc->get();
    if (stopped_) running_->Terminate(options_.stop_grace);
  }
  fio::FioExit exit = (*proc)->Wait(on_stdout);
  {
    absl::MutexLock lock(&mu_);
    running_ = nullptr;
  }
  ::unlink((base + ".pid").c_str());
  Record(call, argv, exit);
  return exit;
}

void ProcessFioInvoker::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (running_ != nullptr) running_->Terminate(options_.stop_grace);
}

void ProcessFioInvoker::Record(const FioCall& call, const std::vector<std::string>& argv,
                               const fio::FioExit& exit) const {
  qdt::v1::FioInvocation inv;
  inv.set_phase_index(call.phase_index);
  for (const auto& a : argv) inv.add_argv(a);
  inv.set_exit_code(exit.exit_code);
  inv.set_term_signal(exit.term_signal);
  inv.set_stdout_bytes(exit.stdout_bytes);
  if (auto st = options_.store->SaveFioInvocation(options_.run_id, call.tag, inv); !st.ok()) {
    QDT_LOG(Error) << st;
  }
}

}  // namespace qdt::agent
