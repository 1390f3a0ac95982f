// Parsing of fio's JSON output, whole or as it streams.
//
// fio --output-format=json --status-interval=N prints one complete,
// pretty-printed JSON object per interval, back to back with no separator,
// and non-JSON lines on stdout too ("note: both iodepth >= 1 and synchronous
// I/O engine ...", "fio: pid=..., err=...", "fio: terminating on signal 2").
// Values are cumulative since the job started; rates over an interval are
// Δio_bytes / Δruntime summed over jobs (DESIGN.md §4 says Δtimestamp_ms; see
// IntervalBetween for why runtime is the better clock). fio's "bw" is
// KiB/s and is never used here: io_bytes, bw_bytes and runtime (ms) are.
//
// All functions are pure (no I/O, no logging). FioStreamParser is not
// thread-safe: one per fio process, fed by the thread reading its stdout.
#ifndef QDT_FIO_FIO_STREAM_PARSER_H_
#define QDT_FIO_FIO_STREAM_PARSER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::fio {

// Totals of one direction (read or write) of one job, cumulative since job start.
struct FioDirection {
  uint64_t io_bytes = 0;    // "io_bytes"
  uint64_t total_ios = 0;   // "total_ios"
  double bw_bytes = 0;      // "bw_bytes" (B/s over runtime)
  double iops = 0;          // "iops"
  int64_t runtime_ms = 0;   // "runtime" (ms)
  double clat_p50_ns = 0;   // clat_ns.percentile["50.000000"], 0 when absent
  double clat_p99_ns = 0;   // clat_ns.percentile["99.000000"], 0 when absent
  double clat_mean_ns = 0;  // clat_ns.mean
};

struct FioJob {
  std::string name;            // "jobname"; several jobs may share a name
  int group_id = 0;            // "groupid"
  int error = 0;               // "error"; non-zero means the job failed
  int64_t elapsed_s = 0;       // "elapsed"
  int64_t job_runtime_ms = 0;  // "job_runtime" (fio >= 3.16; summed over jobs with group_reporting)
  FioDirection read, write;
  // "iodepth_level": percent of time at each queue depth, e.g. {"1", 0.1}, ..., {">=64", 0}.
  std::vector<std::pair<std::string, double>> iodepth_level;
};

struct FioReport {
  std::string fio_version;   // "fio version"
  int64_t timestamp_ms = 0;  // "timestamp_ms": wall clock of this report
  std::vector<FioJob> jobs;
};

// Parses one complete JSON object (a fio report). Errors name what is missing
// or wrong, e.g. `fio report: no "jobs" array`.
absl::StatusOr<FioReport> ParseFioReport(absl::string_view json_text);

class FioStreamParser {
 public:
  // Appends to *out every report completed by this chunk. A complete object
  // that is not a valid fio report yields an error; the parser stays usable
  // and later objects still parse.
  absl::Status Feed(absl::string_view chunk, std::vector<FioReport>* out);
  // End of stream: an error if an object was started but not completed
  // (truncated output).
  absl::Status Finish();
  // Non-JSON lines seen outside objects, in order (blank lines are not kept).
  // An object starts at a '{' that is the first non-blank character of a line.
  const std::vector<std::string>& skipped_lines() const { return skipped_lines_; }

 private:
  void EndJunkLine();

  std::string line_;    // junk text outside objects, up to the next newline
  std::string object_;  // the object being collected
  bool in_object_ = false;
  bool in_string_ = false;
  bool escape_ = false;
  int depth_ = 0;
  std::vector<std::string> skipped_lines_;
};

// The whole text at once (Feed + Finish). Error if there is no report at all.
absl::StatusOr<std::vector<FioReport>> ParseFioOutput(absl::string_view text);

// One measurement interval of a whole fio run: all jobs summed.
struct FioInterval {
  double interval_s = 0;
  double read_bytes_per_s = 0, write_bytes_per_s = 0;
  double read_iops = 0, write_iops = 0;
  uint64_t read_bytes_total = 0, write_bytes_total = 0;  // cumulative at the later report
  double read_clat_p50_ns = 0, read_clat_p99_ns = 0;     // max over jobs (0 if absent)
};

// Rate between two consecutive cumulative reports of the same run: per
// direction the sum over jobs (matched by position: names may repeat) of
// Δio_bytes (and Δtotal_ios) / Δt, where Δt is the change of the longest job
// runtime (fio's I/O clock; Δtimestamp_ms only when no runtime advanced).
absl::StatusOr<FioInterval> IntervalBetween(const FioReport& prev, const FioReport& cur);

// The first interval of a run (no earlier report): the interval is the longest
// job runtime (read/write "runtime", else "job_runtime"). Error if that is 0
// (no job has done I/O yet).
absl::StatusOr<FioInterval> FirstInterval(const FioReport& first);

// fio's own whole-run mean: Σ io_bytes over jobs / the longest runtime.
double MeanReadBytesPerS(const FioReport& final_report);
double MeanWriteBytesPerS(const FioReport& final_report);

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_STREAM_PARSER_H_
