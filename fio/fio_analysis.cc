#include "fio/fio_analysis.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/profiles.h"
#include "common/quote.h"
#include "common/units.h"
#include "fio/fio_stream_parser.h"

namespace qdt::fio {

uint32_t ReachedIodepth(const FioJob& job) {
  uint32_t reached = 0;
  for (const auto& [label, percent] : job.iodepth_level) {
    uint32_t depth = 0;
    absl::string_view digits = absl::StripPrefix(label, ">=");
    if (percent >= 1.0 && absl::SimpleAtoi(digits, &depth)) reached = std::max(reached, depth);
  }
  return reached;
}

absl::StatusOr<Analysis> AnalyzeFioOutput(absl::string_view text, const ProfileLevels& levels,
                                          absl::string_view origin) {
  FioStreamParser parser(FioStreamParser::LimitForText(text.size()));
  std::vector<FioReport> reports;
  absl::Status feed = parser.Feed(text, &reports);
  absl::Status finish = parser.Finish();
  if (reports.empty()) {
    absl::Status why =
        !feed.ok() ? feed
        : !finish.ok()
            ? finish
            : absl::InvalidArgumentError(absl::StrCat("no JSON report in ", text.size(), " bytes"));
    return absl::InvalidArgumentError(
        absl::StrCat(origin, " is not fio JSON output: ", why.message()));
  }
  Analysis a;
  a.reports = reports.size();
  a.jobs = reports.back().jobs.size();
  a.skipped_lines = parser.skipped_lines();

  PhaseSeries s;
  s.name = "fio output";
  s.ran = true;
  s.completed = true;
  auto first = FirstInterval(reports.front());
  if (first.ok()) {
    s.window_bytes_per_s.push_back(first->read_bytes_per_s + first->write_bytes_per_s);
    s.window_s.push_back(first->interval_s);
  }
  for (size_t i = 1; i < reports.size(); ++i) {
    auto iv = IntervalBetween(reports[i - 1], reports[i]);
    if (!iv.ok()) continue;
    s.window_bytes_per_s.push_back(iv->read_bytes_per_s + iv->write_bytes_per_s);
    s.window_s.push_back(iv->interval_s);
  }
  s.fio_mean_bytes_per_s = MeanReadBytesPerS(reports.back()) + MeanWriteBytesPerS(reports.back());
  VerdictInput in;
  in.phases.push_back(s);
  in.normal_target_mb_s = levels.normal_mb_s;
  in.crossfade_target_mb_s = levels.crossfade_mb_s;
  // Output judged after the fact has no drive counter to check it against.
  in.device_counter_note = "fio output judged offline, without the drive's own counter";
  a.verdict = ComputeVerdict(in);
  std::string failed;  // the first job that failed
  for (const FioJob& j : reports.back().jobs) {
    if (j.error != 0) {
      const std::string why =
          absl::StrCat("fio job ", QuoteForError(j.name, 64), " failed with error ", j.error);
      a.verdict.add_flags(why);
      if (failed.empty()) failed = why;
    }
  }
  if (!finish.ok()) a.verdict.add_flags(absl::StrCat("truncated: ", finish.message()));
  if (!failed.empty()) {
    // A job that failed stopped reading early: its bytes and runtime say
    // nothing about the drive, so the output is not rated either way.
    a.verdict.set_rating(qdt::v1::RATING_NO_RATING);
    a.verdict.set_no_rating_reason(absl::StrCat(failed,
                                                ": a failed job's reads do not measure "
                                                "the drive"));
    a.verdict.set_fails_crossfade_target(true);
    a.verdict.set_summary(absl::StrCat("NO RATING: ", a.verdict.no_rating_reason()));
  }
  return a;
}

}  // namespace qdt::fio
