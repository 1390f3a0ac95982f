// AgentLink keeps one agent connected for the console: a worker thread asks
// GetInfo (and ListVolumes), follows the active run with WatchRun from the
// last seq it has seen, and streams WatchTelemetry while the agent is idle.
// On connecting, and every kClockEvery while the agent is online and idle,
// it measures the agent's clock offset from a few GetInfo round trips
// (EstimateClockOffset), for the synchronised start (docs/CLOCKS.md).
// When the network or the agent drops it retries with exponential backoff
// (0.5 s doubling to 10 s) and resumes every run from its last seq, so the
// console misses nothing. Commands (StartRun, StopRun) run on a second
// thread. gRPC is never called on the GUI thread.
//
// Thread-safety: the public methods may be called from any thread (the GUI
// thread in practice). Signals are emitted from the link's threads; connect
// them with Qt::QueuedConnection (Fleet does) so slots run on the receiver's
// thread. The link's QObject lives on the thread that created it.
#ifndef QDT_CONSOLE_APP_AGENT_LINK_H_
#define QDT_CONSOLE_APP_AGENT_LINK_H_

#include <QObject>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "console/app/fleet_types.h"
#include "console/client/agent_client.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::console {

// The clock offset measurement (docs/CLOCKS.md). Cristian's algorithm (F.
// Cristian, "Probabilistic clock synchronization", Distributed Computing 3,
// 1989): offset = agent time − (sent + received) / 2, NTP's offset with the
// agent's receive and send times taken as one instant (RFC 5905 §8, "On-Wire
// Protocol"); of a few round trips the one with the smallest round-trip
// delay is used, as NTP's clock filter does (RFC 5905 §10, "Clock Filter
// Algorithm"): queueing only ever adds delay, and the least delayed sample
// is the least disturbed. The agent read its clock somewhere inside the
// round trip, so the offset is known to ±rtt/2; with equal paths out and
// back it is exact.
inline constexpr int kClockProbes = 5;
// Round trips slower than this tell nothing worth knowing about the clock.
inline constexpr absl::Duration kMaxClockRtt = absl::Seconds(1);
// An agent clock further off than this is not a clock to schedule by (an
// unset RTC, a machine in 1970): no offset.
inline constexpr absl::Duration kMaxClockOffset = absl::Hours(24 * 365);
// How often an idle, online agent is measured again.
inline constexpr absl::Duration kClockEvery = absl::Seconds(30);

// One GetInfo round trip.
struct ClockProbe {
  absl::Time sent;                       // the console's wall clock as the call went out
  absl::Duration rtt;                    // steady clock: from sending to the answer
  std::optional<absl::Time> agent_time;  // GetInfo.wall_time; nullopt = the agent sent none
};

// What the round trips say about an agent's clock.
struct ClockEstimate {
  // agent clock − console clock, from the round trip with the smallest RTT;
  // nullopt when no round trip could be used (note says why).
  std::optional<double> offset_ms;
  double rtt_ms = 0;  // of the round trip used (the offset is known to ±rtt_ms/2)
  int used = 0;       // round trips that could be used, of `probes`
  int probes = 0;
  // Why there is no offset ("round trip 1.20 s, over 1 s"), or what was
  // skipped; empty when every round trip could be used.
  QString note;
};

// The estimate from `probes` (none = no offset).
ClockEstimate EstimateClockOffset(const std::vector<ClockProbe>& probes);

// The offset to schedule an agent by: the measured one, or 0 when the
// round trip cannot tell it from 0 (|offset| <= rtt/2: the agent's clock
// then agrees with the console's within what the measurement can see, so
// agents on one clock get the very same start_at); nullopt = unknown.
std::optional<absl::Duration> ScheduleOffset(const ClockEstimate& estimate);

class AgentLink : public QObject {
  Q_OBJECT

 public:
  // `address` is "host:port"; `token` the rig token.
  // `tls` empty: plaintext.
  AgentLink(QString address, std::string token, client::TlsOptions tls = {},
            QObject* parent = nullptr);
  ~AgentLink() override;  // stops and joins both threads

