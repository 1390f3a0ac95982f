// Finding agents that announce themselves as _qdt._tcp (qdt-agent
// --advertise), through the DNS-SD C API (dns_sd.h): mDNSResponder's own
// library on macOS, Avahi's Bonjour compatibility library on Linux. One code
// path for both, no child processes:
//
//   DNSServiceBrowse("_qdt._tcp")      a service appears / goes (Add flag)
//     -> DNSServiceResolve             its host name and port
//       -> DNSServiceQueryRecord A, AAAA   the host's addresses
//
// (Not DNSServiceGetAddrInfo: Avahi's compatibility layer does not have it,
// while both implement DNSServiceQueryRecord.) Every DNSServiceRef's socket is
// watched by a QSocketNotifier and serviced with DNSServiceProcessResult on
// the GUI thread, so nothing here blocks or spawns a thread of its own.
//
// Bounds: at most kMaxServices services are kept and at most kMaxLookups
// resolve at a time; names and hosts are checked (length, UTF-8, no control
// characters) and a service with a bad one is left out with a message naming
// the field and value. When the daemon (avahi-daemon / mDNSResponder) is not
// reachable, unavailable() says so once and the browse is retried every
// interval until it works.
//
// Thread-safety: GUI thread only. The DNSServiceRefs are owned here and
// deallocated with the object.
#ifndef QDT_CONSOLE_APP_DISCOVERY_H_
#define QDT_CONSOLE_APP_DISCOVERY_H_

#include <QObject>
#include <QString>
#include <QVector>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace qdt::console {

struct DiscoveredAgent {
  QString name;     // as announced, e.g. "qdt-agent on show-mac-1"
  QString host;     // e.g. "show-mac-1.local"
  QString address;  // "IP:port", what the console connects to
  QString interface;
};

// A DNS-SD name from the network (a service instance name or a host name) as
// text: at most max_bytes bytes of UTF-8 without control characters. On
// failure *error names the field and shows the value (escaped, shortened).
bool CheckDnsSdText(const char* field, const char* value, size_t max_bytes, QString* out,
                    QString* error);

// "IP:port" ("[IPv6]:port") from an A (4 bytes) or AAAA (16 bytes) record's
// rdata and a port in host byte order. False, with *error, for a record of
// another type or length, port 0, or an IPv6 link-local address (fe80::/10
// needs the interface's scope, which an agent address cannot carry).
bool AddressFromRecord(uint16_t rrtype, const void* rdata, size_t rdlen, uint16_t port,
                       QString* address, QString* error);

class Discovery : public QObject {
  Q_OBJECT

 public:
  static constexpr int kMaxServices = 256;
  static constexpr int kMaxLookups = 16;

  // interval_ms: how often a browse that failed (daemon not running) is
  // retried, and how long a service that did not resolve waits to try again.
  explicit Discovery(QObject* parent = nullptr, int interval_ms = 5000);
  ~Discovery() override;  // every DNSServiceRef is deallocated; nothing is signalled
  void start();
  // The resolved agents, one per address, sorted by name then address.
  QVector<DiscoveredAgent> agents() const { return agents_; }

 signals:
  void agentsChanged(QVector<qdt::console::DiscoveredAgent> agents);
  // Discovery cannot see (all) agents: the daemon is not running, or an
  // announcement was left out. Each reason is said once.
  void unavailable(QString why);

 private:
  class Impl;
  friend class Impl;
  std::unique_ptr<Impl> impl_;
  QVector<DiscoveredAgent> agents_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_DISCOVERY_H_
