// /proc/diskstats (Linux): per block device I/O counters. The Linux backend
// (platform_probe.h) reads the file twice, a window apart, to tell how busy
// each drive under test is; this parser only turns one read into numbers.
//
// Parses: the content of /proc/diskstats (`cat /proc/diskstats`), layout as in
// the kernel's Documentation/admin-guide/iostats.rst: one line per block
// device; sectors are 512 bytes whatever the device's block size.
// Real captures: tests/fixtures/diskstats/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O (the caller reads the file), no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_DISKSTATS_H_
#define QDT_AGENT_PROBES_DISKSTATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

struct DiskstatsEntry {
  uint32_t major = 0, minor = 0;
  std::string name;
  uint64_t reads_completed = 0, sectors_read = 0, read_ms = 0;
  uint64_t writes_completed = 0, sectors_written = 0, write_ms = 0;
  uint64_t in_flight = 0, io_ms = 0;
};
// Lines with fewer than 14 fields, or a field that is not a number, are an
// error naming the line number. Empty text is an empty list.
absl::StatusOr<std::vector<DiskstatsEntry>> ParseDiskstats(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_DISKSTATS_H_
