#include "fio/fio_stream_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace qdt::fio {
namespace {

// ordered_json keeps fio's key order, which matters for "iodepth_level"
// ("1", "2", ..., ">=64"); nlohmann::json would sort the keys as strings.
using Json = nlohmann::ordered_json;

// fio writes most numbers as integers, but some versions write the same field
// as a float (e.g. "iops" : 12.000000); absent or non-numeric reads as 0.
double Number(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  return it->get<double>();
}

// Byte and I/O counters: read as integers so values above 2^53 stay exact
// (io_bytes of a long run passes 2^32 easily), floats accepted, negatives
// clamped to 0.
uint64_t Count(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) {
    return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
  }
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

int64_t Integer(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  return static_cast<int64_t>(it->get<double>());
}

absl::Status ParseDirection(const Json& job, const char* key, size_t index, FioDirection* out) {
  auto it = job.find(key);
  if (it == job.end() || !it->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fio report: job ", index, " has no \"", key, "\" object"));
  }
  const Json& d = *it;
  out->io_bytes = Count(d, "io_bytes");
  out->total_ios = Count(d, "total_ios");
  out->bw_bytes = Number(d, "bw_bytes");
  out->iops = Number(d, "iops");
  out->runtime_ms = Integer(d, "runtime");
  // A direction that did no I/O has clat_ns without "percentile" (error22 and
  // every idle direction in the fixtures); json+ adds "bins" beside it, which
  // are not needed here.
  auto clat = d.find("clat_ns");
  if (clat != d.end() && clat->is_object()) {
    out->clat_mean_ns = Number(*clat, "mean");
    auto pct = clat->find("percentile");
    if (pct != clat->end() && pct->is_object()) {
      out->clat_p50_ns = Number(*pct, "50.000000");
      out->clat_p99_ns = Number(*pct, "99.000000");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FioReport> ParseReportJson(const Json& doc) {
  if (!doc.is_object()) return absl::InvalidArgumentError("fio report: not a JSON object");
  FioReport report;
  auto version = doc.find("fio version");
  if (version == doc.end() || !version->is_string()) {
    return absl::InvalidArgumentError(
        "fio report: no \"fio version\" string; this is not fio's JSON output");
  }
  report.fio_version = version->get<std::string>();
  report.timestamp_ms = Integer(doc, "timestamp_ms");
  auto jobs = doc.find("jobs");
  if (jobs == doc.end() || !jobs->is_array()) {
    return absl::InvalidArgumentError("fio report: no \"jobs\" array");
  }
  report.jobs.reserve(jobs->size());
  for (size_t index = 0; index < jobs->size(); ++index) {
    const Json& j = (*jobs)[index];
    if (!j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fio report: job ", index, " is not an object"));
    }
    FioJob job;
    auto name = j.find("jobname");
    if (name != j.end() && name->is_string()) job.name = name->get<std::string>();
    job.group_id = static_cast<int>(Integer(j, "groupid"));
    job.error = static_cast<int>(Integer(j, "error"));
    job.elapsed_s = Integer(j, "elapsed");
    job.job_runtime_ms = Integer(j, "job_runtime");  // absent before fio 3.16
    if (auto st = ParseDirection(j, "read", index, &job.read); !st.ok()) return st;
    if (auto st = ParseDirection(j, "write", index, &job.write); !st.ok()) return st;
    auto depth = j.find("iodepth_level");
    if (depth != j.end() && depth->is_object()) {
      for (auto it = depth->begin(); it != depth->end(); ++it) {
        job.iodepth_level.emplace_back(it.key(), it->is_number() ? it->get<double>() : 0.0);
      }
    }
    report.jobs.push_back(std::move(job));
  }
  return report;
}

}  // namespace

absl::StatusOr<FioReport> ParseFioReport(absl::string_view json_text) {
  // Parsing itself does not throw with allow_exceptions=false, but nlohmann
  // accessors can; nothing may escape this function.
  try {
    Json doc = Json::parse(json_text.begin(), json_text.end(), /*cb=*/nullptr,
                           /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fio report: not valid JSON (", json_text.size(), " bytes)"));
    }
    return ParseReportJson(doc);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("fio report: ", e.what()));
  }
}

