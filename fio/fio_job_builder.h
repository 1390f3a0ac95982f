// FioJobBuilder turns a profile into fio job files. The agent runs a profile as
// a sequence of fio processes: one layout run that writes the stream files
// (create_only), then one run per phase, so phase boundaries in the event
// stream are exact and each phase has its own complete fio report.
//
// Stream i of every phase reads file i (stream-NN.dat) unless its `file` says
// otherwise (bursts that never overlap share files), sequentially, paced
// with rate= in plain integer bytes/s (fio's kb_base=1024 would make "m" mean
// MiB: docs/DESIGN.md §4). All jobs run as threads of one fio process ("thread"),
// so stopping that process stops all I/O at once.
//
// How a stream becomes fio jobs depends on the run's platform and engine
// (JobLayout, docs/ARCHITECTURE.md "Reads on macOS"): on Linux one job per
// stream with the stream's iodepth (libaio); on macOS one psync job per
// outstanding read, the readers of a stream interleaved over its file; on
// macOS with posixaio asked for, one process per stream, its iodepth capped
// at kern.aioprocmax. Job names: ReaderJobName / ParseJobName.
//
// Everything written is a plain integer: sizes and rates in bytes, times as
// "<n>ms". Data files are named relative to the folder fio runs in
// ("filename=stream-00.dat"; FioProcess::Start's working_dir = test_dir), so
// no path goes through fio's job-file parser, which cuts values at ';' and
// '#', substitutes ${VAR} and $ncpus-style keywords and splits at ':'
// (fio 3.33 parse.c, options.c): "/Volumes/Show #2" works as it is.
// test_dir must be absolute and free of control characters (it is written in
// a comment line); profile, phase and stream names go into "; comment" lines
// and must not contain a line break (it would start a new job section).
//
// Pure functions; thread-safe.
#ifndef QDT_FIO_FIO_JOB_BUILDER_H_
#define QDT_FIO_FIO_JOB_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::fio {

// How a phase's streams become fio jobs.
enum class JobLayout {
  // One job per stream with the stream's iodepth, all threads of one fio
  // process (Linux: libaio keeps the reads in flight in the kernel).
  kJobPerStream,
  // One job per outstanding read, all threads of one fio process (macOS,
  // psync): a stream of iodepth d is d reader jobs on its file, reader k
  // starting at block k and skipping d-1 blocks after every read (fio's
  // rw=read:<bytes> offset modifier), so together they read the file in
  // order, each as a player's reader thread does with pread(). The rate is
  // split over the readers (ReaderRate). No POSIX AIO: neither
  // kern.aioprocmax nor the 4 kernel AIO threads (kern.aiothreads) apply.
  kThreadPerRead,
  // One job per stream, each its own process (no "thread"), its iodepth
  // capped at FioJobOptions::max_iodepth (macOS with posixaio asked for:
  // kern.aioprocmax is per process). Every read still goes through the
  // kernel's few AIO threads.
  kProcessPerStream,
};

// "job per stream", "thread per read", "process per stream".
std::string JobLayoutName(JobLayout layout);

struct FioJobOptions {
  std::string test_dir;          // absolute: <target>/.qdt-test/<run-id>
  uint64_t file_size_bytes = 0;  // each stream file
  std::string ioengine;          // "libaio" on Linux, "psync" on macOS (LayoutFor)
  JobLayout layout = JobLayout::kJobPerStream;
  // kProcessPerStream: the most reads one job (process) keeps in flight
  // (kern.aioprocmax); 0 = no cap.
  uint32_t max_iodepth = 0;
  // direct=1 and invalidate=1; false (a buffered profile): both 0, reads go
  // through the page cache.
  bool direct = true;
  // A gated phase (PhaseGates): every job waits for one byte from a FIFO in
  // test_dir before its I/O (exec_prerun), so the agent can start the phase's
  // fio ahead and release its I/O at the instant the phase is due (no rest
  // between phases). Streams that start later in the phase wait at a gate of
  // their own, which the agent opens at their offset after the release.
  bool gated = false;
  // A gated phase: how long after fio starts the phase is due (0 = as soon
  // as its jobs wait). A stream that starts later is created by fio
  // (startdelay) kGateMarginS before its gate opens, not at fio's start.
  double gate_lead_s = 0;
};

// How long before its gate opens fio creates a stream that starts later in a
// gated phase (startdelay), at most: long enough for fio to create and set up
// the job (it looks for due jobs every 100 ms and then waits 100 ms for them
// to initialise, backend.c run_threads), and no longer, because while a job
// waits in exec_prerun fio's status thread, asking every running job for its
// resource usage, waits for it too (stat.c __show_running_run_stats): no
// status report comes, and a job that finishes meanwhile gives up after 5 s
// of waiting for the stats lock ("fio seems to be stuck grabbing stat_sem",
// backend.c thread_main).
inline constexpr double kGateMarginS = 1.0;
// The margin of a gate `offset_s` into the phase whose previous gate opens at
// `previous_offset_s`: kGateMarginS, or 3/4 of the time between the two when
// that is shorter, so that a job never waits at its gate while the previous
// gate's jobs still wait at theirs (the status thread would then wait for
// one after the other without end). Measured on fio 3.33 with 4 crossfade
// streams of 16 MB blocks joining a 100-job fio: created 0.45 s ahead they
// reached their gate 57-129 ms late (fio's start-up is not in the lead, and
// its 100 ms polling), so less than ~0.6 s is not enough.
double GateMarginS(double previous_offset_s, double offset_s);

