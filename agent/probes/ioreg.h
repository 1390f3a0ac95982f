// ioreg (macOS): each drive's own cumulative byte counters, the kernel's
// count of what the drive delivered, which the run engine compares with what
// fio says it read (agent/run/device_counter.h).
//
// Parses: `ioreg -r -c IOBlockStorageDriver -l -w 0 -d 2`. Every
// IOBlockStorageDriver node carries a "Statistics" dictionary
// ({"Bytes (Read)"=..., "Operations (Read)"=..., ...}, cumulative since the
// driver appeared; IOBlockStorageDriver.h, kIOBlockStorageDriverStatistics*);
// its child is the whole-disk IOMedia, whose "BSD Name" ("disk4") names it.
// The driver comes BEFORE its media in the output, so the counters are held
// until the next IOMedia node below the driver names them. Without -l the
// media's properties are not printed: the driver then has only the media's
// node name ("APPLE SSD AP0128Q"), no BSD name.
// Real captures: tests/fixtures/ioreg/ (provenance in tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_IOREG_H_
#define QDT_AGENT_PROBES_IOREG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

struct IoregBlockDriver {
  uint64_t bytes_read = 0, bytes_written = 0;  // "Bytes (Read)", "Bytes (Write)"
  uint64_t reads = 0, writes = 0;              // "Operations (Read)", "Operations (Write)"
  std::string media_name;  // the IOMedia node's name without " Media": "APPLE SSD AP0128Q"
  std::string bsd_name;    // "disk0"; empty when the output has no media properties (no -l)
};

// Every driver with a "Statistics" dictionary, in output order. NotFound when
// there is none (not ioreg's output, or no drive); InvalidArgument naming the
// line when a Statistics dictionary has no "Bytes (Read)" or a value that is
// not a number.
absl::StatusOr<std::vector<IoregBlockDriver>> ParseIoregBlockDrivers(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_IOREG_H_
