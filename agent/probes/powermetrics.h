// powermetrics (macOS, root only): the system's thermal pressure level, which
// the thermal monitor (thermal_monitor.h) reports beside the drive
// temperature: a Mac under thermal pressure slows down, and so does its disk
// test.
//
// Parses: `powermetrics --samplers thermal -i 1000 -n 1` (the "Current
// pressure level: X" line; other samplers' blocks are ignored).
// Real captures: tests/fixtures/powermetrics/ (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_POWERMETRICS_H_
#define QDT_AGENT_PROBES_POWERMETRICS_H_

#include "absl/strings/string_view.h"
#include "qdt/v1/agent.pb.h"

namespace qdt::agent {

// The last "Current pressure level: X" line (Nominal, Moderate, Heavy,
// Trapping, Sleeping). UNKNOWN when the text has no thermal block (another
// sampler, or no root), or names a level this parser does not know.
qdt::v1::ThermalPressure ParsePowermetricsThermal(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_POWERMETRICS_H_
