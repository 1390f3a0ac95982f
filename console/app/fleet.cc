#include "console/app/fleet.h"

#include <QDateTime>

namespace qdt::console {

void RegisterFleetTypes() {
  static bool done = [] {
    qRegisterMetaType<qdt::console::AgentSnapshot>();
    qRegisterMetaType<qdt::console::AgentEvent>();
    qRegisterMetaType<qdt::console::AgentTelemetry>();
    qRegisterMetaType<qdt::console::CommandResult>();
    qRegisterMetaType<QVector<qdt::console::AgentEvent>>();
    return true;
  }();
  (void)done;
}

bool ValidAgentAddress(const QString& address, QString* error) {
  int colon = address.lastIndexOf(':');
  bool ok = false;
  int port = colon > 0 ? address.mid(colon + 1).toInt(&ok) : 0;
  if (colon <= 0 || !ok || port < 1 || port > 65535) {
    *error = QString("agent address \"%1\" is not HOST:PORT with a port in 1..65535").arg(address);
    return false;
  }
  return true;
}

Fleet::Fleet(SampleStore* store, FleetModel* model, QObject* parent)
    : QObject(parent), store_(store), model_(model) {
  RegisterFleetTypes();
  connect(model_, &FleetModel::eventsFlushed, this, &Fleet::onFlushed);
}

Fleet::~Fleet() {
  for (AgentLink* l : links_) {
    l->stop();
    delete l;
  }
}

bool Fleet::addAgent(const QString& address, const QString& token, QString* error, bool remember) {
  if (!ValidAgentAddress(address, error)) return false;
  if (token.trimmed().isEmpty()) {
    *error = QString("agent %1: the rig token is empty").arg(address);
    return false;
  }
  if (links_.contains(address)) {
    *error = QString("agent %1 is already in the rig").arg(address);
    return false;
  }
  if (remember) store_->addAgent(address, token.trimmed());
  auto* link = new AgentLink(address, token.trimmed().toStdString(), tls_);
  model_->addAgent(address);
  // Queued: the link emits from its own threads; the model lives here.
  connect(link, &AgentLink::snapshot, model_, &FleetModel::onSnapshot, Qt::QueuedConnection);
  connect(link, &AgentLink::runEvent, model_, &FleetModel::onEvent, Qt::QueuedConnection);
  connect(link, &AgentLink::telemetry, model_, &FleetModel::onTelemetry, Qt::QueuedConnection);
  connect(link, &AgentLink::commandDone, model_, &FleetModel::onCommand, Qt::QueuedConnection);
  links_.insert(address, link);
  order_.push_back(address);
  link->start();
  return true;
}

void Fleet::removeAgent(const QString& address) {
  AgentLink* link = links_.take(address);
  if (link == nullptr) return;
  link->stop();
  delete link;
  order_.removeAll(address);
  store_->removeAgent(address);
  model_->removeAgent(address);
}

void Fleet::setTls(client::TlsOptions tls, bool remember) {
  tls_ = std::move(tls);
  tls_set_ = true;
  if (remember) {
    store_->setSetting("tls_ca_pem", QString::fromStdString(tls_.ca_pem));
    store_->setSetting("tls_server_name",
                       tls_.ca_pem.empty() ? QString() : QString::fromStdString(tls_.server_name));
  }
}

int Fleet::restoreAgents() {
  if (!tls_set_) {
    tls_.ca_pem = store_->setting("tls_ca_pem").toStdString();
    tls_.server_name = store_->setting("tls_server_name").toStdString();
  }
  int n = 0;
  for (const auto& [address, token] : store_->agents()) {
    QString error;
    if (addAgent(address, token, &error, /*remember=*/false)) ++n;
  }
  return n;
}

int Fleet::startRuns(QStringList keys, qdt::v1::StartRunRequest request, double start_delay_s) {
  if (keys.isEmpty()) keys = order_;
  if (start_delay_s > 0) {
    qint64 at_ms = QDateTime::currentMSecsSinceEpoch() + static_cast<qint64>(start_delay_s * 1000);
    request.mutable_start_at()->set_seconds(at_ms / 1000);
    request.mutable_start_at()->set_nanos(static_cast<int32_t>((at_ms % 1000) * 1000000));
  }
  int sent = 0;
  for (const QString& key : keys) {
    AgentLink* link = links_.value(key, nullptr);
    const FleetRow* row = model_->find(key);
    if (link == nullptr || row == nullptr) continue;
    qdt::v1::StartRunRequest r = request;
    if (r.target_dir().empty()) r.set_target_dir(row->target_dir.toStdString());
    link->startRun(r);
    ++sent;
  }
  return sent;
}

int Fleet::stopRuns(QStringList keys) {
  if (keys.isEmpty()) keys = order_;
  int sent = 0;
  for (const QString& key : keys) {
    AgentLink* link = links_.value(key, nullptr);
    const FleetRow* row = model_->find(key);
    if (link == nullptr || row == nullptr || row->run_id.isEmpty()) continue;
    link->stopRun(row->run_id);
    ++sent;
  }
  return sent;
}

void Fleet::onFlushed(const QVector<AgentEvent>& events) {
  for (const AgentEvent& e : events) {
    if (runs_recorded_.value(e.key) == e.run_id) continue;
    const FleetRow* row = model_->find(e.key);
    StoredRun r;
    r.agent = e.key;
    r.run_id = e.run_id;
    if (row != nullptr) {
      r.serial = row->serial;
      r.model = row->model;
      r.volume = row->target_dir;
    }
    r.started_s = e.event.time().seconds() + e.event.time().nanos() / 1e9;
    store_->upsertRun(r);
    runs_recorded_.insert(e.key, e.run_id);
  }
  store_->storeEvents(events);
  emit eventsStored(events);
}

}  // namespace qdt::console
