// Fleet ties the console together off the widgets: one AgentLink per agent,
// the FleetModel they feed through queued connections, and the SampleStore
// that keeps every event (and the agents, between starts). The main window
// and the tests drive the rig through it.
//
// Thread-safety: GUI thread only (the links do their gRPC on their own threads).
#ifndef QDT_CONSOLE_APP_FLEET_H_
#define QDT_CONSOLE_APP_FLEET_H_

#include <QHash>
#include <QObject>
#include <QStringList>
#include <memory>

#include "console/app/agent_link.h"
#include "console/app/fleet_model.h"
#include "console/app/sample_store.h"

namespace qdt::console {

// "host:port" with a port in 1..65535; the error names the value.
bool ValidAgentAddress(const QString& address, QString* error);

class Fleet : public QObject {
  Q_OBJECT

 public:
  Fleet(SampleStore* store, FleetModel* model, QObject* parent = nullptr);
  ~Fleet() override;

  // Adds and connects an agent; `remember` stores it (and its token) for the
  // next start. False with the reason for a bad address or a duplicate.
  bool addAgent(const QString& address, const QString& token, QString* error, bool remember = true);
  void removeAgent(const QString& address);
  // How the agents added from now on are reached: the rig's CA (and the name
  // on the agents' certificates when it is not the host); plaintext when the
  // CA is empty. `remember` keeps it in the store for the next start (an
  // empty CA forgets it); restoreAgents() uses the remembered one unless
  // setTls was called first.
  void setTls(client::TlsOptions tls, bool remember = false);
  const client::TlsOptions& tls() const { return tls_; }
  // Adds every agent the store remembers, with its name, its target folder
  // and its newest run (state, profile, verdict); returns how many.
  int restoreAgents();

  // A Mac's name (ValidMacName; "" clears it), its target folder and its rig
  // token, kept in the store for the next start. False with the reason.
  bool setName(const QString& key, const QString& name, QString* error);
  bool setTarget(const QString& key, const QString& dir, QString* error);
  // A new token reconnects the agent with it (the link is rebuilt).
  bool setToken(const QString& key, const QString& token, QString* error);

  // Starts `request` on `keys` (every agent when empty) with one start time,
  // `start_delay_s` from now, so the whole rig reads at once. Each agent tests
  // its own row's target folder unless the request names one. Returns how
  // many StartRun calls were sent; answers arrive in the model.
  int startRuns(QStringList keys, qdt::v1::StartRunRequest request, double start_delay_s);
  // Stops the followed run on `keys` (every agent when empty).
  int stopRuns(QStringList keys);

  AgentLink* link(const QString& key) const { return links_.value(key, nullptr); }
  QStringList keys() const { return order_; }
  SampleStore* store() const { return store_; }
  FleetModel* model() const { return model_; }

 signals:
  void eventsStored(QVector<qdt::console::AgentEvent> events);
  // Every answer to a command (start, stop), on the GUI thread.
  void commandAnswered(qdt::console::CommandResult result);

 private:
  void onFlushed(const QVector<AgentEvent>& events);
  void connectLink(AgentLink* link);

  SampleStore* store_;
  FleetModel* model_;
  QHash<QString, AgentLink*> links_;
  QStringList order_;
  QHash<QString, QString> runs_recorded_;  // agent -> run id already in the store's run table
  client::TlsOptions tls_;
  bool tls_set_ = false;  // setTls was called: restoreAgents keeps tls_
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_FLEET_H_
