#include "fio/fio_job_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/profiles.h"

namespace qdt::fio {
namespace {

// fio's job-file syntax treats ':' in filename= as a separator of several files
// (HOWTO "filename"); a literal colon is written "\:". Stream file names never
// contain one, but the rule is kept where the name is written.
std::string FilenameLine(int file_index) {
  std::string out = "filename=";
  for (char c : StreamFileName(file_index)) {
    if (c == ':') out += '\\';
    out += c;
  }
  return out;
}

// Text that goes into a "; comment" line must stay on that line: a line break
// would start a new option or job section of the file.
absl::Status CheckCommentText(absl::string_view field, const std::string& text) {
  if (text.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", absl::CEscape(text), "\" contains a line break"));
  }
  return absl::OkStatus();
}

// The folder fio runs in: a whole comment line (fio skips lines that start
// with ';'), so ';', '#', '$' and ':' in it are harmless; control characters
// are refused by CheckOptions.
std::string RunFromLine(const FioJobOptions& o) {
  return absl::StrCat("; run with the working folder ", o.test_dir, "\n");
}

// Job files take whole milliseconds: "10000ms". At least 1 ms: fio reads
// runtime=0 as "no limit", which a heavily time-scaled burst must not become.
std::string Millis(double seconds) {
  return absl::StrCat(std::max<int64_t>(1, std::llround(seconds * 1000)), "ms");
}

// A gated job reads one byte from its gate (a FIFO the agent writes when it
// opens the gate) before its I/O starts: fio runs exec_prerun in the job's
// thread after the job's set-up and before its clock starts (fio backend.c,
// thread_main), so `runtime` counts from the release. The FIFO is named in
// the folder fio runs in; the command goes through /bin/sh (system()).
std::string GateLine(const std::string& fifo) {
  return absl::StrCat("exec_prerun=dd if=", fifo, " of=/dev/null bs=1 count=1");
}

absl::Status CheckOptions(const FioJobOptions& o) {
  if (o.test_dir.empty() || o.test_dir[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("test_dir: \"", o.test_dir, "\" is not an absolute path"));
  }
  for (char c : o.test_dir) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat("test_dir: \"", absl::CEscape(o.test_dir),
                                                     "\" contains control character 0x",
                                                     absl::Hex(u, absl::kZeroPad2)));
    }
  }
  if (o.ioengine.empty()) return absl::InvalidArgumentError("ioengine: empty");
  if (!std::isfinite(o.gate_lead_s) || o.gate_lead_s < 0) {
    return absl::InvalidArgumentError(absl::StrCat("gate_lead_s: ", o.gate_lead_s));
  }
  if (o.file_size_bytes == 0) return absl::InvalidArgumentError("file_size_bytes: 0");
  return absl::OkStatus();
}

void AppendGlobal(std::string* out, const FioJobOptions& o, bool timed) {
  absl::StrAppend(out, "[global]\n");
  // posixaio's requests count against kern.aioprocmax per process: there
  // each job is a process of its own.
  if (o.layout != JobLayout::kProcessPerStream) absl::StrAppend(out, "thread\n");
  absl::StrAppend(out, "ioengine=", o.ioengine, "\n");
  absl::StrAppend(out, "direct=", o.direct ? 1 : 0, "\n");
  absl::StrAppend(out, "rw=read\n");
  absl::StrAppend(out, "size=", o.file_size_bytes, "\n");
  if (timed) {
    absl::StrAppend(out, "time_based\n");
    // Drop cached pages of the file at job start, so reads come from the drive.
    // A buffered profile reads through the cache as an app without O_DIRECT
    // does: nothing is dropped, and the drive's counter tells what the cache
    // answered.
    absl::StrAppend(out, "invalidate=", o.direct ? 1 : 0, "\n");
  }
}

// The gate a stream waits at: the one of its start offset.
size_t GateOf(const std::vector<PhaseGate>& gates, const qdt::v1::Stream& s) {
  for (size_t g = 1; g < gates.size(); ++g) {
    if (gates[g].offset_s == s.start_offset_s()) return g;
  }
  return 0;
}

// How a reader of a stream walks its file (kThreadPerRead with more than one
// reader): reader k of d reads blocks k, k+d, k+2d, ... of the file's whole
// blocks: "offset" is block k, "rw=read:<(d-1) blocks>" skips the other
// readers' blocks after every read (fio HOWTO "readwrite": the offset
// modifier is added to every sequential offset; io_u.c
// get_next_seq_offset), and "size" ends right after its last block, so that
// a time_based job wraps to its offset without closing the file (io_u.c
// resets last_pos once it reaches offset + size).
struct ReaderSpan {
  uint64_t offset = 0, size = 0, skip = 0;
};

