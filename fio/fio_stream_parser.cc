#include "fio/fio_stream_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace qdt::fio {
namespace {

using nlohmann::json;

// fio writes integers, but older versions and json+ write some as floats.
double Number(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  return it->get<double>();
}

uint64_t Count(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer())
    return static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

absl::Status ParseDirection(const json& job, const char* key, int index, FioDirection* out) {
  auto it = job.find(key);
  if (it == job.end() || !it->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fio report: job ", index, " has no \"", key, "\" object"));
  }
  const json& d = *it;
  out->io_bytes = Count(d, "io_bytes");
  out->total_ios = Count(d, "total_ios");
  out->bw_bytes = Number(d, "bw_bytes");
  out->iops = Number(d, "iops");
  out->runtime_ms = static_cast<int64_t>(Number(d, "runtime"));
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

}  // namespace

absl::StatusOr<FioReport> ParseFioReport(absl::string_view json_text) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fio report: not valid JSON (", json_text.size(), " bytes)"));
  }
  if (!doc.is_object()) return absl::InvalidArgumentError("fio report: not a JSON object");
  FioReport report;
  auto version = doc.find("fio version");
  if (version == doc.end() || !version->is_string()) {
    return absl::InvalidArgumentError("fio report: no \"fio version\"; this is not fio output");
  }
  report.fio_version = version->get<std::string>();
  report.timestamp_ms = static_cast<int64_t>(Number(doc, "timestamp_ms"));
  auto jobs = doc.find("jobs");
  if (jobs == doc.end() || !jobs->is_array()) {
    return absl::InvalidArgumentError("fio report: no \"jobs\" array");
  }
  int index = 0;
  for (const json& j : *jobs) {
    if (!j.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fio report: job ", index, " is not an object"));
    }
    FioJob job;
    auto name = j.find("jobname");
    if (name != j.end() && name->is_string()) job.name = name->get<std::string>();
    job.group_id = static_cast<int>(Number(j, "groupid"));
    job.error = static_cast<int>(Number(j, "error"));
    job.elapsed_s = static_cast<int64_t>(Number(j, "elapsed"));
    job.job_runtime_ms = static_cast<int64_t>(Number(j, "job_runtime"));
    if (auto st = ParseDirection(j, "read", index, &job.read); !st.ok()) return st;
    if (auto st = ParseDirection(j, "write", index, &job.write); !st.ok()) return st;
    auto depth = j.find("iodepth_level");
    if (depth != j.end() && depth->is_object()) {
      for (auto it = depth->begin(); it != depth->end(); ++it) {
        job.iodepth_level.emplace_back(it.key(), it->is_number() ? it->get<double>() : 0.0);
      }
    }
    report.jobs.push_back(std::move(job));
    ++index;
  }
  return report;
}

void FioStreamParser::EndJunkLine() {
  absl::string_view line = absl::StripAsciiWhitespace(line_);
  if (!line.empty()) skipped_lines_.emplace_back(line);
  line_.clear();
}

absl::Status FioStreamParser::Feed(absl::string_view chunk, std::vector<FioReport>* out) {
  absl::Status first_error;
  for (char c : chunk) {
    if (!in_object_) {
      // fio starts every object with '{' at the start of a line; a '{' inside a
      // message line ("fio: ... {") is part of that message.
      if (c == '{' && absl::StripAsciiWhitespace(line_).empty()) {
        line_.clear();
        in_object_ = true;
        depth_ = 1;
        in_string_ = false;
        escape_ = false;
        object_.assign(1, c);
      } else if (c == '\n') {
        EndJunkLine();
      } else {
        line_.push_back(c);
      }
      continue;
    }
    object_.push_back(c);
    if (in_string_) {
      // Braces inside strings (file names, job options) do not count.
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      ++depth_;
    } else if (c == '}') {
      if (--depth_ == 0) {
        in_object_ = false;
        auto report = ParseFioReport(object_);
        if (report.ok()) {
          out->push_back(std::move(*report));
        } else if (first_error.ok()) {
          first_error = report.status();
        }
        object_.clear();
        object_.shrink_to_fit();  // bounded memory over a two-hour run
      }
    }
  }
  return first_error;
}

