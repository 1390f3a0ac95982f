// qdtctl get's "Checks" block (console/client FormatChecks): every check the
// run recorded, in words, and nothing for what was not asked.
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

qdt::v1::Profile ThreePhases() {
  qdt::v1::Profile p;
  for (const char* n : {"normal", "crossfade", "max-read"}) p.add_phases()->set_name(n);
  return p;
}

TEST(FormatChecksTest, AMacRunSaysEveryCheck) {
  qdt::v1::MeasurementChecks c;
  c.set_device_counter("disk4");
  c.set_resident_fraction_after_layout(0.0004);
  auto* b = c.add_boundaries();
  b->set_to_phase_index(1);
  b->set_idle_gap_ms(17.4);
  b = c.add_boundaries();
  b->set_to_phase_index(2);  // ioreg is too slow to see a rest
  c.set_power_hold("caffeinate -i -m -s (pid 812)");
  c.set_power_source("Battery Power");
  c.set_spotlight("Indexing enabled.");
  c.set_time_machine("excluded /Volumes/Show/.qdt-test");
  const std::string out = FormatChecks(c, ThreePhases());
  EXPECT_THAT(out, HasSubstr("drive counter  disk4 (its own count of bytes read)\n"));
  EXPECT_THAT(out, HasSubstr("page cache     0.04 % of a test file resident after the eviction"));
  EXPECT_THAT(out, HasSubstr("drive rested   into crossfade 17 ms; into max-read not measured\n"));
  EXPECT_THAT(out, HasSubstr("kept awake     caffeinate -i -m -s (pid 812)\n"));
  EXPECT_THAT(out, HasSubstr("power          Battery Power\n"));
  EXPECT_THAT(out, HasSubstr("Spotlight      Indexing enabled.\n"));
  EXPECT_THAT(out, HasSubstr("Time Machine   excluded /Volumes/Show/.qdt-test\n"));
}

TEST(FormatChecksTest, WhatFailedSaysWhyAndWhatWasNotAskedIsLeftOut) {
  qdt::v1::MeasurementChecks c;
  c.set_device_counter_note("no device counter for \"/mnt/share\": a network share");
  c.set_power_hold_note("systemd-inhibit not found on PATH");
  auto* b = c.add_boundaries();
  b->set_to_phase_index(9);  // not a phase of this profile: numbered, not a crash
  b->set_idle_gap_ms(3);
  const std::string out = FormatChecks(c, ThreePhases());
  EXPECT_THAT(out, HasSubstr("none: no device counter for \"/mnt/share\": a network share"));
  EXPECT_THAT(out, HasSubstr("kept awake     no: systemd-inhibit not found on PATH"));
  EXPECT_THAT(out, HasSubstr("into phase 10 3 ms"));
  for (const char* absent : {"page cache", "power ", "Spotlight", "Time Machine"}) {
    EXPECT_THAT(out, Not(HasSubstr(absent))) << absent;
  }
}

}  // namespace
}  // namespace qdt::client
