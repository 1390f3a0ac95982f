#include "agent/event_journal.h"

#include <algorithm>

#include "common/timestamp.h"

namespace qdt::agent {

EventJournal::EventJournal(std::unique_ptr<EventLogWriter> writer,
                           std::vector<qdt::v1::RunEvent> existing, const Clock* clock)
    : clock_(ClockOrSystem(clock)),
      writer_(std::move(writer)),
      events_(std::move(existing)),
      closed_(writer_ == nullptr) {}

absl::StatusOr<uint64_t> EventJournal::Append(qdt::v1::RunEvent event) {
  uint64_t seq;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError("event journal is closed");
    seq = (events_.empty() ? 0 : events_.back().seq()) + 1;
    event.set_seq(seq);
    if (!event.has_time()) {
      *event.mutable_time() = qdt::ToTimestamp(clock_.Now());
    }
    // Persist under the lock so that the on-disk order is the seq order.
    if (auto st = writer_->Append(event); !st.ok()) return st;
    events_.push_back(std::move(event));
  }
  Notify();
  return seq;
}

bool EventJournal::Get(uint64_t seq, qdt::v1::RunEvent* out) const {
  absl::MutexLock lock(&mu_);
  if (seq == 0) return false;
  // Seqs are 1, 2, 3, ... (a loaded log's lost seqs are filled, run_store.h):
  // the event is at seq - 1. Searched by seq should a log start later.
  if (seq <= events_.size() && events_[seq - 1].seq() == seq) {
    *out = events_[seq - 1];
    return true;
  }
  auto it = std::lower_bound(events_.begin(), events_.end(), seq,
                             [](const qdt::v1::RunEvent& ev, uint64_t s) { return ev.seq() < s; });
  if (it == events_.end() || it->seq() != seq) return false;
  *out = *it;
  return true;
}

uint64_t EventJournal::last_seq() const {
  absl::MutexLock lock(&mu_);
  return events_.empty() ? 0 : events_.back().seq();
}

void EventJournal::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    writer_.reset();
  }
  Notify();
}

bool EventJournal::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::vector<qdt::v1::RunEvent> EventJournal::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::unique_ptr<EventJournal::Subscription> EventJournal::Subscribe(std::function<void()> wake) {
  auto waiter = std::make_shared<Waiter>();
  waiter->wake = std::move(wake);
  {
    absl::MutexLock lock(&mu_);
    waiters_.push_back(waiter);
  }
  return std::make_unique<Subscription>(std::move(waiter));
}

void EventJournal::Notify() {
  std::vector<std::shared_ptr<Waiter>> live;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.begin();
    while (it != waiters_.end()) {
      if (auto w = it->lock()) {
        live.push_back(std::move(w));
        ++it;
      } else {
        it = waiters_.erase(it);
      }
    }
  }
  for (auto& w : live) {
    absl::MutexLock lock(&w->mu);
    if (w->alive) w->wake();
  }
}

}  // namespace qdt::agent
