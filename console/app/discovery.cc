#include "console/app/discovery.h"

#include <arpa/inet.h>
#include <dns_sd.h>
#include <net/if.h>

#include <QElapsedTimer>
#include <QSocketNotifier>
#include <QTimer>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>

// What this file relies on from the DNS-SD API, as Apple's dns_sd.h
// (mDNSResponder, mDNSShared/dns_sd.h) documents it:
//  - DNSServiceRefSockFD: the socket "can be used ... in a select() loop";
//    when it is readable, DNSServiceProcessResult reads the reply without
//    blocking and calls the callback. Replies must be processed "in a timely
//    fashion" or the daemon may drop the connection.
//  - DNSServiceRefDeallocate terminates the operation and closes the socket,
//    which "should be removed BEFORE DNSServiceRefDeallocate() is called" from
//    the select loop: a notifier is disabled before its ref is deallocated.
//  - DNSServiceBrowseReply: kDNSServiceFlagsAdd set means found, unset means
//    the instance is gone; the name, type, domain and interface go unchanged
//    to DNSServiceResolve. kDNSServiceFlagsMoreComing: more results follow at
//    once, so the list is not published until a reply without it.
//  - DNSServiceResolve: "the client MUST terminate the resolve" once it has
//    the result; the port comes in network byte order.
//  - DNSServiceQueryRecordReply: rdata is the record's raw rdata (4 bytes
//    for A, 16 for AAAA); Add unset means the record went away.
//  - Other parameters are undefined when errorCode is not NoError.
namespace qdt::console {
namespace {

constexpr char kServiceType[] = "_qdt._tcp";
// Agents announce in the link-local domain only (agent/discovery.cc).
constexpr char kDomain[] = "local.";
// Apple's dns_sd.h: kDNSServiceErr_ServiceNotRunning = -65563 ("Background
// daemon not running"); Avahi's older copy of the header lacks the name.
constexpr DNSServiceErrorType kErrServiceNotRunning = -65563;
// Apple's dns_sd.h, "Notes on DNS Name Escaping": "The servicename may be up
// to 63 bytes of UTF-8 text".
constexpr size_t kMaxServiceNameBytes = 63;
// kDNSServiceMaxDomainName counts an escaped name with its trailing dot and
// NUL: 1009 in Apple's header, 1005 in Avahi's. 1004 fits both.
constexpr size_t kMaxHostBytes = 1004;
// A resolve plus the first address answer locally within milliseconds; a
// service that takes longer is tried again after the retry interval.
constexpr qint64 kLookupTimeoutMs = 5000;
// After the first address, the other family (A or AAAA) gets this long; a
// network without IPv6 never answers the AAAA query.
constexpr qint64 kOtherFamilyGraceMs = 1000;
// Changes in one burst (two agents found together) are published as one list.
constexpr int kPublishDelayMs = 250;
// Deadlines and retries are checked at this pace.
constexpr int kTickMs = 250;
// At most this many distinct problems are remembered (each is said once).
constexpr size_t kMaxProblemsRemembered = 64;

// A value from the network for an error message: printable ASCII as is,
// anything else as \xNN, at most 80 bytes shown.
QString Shown(const char* value) {
  constexpr size_t kShown = 80;
  const size_t n = strnlen(value, kShown + 1);
  QString out;
  for (size_t i = 0; i < std::min(n, kShown); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += QChar(c);
    } else {
      out += QString("\\x%1").arg(c, 2, 16, QChar('0'));
    }
  }
  if (n > kShown) out += "…";
  return out;
}

const char* DaemonName() {
#ifdef __APPLE__
  return "mDNSResponder";
#else
  return "Avahi daemon";
#endif
}

bool IsIpv6LinkLocal(const void* rdata) {
  const auto* b = static_cast<const unsigned char*>(rdata);
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

}  // namespace

bool CheckDnsSdText(const char* field, const char* value, size_t max_bytes, QString* out,
                    QString* error) {
  if (value == nullptr || *value == '\0') {
    *error = QString("%1 is empty").arg(field);
    return false;
  }
  const size_t n = strnlen(value, max_bytes + 1);
  if (n > max_bytes) {
    *error = QString("%1 \"%2\" is longer than %3 bytes").arg(field, Shown(value)).arg(max_bytes);
    return false;
  }
  // Invalid UTF-8 decodes to U+FFFD and does not encode back to the same bytes.
  const QByteArray bytes(value, static_cast<qsizetype>(n));
  const QString text = QString::fromUtf8(bytes);
  if (text.toUtf8() != bytes) {
    *error = QString("%1 \"%2\" is not UTF-8").arg(field, Shown(value));
    return false;
  }
  for (QChar c : text) {
    if (c.category() == QChar::Other_Control) {
      *error = QString("%1 \"%2\" contains a control character").arg(field, Shown(value));
      return false;
    }
  }
  *out = text;
  return true;
}

bool AddressFromRecord(uint16_t rrtype, const void* rdata, size_t rdlen, uint16_t port,
                       QString* address, QString* error) {
  if (port == 0) {
    *error = "port 0 is not an agent's port";
    return false;
  }
  if (rrtype == kDNSServiceType_A) {
    char text[INET_ADDRSTRLEN] = {};
    if (rdlen != 4 || inet_ntop(AF_INET, rdata, text, sizeof(text)) == nullptr) {
      *error = QString("A record of %1 bytes is not an IPv4 address (4 bytes)").arg(rdlen);
      return false;
    }
    *address = QString("%1:%2").arg(text).arg(port);
    return true;
  }
  if (rrtype == kDNSServiceType_AAAA) {
    char text[INET6_ADDRSTRLEN] = {};
    if (rdlen != 16 || inet_ntop(AF_INET6, rdata, text, sizeof(text)) == nullptr) {
      *error = QString("AAAA record of %1 bytes is not an IPv6 address (16 bytes)").arg(rdlen);
      return false;
    }
    if (IsIpv6LinkLocal(rdata)) {
      *error = QString("IPv6 address %1 is link-local: it needs an interface scope").arg(text);
      return false;
    }
    *address = QString("[%1]:%2").arg(text).arg(port);
    return true;
  }
  *error = QString("DNS record type %1 is not A (1) or AAAA (28)").arg(rrtype);
  return false;
}

class Discovery::Impl {
 public:
  Impl(Discovery* q, int interval_ms);
  ~Impl();
  void start();

