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
};

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
