#include "console/app/sample_store.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTextStream>
#include <QUuid>
#include <QVariant>
#include <cmath>

#include "absl/strings/strip.h"
#include "common/proto_json.h"

namespace qdt::console {
namespace {

double WallSeconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + t.nanos() / 1e9;
}

// The verdict as the store keeps it; null (with a warning) when protobuf
// cannot write it, rather than a half-written text.
QString VerdictJson(const qdt::v1::Verdict& v) {
  auto json = ProtoToJson(v, {.pretty = false});
  if (!json.ok()) {
    qWarning("sample store: %s", std::string(json.status().message()).c_str());
    return QString();
  }
  return QString::fromStdString(*json);
}

std::optional<qdt::v1::Verdict> ParseVerdict(const QVariant& value) {
  if (value.isNull() || value.toString().isEmpty()) return std::nullopt;
  qdt::v1::Verdict v;
  if (!ProtoFromJson(value.toString().toStdString(), &v, "stored verdict").ok()) {
    return std::nullopt;
  }
  return v;
}

StoredRun RunFromQuery(const QSqlQuery& q) {
  StoredRun r;
  r.agent = q.value(0).toString();
  r.run_id = q.value(1).toString();
  r.serial = q.value(2).toString();
  r.model = q.value(3).toString();
  r.volume = q.value(4).toString();
  r.profile = q.value(5).toString();
  r.started_s = q.value(6).toDouble();
  r.state = q.value(7).toString();
  r.verdict = ParseVerdict(q.value(8));
  return r;
}

// Adds `column` to `table` when a store from an older console lacks it
// (SQLite's ALTER TABLE ADD COLUMN keeps every row; the new column is NULL in
// them). True when the column is there afterwards.
bool EnsureColumn(QSqlDatabase& db, const QString& table, const QString& column,
                  const QString& type, QString* error) {
  QSqlQuery q(db);
  if (!q.exec(QString("PRAGMA table_info(%1)").arg(table))) {
    *error = q.lastError().text();
    return false;
  }
  while (q.next()) {
    if (q.value(1).toString() == column) return true;  // (cid, name, type, ...)
  }
  if (!q.exec(QString("ALTER TABLE %1 ADD COLUMN %2 %3").arg(table, column, type))) {
    *error = QString("adding %1.%2: %3").arg(table, column, q.lastError().text());
    return false;
  }
  return true;
}

constexpr char kRunColumns[] =
    "agent, run_id, serial, model, volume, profile, started_s, state, verdict_json";

}  // namespace

SampleStore::SampleStore() : connection_(QUuid::createUuid().toString()) {}

SampleStore::~SampleStore() {
  {
    QSqlDatabase db = QSqlDatabase::database(connection_, false);
    if (db.isOpen()) db.close();
  }
  QSqlDatabase::removeDatabase(connection_);
}

