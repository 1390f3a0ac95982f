// macOS iostat (agent/probes/iostat.h) on real captured output
// (tests/fixtures/iostat; provenance in SOURCES.md).
#include "agent/probes/iostat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IostatTest, OneDiskTwoSecondReports) {
  auto r = ParseIostat(Fixture("iostat/macos_applesilicon_iostat_d_w2_c5_disk0.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->disks, ElementsAre("disk0"));
  ASSERT_EQ(r->rows.size(), 5u);
  EXPECT_DOUBLE_EQ(r->rows[0][0].kb_per_transfer, 11.04);  // since boot
  EXPECT_DOUBLE_EQ(r->rows[0][0].transfers_per_s, 101);
  EXPECT_DOUBLE_EQ(r->rows[2][0].mb_per_s, 2.52);
  EXPECT_DOUBLE_EQ(r->rows[4][0].mb_per_s, 0.31);
}

TEST(IostatTest, TwoDisksWithCpuAndLoadColumnsSkipped) {
  auto r = ParseIostat(Fixture("iostat/macos_applesilicon_iostat_w1_c5_disk0_disk4_cpu_load.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->disks, ElementsAre("disk0", "disk4"));
  ASSERT_EQ(r->rows.size(), 5u);
  EXPECT_DOUBLE_EQ(r->rows[0][1].kb_per_transfer, 240.24);
  EXPECT_DOUBLE_EQ(r->rows[0][1].mb_per_s, 0);
  EXPECT_DOUBLE_EQ(r->rows[3][0].transfers_per_s, 222);
  EXPECT_DOUBLE_EQ(r->rows[3][0].mb_per_s, 3.10);
}

TEST(IostatTest, EmptyTruncatedAndForeignTextAreErrors) {
  EXPECT_THAT(ParseIostat("").status().message(), HasSubstr("no \"KB/t tps MB/s\" header"));
  EXPECT_THAT(ParseIostat("usage: iostat [-CdIKoTUx?]\n").status().message(),
              HasSubstr("names no disk"));
  EXPECT_THAT(
      ParseIostat("  disk0 disk4\n KB/t tps MB/s KB/t tps MB/s\n 1.0 2 0.5\n").status().message(),
      HasSubstr("line 3 has 3 columns, expected at least 6"));
  EXPECT_THAT(ParseIostat("  disk0\n KB/t tps MB/s\n 1.0 x 0.5\n").status().message(),
              HasSubstr("disk0: \"1.0 x 0.5\" is not numbers"));
  // A header with no reports yet is not an error: no rows.
  auto none = ParseIostat("  disk0\n KB/t tps MB/s\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->rows.empty());
}

}  // namespace
}  // namespace qdt::agent