absl::StatusOr<ReaderSpan> ReaderSpanOf(const qdt::v1::Stream& s, int readers, int reader,
                                        uint64_t file_size, const std::string& where) {
  const uint64_t bs = s.block_size_bytes();
  const uint64_t blocks = file_size / bs;
  const auto d = static_cast<uint64_t>(readers);
  if (blocks < d) {
    return absl::InvalidArgumentError(
        absl::StrCat("file_size_bytes: ", file_size, " holds ", blocks, " blocks of ", bs,
                     " bytes, fewer than ", where, ".iodepth ", readers,
                     " (on macOS each read in flight is a reader of its own block)"));
  }
  const auto k = static_cast<uint64_t>(reader);
  const uint64_t reads = (blocks - k + d - 1) / d;  // blocks k, k+d, ... below `blocks`
  return ReaderSpan{k * bs, ((reads - 1) * d + 1) * bs, (d - 1) * bs};
}

// The jobs of one stream, in the order fio gets them.
absl::Status AppendStreamJobs(std::string* out, const qdt::v1::Phase& phase, int i,
                              const FioJobOptions& o, const std::string& at,
                              const std::vector<PhaseGate>& gates) {
  const qdt::v1::Stream& s = phase.streams(i);
  const double run_s =
      s.duration_s() > 0 ? s.duration_s() : phase.duration_s() - s.start_offset_s();
  const int readers = ReaderCount(s, o.layout);
  absl::StrAppend(out, "\n; ", s.name(), "\n");
  for (int k = 0; k < readers; ++k) {
    if (k > 0) absl::StrAppend(out, "\n");
    absl::StrAppend(out, "[", ReaderJobName(i, k), "]\n");
    absl::StrAppend(out, FilenameLine(static_cast<int>(StreamFile(phase, i))), "\n");
    absl::StrAppend(out, "bs=", s.block_size_bytes(), "\n");
    absl::StrAppend(out, "iodepth=", JobIodepth(s, o), "\n");
    if (readers > 1) {
      auto span =
          ReaderSpanOf(s, readers, k, o.file_size_bytes, absl::StrCat(at, ".streams[", i, "]"));
      if (!span.ok()) return span.status();
      absl::StrAppend(out, "offset=", span->offset, "\n", "size=", span->size, "\n",
                      "rw=read:", span->skip, "\n");
    }
    if (s.rate_bytes_per_s() > 0) {
      absl::StrAppend(out, "rate=", ReaderRate(s.rate_bytes_per_s(), readers, k), "\n");
    }
    absl::StrAppend(out, "runtime=", Millis(run_s), "\n");
    if (!o.gated) {
      if (s.start_offset_s() > 0) {
        absl::StrAppend(out, "startdelay=", Millis(s.start_offset_s()), "\n");
      }
      continue;
    }
    const size_t g = GateOf(gates, s);
    if (g > 0) {
      // Created shortly before its gate opens (if fio has been up that long).
      const double create_s =
          o.gate_lead_s + gates[g].offset_s - GateMarginS(gates[g - 1].offset_s, gates[g].offset_s);
      if (create_s >= 0.001) absl::StrAppend(out, "startdelay=", Millis(create_s), "\n");
    }
    absl::StrAppend(out, GateLine(gates[g].fifo), "\n");
  }
  return absl::OkStatus();
}

// The phase's jobs, counted (every reader of every stream); refused above
// kMaxJobsPerPhase.
absl::Status CheckJobCount(const qdt::v1::Phase& phase, const FioJobOptions& o,
                           const std::string& at, int* jobs) {
  *jobs = 0;
  for (const qdt::v1::Stream& s : phase.streams()) *jobs += ReaderCount(s, o.layout);
  if (*jobs > kMaxJobsPerPhase) {
    return absl::InvalidArgumentError(absl::StrCat(at, ".streams: ", *jobs, " fio jobs (",
                                                   JobLayoutName(o.layout), "), at most ",
                                                   kMaxJobsPerPhase));
  }
  return absl::OkStatus();
}

}  // namespace

std::string JobLayoutName(JobLayout layout) {
  switch (layout) {
    case JobLayout::kJobPerStream:
      return "job per stream";
    case JobLayout::kThreadPerRead:
      return "thread per read";
    case JobLayout::kProcessPerStream:
      return "process per stream";
  }
  return "unknown layout";
}

std::string ReaderJobName(int stream_index, int reader) {
  if (reader <= 0) return StreamJobName(stream_index);
  return absl::StrFormat("stream-%02d.r%d", stream_index, reader);
}

