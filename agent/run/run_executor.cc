#include "agent/run/run_executor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/run/gap_monitor.h"
#include "agent/run/page_cache.h"
#include "agent/run/phase_pipeline.h"
#include "common/logging.h"
#include "common/profiles.h"
#include "common/run_state.h"
#include "common/timestamp.h"
#include "common/utf8.h"
#include "fio/fio_job_builder.h"
#include "google/protobuf/util/time_util.h"

namespace qdt::agent {
namespace {

using google::protobuf::util::TimeUtil;
using qdt::v1::LogLine;
using qdt::v1::RunEvent;
using qdt::v1::RunState;

RunEvent StateEvent(RunState state, const std::string& message) {
  RunEvent ev;
  ev.mutable_state()->set_state(state);
  ev.mutable_state()->set_message(message);
  return ev;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunExecutor>> RunExecutor::Create(
    const qdt::v1::StartRunRequest& request, RunPlan plan, TestArea area, VolumeSpace space,
    RunExecutorDeps deps) {
  qdt::v1::Run run;
  run.set_run_id(plan.run_id);
  run.set_state(qdt::v1::RUN_STATE_PENDING);
  run.set_profile_name(plan.profile.name());
  run.set_target_dir(plan.target_dir);
  const Clock& clock = ClockOrSystem(deps.clock);
  *run.mutable_created_at() = ToTimestamp(clock.Now());
  run.set_phase_index(-1);
  run.set_phase_count(static_cast<uint32_t>(plan.profile.phases_size()));
  run.set_planned_duration_s(plan.planned_duration_s);
  run.set_time_scale(plan.time_scale);
  run.mutable_checks()->set_device_counter(deps.counter ? deps.counter->device() : "");
  run.mutable_checks()->set_device_counter_note(deps.counter ? "" : deps.counter_note);
  run.mutable_checks()->set_io_policy(deps.io_policy);
  // How fio reads (psync threads on macOS) and, on macOS, the AIO limits.
  run.mutable_checks()->set_io_engine(plan.io_engine_note);
  run.mutable_checks()->set_aio_limits(plan.aio_limits_note);
  MakeStringsValidUtf8(&run);  // notes may quote a tool's output
  if (auto st = deps.store->CreateRun(run, request, plan.profile); !st.ok()) return st;
  auto writer = deps.store->OpenEventLog(plan.run_id);
  if (!writer.ok()) return writer.status();
  auto journal =
      std::make_shared<EventJournal>(std::move(*writer), std::vector<RunEvent>{}, &clock);
  if (auto seq = journal->Append(
          StateEvent(qdt::v1::RUN_STATE_PENDING, absl::StrCat("accepted: ", plan.Describe())));
      !seq.ok()) {
    return seq.status();
  }
  return std::make_unique<RunExecutor>(std::move(plan), std::move(area), space, std::move(run),
                                       std::move(journal), std::move(deps));
}

RunExecutor::RunExecutor(RunPlan plan, TestArea area, VolumeSpace space, qdt::v1::Run run,
                         std::shared_ptr<EventJournal> journal, RunExecutorDeps deps)
    : clock_(ClockOrSystem(deps.clock)),
      plan_(std::move(plan)),
      area_(std::move(area)),
      space_(space),
      journal_(std::move(journal)),
      deps_(std::move(deps)),
      run_(std::move(run)) {
  series_ = NotRunSeries(plan_.profile);  // phases never reached stay "not run"
}

void RunExecutor::Execute() {
  // Awake from before the layout until the test files are gone, whatever the end.
  std::unique_ptr<PowerHold> hold = HoldPower();
  NoteBackgroundReaders();
  absl::Status status = Prepare();
  if (status.ok()) status = EvictCache();
  if (status.ok()) status = RunPhases();
  Judge();
  CleanUp();
  if (hold != nullptr) hold->Release();
  Finish(status);
}

std::unique_ptr<PowerHold> RunExecutor::HoldPower() {
  std::unique_ptr<PowerHold> hold = deps_.power_hold ? deps_.power_hold() : nullptr;
  absl::StatusOr<std::string> source =
      deps_.power_source ? deps_.power_source() : absl::StatusOr<std::string>("");
  {
    absl::MutexLock lock(&mu_);
    qdt::v1::MeasurementChecks* checks = run_.mutable_checks();
    checks->set_power_hold(hold != nullptr ? hold->holder() : "");
    checks->set_power_hold_note(hold != nullptr ? hold->note() : "");
    checks->set_power_source(source.ok() ? *source : "");
  }
  if (hold != nullptr && !hold->holder().empty()) {
    Log(LogLine::LEVEL_INFO, absl::StrCat("keeping the machine awake: ", hold->holder()));
  } else if (hold != nullptr) {
    Log(LogLine::LEVEL_WARNING,
        absl::StrCat("nothing keeps the machine awake during the run (if it sleeps, the test "
                     "stalls): ",
                     hold->note()));
  }
  if (!source.ok()) {
    Log(LogLine::LEVEL_WARNING, absl::StrCat("power source unknown: ", source.status().message()));
  } else if (!source->empty()) {
    Log(*source == "Battery Power" ? LogLine::LEVEL_WARNING : LogLine::LEVEL_INFO,
        absl::StrCat("power source: ", *source));
  }
  if (auto st = deps_.store->SaveRun(Snapshot()); !st.ok()) QDT_LOG(Error) << st;
  return hold;
}

void RunExecutor::NoteBackgroundReaders() {
  if (!deps_.background) return;
  const BackgroundReaders& b = *deps_.background;
  {
    absl::MutexLock lock(&mu_);
    run_.mutable_checks()->set_spotlight(b.spotlight);
    run_.mutable_checks()->set_time_machine(b.time_machine);
  }
  if (b.spotlight_indexes) {
    Log(LogLine::LEVEL_WARNING,
        absl::StrCat("Spotlight indexes ", plan_.target_dir,
                     ": it reads new files while the test runs (they show as other reads); for "
                     "the show, turn it off: sudo mdutil -i off ",
                     b.spotlight_store));
  } else if (b.spotlight.empty()) {
    Log(LogLine::LEVEL_INFO, absl::StrCat("Spotlight state unknown: ", b.spotlight_note));
  }
  Log(absl::StartsWith(b.time_machine, "excluded") ? LogLine::LEVEL_INFO : LogLine::LEVEL_WARNING,
      absl::StrCat("Time Machine: ", b.time_machine));
}

absl::Status RunExecutor::Prepare() {
  if (auto st = Checkpoint(); !st.ok()) return st;  // stopped before it began
  if (auto st = SetState(qdt::v1::RUN_STATE_PREPARING,
                         absl::StrCat("laying out ", plan_.file_count, " files of ",
                                      HumanBytes(static_cast<double>(plan_.file_size_bytes)),
                                      " in ", area_.dir()));
      !st.ok()) {
    return st;
  }
  // fio writes the stream files (create_only) before any timing starts. It
  // prints nothing meanwhile: the whole is bounded, at a pessimistic rate.
  const double bytes = static_cast<double>(plan_.file_count) * plan_.file_size_bytes;
  const absl::Duration bound = absl::Seconds(bytes / kLayoutMinBytesPerS) + deps_.fio_silence_limit;
  auto exit =
      deps_.invoker->Run({"layout", -1, plan_.layout_job, {}, {}}, nullptr, absl::Now() + bound);
  if (!exit.ok())
    return absl::InternalError(absl::StrCat("cannot start fio: ", exit.status().message()));
  if (auto st = Checkpoint(); !st.ok()) return st;
  if (exit->timed_out) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "fio stopped responding: the layout of %s did not end within %.0f s; it was stopped",
        HumanBytes(bytes), absl::ToDoubleSeconds(bound)));
  }
  if (exit->exit_code != 0 || exit->term_signal != 0) {
    return absl::InternalError(absl::StrCat("layout failed: ", exit->Describe()));
  }
  return absl::OkStatus();
}

