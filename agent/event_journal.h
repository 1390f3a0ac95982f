// EventJournal is the event stream of one run: it numbers events (seq 1, 2, 3,
// ... without gaps), writes each to the run's on-disk log *before* anyone can
// see it, keeps them in memory, and wakes the watchers. A watcher reads by seq,
// so a watcher that reconnects with from_seq gets exactly what it missed.
//
// A journal of a finished run is loaded from disk and closed. Loaded events
// keep their seqs (RunStore fills a seq lost to damage with a warning event,
// so they are 1, 2, 3, ... too); the next event follows the last one's seq.
//
// Thread-safety: all methods are thread-safe. Subscriber callbacks are called
// without the journal's lock held, from the thread that appended (or closed);
// they must not block.
#ifndef QDT_AGENT_EVENT_JOURNAL_H_
#define QDT_AGENT_EVENT_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/clock.h"
#include "agent/run_store.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

class EventJournal {
 public:
  // `writer` may be null for a journal that only replays (a finished run).
  // `clock` stamps the events (null = the system clock); it must outlive the
  // journal.
  explicit EventJournal(std::unique_ptr<EventLogWriter> writer,
                        std::vector<qdt::v1::RunEvent> existing = {}, const Clock* clock = nullptr);

  // Assigns the next seq and a timestamp, persists, then publishes. On a disk
  // error the event is not published (a watcher never sees what is not stored).
  absl::StatusOr<uint64_t> Append(qdt::v1::RunEvent event);

  // Copies the event with this seq into *out; false if it does not exist yet.
  bool Get(uint64_t seq, qdt::v1::RunEvent* out) const;
  uint64_t last_seq() const;

  // No more events will come; wakes the watchers so they can finish.
  void Close();
  bool closed() const;

  // Registers a wake-up callback; it stays registered while the returned handle
  // lives. Destroying the handle waits for a callback in progress to return.
  class Subscription;
  std::unique_ptr<Subscription> Subscribe(std::function<void()> wake);

  std::vector<qdt::v1::RunEvent> Snapshot() const;

 private:
  struct Waiter {
    absl::Mutex mu;              // held while calling `wake`, and by the handle's destructor
    std::function<void()> wake;  // constant after Subscribe
    bool alive ABSL_GUARDED_BY(mu) = true;
  };
  void Notify() ABSL_LOCKS_EXCLUDED(mu_);

  const Clock& clock_;
  mutable absl::Mutex mu_;
  // Held while a record is written, so that the on-disk order is the seq order.
  std::unique_ptr<EventLogWriter> writer_ ABSL_GUARDED_BY(mu_);
  std::vector<qdt::v1::RunEvent> events_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

class EventJournal::Subscription {
 public:
  explicit Subscription(std::shared_ptr<Waiter> waiter) : waiter_(std::move(waiter)) {}
  ~Subscription() {
    absl::MutexLock lock(&waiter_->mu);
    waiter_->alive = false;
  }

 private:
  std::shared_ptr<Waiter> waiter_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_EVENT_JOURNAL_H_
