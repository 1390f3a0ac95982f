// PhaseSampler turns one phase's fio output into what the run reports: a
// Sample for each of fio's status reports (--status-interval), and, when fio
// has ended, the phase's series for the verdict (every window's rate and
// target, fio's own mean, per-stream latency, queue depth reached).
//
// The rate of a sample is Δio_bytes / Δruntime between consecutive reports
// (fio_stream_parser.h). Intervals shorter than kMinSampleIntervalS (fio's
// last status just before its final report) are folded into the next one, or
// left to fio's phase mean. This is where each sample gains what is measured
// beside fio: the drive temperature and thermal pressure, and the drive's own
// byte counter (device_counter.h), read at Start() (the phase's release), at
// every sample, and when fio has ended.
//
// No I/O. Not thread-safe: one sampler per phase, fed by the thread that
// reads that fio's stdout.
#ifndef QDT_AGENT_RUN_PHASE_SAMPLER_H_
#define QDT_AGENT_RUN_PHASE_SAMPLER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/probes/thermal_monitor.h"
#include "common/verdict.h"
#include "fio/fio_runner.h"
#include "fio/fio_stream_parser.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// One stream's part of a phase's final fio report: its jobs added up (with
// one psync thread per outstanding read a stream of iodepth d is d reader
// jobs, fio_job_builder.h JobLayout::kThreadPerRead).
struct StreamResult {
  int stream = 0;        // index in the phase
  int jobs = 0;          // its jobs in the report (0: none reported)
  int jobs_with_io = 0;  // of those, the ones that read or wrote anything
  uint64_t bytes = 0;    // read + written, summed over its jobs
  // Completion latency: the largest of its jobs' percentiles. Conservative:
  // the percentile over all the stream's reads lies between the smallest and
  // the largest of its readers' own.
  double clat_p50_ns = 0, clat_p99_ns = 0;
  // The deepest queue the stream kept: one job, fio's iodepth_level
  // (fio::ReachedIodepth); readers, how many of them did I/O (each keeps one
  // read in flight), so psync readers never look capped.
  uint32_t reached_iodepth = 0;
};

// Every stream of `phase` (by index) from `report`, whose jobs are mapped to
// streams by name (fio::ParseJobName: "stream-03", "stream-03.r1"). A report
// whose jobs carry none of these names (fio output made outside QDT, as in
// some captures) is mapped by position, one job per stream. InvalidArgument
// for a job named otherwise beside named ones, or naming a stream the phase
// does not have.
absl::StatusOr<std::vector<StreamResult>> StreamResults(const qdt::v1::Phase& phase,
                                                        const fio::FioReport& report);

// The series of a phase that has not run (yet): its index, name and target;
// ran = false. Phases a run never reaches stay so in its verdict.
PhaseSeries NotRunSeries(const qdt::v1::Phase& phase, int phase_index);
// One per phase of the profile, in order.
std::vector<PhaseSeries> NotRunSeries(const qdt::v1::Profile& profile);

// Shorter fio intervals make noisy rates (see above).
inline constexpr double kMinSampleIntervalS = 0.25;
// A report this much later than due (one status interval after the last) is
// a stall, said at once with a stalled Sample (agent.proto Sample.stalled).
inline constexpr double kStallAfterDueS = 1.5;
// A report covering at least this many status intervals (a stall that ended)
// is judged as that many windows, not one: split evenly at its mean rate.
inline constexpr double kSplitIntervals = 1.5;
// How much longer than the phase has run a report's runtime may be before
// the report is taken for one fio made before the phase began.
inline constexpr double kStaleSlackS = 0.05;

// What a sample carries beside fio's numbers, read when the sample is made.
struct SampleSources {
  // The latest temperature and thermal pressure; empty = unknown.
  std::function<ThermalReading()> thermal;
  // Wall and monotonic time of a sample; empty = the system clocks.
  std::function<absl::Time()> wall_clock;
  std::function<int64_t()> monotonic_ns;
  // The drive's cumulative read counter (bytes); empty or nullopt = none.
  std::function<std::optional<uint64_t>()> device_bytes;
};

class PhaseSampler {
 public:
  // fio reports every `status_interval_s` (--status-interval).
  PhaseSampler(const qdt::v1::Phase& phase, int phase_index, SampleSources sources,
               double status_interval_s = 1);