absl::Status RunExecutor::EvictCache() {
  std::vector<std::string> paths;
  for (int i = 0; i < plan_.file_count; ++i) {
    paths.push_back(absl::StrCat(area_.dir(), "/", fio::StreamFileName(i)));
  }
  // Written is not readable: macOS lets a daemon without Full Disk Access
  // lay files out on /Volumes and then refuses to read them.
  if (auto st = CheckReadable(paths, deps_.read_probe, deps_.platform, plan_.target_dir,
                              deps_.agent_path);
      !st.ok()) {
    return st;
  }
  auto evicted = EvictTestFiles(paths);
  if (!evicted.ok()) return evicted.status();
  {
    absl::MutexLock lock(&mu_);
    run_.mutable_checks()->set_resident_fraction_after_layout(evicted->max_resident_fraction);
  }
  resident_fraction_ = evicted->max_resident_fraction;
  if (auto st = deps_.store->SaveRun(Snapshot()); !st.ok()) QDT_LOG(Error) << st;
  if (const std::string problem = evicted->Problem(); !problem.empty()) {
    // With the drive's counter the phases would be cross-checked, but a file
    // in memory makes them measure memory: stop before the first. Without a
    // counter (tmpfs is memory by design) the run goes on and gives no rating.
    if (deps_.counter != nullptr) return absl::FailedPreconditionError(problem);
    Log(LogLine::LEVEL_WARNING, absl::StrCat(problem, "; the run will give no rating"));
    return Checkpoint();
  }
  Log(LogLine::LEVEL_INFO,
      absl::StrFormat("the %d test files are out of the page cache (at most %.2f %% of a file's "
                      "pages resident)",
                      plan_.file_count, 100 * evicted->max_resident_fraction));
  return Checkpoint();
}

