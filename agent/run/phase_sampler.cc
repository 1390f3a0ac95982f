#include "agent/run/phase_sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errno_status.h"
#include "common/profiles.h"
#include "fio/fio_analysis.h"
#include "fio/fio_job_builder.h"
#include "google/protobuf/util/time_util.h"

namespace qdt::agent {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void AddJob(const fio::FioJob& job, StreamResult* r) {
  ++r->jobs;
  const uint64_t bytes = job.read.io_bytes + job.write.io_bytes;
  if (bytes > 0) ++r->jobs_with_io;
  r->bytes += bytes;
  r->clat_p50_ns = std::max(r->clat_p50_ns, job.read.clat_p50_ns);
  r->clat_p99_ns = std::max(r->clat_p99_ns, job.read.clat_p99_ns);
}

}  // namespace

absl::StatusOr<std::vector<StreamResult>> StreamResults(const qdt::v1::Phase& phase,
                                                        const fio::FioReport& report) {
  std::vector<StreamResult> out(static_cast<size_t>(phase.streams_size()));
  for (size_t i = 0; i < out.size(); ++i) out[i].stream = static_cast<int>(i);
  std::vector<absl::StatusOr<fio::JobName>> names;
  bool any_named = false;
  for (const fio::FioJob& job : report.jobs) {
    names.push_back(fio::ParseJobName(job.name));
    any_named = any_named || names.back().ok();
  }
  // A report whose jobs carry none of our names: in order, one per stream.
  for (size_t j = 0; j < report.jobs.size(); ++j) {
    size_t stream = j;
    if (any_named) {
      if (!names[j].ok()) return names[j].status();
      stream = static_cast<size_t>(names[j]->stream);
      if (stream >= out.size()) {
        return absl::InvalidArgumentError(absl::StrCat("fio job ", report.jobs[j].name,
                                                       ": the phase has ", out.size(), " streams"));
      }
    } else if (stream >= out.size()) {
      break;
    }
    AddJob(report.jobs[j], &out[stream]);
    // One job keeps its own queue; readers keep one read each.
    out[stream].reached_iodepth = out[stream].jobs == 1
                                      ? fio::ReachedIodepth(report.jobs[j])
                                      : static_cast<uint32_t>(out[stream].jobs_with_io);
  }
  return out;
}

PhaseSeries NotRunSeries(const qdt::v1::Phase& phase, int phase_index) {
  PhaseSeries s;
  s.phase_index = phase_index;
  s.name = phase.name();
  s.target_bytes_per_s = PhaseTargetBytesPerS(phase);
  return s;
}

std::vector<PhaseSeries> NotRunSeries(const qdt::v1::Profile& profile) {
  std::vector<PhaseSeries> out;
  for (int i = 0; i < profile.phases_size(); ++i) out.push_back(NotRunSeries(profile.phases(i), i));
  return out;
}

PhaseSampler::PhaseSampler(const qdt::v1::Phase& phase, int phase_index, SampleSources sources,
                           double status_interval_s)
    : phase_(phase),
      index_(phase_index),
      sources_(std::move(sources)),
      status_interval_s_(status_interval_s > 0 ? status_interval_s : 1),
      series_(NotRunSeries(phase, phase_index)) {
  series_.ran = true;
}

void PhaseSampler::Start() {
  Start(sources_.device_bytes ? sources_.device_bytes() : std::nullopt);
}

void PhaseSampler::Start(std::optional<uint64_t> device_bytes) {
  start_ns_ = NowNs();
  last_report_ns_ = *start_ns_;
  if (sources_.device_bytes && device_bytes.has_value()) {
    device_start_ = device_last_ = device_bytes;
    device_last_ns_ = *start_ns_;
  }
}

void PhaseSampler::End(std::optional<uint64_t> device_bytes) {
  ended_ = true;
  if (device_start_.has_value() && !device_end_.has_value()) device_end_ = device_bytes;
}

