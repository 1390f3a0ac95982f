#include "console/app/fleet.h"

#include <QDateTime>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/quote.h"
#include "common/run_state.h"
#include "common/timestamp.h"

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
  connect(model_, &FleetModel::nameEdited, this, [this](QString key, QString name) {
    QString error;
    if (!setName(key, name, &error)) emit model_->commandFailed(key, error);
  });
}

Fleet::~Fleet() {
  for (AgentLink* l : links_) {
    l->stop();
    delete l;
  }
}

namespace {

// The agent's rule for a rig token (common/quote.h TokenProblem): one the
// agent could never accept, or one gRPC would refuse to send, is said here
// rather than as a connection that never authenticates.
bool TokenUsable(const QString& agent, const QString& token, QString* error) {
  const QString t = token.trimmed();
  if (t.isEmpty()) {
    *error = QString("agent %1: the rig token is empty").arg(agent);
    return false;
  }
  const std::string problem = qdt::TokenProblem(t.toStdString());
  if (!problem.empty()) {
    *error = QString("agent %1: the rig token %2").arg(agent, QString::fromStdString(problem));
    return false;
  }
  return true;
}

}  // namespace

bool Fleet::addAgent(const QString& address, const QString& token, QString* error, bool remember) {
  if (!ValidAgentAddress(address, error)) return false;
  if (!TokenUsable(address, token, error)) return false;
  if (links_.contains(address)) {
    *error = QString("agent %1 is already in the rig").arg(address);
    return false;
  }
  if (remember) store_->addAgent(address, token.trimmed());
  auto* link = new AgentLink(address, token.trimmed().toStdString(), tls_);
  model_->addAgent(address);
  connectLink(link);
  links_.insert(address, link);
  order_.push_back(address);
  link->start();
  return true;
}

void Fleet::connectLink(AgentLink* link) {
  // Queued: the link emits from its own threads; the model lives here.
  connect(link, &AgentLink::snapshot, model_, &FleetModel::onSnapshot, Qt::QueuedConnection);
  connect(link, &AgentLink::runEvent, model_, &FleetModel::onEvent, Qt::QueuedConnection);
  connect(link, &AgentLink::telemetry, model_, &FleetModel::onTelemetry, Qt::QueuedConnection);
  connect(link, &AgentLink::commandDone, model_, &FleetModel::onCommand, Qt::QueuedConnection);
  connect(link, &AgentLink::commandDone, this, &Fleet::commandAnswered, Qt::QueuedConnection);
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
    if (!addAgent(address, token, &error, /*remember=*/false)) {
      // E.g. a token an older console kept that the agent's rule now refuses:
      // said, not dropped silently (the row stays in the store).
      qWarning("restoring the rig: %s", qPrintable(error));
      continue;
    }
    ++n;
    model_->setName(address, store_->agentName(address));
    const QString target = store_->agentTarget(address);
    if (!target.isEmpty()) {
      model_->setTargetDir(address, target);
      links_.value(address)->checkTarget(target);
    }
    // The newest run as the store left it: its verdict, or a run that was
    // still going (the agent's own record says more once it answers).
    if (auto run = store_->latestRun(address)) {
      qdt::v1::RunState state = qdt::v1::RUN_STATE_UNSPECIFIED;
      qdt::v1::RunState_Parse(absl::StrCat("RUN_STATE_", run->state.toStdString()), &state);
      model_->restoreRun(address, run->run_id, state, run->profile, run->verdict);
      runs_recorded_.insert(address, run->run_id);
      // Still going when the console stopped: follow it to its end (or to
      // INTERRUPTED if the agent lost it), whatever the agent runs now.
      if (RunActive(state)) links_.value(address)->resumeRun(run->run_id);
    }
  }
  model_->flush();
  return n;
}