 private:
  // One DNSServiceRef and the notifier on its socket.
  struct Op {
    DNSServiceRef ref = nullptr;
    QSocketNotifier* notifier = nullptr;
    bool done = false;  // set by a callback: closed after DNSServiceProcessResult returns
  };
  enum class Stage { kQueued, kResolving, kResolved, kQuerying, kDone, kRetryLater, kRejected };
  // name, type and domain as the browse reported them, and the interface index.
  using Key = std::tuple<std::string, std::string, std::string, uint32_t>;
  struct Service {
    Impl* impl = nullptr;
    Key key;
    int announced = 0;  // Avahi reports an instance once per IP protocol: counted
    QString name;
    QString interface;
    QString host;          // without the trailing dot, for people
    std::string host_dns;  // as resolved, for the address queries
    uint16_t port = 0;     // host byte order
    Stage stage = Stage::kQueued;
    qint64 deadline_ms = 0;
    qint64 retry_at_ms = 0;
    Op resolve, query4, query6;
    QStringList addresses;
  };

  static void DNSSD_API OnBrowse(DNSServiceRef ref, DNSServiceFlags flags, uint32_t interface,
                                 DNSServiceErrorType error, const char* name, const char* type,
                                 const char* domain, void* context);
  static void DNSSD_API OnResolve(DNSServiceRef ref, DNSServiceFlags flags, uint32_t interface,
                                  DNSServiceErrorType error, const char* fullname, const char* host,
                                  uint16_t port, uint16_t txt_len, const unsigned char* txt,
                                  void* context);
  static void DNSSD_API OnQuery(DNSServiceRef ref, DNSServiceFlags flags, uint32_t interface,
                                DNSServiceErrorType error, const char* fullname, uint16_t rrtype,
                                uint16_t rrclass, uint16_t rdlen, const void* rdata, uint32_t ttl,
                                void* context);