absl::Status RunExecutor::RunPhases() {
  if (auto st = Checkpoint(); !st.ok()) return st;
  // Synchronised start: every agent of the rig releases phase 0 at the same
  // real instant (its fio is started ahead and waits at its gate). start_at
  // is in this agent's clock (the console sends each agent the rig's start
  // plus the offset it measured, docs/CLOCKS.md); the pipeline waits on the
  // system clock, so the deadline is moved onto it once, here: now on the
  // system clock + (start_at − now on the agent's clock).
  const absl::Duration until_start = plan_.start_at - clock_.Now();
  const absl::Time start_system = absl::Now() + until_start;
  if (until_start > absl::ZeroDuration()) {
    Log(LogLine::LEVEL_INFO,
        absl::StrFormat("waiting for the synchronised start at %s (this agent's clock), in %.3f s",
                        absl::FormatTime("%H:%M:%E3S UTC", plan_.start_at, absl::UTCTimeZone()),
                        absl::ToDoubleSeconds(until_start)));
  }
  std::unique_ptr<GapMonitor> gaps;
  if (deps_.counter != nullptr) gaps = std::make_unique<GapMonitor>(deps_.counter.get());
  SampleSources sources = deps_.sample_sources;
  if (deps_.counter != nullptr) sources.device_bytes = [this] { return ReadCounter(); };
  PhasePipeline::Hooks hooks;
  hooks.on_release = [this, start_system](int index, absl::Time at, int64_t steady_ns) {
    if (index == 0) {
      NoteFirstRead(at, steady_ns);
      SayIfLate(at - start_system);
      (void)SetState(qdt::v1::RUN_STATE_RUNNING,
                     absl::StrCat(plan_.profile.phases_size(), " phases"));
    }
    BeginPhase(index, at);
  };
  hooks.on_scheduled = [this, &gaps](int index, absl::Time at) {
    if (gaps == nullptr) return;
    // Within the two phases: their middles at the most.
    const absl::Duration half_before =
        absl::Seconds(plan_.profile.phases(index - 1).duration_s() / 2);
    const absl::Duration half_after = absl::Seconds(plan_.profile.phases(index).duration_s() / 2);
    gaps->Watch(index, at, std::min(kGapWindowBefore, half_before),
                std::min(kGapWindowAfter, half_after));
  };
  hooks.on_sample = [this](qdt::v1::Sample sample) {
    if (!sample.temperature_source().empty()) {
      // The drive the temperatures came from (or why none): the latest word.
      absl::MutexLock lock(&mu_);
      run_.mutable_checks()->set_temperature_source(sample.temperature_source());
    }
    RunEvent ev;
    *ev.mutable_sample() = std::move(sample);
    Emit(std::move(ev));
  };
  hooks.on_warning = [this](const std::string& text) { Log(LogLine::LEVEL_WARNING, text); };
  hooks.checkpoint = [this] { return Checkpoint(); };
  hooks.sleep = [this](absl::Duration d) { SleepUnlessStopped(d); };
  PhasePipeline pipeline(plan_, deps_.invoker.get(), std::move(sources), deps_.status_interval_s,
                         std::move(hooks));
  pipeline.set_silence_limit(deps_.fio_silence_limit);
  absl::Status status = pipeline.Run(start_system);
  series_ = pipeline.series();
  if (gaps != nullptr) RecordBoundaries(gaps->Stop());
  if (status.ok()) status = Checkpoint();
  return status;
}

