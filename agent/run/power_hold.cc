#include "agent/run/power_hold.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/parse_util.h"
#include "agent/probes/pmset.h"
#include "common/file_util.h"
#include "common/subprocess.h"

namespace qdt::agent {
namespace {

// A hold of nothing: why is in note().
class NoPowerHold final : public PowerHold {
 public:
  explicit NoPowerHold(std::string note) : note_(std::move(note)) {}
  std::string holder() const override { return ""; }
  std::string note() const override { return note_; }
  void Release() override {}

 private:
  const std::string note_;
};

// The tool as a child that lives until Release().
class ChildPowerHold final : public PowerHold {
 public:
  ChildPowerHold(std::unique_ptr<Subprocess> child, std::string holder, absl::Duration grace)
      : child_(std::move(child)), holder_(std::move(holder)), grace_(grace) {}
  ~ChildPowerHold() override { Release(); }
  std::string holder() const override { return holder_; }
  std::string note() const override { return ""; }
  void Release() override {
    if (child_ == nullptr) return;
    child_->Terminate(grace_);  // the whole group: systemd-inhibit's `sleep` too
    child_->Wait(nullptr, absl::Now() + grace_ + absl::Seconds(1));
    child_.reset();
  }

 private:
  std::unique_ptr<Subprocess> child_;
  const std::string holder_;
  const absl::Duration grace_;
};

std::string DescribeExit(const SubprocessExit& exit) {
  return exit.term_signal != 0 ? absl::StrCat("was killed by signal ", exit.term_signal)
                               : absl::StrCat("exited with status ", exit.exit_code);
}

// The first line of what the tool said, bounded.
std::string FirstLine(absl::string_view text) {
  return PrintableExcerpt(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))), 200);
}

}  // namespace

std::vector<std::string> PowerHoldArgv(const PowerHoldOptions& options) {
  if (options.platform == Platform::kMacOS) {
    const pid_t pid = options.watched_pid > 0 ? options.watched_pid : ::getpid();
    return {"caffeinate", "-i", "-m", "-s", "-w", absl::StrCat(pid)};
  }
  return {"systemd-inhibit", "--what=idle:sleep",
          "--who=qdt-agent", absl::StrCat("--why=disk test ", options.run_id),
          "--mode=block",    "sleep",
          "infinity"};
}

std::unique_ptr<PowerHold> AcquirePowerHold(const PowerHoldOptions& options) {
  SubprocessOptions child;
  child.argv = PowerHoldArgv(options);
  const std::string tool = child.argv[0];
  if (!options.program.empty()) child.argv[0] = options.program;
  child.search_path = true;
  child.stderr_limit = 4096;
  auto started = Subprocess::Start(child);
  if (!started.ok()) return std::make_unique<NoPowerHold>(std::string(started.status().message()));
  std::unique_ptr<Subprocess> proc = *std::move(started);
  // A tool that cannot hold (no logind, no permission) says so and ends at once.
  const absl::Time settled = absl::Now() + options.settle;
  for (absl::Time now = absl::Now(); now < settled; now = absl::Now()) {
    if (proc->Poll(nullptr, settled - now)) continue;
    std::string note = absl::StrCat(tool, " ", DescribeExit(proc->exit()), " within ",
                                    absl::ToInt64Milliseconds(options.settle), " ms");
    if (const std::string said = FirstLine(proc->exit().stderr_text); !said.empty()) {
      absl::StrAppend(&note, ": ", said);
    }
    return std::make_unique<NoPowerHold>(std::move(note));
  }
  const std::string holder =
      options.platform == Platform::kMacOS
          ? absl::StrCat("caffeinate -i -m -s (pid ", proc->pid(), ")")
          : absl::StrCat("systemd-inhibit idle:sleep (pid ", proc->pid(), ")");
  return std::make_unique<ChildPowerHold>(std::move(proc), holder, options.stop_grace);
}

absl::StatusOr<std::string> ReadPowerSource(Platform platform, CommandRunner* commands,
                                            const std::string& sysfs_root) {
  if (platform != Platform::kMacOS) return ReadLinuxPowerSource(sysfs_root);
  if (commands == nullptr) {
    return absl::FailedPreconditionError("pmset -g batt: no way to run tools here");
  }
  auto r = commands->Run({"pmset", "-g", "batt"}, absl::Seconds(5));
  if (!r.ok()) return r.status();
  if (r->timed_out) return absl::DeadlineExceededError("pmset -g batt: no answer within 5 s");
  if (r->exit_code == 127) return absl::NotFoundError("pmset -g batt: pmset not found on PATH");
  if (r->exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("pmset -g batt: exited with status ", r->exit_code, ": ", FirstLine(r->err)));
  }
  return ParsePmsetPowerSource(r->out);
}

absl::StatusOr<std::string> ReadLinuxPowerSource(const std::string& sysfs_root) {
  const std::string dir = sysfs_root + "/class/power_supply";
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  bool mains = false;
  for (const std::string& name : names) {
    auto type = ReadFileTrimmed(absl::StrCat(dir, "/", name, "/type"), 64);
    if (!type.ok() || *type != "Mains") continue;
    mains = true;
    const std::string path = absl::StrCat(dir, "/", name, "/online");
    auto online = ReadFileTrimmed(path, 64);
    if (!online.ok()) return online.status();
    if (*online == "1") return std::string("AC Power");
    if (*online != "0") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": \"", PrintableExcerpt(*online), "\" is not 0 or 1"));
    }
  }
  return mains ? std::string("Battery Power") : std::string();
}

}  // namespace qdt::agent
