// macOS storage parsers on real captured output (tests/fixtures/diskutil,
// tests/fixtures/system_profiler; provenance in SOURCES.md), run on Linux.
#include "agent/probes/darwin_parsers.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(QDT_FIXTURE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DiskutilInfoTest, ApfsSystemVolumeMapsToItsPhysicalStore) {
  auto d =
      ParseDiskutilInfo(Fixture("diskutil/diskutil_info_disk3s1_applesilicon_system_volume.txt"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->device_identifier, "disk3s1");
  EXPECT_EQ(d->part_of_whole, "disk3");
  EXPECT_EQ(d->volume_name, "Macintosh HD");
  EXPECT_EQ(d->mount_point, "/Volumes/Macintosh HD");
  EXPECT_EQ(d->protocol, "Apple Fabric");
  EXPECT_EQ(d->smart_status, "Verified");
  EXPECT_EQ(d->solid_state, true);
  EXPECT_EQ(d->volume_read_only, true);  // "Yes (read-only mount flag set)"
  EXPECT_EQ(d->apfs_container, "disk3");
  EXPECT_EQ(d->apfs_physical_store, "disk0s2");
  EXPECT_EQ(d->disk_size_bytes, 245107195904ull);
}

TEST(DiskutilInfoTest, PrebootHelperVolumeIsOsUseOnly) {
  auto d = ParseDiskutilInfo(Fixture("diskutil/diskutil_info_disk1s1_applesilicon_iscpreboot.txt"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->device_identifier, "disk1s1");
  EXPECT_EQ(d->os_use_only, true);
}

TEST(DiskutilInfoTest, OtherTextIsAnError) {
  auto d = ParseDiskutilInfo(
      Fixture("diskutil/diskutil_list_text_applesilicon_500gb_with_linux_partitions.txt"));
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("Device Identifier"));
  EXPECT_FALSE(ParseDiskutilInfo("").ok());
}

TEST(SystemProfilerTest, AppleSiliconInternalSsd) {
  auto s = ParseSystemProfilerJson(
      Fixture("system_profiler/applesilicon_ap0256z_SPStorage_SPNVMe_SPSerialATA.json"));
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->nvme.size(), 1u);
  EXPECT_EQ(s->nvme[0].model, "APPLE SSD AP0256Z");
  EXPECT_EQ(s->nvme[0].serial, "0ba018e4045c5e3e");
  EXPECT_EQ(s->nvme[0].bsd_name, "disk0");
  EXPECT_EQ(s->nvme[0].size_bytes, 251000193024ull);
  ASSERT_EQ(s->volumes.size(), 2u);
  EXPECT_EQ(s->volumes[0].mount_point, "/System/Volumes/Data");
  EXPECT_EQ(s->volumes[0].free_bytes, 23142219776ull);
  EXPECT_EQ(s->volumes[0].device_name, "APPLE SSD AP0256Z");
  EXPECT_EQ(s->volumes[0].protocol, "Apple Fabric");
  EXPECT_EQ(s->volumes[0].medium_type, "ssd");
  EXPECT_EQ(s->volumes[0].internal, true);
  EXPECT_EQ(s->volumes[1].mount_point, "/");
}

TEST(SystemProfilerTest, VirtualMachineHasNoNvmeAndNoDriveFacts) {
  auto nvme = ParseSystemProfilerJson(
      Fixture("system_profiler/github_runner_macos26_arm64_vm_SPNVMeDataType_empty.json"));
  ASSERT_TRUE(nvme.ok()) << nvme.status();
  EXPECT_TRUE(nvme->nvme.empty());
  auto storage = ParseSystemProfilerJson(
      Fixture("system_profiler/github_runner_macos26_arm64_vm_SPStorageDataType.json"));
  ASSERT_TRUE(storage.ok()) << storage.status();
  ASSERT_FALSE(storage->volumes.empty());
  bool virtual_disk_without_protocol = false;
  for (const auto& v : storage->volumes) {
    if (v.protocol.empty() && v.device_name.empty()) virtual_disk_without_protocol = true;
  }
  EXPECT_TRUE(virtual_disk_without_protocol)
      << "the VM's internal disk has no device_name/protocol";
  EXPECT_FALSE(ParseSystemProfilerJson("SPStorageDataType:\n").ok());
}

}  // namespace
}  // namespace qdt::agent
