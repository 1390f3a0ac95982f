#include "agent/run_manager.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/probes/qlab.h"
#include "agent/probes/sysctl.h"
#include "agent/run/device_counter.h"
#include "agent/run/fio_invoker.h"
#include "agent/run/power_hold.h"
#include "agent/run/run_recovery.h"
#include "agent/run/test_area.h"
#include "common/logging.h"
#include "fio/fio_job_builder.h"

namespace qdt::agent {
namespace {

using qdt::v1::Run;
using qdt::v1::StartRunRequest;

// Sorts by creation time (the run store lists runs in this order); the random
// tail keeps two agents' (or two quick starts') ids apart.
std::string NewRunId(absl::Time now) {
  std::random_device rd;
  return absl::StrCat(absl::FormatTime("%Y%m%d-%H%M%S", now, absl::UTCTimeZone()), "-",
                      absl::StrFormat("%06x", rd() & 0xffffff));
}

}  // namespace

RunManager::RunManager(RunStore* store, RunManagerOptions options)
    : store_(store), options_(std::move(options)) {}

RunManager::~RunManager() { Shutdown(); }

absl::Status RunManager::Recover() { return RecoverRuns(store_, options_.clock); }

TargetPolicy RunManager::Policy() const {
  TargetPolicy policy;
  policy.allowed_target_dirs = options_.allowed_target_dirs;
  policy.space_reserve_bytes = options_.space_reserve_bytes;
  policy.state_dir = store_->state_dir();
  return policy;
}

absl::Status RunManager::CheckTargetFolder(const std::string& target) const {
  return CheckTarget(target, Policy());
}

absl::StatusOr<Run> RunManager::StartRun(const StartRunRequest& request) {
  const Clock& clock = ClockOrSystem(options_.clock);
  PlanOptions plan_options;
  plan_options.now = clock.Now();  // start_at is checked against the agent's own clock
  plan_options.run_id = NewRunId(plan_options.now);
  plan_options.default_file_size = options_.default_file_size;
  plan_options.ioengine = options_.ioengine;
  // The platform decides how fio lays out its reads (psync threads on macOS);
  // macOS's POSIX AIO limits are recorded in the run and cap posixaio.
  plan_options.platform = options_.platform;
  if (options_.platform == Platform::kMacOS) {
    plan_options.aio_limits = options_.commands != nullptr
                                  ? ReadAioLimits(options_.commands)
                                  : absl::UnavailableError("no command runner to ask sysctl");
  }
  auto plan = PlanRun(request, plan_options);
  if (!plan.ok()) return plan.status();
  // An fio that cannot drop cached pages measures memory on every re-read.
  if (!options_.fio_cache_problem.empty() && !options_.allow_fio_without_cache_drop) {
    return absl::FailedPreconditionError(absl::StrCat(
        options_.fio_cache_problem,
        " (or start the agent with --allow-fio-without-cache-drop: the drive's counter then "
        "catches what the cache answers)"));
  }
  // Show safety: a disk test competes with playback for the same drive.
  if (!request.force() && QlabRunning(options_.commands)) {
    return absl::FailedPreconditionError(
        "QLab is running on this machine: a disk test now would compete with playback; quit "
        "QLab, or start with force (qdtctl start --force) if no show is running");
  }
  // Opened once and checked by what was opened; the free space and the run's
  // folder go through the same descriptor.
  auto target = OpenTarget(plan->target_dir, Policy());
  if (!target.ok()) return target.status();

  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("the agent is shutting down");
  if (active_ != nullptr && active_->active()) {
    const Run current = active_->Snapshot();
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", current.run_id(), " is already active (", qdt::v1::RunState_Name(current.state()),
        ", profile ", current.profile_name(), "); stop it first or wait for it to end"));
  }
  if (auto st = CheckFreeSpace(*target, plan->file_count, plan->file_size_bytes,
                               options_.space_reserve_bytes);
      !st.ok()) {
    return st;
  }
  ThermalMonitor::Drive drive;
  auto executor = Create(request, *std::move(plan), *target, &drive);
  if (!executor.ok()) return executor.status();
  if (worker_.joinable()) worker_.join();  // the previous run has ended (checked above)
  active_ = *std::move(executor);
  worker_ = std::thread([run = active_, thermal = options_.thermal, drive] {
    // The monitor samples (spawns its tools on macOS) for the run's life
    // only, and reads the temperature of the drive under test when known.
    if (thermal != nullptr && !drive.device.empty()) thermal->SetRunDrive(drive);
    {
      ThermalMonitor::ScopedDemand sampling(thermal, ThermalMonitor::Demand::kRun);
      run->Execute();
    }
    if (thermal != nullptr && !drive.device.empty()) thermal->ClearRunDrive();
  });
  return active_->Snapshot();
}