  // The phase's I/O begins now: reads the drive's counter for the phase's
  // start (a phase's fio may be started, and print, before its phase begins).
  void Start();
  // The same with the counter read by the caller (nullopt = none).
  void Start(std::optional<uint64_t> device_bytes);

  // The phase's time is over: the next phase has been released. `device_bytes`
  // is the drive's counter then (the caller reads it once for this phase's end
  // and the next one's start), so that the next phase's reads, which begin
  // while this phase's fio still finishes, are not counted here. Without it,
  // Finish() reads the counter when fio has ended.
  void End(std::optional<uint64_t> device_bytes);

  // Streams that start later in the phase (`streams`, indices) began
  // `offset_s` after the phase's release, which may be later than planned:
  // the paced targets of the samples from now on follow when they began.
  void StreamsStarted(const std::vector<int>& streams, double offset_s);

  // Feeds a chunk of fio's stdout; returns the samples it completed, in order.
  // A report that covers several status intervals (fio stalled, then spoke)
  // becomes that many samples and windows, each at the report's mean rate.
  std::vector<qdt::v1::Sample> Feed(absl::string_view chunk);

  // While the phase runs (after Start(), before its time is over): a stalled
  // Sample when no report has come for status interval + kStallAfterDueS, and
  // again every status interval while none comes. Not a window of the series.
  std::optional<qdt::v1::Sample> StallSample();
  // "phase 1 \"normal\": fio reported nothing for 10.2 s ..." once a stall has
  // ended (its report arrived), for the run's log; empty otherwise. Cleared.
  std::string TakeStallNote();

  // After fio has ended on its own (not stopped): checks how it ended and its
  // final report, and completes the series. The error says what went wrong,
  // starting with the phase (`phase 2 "crossfade": fio exited with status 1:
  // ...`); the series then stays incomplete.
  absl::Status Finish(const fio::FioExit& exit);

  // Output that was not understood while the phase still measured (kept as
  // a warning for the run's log); empty when there was none.
  std::string warning() const;

  // The series so far: the windows of every sample, and after a successful
  // Finish() fio's mean, the latencies and `completed`.
  const PhaseSeries& series() const { return series_; }
  // The drive's counter when the sampler was made; unset without a counter.
  std::optional<uint64_t> device_start() const { return device_start_; }
  // "phase 2 \"crossfade\": "
  std::string Where() const;

 private:
  // A sample (and window) for `iv`, measured `ago` before now; `device_rate`
  // the drive's rate over it.
  qdt::v1::Sample MakeSample(const fio::FioInterval& iv, absl::Duration ago,
                             std::optional<double> device_rate);
  // `iv` as one sample, or split into whole status intervals (kSplitIntervals).
  void AddSamples(const fio::FioInterval& iv, std::vector<qdt::v1::Sample>* out);
  absl::Status CheckFinalReport(const fio::FioExit& exit);
  int64_t NowNs() const;
  // A first report without bytes that fio took before the phase's release.
  bool Stale(const fio::FioInterval& first) const;
  // The drive's rate since the previous reading, and remembers this one.
  std::optional<double> DeviceRate();

  qdt::v1::Phase phase_;  // its later streams' offsets as they began
  const int index_;
  const SampleSources sources_;
  const double status_interval_s_;
  PhaseSeries series_;
  fio::FioStreamParser parser_;
  std::optional<fio::FioReport> prev_;    // the report the last sample was measured to
  std::optional<fio::FioReport> last_;    // the newest report (fio's final one at the end)
  absl::Status parse_error_;              // the first output problem
  double elapsed_s_ = 0;                  // phase time covered by samples
  std::optional<uint64_t> device_start_;  // the counter at the phase's start
  std::optional<uint64_t> device_last_;   // and at the last sample
  std::optional<uint64_t> device_end_;    // at End()
  int64_t device_last_ns_ = 0;            // when it was read (monotonic)
  std::optional<int64_t> start_ns_;       // Start() (monotonic)
  int64_t last_report_ns_ = 0;            // the latest report parsed (monotonic)
  int64_t last_stall_ns_ = 0;             // the latest stalled Sample; 0 = none since a report
  std::string stall_note_;                // TakeStallNote()
  uint64_t bytes_done_ = 0;               // at the last sample
  bool ended_ = false;                    // End(): the phase's time is over
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_PHASE_SAMPLER_H_