bool Fleet::setName(const QString& key, const QString& name, QString* error) {
  if (!links_.contains(key)) {
    *error = QString("agent %1 is not in the rig").arg(key);
    return false;
  }
  if (!name.trimmed().isEmpty() && !ValidMacName(name, error)) return false;
  store_->setAgentName(key, name.trimmed());
  model_->setName(key, name.trimmed());
  model_->flush();
  return true;
}

bool Fleet::setTarget(const QString& key, const QString& dir, QString* error) {
  if (!links_.contains(key)) {
    *error = QString("agent %1 is not in the rig").arg(key);
    return false;
  }
  if (!dir.startsWith('/') || dir.size() > 1024) {
    *error = QString("target folder \"%1\" is not an absolute path").arg(dir.left(200));
    return false;
  }
  store_->setAgentTarget(key, dir);
  model_->setTargetDir(key, dir);
  model_->flush();
  links_.value(key)->checkTarget(dir);  // the agent's word on it before any start
  return true;
}

bool Fleet::setToken(const QString& key, const QString& token, QString* error) {
  AgentLink* old = links_.value(key, nullptr);
  if (old == nullptr) {
    *error = QString("agent %1 is not in the rig").arg(key);
    return false;
  }
  if (!TokenUsable(key, token, error)) return false;
  store_->addAgent(key, token.trimmed());  // keeps the order, name and target
  old->stop();
  delete old;
  auto* link = new AgentLink(key, token.trimmed().toStdString(), tls_);
  connectLink(link);
  links_.insert(key, link);
  link->start();
  return true;
}

namespace {

// The rig's start instant `start` (on the console's clock) in one agent's own
// clock: plus the offset its link measured (docs/CLOCKS.md). An agent whose
// offset is unknown is sent the console's time, and the note says so; it is
// never waited for. `note` gets how start_at was set.
google::protobuf::Timestamp AgentStartAt(const QString& key, const ClockEstimate& clock,
                                         absl::Time start, QString* note) {
  const std::optional<absl::Duration> offset = ScheduleOffset(clock);
  if (!offset.has_value()) {
    *note = QString("start_at on the console's clock (%1)").arg(clock.note);
    qWarning("%s: %s", qPrintable(key), qPrintable(*note));
  } else {
    *note = QString(
                "start_at in the agent's clock: the console's %1 ms (measured %2 ms, "
                "round trip %3 ms)")
                .arg(QString::asprintf("%+.1f", absl::ToDoubleMilliseconds(*offset)))
                .arg(QString::asprintf("%+.1f", clock.offset_ms.value_or(0)))
                .arg(QString::asprintf("%.1f", clock.rtt_ms));
  }
  return qdt::ToTimestamp(start + offset.value_or(absl::ZeroDuration()));
}

}  // namespace

int Fleet::startRuns(QStringList keys, qdt::v1::StartRunRequest request, double start_delay_s) {
  if (keys.isEmpty()) keys = order_;
  // One real instant for the whole rig, read once on the console's clock;
  // each agent gets it in its own clock, so clocks that disagree by seconds
  // still start every drive together.
  const absl::Time start = absl::Now() + absl::Milliseconds(std::llround(start_delay_s * 1000));
  int sent = 0;
  for (const QString& key : keys) {
    AgentLink* link = links_.value(key, nullptr);
    const FleetRow* row = model_->find(key);
    if (link == nullptr || row == nullptr) continue;
    qdt::v1::StartRunRequest r = request;
    if (r.target_dir().empty()) r.set_target_dir(row->target_dir.toStdString());
    QString note;
    if (start_delay_s > 0)
      *r.mutable_start_at() = AgentStartAt(key, link->clockEstimate(), start, &note);
    link->startRun(r, note);
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
      r.profile = row->profile;  // for the report and the history
    }
    r.started_s = e.event.time().seconds() + e.event.time().nanos() / 1e9;
    store_->upsertRun(r);
    runs_recorded_.insert(e.key, e.run_id);
  }
  store_->storeEvents(events);
  emit eventsStored(events);
}

}  // namespace qdt::console
