// Offline judgement of existing fio output (qdtctl analyze): a single JSON
// report or a --status-interval stream, with or without fio's non-JSON lines,
// judged against the normal and crossfade levels of a profile.
//
// Pure functions; thread-safe.
#ifndef QDT_FIO_FIO_ANALYSIS_H_
#define QDT_FIO_FIO_ANALYSIS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/profiles.h"
#include "common/verdict.h"
#include "fio/fio_stream_parser.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::fio {

// The deepest queue a job kept: the highest bucket of fio's "iodepth_level"
// holding at least 1 % of the time ("4" means 4..7 in flight, ">=64" is 64).
// 0 when fio reported no levels.
uint32_t ReachedIodepth(const FioJob& job);

struct Analysis {
  qdt::v1::Verdict verdict;
  size_t reports = 0;
  size_t jobs = 0;
  std::vector<std::string> skipped_lines;
};

// Judges the whole output as one unpaced phase: its windows are the status
// intervals (a single report is one window of its whole runtime) and its
// sustained figure is fio's own io_bytes / runtime. A job with an error is
// flagged and the output gets NO RATING (a failed job stopped early; its
// reads do not measure the drive); so does output with no window of at least
// kMinJudgedWindowS (verdict.h). Errors: "<origin> is not fio JSON output: ...".
absl::StatusOr<Analysis> AnalyzeFioOutput(absl::string_view text, const ProfileLevels& levels,
                                          absl::string_view origin);

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_ANALYSIS_H_
