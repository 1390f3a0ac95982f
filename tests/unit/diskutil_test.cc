// diskutil parsers (agent/probes/diskutil.h) on real captured output
// (tests/fixtures/diskutil; provenance in SOURCES.md), run on Linux: info
// text and -plist, list -plist and text, apfs list, and PhysicalChain.
#include "agent/probes/diskutil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

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

TEST(DiskutilInfoPlistTest, RootApfsVolumeOnAnInternalSsd) {
  auto d = ParseDiskutilInfoPlist(
      Fixture("diskutil/diskutil_info_plist_root_apfs_pci_ssd_intel_mac.plist"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->device_identifier, "disk1s5s1");
  EXPECT_EQ(d->parent_whole_disk, "disk1");
  EXPECT_EQ(d->mount_point, "/");
  EXPECT_EQ(d->volume_name, "SSD");
  EXPECT_EQ(d->filesystem_type, "apfs");
  EXPECT_EQ(d->bus_protocol, "PCI");
  EXPECT_EQ(d->smart_status, "Verified");
  EXPECT_EQ(d->solid_state, true);
  EXPECT_EQ(d->internal, true);
  EXPECT_EQ(d->whole_disk, false);
  EXPECT_EQ(d->writable_volume, false);  // the sealed system snapshot
  EXPECT_EQ(d->apfs_container, "disk1");
  EXPECT_THAT(d->apfs_physical_stores, ElementsAre("disk0s2"));
  EXPECT_EQ(d->total_size_bytes, 500068036608ull);
  // FreeSpace is 0 on the snapshot; the container's free space is what counts.
  EXPECT_EQ(d->free_bytes, 10416455680ull);
  EXPECT_EQ(d->media_name, "");
}

TEST(DiskutilInfoPlistTest, UsbHddWithoutSolidStateKeyStaysUnknown) {
  auto d = ParseDiskutilInfoPlist(Fixture("diskutil/diskutil_info_plist_usb_hfs_hdd_5tb.plist"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->device_identifier, "disk11s2");
  EXPECT_EQ(d->parent_whole_disk, "disk11");
  EXPECT_EQ(d->bus_protocol, "USB");
  EXPECT_EQ(d->smart_status, "Not Supported");
  EXPECT_FALSE(d->solid_state.has_value());
  EXPECT_EQ(d->internal, false);
  EXPECT_EQ(d->writable_volume, true);
  EXPECT_TRUE(d->apfs_container.empty());
  EXPECT_TRUE(d->apfs_physical_stores.empty());
  EXPECT_EQ(d->free_bytes, 1111923171328ull);
  EXPECT_EQ(d->total_size_bytes, 5000603328512ull);
}

TEST(DiskutilInfoPlistTest, NetworkShareErrorFormIsNotFoundWithItsMessage) {
  auto d =
      ParseDiskutilInfoPlist(Fixture("diskutil/diskutil_info_plist_error_smb_not_a_disk.plist"));
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(absl::IsNotFound(d.status()));
  EXPECT_EQ(d.status().message(), "diskutil: Could not find disk: /Volumes/SMB");
  // The list form is not info output.
  auto list = ParseDiskutilInfoPlist(Fixture(
      "diskutil/diskutil_list_plist_physical_macos_vm_applesilicon_isc_apfs_recovery.plist"));
  EXPECT_THAT(list.status().message(), HasSubstr("no DeviceIdentifier"));
}

TEST(DiskutilListTest, VirtualMachineDiskWithItsPartitions) {
  auto l = ParseDiskutilList(Fixture(
      "diskutil/diskutil_list_plist_physical_macos_vm_applesilicon_isc_apfs_recovery.plist"));
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->disks.size(), 1u);
  const DiskutilListDisk& d = l->disks[0];
  EXPECT_EQ(d.device_identifier, "disk0");
  EXPECT_EQ(d.content, "GUID_partition_scheme");
  EXPECT_EQ(d.size_bytes, 50000000000ull);
  EXPECT_EQ(d.os_internal, false);
  ASSERT_EQ(d.partitions.size(), 3u);
  EXPECT_EQ(d.partitions[1].device_identifier, "disk0s2");
  EXPECT_EQ(d.partitions[1].content, "Apple_APFS");
  EXPECT_EQ(d.partitions[1].size_bytes, 44107001856ull);
  EXPECT_TRUE(d.apfs_volumes.empty());
  EXPECT_THAT(l->whole_disks, ElementsAre("disk0"));
  // The APFS physical store of the info fixture lives on this disk0.
  EXPECT_THAT(PhysicalChain(*l, "disk0s2"), ElementsAre("disk0s2", "disk0"));
  EXPECT_TRUE(PhysicalChain(*l, "disk9s1").empty());
}

// The full chain needs an APFS container in the list. Synthetic, in the
// layout diskutil prints (an APFS container is a "whole disk" whose
// APFSPhysicalStores name a partition of the real drive).
TEST(DiskutilListTest, VolumeToContainerToPhysicalStoreToWholeDisk) {
  const char* kList = R"(<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>AllDisksAndPartitions</key><array>
 <dict><key>DeviceIdentifier</key><string>disk0</string><key>Size</key><integer>251000193024</integer>
  <key>Partitions</key><array>
   <dict><key>DeviceIdentifier</key><string>disk0s1</string><key>Content</key><string>Apple_APFS_ISC</string></dict>
   <dict><key>DeviceIdentifier</key><string>disk0s2</string><key>Content</key><string>Apple_APFS</string></dict>
  </array></dict>
 <dict><key>DeviceIdentifier</key><string>disk3</string>
  <key>APFSPhysicalStores</key><array><dict><key>DeviceIdentifier</key><string>disk0s2</string></dict></array>
  <key>APFSVolumes</key><array>
   <dict><key>DeviceIdentifier</key><string>disk3s5</string><key>MountPoint</key><string>/System/Volumes/Data</string><key>VolumeName</key><string>Data</string></dict>
  </array></dict>
 <dict><key>DeviceIdentifier</key><string>disk5</string><key>APFSPhysicalStores</key><array><dict><key>DeviceIdentifier</key><string>disk5</string></dict></array></dict>
</array></dict></plist>)";
  auto l = ParseDiskutilList(kList);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->disks[1].apfs_volumes[0].mount_point, "/System/Volumes/Data");
  EXPECT_THAT(PhysicalChain(*l, "disk3s5"), ElementsAre("disk3s5", "disk3", "disk0s2", "disk0"));
  // A container that names itself as its store does not loop.
  EXPECT_THAT(PhysicalChain(*l, "disk5"), ElementsAre("disk5"));
  EXPECT_THAT(ParseDiskutilList("<plist><dict/></plist>").status().message(),
              HasSubstr("no AllDisksAndPartitions"));
}

