// ioreg: the drives' own byte counters, on real captures (tests/fixtures/ioreg,
// provenance in SOURCES.md).
#include "agent/probes/ioreg.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

// An Apple Silicon internal SSD, captured without -l: the counters and the
// media's node name, no BSD name.
TEST(IoregTest, AppleSiliconDriverWithoutMediaProperties) {
  auto d = ParseIoregBlockDrivers(testing::Fixture(
      "ioreg/ioreg_r_c_IOBlockStorageDriver_apple_silicon_ap0128q_no_l_excerpt.txt"));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].bytes_read, 30948818944u);
  EXPECT_EQ((*d)[0].bytes_written, 14221045760u);
  EXPECT_EQ((*d)[0].reads, 2328858u);
  EXPECT_EQ((*d)[0].writes, 1006613u);
  EXPECT_EQ((*d)[0].media_name, "APPLE SSD AP0128Q");
  EXPECT_EQ((*d)[0].bsd_name, "");
}

// With -l the whole-disk IOMedia below each driver prints its BSD name. The
// tree is composed from the two real captures (the driver node of the
// AP0128Q excerpt, the IOMedia property block of the AP1024R excerpt) in the
// layout `ioreg -r -c IOBlockStorageDriver -l -w 0 -d 2` prints, with a
// second drive and a partition to check that counters go to the right disk.
TEST(IoregTest, CountersGoToTheWholeDiskBelowEachDriver) {
  const std::string driver = testing::Fixture(
      "ioreg/ioreg_r_c_IOBlockStorageDriver_apple_silicon_ap0128q_no_l_excerpt.txt");
  std::string media = testing::Fixture("ioreg/ioreg_l_IOMedia_apple_ssd_ap1024r_excerpt.txt");
  // The forum post trimmed the node's class; ioreg prints it (as in the AP0128Q capture).
  media = absl::StrReplaceAll(
      media, {{"Media  \n",
               "Media  <class IOMedia, id 0x10000072d, registered, matched, active, "
               "busy 0 (136 ms), retain 12>\n"}});
  // Indent the media block as the driver's child, as ioreg prints it.
  std::string child;
  for (absl::string_view line : absl::StrSplit(media, '\n')) {
    if (!line.empty()) absl::StrAppend(&child, "  ", line, "\n");
  }
  const size_t cut = driver.find("  +-o APPLE SSD AP0128Q Media");
  ASSERT_NE(cut, std::string::npos);
  std::string second = driver.substr(0, cut);
  second =
      absl::StrReplaceAll(second, {{"30948818944", "5187000000"}, {"0x10000072b", "0x1000009aa"}});
  std::string tree = driver.substr(0, cut) + child + second +
                     absl::StrReplaceAll(child, {{"disk0", "disk4"}, {"AP1024R", "T7"}});
  auto d = ParseIoregBlockDrivers(tree);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].bsd_name, "disk0");
  EXPECT_EQ((*d)[0].media_name, "APPLE SSD AP1024R");
  EXPECT_EQ((*d)[0].bytes_read, 30948818944u);
  EXPECT_EQ((*d)[1].bsd_name, "disk4");
  EXPECT_EQ((*d)[1].bytes_read, 5187000000u);
}

TEST(IoregTest, OutputWithoutCountersOrWithBrokenOnesIsAnError) {
  auto none = ParseIoregBlockDrivers(
      testing::Fixture("ioreg/ioreg_l_IOMedia_apple_ssd_ap1024r_excerpt.txt"));
  EXPECT_TRUE(absl::IsNotFound(none.status()));
  EXPECT_TRUE(absl::IsNotFound(ParseIoregBlockDrivers("").status()));
  const std::string head =
      "+-o IOBlockStorageDriver  <class IOBlockStorageDriver, id 0x1>\n  | {\n  |   ";
  auto no_bytes = ParseIoregBlockDrivers(head + "\"Statistics\" = {\"Operations (Read)\"=5}\n");
  EXPECT_TRUE(absl::IsInvalidArgument(no_bytes.status()));
  EXPECT_THAT(no_bytes.status().message(), HasSubstr("line 3"));
  EXPECT_THAT(no_bytes.status().message(), HasSubstr("no \"Bytes (Read)\""));
  auto not_number = ParseIoregBlockDrivers(head + "\"Statistics\" = {\"Bytes (Read)\"=12abc}\n");
  EXPECT_THAT(not_number.status().message(), HasSubstr("not a count"));
  auto overflow = ParseIoregBlockDrivers(
      head + "\"Statistics\" = {\"Bytes (Read)\"=99999999999999999999999}\n");
  EXPECT_FALSE(overflow.ok());
  auto unclosed = ParseIoregBlockDrivers(head + "\"Statistics\" = {\"Bytes (Read)\"=1\n");
  EXPECT_THAT(unclosed.status().message(), HasSubstr("not a {...} dictionary"));
}

}  // namespace
}  // namespace qdt::agent