void PhaseSampler::StreamsStarted(const std::vector<int>& streams, double offset_s) {
  for (int i : streams) {
    if (i >= 0 && i < phase_.streams_size())
      phase_.mutable_streams(i)->set_start_offset_s(offset_s);
  }
}

int64_t PhaseSampler::NowNs() const {
  return sources_.monotonic_ns ? sources_.monotonic_ns() : SteadyNowNs();
}

std::optional<double> PhaseSampler::DeviceRate() {
  if (!sources_.device_bytes || !device_last_.has_value()) return std::nullopt;
  const std::optional<uint64_t> now = sources_.device_bytes();
  const int64_t now_ns = NowNs();
  if (!now.has_value() || *now < *device_last_ || now_ns <= device_last_ns_) return std::nullopt;
  const double rate =
      static_cast<double>(*now - *device_last_) / ((now_ns - device_last_ns_) / 1e9);
  device_last_ = now;
  device_last_ns_ = now_ns;
  return rate;
}

bool PhaseSampler::Stale(const fio::FioInterval& first) const {
  if (!start_ns_.has_value()) return true;  // the phase has not begun
  if (first.read_bytes_total + first.write_bytes_total > 0) return false;
  // fio's status thread waits while jobs wait at their gate and then prints
  // what it took before the release: no bytes, over a runtime longer than
  // the phase has run (captured: tests/fixtures/fio/SOURCES.md).
  const double since_start_s = static_cast<double>(NowNs() - *start_ns_) / 1e9;
  return first.interval_s > since_start_s + kStaleSlackS;
}

std::string PhaseSampler::Where() const {
  return absl::StrCat("phase ", index_ + 1, " \"", phase_.name(), "\": ");
}

std::vector<qdt::v1::Sample> PhaseSampler::Feed(absl::string_view chunk) {
  std::vector<qdt::v1::Sample> samples;
  std::vector<fio::FioReport> reports;
  if (auto st = parser_.Feed(chunk, &reports); !st.ok() && parse_error_.ok()) parse_error_ = st;
  for (fio::FioReport& rep : reports) {
    if (start_ns_.has_value()) last_report_ns_ = NowNs();
    absl::StatusOr<fio::FioInterval> iv =
        prev_.has_value() ? fio::IntervalBetween(*prev_, rep) : fio::FirstInterval(rep);
    last_ = rep;
    if (!prev_.has_value() && iv.ok() && Stale(*iv)) continue;
    if (!iv.ok()) {
      if (prev_.has_value() && parse_error_.ok()) parse_error_ = iv.status();
      continue;  // no I/O yet: the next report measures from the phase start
    }
    if (iv->interval_s < kMinSampleIntervalS) continue;  // folded into the next interval
    prev_ = std::move(rep);
    AddSamples(*iv, &samples);
  }
  return samples;
}

void PhaseSampler::AddSamples(const fio::FioInterval& iv, std::vector<qdt::v1::Sample>* out) {
  const std::optional<double> device_rate = DeviceRate();
  last_stall_ns_ = 0;
  // A stall that ended: fio's report covers the whole silence. One window
  // would weigh it as one second; each interval it covers is judged instead,
  // at the only rate known for it, the report's mean.
  const int pieces = iv.interval_s >= kSplitIntervals * status_interval_s_
                         ? static_cast<int>(std::lround(iv.interval_s / status_interval_s_))
                         : 1;
  if (pieces > 1) {
    stall_note_ = absl::StrFormat(
        "%sfio reported nothing for %.1f s (a stall: the drive or fio stopped); judged as %d "
        "windows at that interval's mean, %.1f MB/s",
        Where(), iv.interval_s, pieces, (iv.read_bytes_per_s + iv.write_bytes_per_s) / 1e6);
  }
  fio::FioInterval piece = iv;
  piece.interval_s = iv.interval_s / pieces;
  const double read_before = iv.read_bytes_total - iv.read_bytes_per_s * iv.interval_s;
  const double write_before = iv.write_bytes_total - iv.write_bytes_per_s * iv.interval_s;
  for (int k = 0; k < pieces; ++k) {
    if (k + 1 < pieces) {  // the cumulative counts where each piece ends, evenly
      const double done = piece.interval_s * (k + 1);
      piece.read_bytes_total = static_cast<uint64_t>(read_before + iv.read_bytes_per_s * done);
      piece.write_bytes_total = static_cast<uint64_t>(write_before + iv.write_bytes_per_s * done);
    } else {
      piece.read_bytes_total = iv.read_bytes_total;
      piece.write_bytes_total = iv.write_bytes_total;
    }
    out->push_back(
        MakeSample(piece, absl::Seconds(piece.interval_s * (pieces - 1 - k)), device_rate));
  }
}