  void browse();
  void browseFailed(DNSServiceErrorType error);
  bool watch(Op* op, Service* s);
  void process(Op* op, Service* s);
  void close(Op* op);
  void closeAll(Service* s);
  void startResolve(Service* s);
  void startQueries(Service* s);
  void reconcile();
  void step(Service* s, qint64 now);
  void publish();
  void say(const QString& problem);

  Discovery* q_;
  int interval_ms_;
  bool started_ = false;
  QElapsedTimer clock_;
  Op browse_;
  DNSServiceErrorType browse_error_ = kDNSServiceErr_NoError;
  qint64 browse_retry_at_ms_ = -1;  // >= 0 while the browse is down
  bool down_said_ = false;
  bool more_coming_ = false;
  std::map<Key, std::unique_ptr<Service>> services_;
  std::set<QString> said_;
  QTimer tick_;
  QTimer publish_timer_;
};

Discovery::Impl::Impl(Discovery* q, int interval_ms) : q_(q), interval_ms_(interval_ms) {
#ifndef __APPLE__
  // Avahi's compatibility layer prints "*** WARNING *** The programme ...
  // uses the Apple Bonjour compatibility layer" to stderr and syslog at the
  // first call unless this is set (avahi-compat-libdns_sd/warn.c,
  // avahi_warn_linkage). The console uses the API on purpose: one code path
  // with macOS.
  if (!qEnvironmentVariableIsSet("AVAHI_COMPAT_NOWARN")) qputenv("AVAHI_COMPAT_NOWARN", "1");
#endif
  clock_.start();
  tick_.setInterval(kTickMs);
  QObject::connect(&tick_, &QTimer::timeout, q_, [this] { reconcile(); });
  publish_timer_.setSingleShot(true);
  QObject::connect(&publish_timer_, &QTimer::timeout, q_, [this] { publish(); });
}

Discovery::Impl::~Impl() {
  for (auto& [key, s] : services_) closeAll(s.get());
  close(&browse_);
}

void Discovery::Impl::start() {
  if (started_) return;
  started_ = true;
  browse();
  reconcile();
  tick_.start();
}

void Discovery::Impl::browse() {
  DNSServiceRef ref = nullptr;
  // Flags 0 and any interface: Avahi's DNSServiceBrowse refuses other flags
  // and kDNSServiceInterfaceIndexLocalOnly (avahi-compat-libdns_sd/compat.c).
  DNSServiceErrorType error = DNSServiceBrowse(&ref, 0, kDNSServiceInterfaceIndexAny, kServiceType,
                                               kDomain, &Impl::OnBrowse, this);
  if (error != kDNSServiceErr_NoError) {
    browseFailed(error);
    return;
  }
  browse_.ref = ref;
  if (!watch(&browse_, nullptr)) {
    browseFailed(kDNSServiceErr_Unknown);
    return;
  }
  browse_retry_at_ms_ = -1;
  down_said_ = false;
}

void Discovery::Impl::browseFailed(DNSServiceErrorType error) {
  for (auto& [key, s] : services_) closeAll(s.get());
  services_.clear();
  close(&browse_);
  browse_error_ = kDNSServiceErr_NoError;
  browse_retry_at_ms_ = clock_.elapsed() + interval_ms_;
  if (!publish_timer_.isActive()) publish_timer_.start(0);
  if (down_said_) return;
  down_said_ = true;
  // Avahi's compatibility layer reports a missing daemon (or system bus) as
  // kDNSServiceErr_Unknown (compat.c, map_error: AVAHI_ERR_NO_DAEMON);
  // mDNSResponder's library as kDNSServiceErr_ServiceNotRunning.
  if (error == kErrServiceNotRunning || error == kDNSServiceErr_Unknown) {
    emit q_->unavailable(QString("%1 not running: cannot look for agents announced as %2 (DNS-SD "
                                 "error %3); add agents by address")
                             .arg(DaemonName(), kServiceType)
                             .arg(error));
  } else {
    emit q_->unavailable(
        QString("cannot look for agents announced as %1: DNS-SD error %2; add agents by address")
            .arg(kServiceType)
            .arg(error));
  }
}

bool Discovery::Impl::watch(Op* op, Service* s) {
  const int fd = DNSServiceRefSockFD(op->ref);
  if (fd < 0) {
    DNSServiceRefDeallocate(op->ref);
    op->ref = nullptr;
    return false;
  }
  op->notifier = new QSocketNotifier(fd, QSocketNotifier::Read);
  QObject::connect(op->notifier, &QSocketNotifier::activated, q_,
                   [this, op, s] { process(op, s); });
  return true;
}

void Discovery::Impl::process(Op* op, Service* s) {
  if (op->ref == nullptr) return;
  DNSServiceErrorType error = DNSServiceProcessResult(op->ref);
  if (error != kDNSServiceErr_NoError) {
    // The connection to the daemon is gone (it stopped, or dropped us).
    if (s == nullptr) {
      browse_error_ = error;
    } else {
      op->done = true;
    }
  }
  reconcile();
}

void Discovery::Impl::close(Op* op) {
  if (op->notifier != nullptr) {
    // Out of the event loop before the socket is closed (dns_sd.h,
    // DNSServiceRefDeallocate); deleted later as it may be the sender now.
    op->notifier->setEnabled(false);
    op->notifier->deleteLater();
    op->notifier = nullptr;
  }
  if (op->ref != nullptr) DNSServiceRefDeallocate(op->ref);
  op->ref = nullptr;
  op->done = false;
}

void Discovery::Impl::closeAll(Service* s) {
  close(&s->resolve);
  close(&s->query4);
  close(&s->query6);
}

void DNSSD_API Discovery::Impl::OnBrowse(DNSServiceRef, DNSServiceFlags flags, uint32_t interface,
                                         DNSServiceErrorType error, const char* name,
                                         const char* type, const char* domain, void* context) {
  auto* self = static_cast<Impl*>(context);
  if (error != kDNSServiceErr_NoError) {
    self->browse_error_ = error;
    return;
  }
  self->more_coming_ = (flags & kDNSServiceFlagsMoreComing) != 0;
  if (name == nullptr || type == nullptr || domain == nullptr) return;
  Key key{name, type, domain, interface};
  auto it = self->services_.find(key);
  if ((flags & kDNSServiceFlagsAdd) == 0) {
    // Dropped in reconcile(), outside the callback.
    if (it != self->services_.end()) --it->second->announced;
    return;
  }
  if (it != self->services_.end()) {
    ++it->second->announced;
    return;
  }
  if (self->services_.size() >= static_cast<size_t>(kMaxServices)) {
    self->say(QString("more than %1 services announced as %2: \"%3\" and others are left out")
                  .arg(kMaxServices)
                  .arg(kServiceType, Shown(name)));
    return;
  }
  auto s = std::make_unique<Service>();
  s->impl = self;
  s->key = key;
  s->announced = 1;
  QString problem;
  if (!CheckDnsSdText("service name", name, kMaxServiceNameBytes, &s->name, &problem)) {
    self->say(QString("an agent announced as %1 is left out: %2").arg(kServiceType, problem));
    s->stage = Stage::kRejected;  // kept, so that its removal is recognised
  }
  char ifname[IF_NAMESIZE] = {};
  if (if_indextoname(interface, ifname) != nullptr) s->interface = QString::fromLocal8Bit(ifname);
  self->services_.emplace(key, std::move(s));
}

void DNSSD_API Discovery::Impl::OnResolve(DNSServiceRef, DNSServiceFlags flags, uint32_t,
                                          DNSServiceErrorType error, const char*, const char* host,
                                          uint16_t port, uint16_t, const unsigned char*,
                                          void* context) {
  auto* s = static_cast<Service*>(context);
  Impl* self = s->impl;
  self->more_coming_ = (flags & kDNSServiceFlagsMoreComing) != 0;
  s->resolve.done = true;
  if (s->stage != Stage::kResolving) return;
  if (error != kDNSServiceErr_NoError) {
    s->stage = Stage::kRetryLater;
    s->retry_at_ms = self->clock_.elapsed() + self->interval_ms_;
    return;
  }
  QString host_text, problem;
  if (!CheckDnsSdText("host name", host, kMaxHostBytes, &host_text, &problem)) {
    self->say(QString("agent \"%1\" is left out: %2").arg(s->name, problem));
    s->stage = Stage::kRejected;
    return;
  }
  if (ntohs(port) == 0) {
    self->say(QString("agent \"%1\" is left out: it announces port 0").arg(s->name));
    s->stage = Stage::kRejected;
    return;
  }
  s->host_dns = host;
  if (host_text.endsWith('.')) host_text.chop(1);
  s->host = host_text;
  s->port = ntohs(port);
  s->stage = Stage::kResolved;
}

void DNSSD_API Discovery::Impl::OnQuery(DNSServiceRef ref, DNSServiceFlags flags, uint32_t,
                                        DNSServiceErrorType error, const char*, uint16_t rrtype,
                                        uint16_t, uint16_t rdlen, const void* rdata, uint32_t,
                                        void* context) {
  auto* s = static_cast<Service*>(context);
  Impl* self = s->impl;
  Op* op = ref == s->query4.ref ? &s->query4 : &s->query6;
  if (error != kDNSServiceErr_NoError) {
    op->done = true;
    return;
  }
  self->more_coming_ = (flags & kDNSServiceFlagsMoreComing) != 0;
  if (rdata == nullptr) return;
  QString address, problem;
  if (!AddressFromRecord(rrtype, rdata, rdlen, s->port, &address, &problem)) {
    const bool link_local = rrtype == kDNSServiceType_AAAA && rdlen == 16 && IsIpv6LinkLocal(rdata);
    if (!link_local) self->say(QString("agent \"%1\": %2").arg(s->name, problem));
    return;
  }
  if ((flags & kDNSServiceFlagsAdd) == 0) {
    s->addresses.removeAll(address);
    return;
  }
  if (!s->addresses.contains(address)) s->addresses << address;
  // One answer set per family is enough: the service's removal (browse)
  // drops it; an agent that moves to a new address is re-announced.
  if (!self->more_coming_) op->done = true;
  s->deadline_ms = std::min(s->deadline_ms, self->clock_.elapsed() + kOtherFamilyGraceMs);
}

void Discovery::Impl::startResolve(Service* s) {
  const auto& [name, type, domain, interface] = s->key;
  DNSServiceRef ref = nullptr;
  DNSServiceErrorType error = DNSServiceResolve(&ref, 0, interface, name.c_str(), type.c_str(),
                                                domain.c_str(), &Impl::OnResolve, s);
  s->deadline_ms = clock_.elapsed() + kLookupTimeoutMs;
  if (error == kDNSServiceErr_NoError) {
    s->resolve.ref = ref;
    if (watch(&s->resolve, s)) {
      s->stage = Stage::kResolving;
      return;
    }
  }
  s->stage = Stage::kRetryLater;
  s->retry_at_ms = clock_.elapsed() + interval_ms_;
}

void Discovery::Impl::startQueries(Service* s) {
  const uint32_t interface = std::get<3>(s->key);
  s->deadline_ms = clock_.elapsed() + kLookupTimeoutMs;
  bool any = false;
  for (auto [op, rrtype] : {std::pair{&s->query4, uint16_t{kDNSServiceType_A}},
                            std::pair{&s->query6, uint16_t{kDNSServiceType_AAAA}}}) {
    DNSServiceRef ref = nullptr;
    if (DNSServiceQueryRecord(&ref, 0, interface, s->host_dns.c_str(), rrtype, kDNSServiceClass_IN,
                              &Impl::OnQuery, s) == kDNSServiceErr_NoError) {
      op->ref = ref;
      any |= watch(op, s);
    }
  }
  if (any) {
    s->stage = Stage::kQuerying;
  } else {
    s->stage = Stage::kRetryLater;
    s->retry_at_ms = clock_.elapsed() + interval_ms_;
  }
}

// Everything that changes the set of operations happens here, never inside
// a DNS-SD callback.
void Discovery::Impl::reconcile() {
  if (!started_) return;
  const qint64 now = clock_.elapsed();
  if (browse_error_ != kDNSServiceErr_NoError) browseFailed(browse_error_);
  if (browse_.ref == nullptr && browse_retry_at_ms_ >= 0 && now >= browse_retry_at_ms_) browse();
  for (auto it = services_.begin(); it != services_.end();) {
    if (it->second->announced <= 0) {
      closeAll(it->second.get());
      it = services_.erase(it);
      continue;
    }
    step(it->second.get(), now);
    ++it;
  }
  int in_flight = 0;
  for (auto& [key, s] : services_) {
    in_flight += s->stage == Stage::kResolving || s->stage == Stage::kQuerying ? 1 : 0;
  }
  for (auto& [key, s] : services_) {
    if (in_flight >= kMaxLookups) break;
    if (s->stage != Stage::kQueued) continue;
    startResolve(s.get());
    in_flight += s->stage == Stage::kResolving ? 1 : 0;
  }
  // Published once the daemon has nothing more queued (MoreComing), a
  // moment later so that a burst of changes is one list.
  if (!more_coming_ && !publish_timer_.isActive()) publish_timer_.start(kPublishDelayMs);
}

void Discovery::Impl::step(Service* s, qint64 now) {
  for (Op* op : {&s->resolve, &s->query4, &s->query6}) {
    if (op->done) close(op);
  }
  switch (s->stage) {
    case Stage::kResolving:
      if (now >= s->deadline_ms) {
        close(&s->resolve);
        s->stage = Stage::kRetryLater;
        s->retry_at_ms = now + interval_ms_;
      }
      break;
    case Stage::kResolved:
      close(&s->resolve);  // dns_sd.h: the client MUST terminate the resolve
      startQueries(s);
      break;
    case Stage::kQuerying:
      if (s->query4.ref == nullptr && s->query6.ref == nullptr) {
        s->stage = s->addresses.isEmpty() ? Stage::kRetryLater : Stage::kDone;
      } else if (now >= s->deadline_ms) {
        close(&s->query4);
        close(&s->query6);
        s->stage = s->addresses.isEmpty() ? Stage::kRetryLater : Stage::kDone;
      }
      if (s->stage == Stage::kRetryLater) s->retry_at_ms = now + interval_ms_;
      break;
    case Stage::kRetryLater:
      closeAll(s);
      if (now >= s->retry_at_ms) s->stage = Stage::kQueued;
      break;
    case Stage::kQueued:
    case Stage::kDone:
    case Stage::kRejected:
      break;
  }
}

void Discovery::Impl::publish() {
  QVector<DiscoveredAgent> list;
  for (const auto& [key, s] : services_) {
    if (s->stage == Stage::kRejected) continue;
    for (const QString& address : s->addresses) {
      bool seen = false;
      for (const auto& a : list) seen |= a.address == address;
      if (!seen) list.push_back({s->name, s->host, address, s->interface});
    }
  }
  std::sort(list.begin(), list.end(), [](const DiscoveredAgent& a, const DiscoveredAgent& b) {
    return std::tie(a.name, a.address) < std::tie(b.name, b.address);
  });
  bool same = list.size() == q_->agents_.size();
  for (int i = 0; same && i < list.size(); ++i) {
    same = list[i].name == q_->agents_[i].name && list[i].address == q_->agents_[i].address &&
           list[i].host == q_->agents_[i].host;
  }
  if (same) return;
  q_->agents_ = list;
  emit q_->agentsChanged(q_->agents_);
}

void Discovery::Impl::say(const QString& problem) {
  if (said_.count(problem) != 0 || said_.size() >= kMaxProblemsRemembered) return;
  said_.insert(problem);
  // Queued: this may run inside a DNS-SD callback.
  QMetaObject::invokeMethod(
      q_, [q = q_, problem] { emit q->unavailable(problem); }, Qt::QueuedConnection);
}

Discovery::Discovery(QObject* parent, int interval_ms)
    : QObject(parent), impl_(std::make_unique<Impl>(this, interval_ms)) {}

Discovery::~Discovery() = default;

void Discovery::start() { impl_->start(); }

}  // namespace qdt::console
