#include "agent/log_throttle.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace qdt::agent {

LogThrottle::LogThrottle(absl::Duration interval, size_t max_keys, const Clock* clock)
    : interval_(interval), max_keys_(max_keys < 1 ? 1 : max_keys), clock_(clock) {}

std::optional<LogThrottle::Report> LogThrottle::Record(absl::string_view key) {
  const absl::Time now = ClockOrSystem(clock_).Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    // The last slot is kept for the overflow key, so the table never holds
    // more than max_keys_ entries.
    if (entries_.size() + 1 >= max_keys_ && key != kOverflowKey) key = kOverflowKey;
    it = entries_.find(key);
    if (it == entries_.end()) {
      entries_.emplace(std::string(key), Entry{now, 0});
      return Report{std::string(key), 1, absl::ZeroDuration()};
    }
  }
  Entry& e = it->second;
  ++e.pending;
  if (now - e.window_start < interval_) return std::nullopt;
  Report r{it->first, e.pending, now - e.window_start};
  e.window_start = now;
  e.pending = 0;
  return r;
}

std::vector<LogThrottle::Report> LogThrottle::Flush(bool all) {
  const absl::Time now = ClockOrSystem(clock_).Now();
  std::vector<Report> reports;
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    const bool ended = now - e.window_start >= interval_;
    if (e.pending > 0 && (ended || all)) {
      reports.push_back(Report{it->first, e.pending, now - e.window_start});
      e.window_start = now;
      e.pending = 0;
      ++it;
    } else if (e.pending == 0 && ended) {
      entries_.erase(it++);
    } else {
      ++it;
    }
  }
  return reports;
}

size_t LogThrottle::keys() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

std::string PeerWithoutPort(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == peer.size()) return std::string(peer);
  for (char c : peer.substr(colon + 1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::string(peer);
  }
  absl::string_view host = peer.substr(0, colon);
  // "ipv4:1.2.3.4:5" and "ipv6:[::1]:5" have a port; "ipv6:[::1]" and
  // "unix:/path" do not (their last colon is inside the address).
  if (host.find(':') == absl::string_view::npos) return std::string(peer);
  if (absl::StartsWith(host, "ipv6:") && !absl::EndsWith(host, "]") &&
      !absl::EndsWith(host, "%5D")) {
    return std::string(peer);
  }
  return std::string(host);
}

}  // namespace qdt::agent
