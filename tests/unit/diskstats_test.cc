// /proc/diskstats (agent/probes/diskstats.h) on a real capture
// (tests/fixtures/diskstats; provenance in SOURCES.md) and on this machine's.
#include "agent/probes/diskstats.h"

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::HasSubstr;

TEST(DiskstatsTest, ThisMachinesVirtioDisk) {
  auto d = ParseDiskstats(Fixture("diskstats/local_debian12_vm_virtio_vda_proc_diskstats.txt"));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 10u);
  const DiskstatsEntry& vda = (*d)[8];
  EXPECT_EQ(vda.name, "vda");
  EXPECT_EQ(vda.major, 254u);
  EXPECT_EQ(vda.reads_completed, 1321918u);
  EXPECT_EQ(vda.sectors_read, 1511032826u);
  EXPECT_EQ(vda.read_ms, 32040121u);
  EXPECT_EQ(vda.writes_completed, 175810u);
  EXPECT_EQ(vda.sectors_written, 198358008u);
  EXPECT_EQ(vda.in_flight, 0u);
  EXPECT_EQ(vda.io_ms, 1499224u);
  EXPECT_EQ((*d)[0].name, "loop0");
}

TEST(DiskstatsTest, LiveProcDiskstatsParsesAndShortLinesAreErrors) {
  if (auto text = ReadFile("/proc/diskstats"); text.ok()) {
    auto live = ParseDiskstats(*text);
    ASSERT_TRUE(live.ok()) << live.status();
    EXPECT_FALSE(live->empty());
  }
  EXPECT_THAT(ParseDiskstats("   8 0 sda 1 2 3\n").status().message(),
              HasSubstr("line 1 has 6 fields, expected at least 14"));
  EXPECT_THAT(ParseDiskstats("8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n").status().message(),
              HasSubstr("(sda) has a field that is not a number"));
  auto empty = ParseDiskstats("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace qdt::agent
