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
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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
  bool pause(int ms);
  // WatchRun until the run ends or the stream fails; false when it failed.
  bool follow(const std::string& run_id);
  void idle();  // WatchTelemetry for a few seconds
  void wake();  // ends pause() and cancels the idle stream

  const QString key_;
  const std::string address_, token_;
  const std::string connect_hint_;  // what to check when the agent cannot be reached
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;

  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;                          // guarded by mu_
  std::string watch_next_;                      // run to follow next; guarded by mu_
  std::string unfinished_run_;                  // followed but not seen to end
  std::map<std::string, uint64_t> last_seq_;    // guarded by mu_
  grpc::ClientContext* active_ctx_ = nullptr;   // the open stream; guarded by mu_
  bool active_is_idle_ = false;                 // it is the telemetry stream
  bool volumes_due_ = true;                     // guarded by mu_
  std::deque<std::function<void()>> commands_;  // guarded by mu_
  std::condition_variable commands_cv_;
  std::thread thread_, command_thread_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_AGENT_LINK_H_