bool SampleStore::open(const QString& path, QString* error) {
  QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", connection_);
  db.setDatabaseName(path);
  if (!db.open()) {
    *error = QString("cannot open the console store \"%1\": %2").arg(path, db.lastError().text());
    return false;
  }
  QSqlQuery q(db);
  const char* schema[] = {
      "PRAGMA journal_mode=WAL",
      "PRAGMA synchronous=NORMAL",
      "CREATE TABLE IF NOT EXISTS agents (address TEXT PRIMARY KEY, token TEXT NOT NULL, "
      "added INTEGER NOT NULL)",
      "CREATE TABLE IF NOT EXISTS runs (agent TEXT NOT NULL, run_id TEXT NOT NULL, serial TEXT, "
      "model TEXT, volume TEXT, profile TEXT, started_s REAL, state TEXT, verdict_json TEXT, "
      "PRIMARY KEY (agent, run_id))",
      "CREATE INDEX IF NOT EXISTS runs_serial ON runs (serial)",
      "CREATE TABLE IF NOT EXISTS samples (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
      "seq INTEGER NOT NULL, wall_s REAL, phase INTEGER, read_mb_s REAL, target_mb_s REAL, "
      "temperature_c REAL, device_mb_s REAL, stalled INTEGER NOT NULL DEFAULT 0, silent_s REAL, "
      "PRIMARY KEY (agent, run_id, seq)) WITHOUT ROWID",
      "CREATE TABLE IF NOT EXISTS phases (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
      "phase INTEGER NOT NULL, name TEXT, start_wall_s REAL, duration_s REAL, target_mb_s REAL, "
      "PRIMARY KEY (agent, run_id, phase))",
      "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  };
  for (const char* sql : schema) {
    if (!q.exec(sql)) {
      *error = QString("console store \"%1\": %2").arg(path, q.lastError().text());
      return false;
    }
  }
  // Stores created before the drive's own rate, stalls, the Macs' names and
  // their target folders were kept (their samples read as measured).
  QString why;
  if (!EnsureColumn(db, "samples", "device_mb_s", "REAL", &why) ||
      !EnsureColumn(db, "samples", "stalled", "INTEGER NOT NULL DEFAULT 0", &why) ||
      !EnsureColumn(db, "samples", "silent_s", "REAL", &why) ||
      !EnsureColumn(db, "agents", "name", "TEXT", &why) ||
      !EnsureColumn(db, "agents", "target", "TEXT", &why)) {
    *error = QString("console store \"%1\": %2").arg(path, why);
    return false;
  }
  return true;
}

bool SampleStore::setAgentField(const QString& address, const char* column, const QString& value) {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(QString("UPDATE agents SET %1 = ? WHERE address = ?").arg(column));
  q.addBindValue(value.isEmpty() ? QVariant() : QVariant(value));
  q.addBindValue(address);
  return q.exec() && q.numRowsAffected() == 1;
}

QString SampleStore::agentField(const QString& address, const char* column) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(QString("SELECT %1 FROM agents WHERE address = ?").arg(column));
  q.addBindValue(address);
  if (!q.exec() || !q.next()) return {};
  return q.value(0).toString();
}

bool SampleStore::setAgentName(const QString& address, const QString& name) {
  return setAgentField(address, "name", name);
}
QString SampleStore::agentName(const QString& address) const { return agentField(address, "name"); }
bool SampleStore::setAgentTarget(const QString& address, const QString& target) {
  return setAgentField(address, "target", target);
}
QString SampleStore::agentTarget(const QString& address) const {
  return agentField(address, "target");
}

bool SampleStore::addAgent(const QString& address, const QString& token) {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(
      "INSERT INTO agents (address, token, added) VALUES (?, ?, "
      "(SELECT COALESCE(MAX(added), 0) + 1 FROM agents)) "
      "ON CONFLICT(address) DO UPDATE SET token = excluded.token");
  q.addBindValue(address);
  q.addBindValue(token);
  return q.exec();
}

bool SampleStore::removeAgent(const QString& address) {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare("DELETE FROM agents WHERE address = ?");
  q.addBindValue(address);
  return q.exec();
}

bool SampleStore::setSetting(const QString& key, const QString& value) {
  QSqlQuery q(QSqlDatabase::database(connection_));
  if (value.isEmpty()) {
    q.prepare("DELETE FROM settings WHERE key = ?");
    q.addBindValue(key);
  } else {
    q.prepare(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.addBindValue(key);
    q.addBindValue(value);
  }
  return q.exec();
}

QString SampleStore::setting(const QString& key) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare("SELECT value FROM settings WHERE key = ?");
  q.addBindValue(key);
  if (!q.exec() || !q.next()) return {};
  return q.value(0).toString();
}

QVector<std::pair<QString, QString>> SampleStore::agents() const {
  QVector<std::pair<QString, QString>> out;
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.exec("SELECT address, token FROM agents ORDER BY added");
  while (q.next()) out.push_back({q.value(0).toString(), q.value(1).toString()});
  return out;
}

