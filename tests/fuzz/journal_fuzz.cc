// libFuzzer target: journal. Any bytes as an events.log image (agent/run_store.h
// ParseEventLog) must give events, never a crash, a hang or a sanitizer
// report, and what it gives must hold the reader's promises: seqs 1, 2, 3, ...
// without a gap, and the events written back as a log read back the same with
// no damage. Seeded with a real events.log (tests/fixtures/journal). Run by
// ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/run_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string log(reinterpret_cast<const char*>(data), size);
  qdt::agent::EventLogScan scan;
  const std::vector<qdt::v1::RunEvent> events = qdt::agent::ParseEventLog(log, &scan);
  if (scan.good_bytes + scan.skipped_bytes != size) __builtin_trap();  // every byte accounted for
  std::string again;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].seq() != i + 1) __builtin_trap();  // WatchRun indexes by seq
    again += qdt::agent::EncodeEventRecord(events[i]);
  }
  qdt::agent::EventLogScan rescan;
  const std::vector<qdt::v1::RunEvent> reread = qdt::agent::ParseEventLog(again, &rescan);
  if (reread.size() != events.size() || rescan.skipped_bytes != 0) __builtin_trap();
  for (size_t i = 0; i < events.size(); ++i) {
    if (reread[i].SerializeAsString() != events[i].SerializeAsString()) __builtin_trap();
  }
  return 0;
}
