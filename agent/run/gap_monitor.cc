#include "agent/run/gap_monitor.h"

#include <algorithm>
#include <optional>

#include "absl/time/clock.h"

namespace qdt::agent {

GapMonitor::GapMonitor(DeviceCounter* counter, absl::Duration resolution)
    : counter_(counter),
      resolution_(resolution),
      resolvable_(counter->ReadCost() <= kMaxCounterCost),
      thread_([this] { Loop(); }) {}

GapMonitor::~GapMonitor() { Stop(); }

void GapMonitor::Watch(int to_phase, absl::Time boundary, absl::Duration before,
                       absl::Duration after) {
  absl::MutexLock lock(&mu_);
  if (!stop_) pending_.push_back({to_phase, boundary - before, boundary + after});
}

std::vector<qdt::v1::PhaseBoundary> GapMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  return results_;
}

void GapMonitor::Loop() {
  while (true) {
    Window w;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &GapMonitor::StopOrWork));
      if (pending_.empty()) return;  // stopped with nothing left to watch
      w = pending_.front();
      pending_.erase(pending_.begin());
    }
    qdt::v1::PhaseBoundary result;
    result.set_to_phase_index(w.to_phase);
    result.set_resolution_ms(
        absl::ToDoubleMilliseconds(resolvable_ ? resolution_ : counter_->ReadCost()));
    if (resolvable_) {
      const double gap = Measure(w.from, w.until);
      if (gap >= 0) result.set_idle_gap_ms(gap);
    }
    absl::MutexLock lock(&mu_);
    results_.push_back(std::move(result));
  }
}

double GapMonitor::Measure(absl::Time from, absl::Time until) {
  // Wait for the window; a stop ends the wait.
  {
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithDeadline(absl::Condition(&stop_), from)) return -1;
  }
  std::optional<uint64_t> last;
  absl::Time last_change = absl::Now();
  absl::Duration longest = absl::ZeroDuration();
  while (true) {
    const absl::Time now = absl::Now();
    auto bytes = counter_->BytesRead();
    if (bytes.ok()) {
      if (!last.has_value() || *bytes != *last) {
        if (last.has_value()) longest = std::max(longest, now - last_change);
        last = *bytes;
        last_change = now;
      }
    }
    if (now >= until) break;
    absl::MutexLock lock(&mu_);
    if (stop_) break;
    mu_.AwaitWithTimeout(absl::Condition(&stop_), resolution_);
  }
  // A stretch still open at the window's end counts up to then.
  longest = std::max(longest, absl::Now() - last_change);
  return absl::ToDoubleMilliseconds(longest);
}

}  // namespace qdt::agent
