// sysctl (macOS): the kernel's POSIX AIO limits, which decide how fio may keep
// reads in flight on a Mac (docs/MACOS.md, "POSIX AIO on Apple Silicon"):
// kern.aioprocmax requests per process (16 on Apple Silicon), kern.aiomax for
// the whole machine (90), and kern.aiothreads kernel threads (4) that do every
// AIO read synchronously. A run on macOS reads with psync, one thread per
// outstanding read (fio_job_builder.h, JobLayout::kThreadPerRead), so none of
// these apply; they matter when posixaio is asked for, and they are recorded
// in every macOS run (Run.checks.aio_limits).
//
// Reads `sysctl kern.aioprocmax kern.aiomax kern.aiothreads`: sysctl(8)
// prints "name: value", one line per name asked, e.g. "kern.aioprocmax: 16".
// The fixture (tests/fixtures/sysctl, SOURCES.md) is written from that format:
// no public capture of these three names was found.
//
// ParseAioSysctl, AioCapFlags and DescribeAioFit are pure; ReadAioLimits runs
// the tool through a CommandRunner. Thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_SYSCTL_H_
#define QDT_AGENT_PROBES_SYSCTL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/probes/command_runner.h"
#include "fio/fio_job_builder.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

struct AioLimits {
  int aioprocmax = 0;  // kern.aioprocmax: POSIX AIO requests in flight per process
  int aiomax = 0;      // kern.aiomax: for the whole machine
  int aiothreads = 0;  // kern.aiothreads: kernel threads that serve every AIO request

  // "kern.aioprocmax 16, kern.aiomax 90, kern.aiothreads 4"
  std::string Describe() const;
};

// sysctl prints three short lines; more than this is not its answer.
inline constexpr size_t kMaxSysctlBytes = 64 * 1024;
// Every limit is at least 1; above this it is a typo or not a limit (XNU's
// defaults are 16, 90 and 4; tuning guides raise them to a few thousand).
inline constexpr int kMaxAioLimit = 1000000;

// The three limits from sysctl's output. Lines of other names are ignored.
// InvalidArgument naming the field and the value: output over
// kMaxSysctlBytes, a line that is not "name: value", a value that is not a
// whole number, below 1 or above kMaxAioLimit, a name given twice, a name
// missing ("sysctl: kern.aiothreads: missing from the output").
absl::StatusOr<AioLimits> ParseAioSysctl(absl::string_view text);

// Runs `sysctl kern.aioprocmax kern.aiomax kern.aiothreads` (5 s at most).
// Unavailable when the tool cannot start, times out or exits non-zero (with
// its stderr), else what ParseAioSysctl says.
absl::StatusOr<AioLimits> ReadAioLimits(CommandRunner* runner);

// The verdict flags of a run whose reads macOS AIO holds back: only with
// posixaio (JobLayout::kProcessPerStream), one flag per phase, e.g. "queue
// capped by macOS AIO: stream-03 in max-read asked 24 reads in flight, got 16
// (kern.aioprocmax 16)" and "queue capped by macOS AIO: crossfade keeps up to
// 120 reads in flight, the Mac allows 90 at once (kern.aiomax 90)". Empty for
// psync (no AIO) and for any layout within the limits. `options.max_iodepth`
// is the cap the job files were written with.
std::vector<std::string> AioCapFlags(const AioLimits& limits, const qdt::v1::Profile& profile,
                                     const fio::FioJobOptions& options);

// For `qdt-agent doctor`: does `profile` on this Mac with `ioengine` keep its
// reads in flight? ok = true, or a warning with a fix.
struct AioFit {
  bool ok = true;
  std::string detail;  // one line, e.g. "crossfade: 16 reads in flight as 16 psync threads; AIO
                       // not used (kern.aioprocmax 16)"
  std::string fix;     // empty when ok
};
// psync (or another synchronous engine): ok, AIO not used. posixaio: a
// warning when a stream asks for more than kern.aioprocmax, a phase for more
// than kern.aiomax, or more reads are in flight than kern.aiothreads serve.
// Any other engine: ok, POSIX AIO not used. Judged on the phase with the most
// reads in flight (fio::PeakReadsInFlight).
AioFit DescribeAioFit(const AioLimits& limits, const qdt::v1::Profile& profile,
                      const std::string& ioengine);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_SYSCTL_H_