void SampleStore::upsertRun(const StoredRun& r) {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(
      "INSERT INTO runs (agent, run_id, serial, model, volume, profile, started_s, state) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(agent, run_id) DO UPDATE SET "
      "serial = COALESCE(NULLIF(excluded.serial, ''), serial), "
      "model = COALESCE(NULLIF(excluded.model, ''), model), "
      "volume = COALESCE(NULLIF(excluded.volume, ''), volume), "
      "profile = COALESCE(NULLIF(excluded.profile, ''), profile)");
  q.addBindValue(r.agent);
  q.addBindValue(r.run_id);
  q.addBindValue(r.serial);
  q.addBindValue(r.model);
  q.addBindValue(r.volume);
  q.addBindValue(r.profile);
  q.addBindValue(r.started_s);
  q.addBindValue(r.state);
  q.exec();
}

int SampleStore::storeEvents(const QVector<AgentEvent>& events) {
  QSqlDatabase db = QSqlDatabase::database(connection_);
  db.transaction();
  QSqlQuery sample(db), phase(db), state(db), verdict(db), ensure(db);
  sample.prepare(
      "INSERT OR IGNORE INTO samples (agent, run_id, seq, wall_s, phase, read_mb_s, target_mb_s, "
      "temperature_c, device_mb_s, stalled, silent_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  phase.prepare(
      "INSERT OR IGNORE INTO phases (agent, run_id, phase, name, start_wall_s, duration_s, "
      "target_mb_s) VALUES (?, ?, ?, ?, ?, ?, ?)");
  ensure.prepare(
      "INSERT OR IGNORE INTO runs (agent, run_id, started_s, state) VALUES (?, ?, ?, ?)");
  state.prepare("UPDATE runs SET state = ? WHERE agent = ? AND run_id = ?");
  verdict.prepare("UPDATE runs SET verdict_json = ? WHERE agent = ? AND run_id = ?");
  int added = 0;
  QString last_agent, last_run;
  for (const AgentEvent& e : events) {
    const auto& ev = e.event;
    const double wall = WallSeconds(ev.time());
    if (e.key != last_agent || e.run_id != last_run) {
      // Every run with events has a row (exports list runs from there).
      ensure.addBindValue(e.key);
      ensure.addBindValue(e.run_id);
      ensure.addBindValue(wall);
      ensure.addBindValue(QString());
      ensure.exec();
      last_agent = e.key;
      last_run = e.run_id;
    }
    if (ev.has_sample()) {
      const auto& s = ev.sample();
      sample.addBindValue(e.key);
      sample.addBindValue(e.run_id);
      sample.addBindValue(static_cast<qulonglong>(ev.seq()));
      sample.addBindValue(s.has_wall_time() ? WallSeconds(s.wall_time()) : wall);
      sample.addBindValue(s.phase_index());
      // A stall measured no rate: NULL, not the 0 the agent's field holds.
      sample.addBindValue(s.stalled() ? QVariant() : QVariant(s.read_bytes_per_s() / 1e6));
      sample.addBindValue(s.target_bytes_per_s() / 1e6);
      sample.addBindValue(s.has_temperature_c() ? QVariant(s.temperature_c()) : QVariant());
      sample.addBindValue(s.has_device_read_bytes_per_s() && !s.stalled()
                              ? QVariant(s.device_read_bytes_per_s() / 1e6)
                              : QVariant());
      sample.addBindValue(s.stalled() ? 1 : 0);
      sample.addBindValue(s.stalled() && UsableSilence(s.interval_s()) ? QVariant(s.interval_s())
                                                                       : QVariant());
      if (sample.exec()) added += sample.numRowsAffected() > 0 ? 1 : 0;
    } else if (ev.has_phase()) {
      const auto& p = ev.phase();
      phase.addBindValue(e.key);
      phase.addBindValue(e.run_id);
      phase.addBindValue(p.phase_index());
      phase.addBindValue(QString::fromStdString(p.phase_name()));
      phase.addBindValue(wall);
      phase.addBindValue(p.duration_s());
      phase.addBindValue(p.target_bytes_per_s() / 1e6);
      phase.exec();
    } else if (ev.has_state()) {
      state.addBindValue(QString::fromStdString(std::string(
          absl::StripPrefix(qdt::v1::RunState_Name(ev.state().state()), "RUN_STATE_"))));
      state.addBindValue(e.key);
      state.addBindValue(e.run_id);
      state.exec();
    } else if (ev.has_verdict()) {
      verdict.addBindValue(VerdictJson(ev.verdict()));
      verdict.addBindValue(e.key);
      verdict.addBindValue(e.run_id);
      verdict.exec();
    }
  }
  db.commit();
  return added;
}