void RunExecutor::RecordBoundaries(std::vector<qdt::v1::PhaseBoundary> boundaries) {
  for (const qdt::v1::PhaseBoundary& b : boundaries) {
    if (b.to_phase_index() <= 0 || b.to_phase_index() >= plan_.profile.phases_size()) continue;
    Log(LogLine::LEVEL_INFO,
        b.has_idle_gap_ms()
            ? absl::StrFormat("into %s: the drive rested %.0f ms at the handover",
                              plan_.profile.phases(b.to_phase_index()).name(), b.idle_gap_ms())
            : absl::StrFormat("into %s: the drive's rest at the handover was not measured (its "
                              "counter takes %.0f ms to read)",
                              plan_.profile.phases(b.to_phase_index()).name(), b.resolution_ms()));
  }
  {
    absl::MutexLock lock(&mu_);
    for (auto& b : boundaries) *run_.mutable_checks()->add_boundaries() = std::move(b);
  }
  if (auto st = deps_.store->SaveRun(Snapshot()); !st.ok()) QDT_LOG(Error) << st;
}

void RunExecutor::BeginPhase(int index, absl::Time released_system) {
  const qdt::v1::Phase& phase = plan_.profile.phases(index);
  {
    absl::MutexLock lock(&mu_);
    run_.set_phase_index(index);
  }
  RunEvent change;
  auto* pc = change.mutable_phase();
  pc->set_phase_index(index);
  pc->set_phase_name(phase.name());
  pc->set_duration_s(phase.duration_s());
  pc->set_target_bytes_per_s(series_[index].target_bytes_per_s);
  pc->set_stream_count(static_cast<uint32_t>(phase.streams_size()));
  // The phase began when its gate opened, not when this event is written
  // (phase 0's follows the RUNNING state and its fsync): the release
  // instant, on the agent's clock.
  *change.mutable_time() = ToTimestamp(released_system + (clock_.Now() - absl::Now()));
  Emit(std::move(change));
  if (auto st = deps_.store->SaveRun(Snapshot()); !st.ok()) QDT_LOG(Error) << st;
}

void RunExecutor::Judge() {
  if (series_.empty() || !series_[0].ran) return;  // nothing was measured: no verdict
  VerdictInput input;
  input.phases = series_;
  // A derived cue stack is judged against its own levels; the built-ins give 656 / 2100.
  const ProfileLevels levels = TargetLevels(plan_.profile);
  input.normal_target_mb_s = levels.normal_mb_s;
  input.crossfade_target_mb_s = levels.crossfade_mb_s;
  input.free_bytes = space_.free_bytes;
  input.total_bytes = space_.total_bytes;
  input.resident_fraction_after_layout = resident_fraction_;
  {
    absl::MutexLock lock(&mu_);
    input.boundaries.assign(run_.checks().boundaries().begin(), run_.checks().boundaries().end());
    input.power_source = run_.checks().power_source();
  }
  if (deps_.counter != nullptr) {
    input.device_counter = deps_.counter->device();
  } else {
    input.device_counter_note = deps_.counter_note;
  }
  qdt::v1::Verdict verdict = ComputeVerdict(input);
  verdict.set_time_scale(plan_.time_scale);  // a rehearsal's verdict says so wherever it goes
  // Reads macOS AIO held back (posixaio beyond kern.aioprocmax / kern.aiomax).
  for (const std::string& flag : plan_.aio_flags) verdict.add_flags(flag);
  {
    absl::MutexLock lock(&mu_);
    *run_.mutable_verdict() = verdict;
  }
  RunEvent ev;
  *ev.mutable_verdict() = std::move(verdict);
  Emit(std::move(ev));
}

void RunExecutor::CleanUp() {
  area_.RemoveFiles(TestFileNames(plan_.profile, plan_.job_options.layout));
  Log(LogLine::LEVEL_INFO, absl::StrCat("removed the test files in ", area_.dir()));
}

void RunExecutor::Finish(const absl::Status& status) {
  bool shutdown;
  std::string summary;
  {
    absl::MutexLock lock(&mu_);
    shutdown = shutdown_;
    summary = run_.verdict().summary();
  }
  if (status.ok()) {
    (void)SetState(qdt::v1::RUN_STATE_DONE, summary);
  } else if (absl::IsCancelled(status)) {
    (void)SetState(shutdown ? qdt::v1::RUN_STATE_INTERRUPTED : qdt::v1::RUN_STATE_STOPPED,
                   shutdown ? "the agent was shut down during the run" : "stopped on request");
  } else {
    (void)SetState(qdt::v1::RUN_STATE_FAILED, std::string(status.message()));
  }
  journal_->Close();
}

absl::Status RunExecutor::Checkpoint() const {
  absl::MutexLock lock(&mu_);
  return stop_requested_ ? absl::CancelledError("stop requested") : absl::OkStatus();
}

void RunExecutor::SleepUnlessStopped(absl::Duration d) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_requested_), d);
}