TEST(DiskutilListTextTest, AppleSiliconWithLinuxPartitionsAndASynthesizedContainer) {
  auto l = ParseDiskutilListText(
      Fixture("diskutil/diskutil_list_text_applesilicon_500gb_with_linux_partitions.txt"));
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->disks.size(), 2u);
  const DiskutilListDisk& d0 = l->disks[0];
  EXPECT_EQ(d0.device_identifier, "disk0");
  EXPECT_EQ(d0.content, "GUID_partition_scheme");
  EXPECT_EQ(d0.size_bytes, 500300000000ull);
  ASSERT_EQ(d0.partitions.size(), 6u);  // the "(free space)" row is not a partition
  EXPECT_EQ(d0.partitions[1].device_identifier, "disk0s2");
  EXPECT_EQ(d0.partitions[1].content, "Apple_APFS");
  EXPECT_EQ(d0.partitions[1].volume_name, "Container disk4");
  EXPECT_EQ(d0.partitions[3].content, "Linux Filesystem");
  EXPECT_EQ(d0.partitions[3].volume_name, "");
  EXPECT_EQ(d0.partitions[4].size_bytes, 127700000000ull);
  const DiskutilListDisk& d4 = l->disks[1];
  EXPECT_EQ(d4.device_identifier, "disk4");
  EXPECT_EQ(d4.content, "APFS Container Scheme");
  EXPECT_THAT(d4.apfs_physical_stores, ElementsAre("disk0s2"));
  ASSERT_EQ(d4.apfs_volumes.size(), 6u);
  EXPECT_EQ(d4.apfs_volumes[0].volume_name, "Macintosh HD");
  EXPECT_EQ(d4.apfs_volumes[4].device_identifier, "disk4s5");
  EXPECT_EQ(d4.apfs_volumes[4].volume_name, "Data");
  EXPECT_THAT(l->whole_disks, ElementsAre("disk0"));
  // The Data volume's drive, all from one real listing.
  EXPECT_THAT(PhysicalChain(*l, "disk4s5"), ElementsAre("disk4s5", "disk4", "disk0s2", "disk0"));
  EXPECT_THAT(ParseDiskutilListText("Could not find disk: disk9\n").status().message(),
              HasSubstr("no \"/dev/diskN (...):\" header"));
}

TEST(DiskutilApfsListTest, ContainerWithItsStoreAndVolumes) {
  auto l = ParseDiskutilApfsList(Fixture("diskutil/diskutil_apfs_list_disk3_applesilicon.txt"));
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->disks.size(), 1u);
  const DiskutilListDisk& c = l->disks[0];
  EXPECT_EQ(c.device_identifier, "disk3");
  EXPECT_EQ(c.size_bytes, 245107195904ull);
  EXPECT_THAT(c.apfs_physical_stores, ElementsAre("disk0s2"));
  ASSERT_GE(c.apfs_volumes.size(), 5u);
  EXPECT_EQ(c.apfs_volumes[0].device_identifier, "disk3s1");
  EXPECT_EQ(c.apfs_volumes[0].role, "System");
  EXPECT_EQ(c.apfs_volumes[0].volume_name, "Macintosh HD");
  EXPECT_EQ(c.apfs_volumes[0].mount_point, "/Volumes/Macintosh HD");
  EXPECT_EQ(c.apfs_volumes[0].size_bytes, 15053312000ull);
  const DiskutilListEntry* data = nullptr;
  const DiskutilListEntry* recovery = nullptr;
  for (const auto& v : c.apfs_volumes) {
    if (v.role == "Data") data = &v;
    if (v.role == "Recovery") recovery = &v;
  }
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->device_identifier, "disk3s5");
  EXPECT_EQ(data->mount_point, "/Volumes/Data");
  ASSERT_NE(recovery, nullptr);
  EXPECT_EQ(recovery->mount_point, "");  // "Not Mounted"
  // Without the physical disks in this listing the chain ends at the store.
  EXPECT_THAT(PhysicalChain(*l, "disk3s5"), ElementsAre("disk3s5", "disk3"));
  EXPECT_FALSE(ParseDiskutilApfsList("No APFS Containers found\n").ok());
}

}  // namespace
}  // namespace qdt::agent