absl::StatusOr<JobName> ParseJobName(absl::string_view name) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("fio job name \"",
                                                   absl::CHexEscape(name.substr(0, 64)),
                                                   "\" is not \"stream-NN\" or \"stream-NN.rK\""));
  };
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "stream-")) return bad();
  absl::string_view stream_digits = rest, reader_digits;
  if (const size_t dot = rest.find('.'); dot != absl::string_view::npos) {
    stream_digits = rest.substr(0, dot);
    reader_digits = rest.substr(dot + 1);
    if (!absl::ConsumePrefix(&reader_digits, "r") || reader_digits.empty()) return bad();
  }
  auto digits = [](absl::string_view d) {
    if (d.empty() || d.size() > 5) return false;
    for (char c : d) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  JobName out;
  if (!digits(stream_digits) || !absl::SimpleAtoi(stream_digits, &out.stream)) return bad();
  if (!reader_digits.empty() &&
      (!digits(reader_digits) || !absl::SimpleAtoi(reader_digits, &out.reader))) {
    return bad();
  }
  // Only the form ReaderJobName writes ("stream-3", "stream-03.r0" and
  // "stream-03.r01" are not).
  if (ReaderJobName(out.stream, out.reader) != name || (!reader_digits.empty() && out.reader < 1)) {
    return bad();
  }
  return out;
}

int ReaderCount(const qdt::v1::Stream& s, JobLayout layout) {
  if (layout != JobLayout::kThreadPerRead) return 1;
  return static_cast<int>(std::max<uint32_t>(1, s.iodepth()));
}

uint32_t JobIodepth(const qdt::v1::Stream& s, const FioJobOptions& o) {
  if (o.layout == JobLayout::kThreadPerRead) return 1;
  const uint32_t depth = std::max<uint32_t>(1, s.iodepth());
  return o.max_iodepth > 0 ? std::min(depth, o.max_iodepth) : depth;
}

uint64_t ReaderRate(uint64_t stream_rate, int readers, int reader) {
  if (readers <= 1) return stream_rate;
  const auto d = static_cast<uint64_t>(readers);
  return stream_rate / d + (reader == 0 ? stream_rate % d : 0);
}

int PeakReadsInFlight(const qdt::v1::Phase& phase, uint32_t per_stream_cap) {
  int peak = 0;
  for (const qdt::v1::Stream& at : phase.streams()) {
    const double t = StreamStartS(at);
    int reads = 0;
    for (const qdt::v1::Stream& s : phase.streams()) {
      if (StreamStartS(s) <= t && t < StreamEndS(phase, s)) {
        uint32_t depth = std::max<uint32_t>(1, s.iodepth());
        if (per_stream_cap > 0) depth = std::min(depth, per_stream_cap);
        reads += static_cast<int>(depth);
      }
    }
    peak = std::max(peak, reads);
  }
  return peak;
}

std::string DescribeIoLayout(const qdt::v1::Profile& profile, const FioJobOptions& o) {
  switch (o.layout) {
    case JobLayout::kThreadPerRead: {
      int peak = 0;
      std::string where;
      for (const qdt::v1::Phase& ph : profile.phases()) {
        if (const int n = PeakReadsInFlight(ph); n > peak) {
          peak = n;
          where = ph.name();
        }
      }
      return absl::StrCat(o.ioengine, ": one thread per outstanding read, ", peak,
                          " threads at the peak (", where, ")");
    }
    case JobLayout::kProcessPerStream:
      return absl::StrCat(
          o.ioengine, ": one process per stream, ",
          o.max_iodepth > 0 ? absl::StrCat("iodepth at most ", o.max_iodepth, " (kern.aioprocmax)")
                            : std::string("iodepth per stream (kern.aioprocmax unknown)"));
    case JobLayout::kJobPerStream:
      break;
  }
  return absl::StrCat(o.ioengine, ": one thread per stream, iodepth per stream");
}

double GateMarginS(double previous_offset_s, double offset_s) {
  return std::min(kGateMarginS, 0.75 * (offset_s - previous_offset_s));
}

std::vector<PhaseGate> PhaseGates(const qdt::v1::Phase& phase, int phase_index, JobLayout layout) {
  std::vector<PhaseGate> gates(1);
  gates[0].fifo = absl::StrCat("gate-", phase_index, ".fifo");
  std::map<double, std::vector<int>> later;  // by start offset
  for (int i = 0; i < phase.streams_size(); ++i) {
    const double offset = phase.streams(i).start_offset_s();
    if (offset > 0) {
      later[offset].push_back(i);
    } else {
      gates[0].streams.push_back(i);
    }
  }
  for (auto& [offset, streams] : later) {
    PhaseGate g;
    g.fifo = absl::StrCat("gate-", phase_index, "-", gates.size(), ".fifo");
    g.offset_s = offset;
    g.streams = std::move(streams);
    gates.push_back(std::move(g));
  }
  for (PhaseGate& g : gates) {
    for (int i : g.streams) {
      for (int k = 0; k < ReaderCount(phase.streams(i), layout); ++k) {
        g.jobs.push_back(ReaderJobName(i, k));
      }
    }
  }
  return gates;
}

