#include "fio/fio_job_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
  absl::StrAppend(out, "thread\n");
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

}  // namespace

double GateMarginS(double previous_offset_s, double offset_s) {
  return std::min(kGateMarginS, 0.75 * (offset_s - previous_offset_s));
}

std::vector<PhaseGate> PhaseGates(const qdt::v1::Phase& phase, int phase_index) {
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
    for (int i : g.streams) g.jobs.push_back(StreamJobName(i));
  }
  return gates;
}

std::string StreamJobName(int stream_index) { return absl::StrFormat("stream-%02d", stream_index); }

std::string DefaultIoEngine() {
#if defined(__APPLE__)
  return "posixaio";
#else
  return "libaio";
#endif
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
  double target = PhaseTargetBytesPerS(phase);
  std::string out = absl::StrFormat(
      "; qdt phase %d \"%s\": %d streams, %s\n", phase_index, phase.name(), phase.streams_size(),
      target > 0 ? absl::StrFormat("target %.0f B/s", target) : std::string("unpaced"));
  absl::StrAppend(&out, RunFromLine(o));
  AppendGlobal(&out, o, /*timed=*/true);
  const std::vector<PhaseGate> gates =
      o.gated ? PhaseGates(phase, phase_index) : std::vector<PhaseGate>();
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
    double run_s = s.duration_s() > 0 ? s.duration_s() : phase.duration_s() - s.start_offset_s();
    absl::StrAppend(&out, "\n; ", s.name(), "\n");
    absl::StrAppend(&out, "[", StreamJobName(i), "]\n");
    absl::StrAppend(&out, FilenameLine(static_cast<int>(StreamFile(phase, i))), "\n");
    absl::StrAppend(&out, "bs=", s.block_size_bytes(), "\n");
    absl::StrAppend(&out, "iodepth=", std::max<uint32_t>(1, s.iodepth()), "\n");
    if (s.rate_bytes_per_s() > 0) absl::StrAppend(&out, "rate=", s.rate_bytes_per_s(), "\n");
    absl::StrAppend(&out, "runtime=", Millis(run_s), "\n");
    if (!o.gated) {
      if (s.start_offset_s() > 0) {
        absl::StrAppend(&out, "startdelay=", Millis(s.start_offset_s()), "\n");
      }
      continue;
    }
    const size_t g = GateOf(gates, s);
    if (g > 0) {
      // Created shortly before its gate opens (if fio has been up that long).
      const double create_s =
          o.gate_lead_s + gates[g].offset_s - GateMarginS(gates[g - 1].offset_s, gates[g].offset_s);
      if (create_s >= 0.001) absl::StrAppend(&out, "startdelay=", Millis(create_s), "\n");
    }
    absl::StrAppend(&out, GateLine(gates[g].fifo), "\n");
  }
  return out;
}

}  // namespace qdt::fio