// A gate of a gated phase.
struct PhaseGate {
  std::string fifo;               // in test_dir: "gate-1.fifo", "gate-1-2.fifo"
  double offset_s = 0;            // opens this long after the phase's release
  std::vector<std::string> jobs;  // the fio jobs that wait at it ("stream-04")
  std::vector<int> streams;       // their streams' indices in the phase
};

// A gated phase's gates in the order they open: first the one of the streams
// that start with the phase (without a job when every stream starts later),
// then one for each later start offset. Each gate lists every job of its
// streams (with kThreadPerRead every reader: the agent writes one byte per
// job into the gate's FIFO, and a job without its byte waits for ever).
std::vector<PhaseGate> PhaseGates(const qdt::v1::Phase& phase, int phase_index,
                                  JobLayout layout = JobLayout::kJobPerStream);

// The fio job of stream i of a phase: "stream-00", ...; fio names what a job
// writes after it ("stream-00.prerun.txt"). The same as ReaderJobName(i, 0).
std::string StreamJobName(int stream_index);

// Reader `reader` of stream `stream_index` (kThreadPerRead): "stream-03" for
// reader 0 (the stream's only job in the other layouts), "stream-03.r1",
// "stream-03.r2", ... for the others (fio 3.33 takes '.' in a job name and
// names the prerun output "stream-03.r1.prerun.txt").
std::string ReaderJobName(int stream_index, int reader);

// A job name read back: which stream and which of its readers.
struct JobName {
  int stream = 0;
  int reader = 0;
};
// Parses what ReaderJobName writes ("stream-NN" or "stream-NN.rK", NN and K
// decimal without a sign, NN at least two digits, K at least 1, both below
// 100000). InvalidArgument naming the name for anything else.
absl::StatusOr<JobName> ParseJobName(absl::string_view name);

// How many fio jobs stream `s` becomes: its iodepth (at least 1) with
// kThreadPerRead, else 1.
int ReaderCount(const qdt::v1::Stream& s, JobLayout layout);
// The iodepth each of the stream's jobs is written with: 1 with
// kThreadPerRead; the stream's (at least 1), capped at max_iodepth when set,
// otherwise.
uint32_t JobIodepth(const qdt::v1::Stream& s, const FioJobOptions& options);
// The rate= of reader `reader` of `readers`: the stream's rate split evenly,
// the remainder on reader 0, so the readers sum exactly to the stream's rate.
uint64_t ReaderRate(uint64_t stream_rate, int readers, int reader);

// The most fio jobs one phase may have (the readers of every stream): fio
// itself runs at most 4096 (REAL_MAX_JOBS in fio.h), and each is a thread.
inline constexpr int kMaxJobsPerPhase = 1024;

// The engine a run uses by default: psync on macOS (see kThreadPerRead),
// libaio elsewhere. The no-argument form answers for the build's own OS.
std::string DefaultIoEngine(bool macos);
std::string DefaultIoEngine();
// fio's engines that do one read at a time per job (psync, sync, pvsync, pvsync2).
bool IsSyncEngine(absl::string_view ioengine);
// The layout of a run: on macOS a synchronous engine reads one thread per
// outstanding read and posixaio one process per stream; elsewhere (and for
// any other engine) one job per stream, as before.
JobLayout LayoutFor(bool macos, absl::string_view ioengine);
// The most reads one phase keeps in flight at once: at each stream's start,
// the sum of the iodepths (at least 1 each, at most `per_stream_cap` when that
// is not 0) of the streams then active.
int PeakReadsInFlight(const qdt::v1::Phase& phase, uint32_t per_stream_cap = 0);
// Run.checks.io_engine: how fio issues the reads, e.g. "psync: one thread per
// outstanding read, up to 16 threads at once (crossfade)", "libaio: one job
// per stream, iodepth per stream", "posixaio: one process per stream,
// iodepth at most 16 (kern.aioprocmax)".
std::string DescribeIoLayout(const qdt::v1::Profile& profile, const FioJobOptions& options);
// "stream-00.dat", "stream-01.dat", ...
std::string StreamFileName(int stream_index);
// How many files the run lays out: the highest file index of any stream + 1.
int FileCount(const qdt::v1::Profile& profile);

absl::StatusOr<std::string> BuildLayoutJobFile(const qdt::v1::Profile& profile,
                                               const FioJobOptions& options);
absl::StatusOr<std::string> BuildPhaseJobFile(const qdt::v1::Phase& phase, int phase_index,
                                              const FioJobOptions& options);

}  // namespace qdt::fio

#endif  // QDT_FIO_FIO_JOB_BUILDER_H_