std::optional<qdt::v1::Sample> PhaseSampler::StallSample() {
  if (!start_ns_.has_value() || ended_) return std::nullopt;
  const int64_t now = NowNs();
  const double since_start_s = static_cast<double>(now - *start_ns_) / 1e9;
  if (since_start_s >= phase_.duration_s()) return std::nullopt;  // its time is over
  const double silent_s = static_cast<double>(now - last_report_ns_) / 1e9;
  if (silent_s < status_interval_s_ + kStallAfterDueS) return std::nullopt;
  if (last_stall_ns_ != 0 && static_cast<double>(now - last_stall_ns_) / 1e9 < status_interval_s_) {
    return std::nullopt;  // said again once per status interval
  }
  last_stall_ns_ = now;
  qdt::v1::Sample s;
  const absl::Time wall = sources_.wall_clock ? sources_.wall_clock() : absl::Now();
  *s.mutable_wall_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(wall));
  s.set_monotonic_ns(now);
  s.set_phase_index(index_);
  s.set_stalled(true);
  s.set_interval_s(silent_s);
  s.set_bytes_done(bytes_done_);
  s.set_phase_elapsed_s(since_start_s);
  if (series_.target_bytes_per_s > 0) {
    s.set_target_bytes_per_s(
        ScheduledTargetBytesPerS(phase_, elapsed_s_, std::max(elapsed_s_ + 1e-3, since_start_s)));
  }
  if (sources_.thermal) {
    ThermalReading t = sources_.thermal();
    if (t.temperature_c) s.set_temperature_c(*t.temperature_c);
    s.set_temperature_source(t.temperature_source);
    s.set_thermal_pressure(t.pressure);
  }
  return s;
}

std::string PhaseSampler::TakeStallNote() {
  std::string note;
  note.swap(stall_note_);
  return note;
}

qdt::v1::Sample PhaseSampler::MakeSample(const fio::FioInterval& iv, absl::Duration ago,
                                         std::optional<double> device_rate) {
  const double start_s = elapsed_s_;
  elapsed_s_ += iv.interval_s;
  bytes_done_ = iv.read_bytes_total + iv.write_bytes_total;
  qdt::v1::Sample s;
  const absl::Time wall = (sources_.wall_clock ? sources_.wall_clock() : absl::Now()) - ago;
  *s.mutable_wall_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(wall));
  s.set_monotonic_ns(NowNs() - absl::ToInt64Nanoseconds(ago));
  if (device_rate.has_value()) s.set_device_read_bytes_per_s(*device_rate);
  s.set_phase_index(index_);
  s.set_interval_s(iv.interval_s);
  s.set_read_bytes_per_s(iv.read_bytes_per_s);
  s.set_write_bytes_per_s(iv.write_bytes_per_s);
  s.set_read_iops(iv.read_iops);
  s.set_write_iops(iv.write_iops);
  s.set_read_clat_p50_ms(iv.read_clat_p50_ns / 1e6);
  s.set_read_clat_p99_ms(iv.read_clat_p99_ns / 1e6);
  s.set_bytes_done(iv.read_bytes_total + iv.write_bytes_total);
  s.set_phase_elapsed_s(elapsed_s_);
  if (sources_.thermal) {
    ThermalReading t = sources_.thermal();
    if (t.temperature_c) s.set_temperature_c(*t.temperature_c);
    s.set_temperature_source(t.temperature_source);
    s.set_thermal_pressure(t.pressure);
  }
  // The paced target of this window: a crossfade burst raises it for the part it overlaps.
  const double target =
      series_.target_bytes_per_s > 0 ? ScheduledTargetBytesPerS(phase_, start_s, elapsed_s_) : 0;
  s.set_target_bytes_per_s(target);
  series_.window_bytes_per_s.push_back(iv.read_bytes_per_s + iv.write_bytes_per_s);
  series_.window_s.push_back(iv.interval_s);
  series_.window_target_bytes_per_s.push_back(target);
  return s;
}