  const QString& key() const { return key_; }

  void start();
  void stop();

  // Queued on the command thread; the answer comes as commandDone.
  // `clock_note` says how its start_at was set (Fleet::startRuns): kept for
  // startClockNote().
  void startRun(const qdt::v1::StartRunRequest& request, QString clock_note = {});
  // How the last start's start_at was put into the agent's clock, e.g.
  // "start_at on the console's clock: no clock offset: ..."; empty before.
  QString startClockNote() const;
  void stopRun(const QString& run_id);
  // Ask for a fresh ListVolumes on the next round.
  void refreshVolumes();
  // Follow `run_id` until it ends even if the agent no longer runs it (a run
  // a restarted console remembers as still going): its last events, the
  // verdict or INTERRUPTED, arrive as runEvent.
  void resumeRun(const QString& run_id);
  // Asks the agent (command thread) whether `dir` can be a run's target, as
  // StartRun would check it; the answer comes as commandDone with command
  // "check" and message "<dir>\n<why refused>" (ok: nothing after the newline). Nothing comes back
  // when the agent cannot be asked (it is offline: the row says so already).
  void checkTarget(const QString& dir);

  // The highest seq seen for a run (0 = none); for tests and reconnection.
  uint64_t lastSeq(const QString& run_id) const;
  // The latest clock measurement of the agent (none yet: no offset, and the
  // note says so).
  ClockEstimate clockEstimate() const;

 signals:
  void snapshot(qdt::console::AgentSnapshot snapshot);
  void runEvent(qdt::console::AgentEvent event);
  void telemetry(qdt::console::AgentTelemetry telemetry);
  void commandDone(qdt::console::CommandResult result);

 private:
  void loop();
  void commandLoop();
  // Sleeps up to `ms` or until stop/wake; false when stopping.
  bool pause(int ms) ABSL_LOCKS_EXCLUDED(mu_);
  // What pause() and the command thread wait for.
  bool wokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || woken_; }
  bool commandOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !commands_.empty();
  }
  // WatchRun until the run ends or the stream fails; false when it failed.
  bool follow(const std::string& run_id);
  void idle();  // WatchTelemetry for a few seconds
  // Measures the agent's clock: `first` (the loop's own GetInfo) and
  // kClockProbes - 1 more round trips. Kept for clockEstimate().
  void measureClock(const ClockProbe& first);
  // One GetInfo round trip; nullopt when the call failed.
  std::optional<ClockProbe> probeClock();
  void wake() ABSL_LOCKS_EXCLUDED(mu_);  // ends pause() and cancels the idle stream

  // Constant after construction.
  const QString key_;
  const std::string address_, token_;
  const std::string connect_hint_;  // what to check when the agent cannot be reached
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<qdt::v1::Agent::Stub> stub_;

  // Read without the lock in the threads' loops; every store is followed by
  // a pass through mu_ (wake()), so that waits on mu_ see it.
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::string watch_next_ ABSL_GUARDED_BY(mu_);      // run to follow next
  std::string unfinished_run_ ABSL_GUARDED_BY(mu_);  // followed but not seen to end
  std::map<std::string, uint64_t> last_seq_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* active_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;  // the open stream
  bool active_is_idle_ ABSL_GUARDED_BY(mu_) = false;                // it is the telemetry stream
  bool volumes_due_ ABSL_GUARDED_BY(mu_) = true;
  // The active run whose record was sent in a snapshot (loop thread only).
  std::string run_described_;
  std::deque<std::function<void()>> commands_ ABSL_GUARDED_BY(mu_);
  ClockEstimate clock_ ABSL_GUARDED_BY(mu_);
  QString start_clock_note_ ABSL_GUARDED_BY(mu_);
  // Steady clock of the last measurement (0 = none since connecting); the
  // loop's thread only.
  int64_t clock_measured_ns_ = 0;
  // Started by start() and joined by stop(), both on the owner's thread.
  std::thread thread_, command_thread_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_AGENT_LINK_H_