QVector<StoredSample> SampleStore::samples(const QString& agent, const QString& run_id) const {
  QVector<StoredSample> out;
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(
      "SELECT seq, wall_s, phase, read_mb_s, target_mb_s, temperature_c, device_mb_s, stalled, "
      "silent_s FROM samples WHERE agent = ? AND run_id = ? ORDER BY seq");
  q.addBindValue(agent);
  q.addBindValue(run_id);
  q.exec();
  while (q.next()) {
    StoredSample s;
    s.seq = q.value(0).toULongLong();
    s.wall_s = q.value(1).toDouble();
    s.phase = q.value(2).toInt();
    s.read_mb_s = q.value(3).toDouble();
    s.target_mb_s = q.value(4).toDouble();
    if (!q.value(5).isNull()) s.temperature_c = q.value(5).toDouble();
    if (!q.value(6).isNull()) s.device_mb_s = q.value(6).toDouble();
    s.stalled = q.value(7).toInt() != 0;
    if (s.stalled) {
      s.read_mb_s = 0;  // not measured (NULL in the file)
      s.device_mb_s.reset();
      if (!q.value(8).isNull()) s.silent_s = q.value(8).toDouble();
    }
    out.push_back(s);
  }
  return out;
}

int SampleStore::sampleCount(const QString& agent, const QString& run_id) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare("SELECT COUNT(*) FROM samples WHERE agent = ? AND run_id = ?");
  q.addBindValue(agent);
  q.addBindValue(run_id);
  q.exec();
  return q.next() ? q.value(0).toInt() : 0;
}

QVector<StoredPhase> SampleStore::phases(const QString& agent, const QString& run_id) const {
  QVector<StoredPhase> out;
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(
      "SELECT phase, name, start_wall_s, duration_s, target_mb_s FROM phases "
      "WHERE agent = ? AND run_id = ? ORDER BY phase");
  q.addBindValue(agent);
  q.addBindValue(run_id);
  q.exec();
  while (q.next()) {
    out.push_back({q.value(0).toInt(), q.value(1).toString(), q.value(2).toDouble(),
                   q.value(3).toDouble(), q.value(4).toDouble()});
  }
  return out;
}

QVector<StoredRun> SampleStore::runs() const {
  QVector<StoredRun> out;
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.exec(QString("SELECT %1 FROM runs ORDER BY started_s DESC").arg(kRunColumns));
  while (q.next()) out.push_back(RunFromQuery(q));
  return out;
}

QVector<StoredRun> SampleStore::runsForSerial(const QString& serial) const {
  QVector<StoredRun> out;
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(
      QString("SELECT %1 FROM runs WHERE serial = ? ORDER BY started_s DESC").arg(kRunColumns));
  q.addBindValue(serial);
  q.exec();
  while (q.next()) out.push_back(RunFromQuery(q));
  return out;
}

std::optional<StoredRun> SampleStore::run(const QString& agent, const QString& run_id) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(QString("SELECT %1 FROM runs WHERE agent = ? AND run_id = ?").arg(kRunColumns));
  q.addBindValue(agent);
  q.addBindValue(run_id);
  q.exec();
  if (!q.next()) return std::nullopt;
  return RunFromQuery(q);
}

std::optional<StoredRun> SampleStore::latestRun(const QString& agent) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare(QString("SELECT %1 FROM runs WHERE agent = ? ORDER BY started_s DESC LIMIT 1")
                .arg(kRunColumns));
  q.addBindValue(agent);
  q.exec();
  if (!q.next()) return std::nullopt;
  return RunFromQuery(q);
}

uint64_t SampleStore::lastSampleSeq(const QString& agent, const QString& run_id) const {
  QSqlQuery q(QSqlDatabase::database(connection_));
  q.prepare("SELECT MAX(seq) FROM samples WHERE agent = ? AND run_id = ?");
  q.addBindValue(agent);
  q.addBindValue(run_id);
  if (!q.exec() || !q.next() || q.value(0).isNull()) return 0;
  return q.value(0).toULongLong();
}

