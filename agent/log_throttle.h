// LogThrottle: at most one log line per key (e.g. a peer's address) per
// interval, with the number of events it stands for. A client that repeats a
// refused call 10,000 times writes a few lines to the agent's log, not 10,000
// (issue 15: 1.1 MB for 10,000 calls with a wrong token).
//
// The first event of a key is reported at once; the ones after it within the
// interval are counted; the first event after the interval reports them all
// ("N in the last 10 s"), and Flush() reports counts nobody followed up. The
// table holds at most `max_keys` keys: further keys share one overflow entry
// (kOverflowKey), so a client cycling through addresses cannot grow it.
//
// Thread-safe.
#ifndef QDT_AGENT_LOG_THROTTLE_H_
#define QDT_AGENT_LOG_THROTTLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/clock.h"

namespace qdt::agent {

class LogThrottle {
 public:
  // The key that stands for every key beyond `max_keys`.
  static constexpr absl::string_view kOverflowKey = "(other peers)";

  // What to log now for a key: `count` events (>= 1) over `span` (zero for
  // the first event of a key, reported alone).
  struct Report {
    std::string key;
    uint64_t count = 0;
    absl::Duration span;
  };

  // `clock` null = the system clock; it must outlive the throttle.
  explicit LogThrottle(absl::Duration interval = absl::Seconds(10), size_t max_keys = 1024,
                       const Clock* clock = nullptr);

  // Counts one event of `key`: a report to log now, or nothing (counted).
  std::optional<Report> Record(absl::string_view key);

  // The counts of keys whose interval has ended (every count when `all`, at
  // shutdown); keys with nothing left to report are forgotten.
  std::vector<Report> Flush(bool all = false);

  size_t keys() const;

 private:
  struct Entry {
    absl::Time window_start;  // when the last report was made
    uint64_t pending = 0;     // events since then
  };

  const absl::Duration interval_;
  const size_t max_keys_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// A gRPC peer ("ipv4:127.0.0.1:53211", "ipv6:[::1]:53211") without its port,
// so that one client's many connections share a key.
std::string PeerWithoutPort(absl::string_view peer);

}  // namespace qdt::agent

#endif  // QDT_AGENT_LOG_THROTTLE_H_