absl::StatusOr<std::shared_ptr<RunExecutor>> RunManager::Create(const StartRunRequest& request,
                                                                RunPlan plan,
                                                                const CheckedTarget& target,
                                                                ThermalMonitor::Drive* drive) {
  auto area = TestArea::Create(target, plan.run_id);
  if (!area.ok()) return area.status();
  RunExecutorDeps deps;
  deps.store = store_;
  ProcessFioInvokerOptions invoker;
  invoker.fio_path = options_.fio_path;
  invoker.wrapper = options_.fio_wrapper;
  invoker.working_dir = area->dir();
  invoker.working_dir_fd = area->dir_fd();
  invoker.store = store_;
  invoker.run_id = plan.run_id;
  invoker.stop_grace = options_.fio_stop_grace;
  deps.invoker = std::make_unique<ProcessFioInvoker>(std::move(invoker));
  deps.io_policy = options_.io_policy;
  if (const ThermalMonitor* thermal = options_.thermal) {
    deps.sample_sources.thermal = [thermal] { return thermal->Latest(); };
  }
  deps.clock = &ClockOrSystem(options_.clock);
  deps.sample_sources.wall_clock = [clock = deps.clock] { return clock->Now(); };
  deps.status_interval_s = options_.status_interval_s;
  CounterChoice counter =
      ChooseDeviceCounter(plan.target_dir, options_.platform, options_.commands);
  deps.counter = std::move(counter.counter);
  deps.counter_note = std::move(counter.note);
  if (!counter.whole_disk.empty()) {
    drive->device = "/dev/" + counter.whole_disk;
    drive->bus_protocol = counter.bus_protocol;
  }
  // caffeinate on macOS, systemd-inhibit on Linux; acquired by the executor
  // on the run's worker thread (power_hold.h).
  PowerHoldOptions hold;
  hold.platform = options_.platform;
  hold.run_id = plan.run_id;
  deps.power_hold = [hold] { return AcquirePowerHold(hold); };
  deps.power_source = [platform = options_.platform, commands = options_.commands] {
    return ReadPowerSource(platform, commands);
  };
  deps.platform = options_.platform;
  deps.agent_path = SelfExecutablePath();
  if (options_.platform == Platform::kMacOS && options_.commands != nullptr) {
    deps.background = CheckBackgroundReaders(options_.commands, plan.target_dir,
                                             absl::StrCat(plan.target_dir, "/.qdt-test"));
  }
  // The volume before the layout, for the low-free-space flag; 0 = unknown.
  const VolumeSpace space = SpaceOf(plan.target_dir).value_or(VolumeSpace{});
  const TestArea made = *area;
  auto executor =
      RunExecutor::Create(request, std::move(plan), *std::move(area), space, std::move(deps));
  if (!executor.ok()) {
    made.RemoveFiles({});
    return executor.status();
  }
  return std::shared_ptr<RunExecutor>(*std::move(executor));
}

std::shared_ptr<RunExecutor> RunManager::Find(const std::string& run_id) const {
  absl::MutexLock lock(&mu_);
  if (active_ != nullptr && active_->run_id() == run_id) return active_;
  return nullptr;
}

absl::StatusOr<Run> RunManager::StopRun(const std::string& run_id) {
  std::shared_ptr<RunExecutor> run = Find(run_id);
  if (run == nullptr) {
    auto stored = store_->LoadRun(run_id);
    if (!stored.ok()) return stored.status();
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run_id, " has already ended (", qdt::v1::RunState_Name(stored->state()), ")"));
  }
  if (auto st = run->Stop(StopReason::kRequested); !st.ok()) return st;
  return run->Snapshot();
}

absl::StatusOr<std::shared_ptr<EventJournal>> RunManager::OpenJournal(const std::string& run_id) {
  if (std::shared_ptr<RunExecutor> run = Find(run_id)) return run->journal();
  auto run = store_->LoadRun(run_id);
  if (!run.ok()) return run.status();
  auto events = store_->ReadEvents(run_id);
  if (!events.ok()) return events.status();
  return std::make_shared<EventJournal>(nullptr, std::move(*events));
}

absl::StatusOr<qdt::v1::RunRecord> RunManager::GetRun(const std::string& run_id) {
  auto record = store_->LoadRecord(run_id);
  if (!record.ok()) return record.status();
  if (std::shared_ptr<RunExecutor> run = Find(run_id)) {
    *record->mutable_run() = run->Snapshot();
  } else {
    record->mutable_run()->set_last_seq(static_cast<uint64_t>(record->events_size()));
  }
  return record;
}

std::vector<Run> RunManager::ListRuns(uint32_t limit, absl::string_view before_run_id) {
  std::vector<std::string> ids = store_->ListRunIds();
  std::shared_ptr<RunExecutor> active;
  {
    absl::MutexLock lock(&mu_);
    active = active_;
  }
  std::vector<Run> runs;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (limit != 0 && runs.size() >= limit) break;
    // Ids sort by creation time: a page token names the oldest run already sent.
    if (!before_run_id.empty() && *it >= before_run_id) continue;
    if (active != nullptr && active->run_id() == *it) {
      runs.push_back(active->Snapshot());
      continue;
    }
    auto run = store_->LoadRun(*it);
    if (run.ok()) runs.push_back(*std::move(run));
  }
  return runs;
}

std::string RunManager::ActiveRunId() const {
  absl::MutexLock lock(&mu_);
  return active_ != nullptr && active_->active() ? active_->run_id() : "";
}

void RunManager::Shutdown() {
  std::shared_ptr<RunExecutor> run;
  std::thread worker;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    run = active_;
    worker = std::move(worker_);
  }
  if (run != nullptr) (void)run->Stop(StopReason::kShutdown);  // fails only when it has ended
  if (worker.joinable()) worker.join();
}

void RunManager::WaitIdle() {
  while (!ActiveRunId().empty()) ::usleep(20000);
}

}  // namespace qdt::agent
