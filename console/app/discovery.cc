#include "console/app/discovery.h"

#include <QStandardPaths>

namespace qdt::console {
namespace {

// avahi escapes '.', '\' and non-printables in names as \DDD (decimal).
QString Unescape(const QString& s) {
  QString out;
  for (int i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 0 && s[i + 1].isDigit() && s[i + 2].isDigit() &&
        s[i + 3].isDigit()) {
      out += QChar(s.mid(i + 1, 3).toInt());
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

QVector<DiscoveredAgent> ParseAvahiBrowse(const QString& text) {
  QVector<DiscoveredAgent> out;
  for (const QString& line : text.split('\n', Qt::SkipEmptyParts)) {
    // =;iface;proto;name;type;domain;host;address;port;txt
    const QStringList f = line.trimmed().split(';');
    if (f.size() < 9 || f[0] != "=" || f[4] != "_qdt._tcp") continue;
    bool ok = false;
    int port = f[8].toInt(&ok);
    if (!ok || port <= 0 || port > 65535 || f[7].isEmpty()) continue;
    DiscoveredAgent a;
    a.interface = f[1];
    a.name = Unescape(f[3]);
    a.host = f[6];
    a.address = f[2] == "IPv6" ? QString("[%1]:%2").arg(f[7]).arg(port)
                               : QString("%1:%2").arg(f[7]).arg(port);
    bool seen = false;
    for (const auto& o : out) seen |= o.address == a.address;
    if (!seen) out.push_back(a);
  }
  return out;
}

Discovery::Discovery(QObject* parent, int interval_ms) : QObject(parent) {
  timer_.setInterval(interval_ms);
  connect(&timer_, &QTimer::timeout, this, &Discovery::browse);
  connect(&process_, &QProcess::finished, this, [this](int, QProcess::ExitStatus) {
    QVector<DiscoveredAgent> found =
        ParseAvahiBrowse(QString::fromUtf8(process_.readAllStandardOutput()));
    QString err = QString::fromUtf8(process_.readAllStandardError()).trimmed();
    if (found.isEmpty() && !err.isEmpty()) emit unavailable("avahi-browse: " + err);
    agents_ = found;
    emit agentsChanged(agents_);
  });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) {
      emit unavailable("avahi-browse is not installed: add agents by address");
      timer_.stop();
    }
  });
}

Discovery::~Discovery() {
  // The process's finished() must not reach a receiver that is being
  // destroyed (the window that owns this object).
  process_.disconnect(this);
  if (process_.state() != QProcess::NotRunning) {
    process_.kill();
    process_.waitForFinished(1000);
  }
}

void Discovery::start() {
  browse();
  timer_.start();
}

void Discovery::browse() {
  if (process_.state() != QProcess::NotRunning) return;
  // -r resolve, -p parsable, -t terminate after the cache dump.
  process_.start("avahi-browse", {"-rpt", "_qdt._tcp"});
}

}  // namespace qdt::console
