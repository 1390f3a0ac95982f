// Finding agents that announce themselves as _qdt._tcp (qdt-agent
// --advertise). On Linux the console asks Avahi with `avahi-browse -rpt
// _qdt._tcp` every few seconds (a QProcess, so the GUI thread never waits).
// macOS browsing (dns-sd) is not wired yet: add agents by address there.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_DISCOVERY_H_
#define QDT_CONSOLE_APP_DISCOVERY_H_

#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>
#include <QVector>

namespace qdt::console {

struct DiscoveredAgent {
  QString name;     // as announced, e.g. "qdt-agent on show-mac-1"
  QString host;     // e.g. "show-mac-1.local"
  QString address;  // "IP:port", what the console connects to
  QString interface;
};

// `avahi-browse -rpt` output: the resolved ("=") IPv4 and IPv6 lines, with
// avahi's \DDD escapes decoded; one entry per address.
QVector<DiscoveredAgent> ParseAvahiBrowse(const QString& text);

class Discovery : public QObject {
  Q_OBJECT

 public:
  explicit Discovery(QObject* parent = nullptr, int interval_ms = 5000);
  ~Discovery() override;  // a browse still running is killed without signalling
  void start();
  QVector<DiscoveredAgent> agents() const { return agents_; }

 signals:
  void agentsChanged(QVector<qdt::console::DiscoveredAgent> agents);
  void unavailable(QString why);

 private:
  void browse();

  QProcess process_;
  QTimer timer_;
  QVector<DiscoveredAgent> agents_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_DISCOVERY_H_