void FioStreamParser::EndJunkLine() {
  absl::string_view line = absl::StripAsciiWhitespace(line_);
  // After an oversized object its tail is not fio's messages: drop it.
  if (!line.empty() && !discarding_ && skipped_lines_.size() < kMaxSkippedLines) {
    skipped_lines_.emplace_back(line);
  }
  line_.clear();
}

void FioStreamParser::StartObject() {
  EndJunkLine();  // text before the "{" on its line is junk
  discarding_ = false;
  in_object_ = true;
  depth_ = 1;
  in_string_ = false;
  escape_ = false;
  object_.assign(1, '{');
  object_bytes_ = 1;
  oversized_ = false;
}

void FioStreamParser::FeedOutside(char c) {
  if (!candidate_.empty()) {
    bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    bool line_ended = candidate_.size() > 1;  // candidate_ is "{" + blanks
    if (line_ended && c == '"') {
      // fio opens every report with "{\n" and then '  "fio version"'; junk
      // glued before the "{" (a message printed without its newline) is junk,
      // then the object.
      std::string opening = std::move(candidate_);
      candidate_.clear();
      StartObject();
      object_ = std::move(opening);
      object_.push_back(c);
      object_bytes_ = object_.size();
      in_string_ = true;
      return;
    }
    if (blank && (line_ended || c == '\n' || c == '\r') && candidate_.size() < 64) {
      candidate_.push_back(c);
      return;
    }
    // Not a report: the "{" belongs to the message ("rate={..."). Replay the
    // blanks after it (they may end the line), then this byte.
    if (line_.size() < kMaxSkippedLineBytes) line_.push_back('{');
    std::string rest = candidate_.substr(1);
    candidate_.clear();
    for (char r : rest) FeedOutside(r);
  }
  if (c == '\n' || c == '\r') {
    // "\r" too: fio's --eta=always status lines end in "\r" only.
    EndJunkLine();
  } else if (c == '{') {
    if (absl::StripAsciiWhitespace(line_).empty()) {
      StartObject();
    } else {
      candidate_.assign(1, '{');
    }
  } else if (line_.size() < kMaxSkippedLineBytes) {
    line_.push_back(c);
  }
}

absl::Status FioStreamParser::Feed(absl::string_view chunk, std::vector<FioReport>* out) {
  absl::Status first_error;
  for (char c : chunk) {
    if (!in_object_) {
      FeedOutside(c);
      continue;
    }
    if (oversized_ && c == '{' && !in_string_ && at_line_start_) {
      // A "{" that opens a line only opens a report (fio indents what it
      // nests): the object over the limit never closed (a lost "}").
      if (first_error.ok()) {
        first_error = absl::DataLossError(absl::StrCat("fio output: a JSON object grew past ",
                                                       max_object_bytes_,
                                                       " bytes without closing; dropped it"));
      }
      StartObject();
      at_line_start_ = false;
      continue;
    }
    at_line_start_ = c == '\n' || c == '\r';
    ++object_bytes_;
    if (!oversized_) object_.push_back(c);
    if (in_string_) {
      // Braces inside strings (file names, job options, job names) do not count.
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      ++depth_;
    } else if (c == '}' && --depth_ == 0) {
      in_object_ = false;
      if (oversized_) {
        // Closed, but too big to have been kept: said with its real size.
        oversized_ = false;
        discarding_ = true;
        if (first_error.ok()) {
          first_error = absl::ResourceExhaustedError(
              absl::StrCat("fio output: a JSON object is too big (", object_bytes_,
                           " bytes, limit ", max_object_bytes_, "); skipped it"));
        }
        continue;
      }
      absl::StatusOr<FioReport> report = ParseFioReport(object_);
      if (report.ok()) {
        out->push_back(*std::move(report));
      } else if (first_error.ok()) {
        first_error = report.status();
      }
      object_.clear();
      object_.shrink_to_fit();  // bounded memory over a run of hours
      continue;
    }
    if (!oversized_ && object_.size() > max_object_bytes_) {
      // Counted on to its end (or the output's), not kept.
      oversized_ = true;
      object_.clear();
      object_.shrink_to_fit();
    }
  }
  return first_error;
}

