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
#include "qdt/v1/agent.pb.h"

namespace qdt::fio {

struct FioJobOptions {
  std::string test_dir;          // absolute: <target>/.qdt-test/<run-id>
  uint64_t file_size_bytes = 0;  // each stream file
  std::string ioengine;          // "libaio" on Linux, "posixaio" on macOS
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
// then one for each later start offset.
std::vector<PhaseGate> PhaseGates(const qdt::v1::Phase& phase, int phase_index);

// The fio job of stream i of a phase: "stream-00", ...; fio names what a job
// writes after it ("stream-00.prerun.txt").
std::string StreamJobName(int stream_index);

// posixaio on macOS (the only async engine there), libaio elsewhere.
std::string DefaultIoEngine();
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
