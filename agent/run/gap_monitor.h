// GapMonitor measures how long the drive rests at each phase boundary: from
// half a second before the next phase is due to a second and a half after
// (less in short phases: never beyond the middle of the phase on either
// side), it reads the drive's own counter every `resolution`
// (device_counter.h) and keeps the longest stretch in which the counter did
// not move. Within a paced phase the drive rests between frames (about 17 ms
// at 59.94 fps); a boundary where the next phase's fio still starts up shows
// as one long stretch.
//
// A counter that takes longer than kMaxCounterCost to read (ioreg on macOS
// starts a process) cannot resolve such gaps: the boundary is then recorded
// with its resolution and no gap ("not measured").
//
// Thread-safety: Watch() and Stop() may be called from any thread; the
// counter is read on the monitor's own thread and must allow that
// (DiskstatsCounter and IoregCounter do).
#ifndef QDT_AGENT_RUN_GAP_MONITOR_H_
#define QDT_AGENT_RUN_GAP_MONITOR_H_

#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/run/device_counter.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

inline constexpr absl::Duration kGapResolution = absl::Milliseconds(2);
inline constexpr absl::Duration kMaxCounterCost = absl::Milliseconds(20);
inline constexpr absl::Duration kGapWindowBefore = absl::Milliseconds(500);
inline constexpr absl::Duration kGapWindowAfter = absl::Milliseconds(1500);

class GapMonitor {
 public:
  // `counter` must outlive the monitor.
  explicit GapMonitor(DeviceCounter* counter, absl::Duration resolution = kGapResolution);
  ~GapMonitor();  // stops and joins
  GapMonitor(const GapMonitor&) = delete;
  GapMonitor& operator=(const GapMonitor&) = delete;

  // Phase `to_phase` is due at `boundary`: measure from `before` it to
  // `after` it.
  void Watch(int to_phase, absl::Time boundary, absl::Duration before = kGapWindowBefore,
             absl::Duration after = kGapWindowAfter);
  // Ends the watch (a window under way is cut at its current end) and returns
  // every boundary watched, in the order they were watched.
  std::vector<qdt::v1::PhaseBoundary> Stop();

 private:
  struct Window {
    int to_phase;
    absl::Time from, until;
  };
  void Loop();
  // Samples the counter through one window; the longest still stretch (ms),
  // or -1 when stopped before the window began.
  double Measure(absl::Time from, absl::Time until);
  bool StopOrWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !pending_.empty(); }

  DeviceCounter* const counter_;
  const absl::Duration resolution_;
  const bool resolvable_;  // the counter is cheap enough to read at this resolution
  mutable absl::Mutex mu_;
  std::vector<Window> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<qdt::v1::PhaseBoundary> results_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // started in the constructor, joined by Stop()
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_GAP_MONITOR_H_
