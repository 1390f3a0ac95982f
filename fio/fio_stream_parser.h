// Parsing of fio's JSON output, whole or as it streams.
//
// fio --output-format=json --status-interval=N prints one complete,
// pretty-printed JSON object per interval, back to back with no separator
// (a "}" line followed by a "{" line), and non-JSON lines on stdout too
// ("note: both iodepth >= 1 and synchronous I/O engine ...",
// "fio: pid=..., err=...", "fio: terminating on signal 2", blank lines).
// Values are cumulative since the job started; the rate over an interval is
// Δio_bytes / Δt summed over jobs, with Δt taken from fio's runtime (docs/DESIGN.md
// §4 says Δtimestamp_ms; see IntervalBetween for why runtime is the better
// clock). fio's "bw" is KiB/s and is never used here: io_bytes, bw_bytes (B/s)
// and runtime (ms) are.
//
// Everything here is pure: no I/O, no logging. FioStreamParser is not
// thread-safe: use one per fio process, fed by the one thread that reads that
// process's stdout. Reports are plain values, safe to hand to other threads.
#ifndef QDT_FIO_FIO_STREAM_PARSER_H_
#define QDT_FIO_FIO_STREAM_PARSER_H_

#include <cstddef>
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
  std::string name;       // "jobname"; several jobs may share a name
  int group_id = 0;       // "groupid"
  int error = 0;          // "error"; non-zero means the job failed
  int64_t elapsed_s = 0;  // "elapsed"
  // "job_runtime" (fio >= 3.16; absent before, then 0). With group_reporting it
  // is the SUM over the merged jobs (numjobs=4 x 60 s gives 240022), so it is
  // not a wall-clock duration.
  int64_t job_runtime_ms = 0;
  FioDirection read, write;
  // fio's "iodepth_level" map in fio's order, e.g. {"1", 0.1}, {"2", 0.0}, ...,
  // {">=64", 0.0}: percent of time at each queue depth.
  std::vector<std::pair<std::string, double>> iodepth_level;
};

struct FioReport {
  std::string fio_version;   // "fio version"
  int64_t timestamp_ms = 0;  // "timestamp_ms": wall clock (ms) of this report
  std::vector<FioJob> jobs;
};

// Parses ONE complete JSON object (a fio report). Errors name what is missing
// or wrong, e.g. `fio report: no "jobs" array` or
// `fio report: job 2 has no "read" object` (jobs counted from 0).
// A report whose "jobs" array is empty is valid.
absl::StatusOr<FioReport> ParseFioReport(absl::string_view json_text);

// Splits fio's stdout into reports as bytes arrive in chunks of any size.
//
// Top-level objects are found by brace depth, honouring JSON strings and
// escapes (a brace in a file name or job option does not count). Outside an
// object, text up to the end of a line ("\n" or "\r") is a junk line. An
// object starts at a "{" that is the first non-blank character of a line (as
// fio prints it). Leniently, a "{" that ends a line of other text starts one
// too when the next line opens like fio's report (blanks, then a '"'): junk
// glued to the report's "{\n". Any other "{" in a message ("rate={") is part
// of the message, so it cannot swallow the real report that follows.
// Consumed bytes are dropped, so memory stays bounded over a long run.
class FioStreamParser {
 public:
  // An object larger than this is not kept: the parser counts on to its end
  // without storing it and says "too big (N bytes, limit M)", or, when a new
  // report opens a line first (a lost "}"), that it grew past the limit
  // without closing (a lost "}" must not make the parser hold or swallow a
  // whole run). A json+ report holds ~150 KB of latency bins per job, so this
  // leaves room for hundreds.
  static constexpr size_t kDefaultMaxObjectBytes = 64 << 20;
  // For a text already in memory as a whole (qdtctl analyze): an object can be
  // no larger than the text, so the limit can be the text's size, up to this.
  static constexpr size_t kMaxWholeTextObjectBytes = size_t{1} << 30;
  static size_t LimitForText(size_t text_bytes) {
    return text_bytes < kDefaultMaxObjectBytes     ? kDefaultMaxObjectBytes
           : text_bytes > kMaxWholeTextObjectBytes ? kMaxWholeTextObjectBytes
                                                   : text_bytes;
  }
  // Junk lines longer than this are cut; at most this many are kept.
  static constexpr size_t kMaxSkippedLineBytes = 4096;
  static constexpr size_t kMaxSkippedLines = 1000;