std::string StreamJobName(int stream_index) { return absl::StrFormat("stream-%02d", stream_index); }

std::string DefaultIoEngine(bool macos) { return macos ? "psync" : "libaio"; }

std::string DefaultIoEngine() {
#if defined(__APPLE__)
  return DefaultIoEngine(/*macos=*/true);
#else
  return DefaultIoEngine(/*macos=*/false);
#endif
}

bool IsSyncEngine(absl::string_view ioengine) {
  return ioengine == "psync" || ioengine == "sync" || ioengine == "pvsync" ||
         ioengine == "pvsync2" || ioengine == "vsync";
}

JobLayout LayoutFor(bool macos, absl::string_view ioengine) {
  if (!macos) return JobLayout::kJobPerStream;
  if (IsSyncEngine(ioengine)) return JobLayout::kThreadPerRead;
  if (ioengine == "posixaio") return JobLayout::kProcessPerStream;
  return JobLayout::kJobPerStream;
}

std::string StreamFileName(int stream_index) {
  return absl::StrFormat("stream-%02d.dat", stream_index);
}

int FileCount(const qdt::v1::Profile& profile) {
  int n = 0;
  for (const auto& ph : profile.phases()) {
    for (int i = 0; i < ph.streams_size(); ++i)
      n = std::max(n, static_cast<int>(StreamFile(ph, i)) + 1);
  }
  return n;
}

absl::StatusOr<std::string> BuildLayoutJobFile(const qdt::v1::Profile& profile,
                                               const FioJobOptions& o) {
  if (auto st = CheckOptions(o); !st.ok()) return st;
  if (auto st = CheckCommentText("name", profile.name()); !st.ok()) return st;
  const int files = FileCount(profile);
  std::string out = absl::StrCat("; qdt layout for profile \"", profile.name(), "\": ", files,
                                 " files of ", o.file_size_bytes, " bytes\n");
  absl::StrAppend(&out, RunFromLine(o));
  AppendGlobal(&out, o, /*timed=*/false);
  // Lay the files out and do no I/O: timing starts with the phases.
  absl::StrAppend(&out, "create_only=1\n");
  for (int i = 0; i < files; ++i) {
    absl::StrAppend(&out, "\n[layout-", absl::StrFormat("%02d", i), "]\n");
    absl::StrAppend(&out, FilenameLine(i), "\n");
  }
  return out;
}

absl::StatusOr<std::string> BuildPhaseJobFile(const qdt::v1::Phase& phase, int phase_index,
                                              const FioJobOptions& o) {
  if (auto st = CheckOptions(o); !st.ok()) return st;
  const std::string at = absl::StrCat("phases[", phase_index, "]");
  if (phase.streams_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(at, ".streams: none"));
  }
  if (auto st = CheckCommentText(at + ".name", phase.name()); !st.ok()) return st;
  int jobs = 0;
  if (auto st = CheckJobCount(phase, o, at, &jobs); !st.ok()) return st;
  double target = PhaseTargetBytesPerS(phase);
  std::string out = absl::StrFormat(
      "; qdt phase %d \"%s\": %d streams, %s\n", phase_index, phase.name(), phase.streams_size(),
      target > 0 ? absl::StrFormat("target %.0f B/s", target) : std::string("unpaced"));
  if (o.layout == JobLayout::kThreadPerRead) {
    absl::StrAppend(&out, "; ", jobs, " jobs: one thread per outstanding read\n");
  } else if (o.layout == JobLayout::kProcessPerStream) {
    absl::StrAppend(&out, "; ", jobs, " jobs: one process per stream",
                    o.max_iodepth > 0 ? absl::StrCat(", iodepth at most ", o.max_iodepth) : "",
                    "\n");
  }
  absl::StrAppend(&out, RunFromLine(o));
  AppendGlobal(&out, o, /*timed=*/true);
  const std::vector<PhaseGate> gates =
      o.gated ? PhaseGates(phase, phase_index, o.layout) : std::vector<PhaseGate>();
  for (int i = 0; i < phase.streams_size(); ++i) {
    const qdt::v1::Stream& s = phase.streams(i);
    if (s.block_size_bytes() == 0 || s.block_size_bytes() > o.file_size_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("file_size_bytes: ", o.file_size_bytes, " is smaller than phases[",
                       phase_index, "].streams[", i, "].block_size_bytes ", s.block_size_bytes()));
    }
    if (auto st = CheckCommentText(absl::StrCat(at, ".streams[", i, "].name"), s.name());
        !st.ok()) {
      return st;
    }
    if (auto st = AppendStreamJobs(&out, phase, i, o, at, gates); !st.ok()) return st;
  }
  return out;
}

}  // namespace qdt::fio
