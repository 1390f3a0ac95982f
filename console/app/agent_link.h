// AgentLink keeps one agent connected for the console: a worker thread asks
// GetInfo (and ListVolumes), follows the active run with WatchRun from the
// last seq it has seen, and streams WatchTelemetry while the agent is idle.
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
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "console/app/fleet_types.h"
#include "console/client/agent_client.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::console {

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
  void startRun(const qdt::v1::StartRunRequest& request);
  void stopRun(const QString& run_id);
  // Ask for a fresh ListVolumes on the next round.
  void refreshVolumes();

  // The highest seq seen for a run (0 = none); for tests and reconnection.
  uint64_t lastSeq(const QString& run_id) const;

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
  void idle();                           // WatchTelemetry for a few seconds
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
  std::deque<std::function<void()>> commands_ ABSL_GUARDED_BY(mu_);
  // Started by start() and joined by stop(), both on the owner's thread.
  std::thread thread_, command_thread_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_AGENT_LINK_H_