absl::Status FioStreamParser::Finish() {
  EndJunkLine();
  if (in_object_) {
    size_t pending = object_.size();
    in_object_ = false;
    object_.clear();
    return absl::DataLossError(absl::StrCat("fio output ends inside a JSON object (", pending,
                                            " bytes pending): truncated output"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FioReport>> ParseFioOutput(absl::string_view text) {
  FioStreamParser parser;
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
  int64_t dt_ms = LongestRuntimeMs(cur) - LongestRuntimeMs(prev);
  if (dt_ms <= 0) dt_ms = cur.timestamp_ms - prev.timestamp_ms;  // no job advanced its runtime
  if (dt_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("fio report timestamp_ms ", cur.timestamp_ms,
                                                   " is not after ", prev.timestamp_ms,
                                                   " and no job runtime advanced"));
  }
  FioInterval iv;
  iv.interval_s = dt_ms / 1000.0;
  uint64_t read_bytes = 0, write_bytes = 0, read_ios = 0, write_ios = 0;
  for (size_t i = 0; i < cur.jobs.size(); ++i) {
    const FioJob& a = prev.jobs[i];
    const FioJob& b = cur.jobs[i];
    if (b.read.io_bytes < a.read.io_bytes || b.write.io_bytes < a.write.io_bytes ||
        b.read.total_ios < a.read.total_ios || b.write.total_ios < a.write.total_ios) {
      return absl::InvalidArgumentError(
          absl::StrCat("fio job ", i, " (", b.name, ") counters went backwards: read io_bytes ",
                       a.read.io_bytes, " -> ", b.read.io_bytes, ", write io_bytes ",
                       a.write.io_bytes, " -> ", b.write.io_bytes));
    }
    read_bytes += b.read.io_bytes - a.read.io_bytes;
    write_bytes += b.write.io_bytes - a.write.io_bytes;
    read_ios += b.read.total_ios - a.read.total_ios;
    write_ios += b.write.total_ios - a.write.total_ios;
  }
  iv.read_bytes_per_s = read_bytes / iv.interval_s;
  iv.write_bytes_per_s = write_bytes / iv.interval_s;
  iv.read_iops = read_ios / iv.interval_s;
  iv.write_iops = write_ios / iv.interval_s;
  Totals(cur, &iv);
  return iv;
}

absl::StatusOr<FioInterval> FirstInterval(const FioReport& first) {
  int64_t runtime_ms = LongestRuntimeMs(first);
  if (runtime_ms <= 0) {
    return absl::FailedPreconditionError("fio report: no job has run yet (runtime 0)");
  }
  FioInterval iv;
  iv.interval_s = runtime_ms / 1000.0;
  Totals(first, &iv);
  uint64_t read_ios = 0, write_ios = 0;
  for (const FioJob& j : first.jobs) {
    read_ios += j.read.total_ios;
    write_ios += j.write.total_ios;
  }
  iv.read_bytes_per_s = iv.read_bytes_total / iv.interval_s;
  iv.write_bytes_per_s = iv.write_bytes_total / iv.interval_s;
  iv.read_iops = read_ios / iv.interval_s;
  iv.write_iops = write_ios / iv.interval_s;
  return iv;
}

namespace {

double MeanBytesPerS(const FioReport& r, FioDirection FioJob::*direction) {
  int64_t runtime_ms = LongestRuntimeMs(r);
  if (runtime_ms <= 0) return 0;
  uint64_t bytes = 0;
  for (const FioJob& j : r.jobs) bytes += (j.*direction).io_bytes;
  return bytes / (runtime_ms / 1000.0);
}

}  // namespace

double MeanReadBytesPerS(const FioReport& r) { return MeanBytesPerS(r, &FioJob::read); }
double MeanWriteBytesPerS(const FioReport& r) { return MeanBytesPerS(r, &FioJob::write); }

}  // namespace qdt::fio
