#include "agent/run/phase_pipeline.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "agent/clock.h"
#include "common/profiles.h"

namespace qdt::agent {
namespace {

// How often the pipeline wakes while nothing is due: fio's status reports
// come once a second, releases are planned ahead.
constexpr absl::Duration kIdleWait = absl::Milliseconds(50);
// When phase 0's fio is still not waiting at its gate this long after the
// phase was due, it is released anyway (its late jobs then start late).
constexpr absl::Duration kReadyTimeout = absl::Seconds(20);
// How soon something overdue is tried again.
constexpr absl::Duration kRetryWait = absl::Milliseconds(1);

}  // namespace

struct PhasePipeline::Live {
  Live(int i, std::unique_ptr<FioRun> r, PhaseSampler s, std::vector<fio::PhaseGate> g)
      : index(i), run(std::move(r)), sampler(std::move(s)), gates(std::move(g)) {}
  int index;
  std::unique_ptr<FioRun> run;
  PhaseSampler sampler;
  std::vector<fio::PhaseGate> gates;
  bool released = false;
  bool ended = false;
  absl::Time released_at;
  int64_t released_steady_ns = 0;
  size_t next_gate = 1;  // the next later stream's gate to open
  int late_gates = 0;    // opened more than kLateGateWarning after their time
  absl::Duration latest;
  const absl::Time spawned_at = absl::Now();
  absl::Time last_output = spawned_at;  // fio's latest stdout (the watchdog)
  // What waits for the phases before this one to end (Deliver).
  bool release_delivered = false;
  std::vector<qdt::v1::Sample> held;
};

PhasePipeline::PhasePipeline(const RunPlan& plan, FioInvoker* invoker, SampleSources sources,
                             int status_interval_s, Hooks hooks, absl::Duration lead)
    : plan_(plan),
      invoker_(invoker),
      sources_(std::move(sources)),
      status_interval_s_(status_interval_s),
      hooks_(std::move(hooks)),
      lead_(lead) {
  series_ = NotRunSeries(plan_.profile);  // phases never reached stay "not run"
}

PhasePipeline::~PhasePipeline() = default;

absl::Status PhasePipeline::Run(absl::Time start_at) {
  // The plan: phase k is due when the phases before it have run; all of it
  // moves with phase 0 when phase 0 is released later than planned.
  due_.clear();
  absl::Time t = start_at;
  for (const qdt::v1::Phase& phase : plan_.profile.phases()) {
    due_.push_back(t);
    t += absl::Seconds(phase.duration_s());
  }
  while (ended_ < plan_.profile.phases_size()) {
    if (absl::Status st = Step(); !st.ok()) {
      StopAll();
      return st;
    }
  }
  Deliver();
  return absl::OkStatus();
}

absl::Status PhasePipeline::Step() {
  if (auto st = hooks_.checkpoint(); !st.ok()) return st;
  // Each phase's fio starts `lead` before the phase is due; the phases after
  // the first only once the first was released and the plan no longer moves.
  // A fio started earlier would create its later streams (startdelay) for a
  // release that then moves with phase 0: they would wait at their gates long
  // enough to stall fio's status thread and, at 5 s, kill a job that ends
  // meanwhile ("fio seems to be stuck grabbing stat_sem", backend.c).
  while (static_cast<int>(live_.size()) < plan_.profile.phases_size() &&
         (live_.empty() || released_ > 0) && absl::Now() >= due_[live_.size()] - lead_) {
    if (auto st = Spawn(static_cast<int>(live_.size())); !st.ok()) return st;
  }
  if (auto st = ReleaseDue(); !st.ok()) return st;
  for (auto& live : live_) {
    if (live->released && !live->ended) {
      if (auto st = OpenLaterGates(*live); !st.ok()) return st;
    }
  }
  // Something overdue (a gate nobody waits at yet) is tried again soon, not in a spin.
  const absl::Duration wait = NextWake() - absl::Now();
  if (live_.empty() && wait > absl::ZeroDuration() && hooks_.sleep) {
    // Before the first fio starts (a synchronised start far ahead): nothing
    // to read, so one sleep to that instant, cut short by a stop.
    hooks_.sleep(wait);
    return absl::OkStatus();
  }
  if (auto st = PumpAll(wait <= absl::ZeroDuration() ? kRetryWait : std::min(wait, kIdleWait));
      !st.ok()) {
    return st;
  }
  return CheckResponding();
}

absl::Status PhasePipeline::CheckResponding() const {
  const absl::Time now = absl::Now();
  for (const auto& live : live_) {
    if (live->ended) continue;
    // Waiting at its gate fio prints nothing, running it reports every
    // interval, and its final report follows the phase's end: its silence
    // counts from its last output or the phase's scheduled end, the later.
    const absl::Time began = live->released ? live->released_at : due_[live->index];
    const absl::Time end = began + absl::Seconds(plan_.profile.phases(live->index).duration_s());
    if (now - std::max(live->last_output, end) <= silence_limit_) continue;
    const std::string silent = live->released
                                   ? absl::StrFormat("no report for %.0f s",
                                                     absl::ToDoubleSeconds(now - live->last_output))
                                   : absl::StrFormat("its jobs did not reach their gate in %.0f s",
                                                     absl::ToDoubleSeconds(now - live->spawned_at));
    return absl::DeadlineExceededError(absl::StrCat(live->sampler.Where(),
                                                    "fio stopped responding: ", silent,
                                                    "; it was stopped (the drive or fio hung)"));
  }
  return absl::OkStatus();
}

absl::Time PhasePipeline::NextWake() const {
  absl::Time wake = absl::InfiniteFuture();
  const size_t spawned = live_.size();
  if (spawned < due_.size() && (spawned == 0 || released_ > 0)) {
    wake = std::min(wake, due_[spawned] - lead_);
  }
  if (released_ < static_cast<int>(spawned)) wake = std::min(wake, due_[released_]);
  for (const auto& live : live_) {
    if (live->released && !live->ended && live->next_gate < live->gates.size()) {
      wake =
          std::min(wake, live->released_at + absl::Seconds(live->gates[live->next_gate].offset_s));
    }
  }
  return wake;
}

absl::Status PhasePipeline::Spawn(int index) {
  // The streams that start later are created that long after fio's start,
  // shortly before their gates open (fio_job_builder.h, kGateMarginS).
  const absl::Duration lead = std::max(due_[index] - absl::Now(), absl::ZeroDuration());
  auto job = PhaseJobFile(plan_, index, lead);
  if (!job.ok()) {
    return absl::InternalError(absl::StrCat("cannot write the job file: ", job.status().message()));
  }
  const qdt::v1::Phase& phase = plan_.profile.phases(index);
  FioCall call{absl::StrCat("phase-", index),
               index,
               *std::move(job),
               {absl::StrCat("--status-interval=", status_interval_s_)},
               fio::PhaseGates(phase, index, plan_.job_options.layout)};
  auto run = invoker_->Start(call);
  if (!run.ok()) {
    return absl::InternalError(absl::StrCat("cannot start fio: ", run.status().message()));
  }
  live_.push_back(std::make_unique<Live>(index, *std::move(run),
                                         PhaseSampler(phase, index, sources_, status_interval_s_),
                                         std::move(call.gates)));
  return absl::OkStatus();
}

bool PhasePipeline::AllWaiting() const {
  for (const auto& live : live_) {
    if (!live->released && !live->run->Ready()) return false;
  }
  return true;
}

absl::Status PhasePipeline::ReleaseDue() {
  if (released_ >= static_cast<int>(live_.size())) return absl::OkStatus();
  const absl::Time now = absl::Now();
  if (now < due_[released_]) return absl::OkStatus();
  Live& live = *live_[released_];
  // Phase 0 starts the run: it waits until its jobs wait at their gate, so
  // the rig's synchronised start is the start of every stream. Later phases
  // are due at the end of the previous one, ready or not (a phase shorter
  // than the next one's set-up makes the next one start late, and its gap
  // says so).
  if (released_ == 0 && !AllWaiting() && now < due_[0] + kReadyTimeout) {
    return absl::OkStatus();
  }
  if (absl::Status st = live.run->Release(0); !st.ok()) {
    if (absl::IsUnavailable(st)) return absl::OkStatus();  // no job at the gate yet: next round
    return st;
  }
  live.released_steady_ns = SteadyNowNs();
  live.released_at = absl::Now();
  live.released = true;
  // The previous phase's time ends where this one's begins: one reading of
  // the drive's counter for both.
  const std::optional<uint64_t> counter =
      sources_.device_bytes ? sources_.device_bytes() : std::nullopt;
  if (live.index > 0) live_[live.index - 1]->sampler.End(counter);
  live.sampler.Start(counter);
  if (released_ == 0) {
    const absl::Duration late = live.released_at - due_[0];
    for (absl::Time& t : due_) t += late;
    for (size_t k = 1; k < due_.size(); ++k) hooks_.on_scheduled(static_cast<int>(k), due_[k]);
  }
  ++released_;
  Deliver();
  return absl::OkStatus();
}

absl::Status PhasePipeline::OpenLaterGates(Live& live) {
  while (live.next_gate < live.gates.size()) {
    const fio::PhaseGate& gate = live.gates[live.next_gate];
    const absl::Time due = live.released_at + absl::Seconds(gate.offset_s);
    if (absl::Now() < due) break;
    absl::Status st = live.run->Release(live.next_gate);
    if (absl::IsUnavailable(st)) break;  // its jobs do not wait yet: next round
    if (!st.ok()) return st;
    const absl::Time opened = absl::Now();
    live.sampler.StreamsStarted(gate.streams, absl::ToDoubleSeconds(opened - live.released_at));
    if (opened - due > kLateGateWarning) {
      ++live.late_gates;
      live.latest = std::max(live.latest, opened - due);
    }
    ++live.next_gate;
  }
  return absl::OkStatus();
}

void PhasePipeline::SayLate(const Live& live) const {
  if (live.late_gates == 0) return;
  hooks_.on_warning(absl::StrCat(
      live.sampler.Where(), live.late_gates, " of ", live.gates.size() - 1,
      " later stream groups started late, by up to ", absl::ToInt64Milliseconds(live.latest),
      " ms (fio had not set them up yet); the paced targets follow when they started"));
}

absl::Status PhasePipeline::PumpAll(absl::Duration max_wait) {
  bool waited = false;
  for (auto& live : live_) {
    if (live->ended) continue;
    const bool running = live->run->Pump([&](absl::string_view chunk) { Feed(*live, chunk); },
                                         waited ? absl::ZeroDuration() : max_wait);
    waited = true;
    if (running && live->released) {
      // No report when one was due: said now, not when fio speaks again.
      if (auto stall = live->sampler.StallSample()) live->held.push_back(*std::move(stall));
    }
    if (!running) {
      live->ended = true;
      if (auto st = Ended(*live); !st.ok()) return st;
    }
  }
  if (!waited) absl::SleepFor(max_wait);
  Deliver();
  return absl::OkStatus();
}

void PhasePipeline::Feed(Live& live, absl::string_view chunk) {
  live.last_output = absl::Now();
  for (qdt::v1::Sample& s : live.sampler.Feed(chunk)) live.held.push_back(std::move(s));
  if (std::string note = live.sampler.TakeStallNote(); !note.empty()) {
    hooks_.on_warning(note);
  }
}

absl::Status PhasePipeline::Ended(Live& live) {
  ++ended_;
  SayLate(live);
  series_[live.index] = live.sampler.series();
  if (!live.released) series_[live.index].ran = false;
  // A stopped phase did not finish: it is judged as incomplete.
  if (auto st = hooks_.checkpoint(); !st.ok()) return st;
  const fio::FioExit exit = live.run->exit();
  if (!live.released) {
    return absl::InternalError(absl::StrCat(live.sampler.Where(),
                                            "fio ended before the phase began",
                                            exit.Describe().empty() ? "" : ": ", exit.Describe()));
  }
  if (auto st = live.sampler.Finish(exit); !st.ok()) return st;
  series_[live.index] = live.sampler.series();
  if (const std::string warning = live.sampler.warning(); !warning.empty()) {
    hooks_.on_warning(warning);
  }
  return absl::OkStatus();
}

void PhasePipeline::Deliver() {
  while (front_ < static_cast<int>(live_.size())) {
    Live& live = *live_[front_];
    if (!live.released) return;
    if (!live.release_delivered) {
      hooks_.on_release(live.index, live.released_at, live.released_steady_ns);
      live.release_delivered = true;
    }
    for (qdt::v1::Sample& s : live.held) hooks_.on_sample(std::move(s));
    live.held.clear();
    if (!live.ended) return;
    ++front_;
  }
}

void PhasePipeline::StopAll() {
  invoker_->Stop();
  for (auto& live : live_) {
    if (live->ended) continue;
    while (live->run->Pump([&](absl::string_view chunk) { Feed(*live, chunk); },
                           absl::Milliseconds(100))) {
    }
    live->ended = true;
    SayLate(*live);
    series_[live->index] = live->sampler.series();
    if (!live->released) series_[live->index].ran = false;
  }
  Deliver();
}

}  // namespace qdt::agent