void RunExecutor::SayIfLate(absl::Duration late) {
  // A run without a start_at starts when it is ready; only a rig start can be late.
  if (!plan_.start_asked || late <= kLateStartWarning) return;
  // The rig's other drives began at the start; this one did not, so what
  // the rig did together (the crossfades of every Mac at once) was not tested.
  Log(LogLine::LEVEL_WARNING,
      absl::StrFormat("this drive began reading %.3f s after the synchronised start (the test "
                      "files' layout or fio's set-up took longer than the start delay): it did "
                      "not start together with the rig; give the start more delay",
                      absl::ToDoubleSeconds(late)));
}

void RunExecutor::NoteFirstRead(absl::Time at, int64_t steady_ns) {
  absl::MutexLock lock(&mu_);
  run_.set_first_read_steady_ns(steady_ns);
  *run_.mutable_first_read_at() = ToTimestamp(FromSystemTime(clock_, at));
}

absl::Status RunExecutor::SetState(RunState state, const std::string& message) {
  {
    absl::MutexLock lock(&mu_);
    if (!RunTransitionAllowed(run_.state(), state)) {
      absl::Status refused = absl::InternalError(
          absl::StrCat("run ", run_.run_id(), ": ", RunStateName(run_.state()), " cannot become ",
                       RunStateName(state), " (", message, ")"));
      QDT_LOG(Error) << refused.message();
      return refused;
    }
    run_.set_state(state);
    if (state == qdt::v1::RUN_STATE_RUNNING) *run_.mutable_started_at() = ToTimestamp(clock_.Now());
    if (RunEnded(state)) {
      *run_.mutable_ended_at() = ToTimestamp(clock_.Now());
      if (state != qdt::v1::RUN_STATE_DONE && state != qdt::v1::RUN_STATE_STOPPED) {
        run_.set_error(message);
      }
    }
  }
  Emit(StateEvent(state, message));
  if (auto st = deps_.store->SaveRun(Snapshot()); !st.ok()) {
    // The state is in events.log when Emit could write it; recovery makes
    // run.json follow the log at the next start (docs/JOURNAL.md).
    QDT_LOG(Error) << "run " << run_id() << ": run.json could not be updated to "
                   << RunStateName(state) << " (" << st.message()
                   << "); events.log holds it, the next start makes run.json follow it";
  }
  QDT_LOG(Info) << "run " << run_id() << ": " << RunStateName(state) << " " << message;
  return absl::OkStatus();
}

absl::Status RunExecutor::Stop(StopReason reason) {
  {
    absl::MutexLock lock(&mu_);
    if (RunEnded(run_.state())) {
      return absl::FailedPreconditionError(absl::StrCat("run ", run_.run_id(),
                                                        " has already ended (",
                                                        qdt::v1::RunState_Name(run_.state()), ")"));
    }
    stop_requested_ = true;
    if (reason == StopReason::kShutdown) shutdown_ = true;
  }
  deps_.invoker->Stop();
  if (reason == StopReason::kRequested) Log(LogLine::LEVEL_INFO, "stop requested");
  return absl::OkStatus();
}

qdt::v1::Run RunExecutor::Snapshot() const {
  qdt::v1::Run run;
  {
    absl::MutexLock lock(&mu_);
    run = run_;
  }
  run.set_last_seq(journal_->last_seq());
  // What the run keeps from outside (fio's stderr in the error, a tool's
  // words in the checks) must not make run.json or a reply unreadable.
  MakeStringsValidUtf8(&run);
  return run;
}

bool RunExecutor::active() const {
  absl::MutexLock lock(&mu_);
  return RunActive(run_.state());
}

void RunExecutor::Emit(RunEvent event) {
  // Every event passes here: fio's output quoted in a state, a log line or a
  // verdict is made valid UTF-8 before the journal keeps it (a proto3 string
  // with one invalid byte makes the whole record unreadable).
  MakeStringsValidUtf8(&event);
  auto seq = journal_->Append(std::move(event));
  if (!seq.ok()) QDT_LOG(Error) << "run " << run_id() << ": " << seq.status();
}

std::optional<uint64_t> RunExecutor::ReadCounter() const {
  if (deps_.counter == nullptr) return std::nullopt;
  auto bytes = deps_.counter->BytesRead();
  if (!bytes.ok()) {
    QDT_LOG(Warning) << "run " << run_id() << ": " << bytes.status().message();
    return std::nullopt;
  }
  return *bytes;
}

void RunExecutor::Log(LogLine::Level level, const std::string& text) {
  RunEvent ev;
  ev.mutable_log()->set_level(level);
  ev.mutable_log()->set_text(text);
  Emit(std::move(ev));
}

}  // namespace qdt::agent
