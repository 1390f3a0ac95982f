// PhasePipeline runs a profile's phases back to back with no rest between
// them. Started one after another, each phase's fio would leave the drive
// idle for its start-up (0.8-1.2 s measured: fio creates its job threads, then
// polls them every 100 ms, backend.c run_threads), so a crossfade would begin
// on a rested drive. Instead each phase's fio is started `lead` ahead, its
// jobs set up and wait at their gate (fio_job_builder.h, PhaseGates), and the
// gate opens at the instant the phase is due: phase k+1 is due when phase k is
// due plus its duration, and each phase's jobs count their runtime from their
// release, so the next phase's reads begin as the previous one's end. Phase 0
// is due at the synchronised start (or, when that has passed, as soon as its
// fio waits); the others are started once it was released. A stream that
// starts later in its phase waits at a gate of its own, opened at its offset
// after the phase's release.
//
// It pumps every live fio in turn on the caller's thread, feeding each phase's
// PhaseSampler, and tells the executor what happens through Hooks, in phase
// order: a phase's last sample (from fio's final report, which comes after
// the next phase began) is delivered before the next phase's release, so a
// client never sees a sample under the wrong phase.
//
// Not thread-safe: used by the run's worker thread only.
#ifndef QDT_AGENT_RUN_PHASE_PIPELINE_H_
#define QDT_AGENT_RUN_PHASE_PIPELINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/run/fio_invoker.h"
#include "agent/run/phase_sampler.h"
#include "agent/run/run_plan.h"
#include "common/verdict.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// A later stream's gate opened this much after it was due is reported, once
// per phase (its jobs were not waiting yet: fio created them late).
inline constexpr absl::Duration kLateGateWarning = absl::Milliseconds(50);

class PhasePipeline {
 public:
  struct Hooks {
    // Phase `index` was released (its I/O began) at `at` (system clock),
    // `steady_ns` on the steady clock (clock.h SteadyNowNs), read as the
    // gate's write returned.
    std::function<void(int index, absl::Time at, int64_t steady_ns)> on_release;
    // Phase `index` (1, 2, ...) will be released at `at`: all of them once
    // phase 0 has been released.
    std::function<void(int index, absl::Time at)> on_scheduled;
    std::function<void(qdt::v1::Sample sample)> on_sample;
    std::function<void(const std::string& text)> on_warning;
    // CancelledError once the run is to stop.
    std::function<absl::Status()> checkpoint;
    // Sleeps the given time or until a stop is asked for: the wait before
    // the first fio starts, when there is no output to read. Empty = sleep.
    std::function<void(absl::Duration)> sleep;
  };
  PhasePipeline(const RunPlan& plan, FioInvoker* invoker, SampleSources sources,
                int status_interval_s, Hooks hooks, absl::Duration lead = kPhaseLead);
  ~PhasePipeline();

  // Runs every phase; phase 0 is due at `start_at` on the system clock
  // (absl::Now(); the executor converts the agent's start_at to it), or when
  // its fio waits, if that is later. The wait is a sleep to the instant the
  // first fio is to start (Hooks::sleep), then reading that fio's output with
  // a timeout that ends at the release (poll(2), to the millisecond; within
  // its last millisecond the loop tries again at once). The first failure (a phase's fio failing or
  // not starting) or a stop ends it: every fio still running is stopped and read to its end.
  absl::Status Run(absl::Time start_at);

  // A phase's fio silent this long beyond its schedule (fio_invoker.h
  // kFioSilenceLimit) ends the run: DeadlineExceeded naming the phase.
  void set_silence_limit(absl::Duration limit) { silence_limit_ = limit; }

  // Each phase's series (ran / completed / windows ...), in profile order.
  const std::vector<PhaseSeries>& series() const { return series_; }

 private:
  struct Live;  // a started phase: its fio, its sampler, its gates
  absl::Status Step();
  absl::Status Spawn(int index);
  absl::Status ReleaseDue();
  bool AllWaiting() const;  // every started, unreleased fio's first gate
  absl::Status OpenLaterGates(Live& live);
  void SayLate(const Live& live) const;  // one warning for a phase's late gates
  absl::Status PumpAll(absl::Duration max_wait);
  void Feed(Live& live, absl::string_view chunk);
  absl::Status Ended(Live& live);
  // Hands on what phases up to the first unfinished one have waiting.
  void Deliver();
  absl::Time NextWake() const;
  // DeadlineExceeded when a live fio has been silent too long (set_silence_limit).
  absl::Status CheckResponding() const;
  void StopAll();

  const RunPlan& plan_;
  FioInvoker* const invoker_;
  const SampleSources sources_;
  const int status_interval_s_;
  const Hooks hooks_;
  const absl::Duration lead_;
  absl::Duration silence_limit_ = kFioSilenceLimit;
  std::vector<PhaseSeries> series_;
  std::vector<std::unique_ptr<Live>> live_;  // live_[i] is phase i
  std::vector<absl::Time> due_;              // when each phase is due
  int released_ = 0, ended_ = 0;
  int front_ = 0;  // the first phase whose fio has not ended
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_PHASE_PIPELINE_H_