  explicit FioStreamParser(size_t max_object_bytes = kDefaultMaxObjectBytes)
      : max_object_bytes_(max_object_bytes) {}

  // Appends to *out every report completed by this chunk. A complete object
  // that is not a valid fio report yields an error (the first one in the
  // chunk); the parser stays usable and later objects still parse.
  absl::Status Feed(absl::string_view chunk, std::vector<FioReport>* out);

  // Call at end of stream: a DataLoss error if an object was started but not
  // completed (truncated output), naming how many bytes were pending. Resets
  // the parser (skipped_lines() are kept).
  absl::Status Finish();

  // Non-JSON lines seen outside objects, in order, without the line end and
  // surrounding blanks; blank lines are not kept.
  const std::vector<std::string>& skipped_lines() const { return skipped_lines_; }

 private:
  void FeedOutside(char c);
  void StartObject();
  void EndJunkLine();

  size_t max_object_bytes_;
  std::string line_;    // junk text outside objects, up to the next line end
  std::string object_;  // the object being collected, from its "{"
  bool in_object_ = false;
  bool in_string_ = false;
  bool escape_ = false;
  // A "{" after junk text and the blanks after it, until a byte decides
  // whether it opens a report.
  std::string candidate_;
  bool discarding_ = false;  // after an oversized object: drop its tail lines
  // In an object over the limit: its bytes are counted, not kept.
  bool oversized_ = false;
  size_t object_bytes_ = 0;
  bool at_line_start_ = false;  // the object's last byte ended a line
  int depth_ = 0;
  std::vector<std::string> skipped_lines_;
};

// Convenience: the whole text at once (Feed + Finish), objects up to
// FioStreamParser::LimitForText(text.size()). Errors: a malformed
// object, truncated output, or "no fio JSON report found in N bytes of output".
absl::StatusOr<std::vector<FioReport>> ParseFioOutput(absl::string_view text);

// One measurement interval of a whole fio run: all jobs summed.
struct FioInterval {
  double interval_s = 0;
  double read_bytes_per_s = 0, write_bytes_per_s = 0;
  double read_iops = 0, write_iops = 0;
  uint64_t read_bytes_total = 0, write_bytes_total = 0;  // cumulative at the later report
  // Max over jobs at the later report (0 if absent). fio's percentiles are
  // cumulative since job start, not of this interval alone.
  double read_clat_p50_ns = 0, read_clat_p99_ns = 0;
};

// Rate between two consecutive cumulative reports of the same run: per
// direction, the sum over jobs (matched by position: names may repeat) of
// Δio_bytes (and Δtotal_ios) / Δt, where Δt is the change of the longest job
// runtime (fio's I/O clock; Δtimestamp_ms only when no runtime advanced).
// Errors, naming the values: job counts differ, no clock advanced, a counter
// going backwards.
absl::StatusOr<FioInterval> IntervalBetween(const FioReport& prev, const FioReport& cur);

// The first interval of a run (no earlier report): the interval is the longest
// job runtime, totals / that interval. The longest read/write "runtime" is
// used; "job_runtime" only when no direction has run, because with
// group_reporting it is summed over the merged jobs. FailedPrecondition if
// the interval is 0 (no job has run yet).
absl::StatusOr<FioInterval> FirstInterval(const FioReport& first);

// fio's own whole-run mean: Σ io_bytes over jobs / the longest runtime (as in
// FirstInterval), per direction; 0 when nothing ran.
double MeanReadBytesPerS(const FioReport& final_report);
double MeanWriteBytesPerS(const FioReport& final_report);

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_STREAM_PARSER_H_