absl::Status PhaseSampler::Finish(const fio::FioExit& exit) {
  if (auto st = CheckFinalReport(exit); !st.ok()) return st;
  absl::StatusOr<std::vector<StreamResult>> results = StreamResults(phase_, *last_);
  if (!results.ok()) return absl::InternalError(Where() + std::string(results.status().message()));
  for (const StreamResult& r : *results) {
    if (r.jobs == 0) continue;  // fio reported no job of it
    const qdt::v1::Stream& st = phase_.streams(r.stream);
    series_.streams.push_back({st.name(), st.rate_bytes_per_s() > 0 ? st.frame_rate() : 0.0,
                               r.clat_p50_ns / 1e6, r.clat_p99_ns / 1e6});
    series_.requested_iodepth = std::max(series_.requested_iodepth, st.iodepth());
    series_.reached_iodepth = std::max(series_.reached_iodepth, r.reached_iodepth);
  }
  series_.fio_mean_bytes_per_s = fio::MeanReadBytesPerS(*last_) + fio::MeanWriteBytesPerS(*last_);
  int64_t runtime_ms = 0;
  for (const fio::FioJob& job : last_->jobs) {
    series_.fio_read_bytes += job.read.io_bytes;
    runtime_ms = std::max({runtime_ms, job.read.runtime_ms, job.write.runtime_ms});
  }
  series_.fio_runtime_s = runtime_ms / 1e3;
  // The phase's whole count: from its release to the next phase's (or to
  // after fio ended), so it does not depend on when the samples were taken.
  if (device_start_.has_value() && sources_.device_bytes) {
    std::optional<uint64_t> end = device_end_.has_value() ? device_end_ : sources_.device_bytes();
    if (end && *end >= *device_start_) {
      series_.device_bytes = *end - *device_start_;
    }
  }
  series_.completed = true;
  return absl::OkStatus();
}

absl::Status PhaseSampler::CheckFinalReport(const fio::FioExit& exit) {
  if (exit.exit_code != 0 || exit.term_signal != 0) {
    return absl::InternalError(Where() + exit.Describe());
  }
  if (auto st = parser_.Finish(); !st.ok() && parse_error_.ok()) parse_error_ = st;
  if (!last_.has_value()) {
    return absl::InternalError(
        absl::StrCat(Where(), "fio printed no JSON report",
                     parse_error_.ok() ? "" : absl::StrCat(" (", parse_error_.message(), ")")));
  }
  for (const fio::FioJob& job : last_->jobs) {
    if (job.error != 0) {
      return absl::InternalError(absl::StrCat(Where(), "fio job ", job.name, " failed with error ",
                                              job.error, " (", ErrnoText(job.error), ")"));
    }
  }
  return absl::OkStatus();
}

std::string PhaseSampler::warning() const {
  if (parse_error_.ok()) return "";
  return absl::StrCat(Where(), "part of fio's output was not understood: ", parse_error_.message());
}

}  // namespace qdt::agent
