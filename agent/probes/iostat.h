// iostat (macOS): how busy each drive is, so the probe report can warn that
// other I/O on a drive under test will skew its result. (Linux reads
// /proc/diskstats instead: diskstats.h.)
//
// Parses: `iostat [-d] -w N [-c M] [disks]`, e.g. `iostat -d -w 1 -c 2 disk0`:
// a row per report, a column group per disk ("KB/t tps MB/s"); the cpu and
// load-average columns (printed without -d) are skipped. The first row is the
// average since boot; each later row covers the N s before it.
// Real captures: tests/fixtures/iostat/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_IOSTAT_H_
#define QDT_AGENT_PROBES_IOSTAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

struct IostatDisk {
  double kb_per_transfer = 0, transfers_per_s = 0, mb_per_s = 0;
};
struct IostatReport {
  std::vector<std::string> disks;             // header order, e.g. {"disk0", "disk4"}
  std::vector<std::vector<IostatDisk>> rows;  // rows[i][d] for disks[d]
};
// Errors name the line: no disk in the header, no "KB/t tps MB/s" line, a row
// with too few columns or a column that is not a number. A header without
// rows is not an error.
absl::StatusOr<IostatReport> ParseIostat(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_IOSTAT_H_