bool SampleStore::exportCsv(const QString& path,
                            const QVector<std::pair<QString, QString>>& runs_in,
                            QString* error) const {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
    *error = QString("cannot write \"%1\": %2").arg(path, f.errorString());
    return false;
  }
  QTextStream out(&f);
  // A stall's row: stalled = 1, how long fio had been silent, and its rates
  // empty (not measured: a spreadsheet's AVERAGE skips them).
  out << "agent,run_id,serial,seq,wall_s,phase,read_mb_s,target_mb_s,temperature_c,device_mb_s,"
         "stalled,silent_s\n";
  QVector<std::pair<QString, QString>> list = runs_in;
  if (list.isEmpty()) {
    for (const auto& r : runs()) list.push_back({r.agent, r.run_id});
  }
  for (const auto& [agent, run_id] : list) {
    auto info = run(agent, run_id);
    const QString serial = info ? info->serial : QString();
    for (const StoredSample& s : samples(agent, run_id)) {
      out << agent << ',' << run_id << ',' << serial << ',' << s.seq << ','
          << QString::number(s.wall_s, 'f', 3) << ',' << s.phase << ','
          << (s.stalled ? QString() : QString::number(s.read_mb_s, 'f', 3)) << ','
          << QString::number(s.target_mb_s, 'f', 3) << ','
          << (s.temperature_c ? QString::number(*s.temperature_c, 'f', 1) : QString()) << ','
          << (s.device_mb_s ? QString::number(*s.device_mb_s, 'f', 3) : QString()) << ','
          << (s.stalled ? '1' : '0') << ','
          << (s.silent_s ? QString::number(*s.silent_s, 'f', 3) : QString()) << '\n';
    }
  }
  out.flush();
  if (f.error() != QFile::NoError) {
    *error = QString("writing \"%1\": %2").arg(path, f.errorString());
    return false;
  }
  return true;
}

bool SampleStore::exportJson(const QString& path,
                             const QVector<std::pair<QString, QString>>& runs_in,
                             QString* error) const {
  QVector<std::pair<QString, QString>> list = runs_in;
  if (list.isEmpty()) {
    for (const auto& r : runs()) list.push_back({r.agent, r.run_id});
  }
  QJsonArray all;
  for (const auto& [agent, run_id] : list) {
    QJsonObject o;
    o["agent"] = agent;
    o["run_id"] = run_id;
    if (auto info = run(agent, run_id)) {
      o["serial"] = info->serial;
      o["model"] = info->model;
      o["volume"] = info->volume;
      o["profile"] = info->profile;
      o["state"] = info->state;
      if (info->verdict) {
        o["verdict"] = QJsonDocument::fromJson(VerdictJson(*info->verdict).toUtf8()).object();
      }
    }
    QJsonArray samples_json;
    for (const StoredSample& s : samples(agent, run_id)) {
      QJsonObject j;
      j["seq"] = static_cast<qint64>(s.seq);
      j["wall_s"] = s.wall_s;
      j["phase"] = s.phase;
      j["read_mb_s"] = s.stalled ? QJsonValue() : QJsonValue(s.read_mb_s);  // null: not measured
      j["target_mb_s"] = s.target_mb_s;
      j["temperature_c"] = s.temperature_c ? QJsonValue(*s.temperature_c) : QJsonValue();
      j["device_mb_s"] = s.device_mb_s ? QJsonValue(*s.device_mb_s) : QJsonValue();
      j["stalled"] = s.stalled;
      j["silent_s"] = s.silent_s ? QJsonValue(*s.silent_s) : QJsonValue();
      samples_json.append(j);
    }
    o["samples"] = samples_json;
    all.append(o);
  }
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
      f.write(QJsonDocument(all).toJson()) < 0) {
    *error = QString("cannot write \"%1\": %2").arg(path, f.errorString());
    return false;
  }
  return true;
}

}  // namespace qdt::console