absl::Status FioStreamParser::Finish() {
  if (!candidate_.empty()) {
    line_.push_back('{');  // the stream ended before a report opened
    candidate_.clear();
  }
  EndJunkLine();
  discarding_ = false;
  if (in_object_) {
    const size_t pending = object_bytes_;
    const bool oversized = oversized_;
    in_object_ = false;
    oversized_ = false;
    object_.clear();
    object_.shrink_to_fit();
    return absl::DataLossError(absl::StrCat(
        "fio output ends inside a JSON object (", pending, " bytes pending",
        oversized ? absl::StrCat(", over the limit of ", max_object_bytes_, " bytes") : "",
        "): truncated output"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FioReport>> ParseFioOutput(absl::string_view text) {
  FioStreamParser parser(FioStreamParser::LimitForText(text.size()));
  std::vector<FioReport> reports;
  absl::Status feed = parser.Feed(text, &reports);
  absl::Status finish = parser.Finish();
  if (!feed.ok()) return feed;
  if (!finish.ok()) return finish;
  if (reports.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no fio JSON report found in ", text.size(), " bytes of output"));
  }
  return reports;
}

namespace {

// The wall-clock span a report covers. Per-direction "runtime" is per job (or
// per merged group), so the max over jobs is the run's span. "job_runtime" is
// only a fallback: with group_reporting it is summed over the merged jobs
// (fio-3.16 fixture: numjobs=4, runtime 60015, job_runtime 240022).
int64_t LongestRuntimeMs(const FioReport& r) {
  int64_t longest = 0;
  for (const FioJob& j : r.jobs) {
    longest = std::max({longest, j.read.runtime_ms, j.write.runtime_ms});
  }
  if (longest == 0) {
    for (const FioJob& j : r.jobs) longest = std::max(longest, j.job_runtime_ms);
  }
  return longest;
}

void Totals(const FioReport& r, FioInterval* iv) {
  for (const FioJob& j : r.jobs) {
    iv->read_bytes_total += j.read.io_bytes;
    iv->write_bytes_total += j.write.io_bytes;
    iv->read_clat_p50_ns = std::max(iv->read_clat_p50_ns, j.read.clat_p50_ns);
    iv->read_clat_p99_ns = std::max(iv->read_clat_p99_ns, j.read.clat_p99_ns);
  }
}

absl::Status CheckNotBackwards(size_t index, const FioJob& job, const char* counter,
                               uint64_t before, uint64_t after) {
  if (after >= before) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("fio job ", index, " (", job.name, ") ", counter,
                                                 " went backwards: ", before, " -> ", after,
                                                 "; reports are not from the same run"));
}

}  // namespace

absl::StatusOr<FioInterval> IntervalBetween(const FioReport& prev, const FioReport& cur) {
  if (prev.jobs.size() != cur.jobs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("fio reports have ", prev.jobs.size(), " and ",
                                                   cur.jobs.size(), " jobs; cannot compare"));
  }
  // The interval's length is fio's own I/O clock (the longest job runtime), not
  // timestamp_ms: timestamp_ms is when fio's status thread printed the report,
  // which can lag by a few hundred ms while the counters were taken on time
  // (seen here: reports 1154 ms and then 711 ms apart for two 1000 ms steps of
  // runtime, which made a steady 750 MB/s read as 1050 MB/s). With runtime the
  // intervals add up to fio's runtime, so the samples agree with fio's own mean.
  // Caveat: with stonewalled groups in one fio process a later group's runtime
  // starts again from 0, so this clock is right only while all jobs run
  // together (as the job files of FioJobBuilder do).
  int64_t dt_ms = LongestRuntimeMs(cur) - LongestRuntimeMs(prev);
  if (dt_ms <= 0) dt_ms = cur.timestamp_ms - prev.timestamp_ms;  // no job advanced its runtime
  if (dt_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("fio report timestamp_ms ", cur.timestamp_ms,
                                                   " is not after ", prev.timestamp_ms,
                                                   " and no job runtime advanced"));
  }
  uint64_t read_bytes = 0, write_bytes = 0, read_ios = 0, write_ios = 0;
  for (size_t i = 0; i < cur.jobs.size(); ++i) {
    const FioJob& a = prev.jobs[i];
    const FioJob& b = cur.jobs[i];
    for (const absl::Status& st : {
             CheckNotBackwards(i, b, "read io_bytes", a.read.io_bytes, b.read.io_bytes),
             CheckNotBackwards(i, b, "write io_bytes", a.write.io_bytes, b.write.io_bytes),
             CheckNotBackwards(i, b, "read total_ios", a.read.total_ios, b.read.total_ios),
             CheckNotBackwards(i, b, "write total_ios", a.write.total_ios, b.write.total_ios),
         }) {
      if (!st.ok()) return st;
    }
    read_bytes += b.read.io_bytes - a.read.io_bytes;
    write_bytes += b.write.io_bytes - a.write.io_bytes;
    read_ios += b.read.total_ios - a.read.total_ios;
    write_ios += b.write.total_ios - a.write.total_ios;
  }
  FioInterval iv;
  iv.interval_s = static_cast<double>(dt_ms) / 1000.0;
  iv.read_bytes_per_s = static_cast<double>(read_bytes) / iv.interval_s;
  iv.write_bytes_per_s = static_cast<double>(write_bytes) / iv.interval_s;
  iv.read_iops = static_cast<double>(read_ios) / iv.interval_s;
  iv.write_iops = static_cast<double>(write_ios) / iv.interval_s;
  Totals(cur, &iv);
  return iv;
}

absl::StatusOr<FioInterval> FirstInterval(const FioReport& first) {
  int64_t runtime_ms = LongestRuntimeMs(first);
  if (runtime_ms <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("fio report: no job has run yet (longest runtime ", runtime_ms, " ms over ",
                     first.jobs.size(), " jobs); no rate before the next report"));
  }
  FioInterval iv;
  iv.interval_s = static_cast<double>(runtime_ms) / 1000.0;
  Totals(first, &iv);
  uint64_t read_ios = 0, write_ios = 0;
  for (const FioJob& j : first.jobs) {
    read_ios += j.read.total_ios;
    write_ios += j.write.total_ios;
  }
  iv.read_bytes_per_s = static_cast<double>(iv.read_bytes_total) / iv.interval_s;
  iv.write_bytes_per_s = static_cast<double>(iv.write_bytes_total) / iv.interval_s;
  iv.read_iops = static_cast<double>(read_ios) / iv.interval_s;
  iv.write_iops = static_cast<double>(write_ios) / iv.interval_s;
  return iv;
}

namespace {

double MeanBytesPerS(const FioReport& r, FioDirection FioJob::*direction) {
  int64_t runtime_ms = LongestRuntimeMs(r);
  if (runtime_ms <= 0) return 0;
  uint64_t bytes = 0;
  for (const FioJob& j : r.jobs) bytes += (j.*direction).io_bytes;
  return static_cast<double>(bytes) / (static_cast<double>(runtime_ms) / 1000.0);
}

}  // namespace

double MeanReadBytesPerS(const FioReport& r) { return MeanBytesPerS(r, &FioJob::read); }
double MeanWriteBytesPerS(const FioReport& r) { return MeanBytesPerS(r, &FioJob::write); }

}  // namespace qdt::fio
