// Plist / diskutil -plist, iostat, smartctl text and /proc/diskstats parsers on
// real captured output (tests/fixtures; provenance in SOURCES.md).
#include "agent/probes/storage_parsers.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& rel) {
  std::ifstream in(std::string(QDT_FIXTURE_DIR) + "/" + rel);
  EXPECT_TRUE(in) << "missing fixture " << rel;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PlistTest, ValuesAndEntities) {
  auto v = ParsePlist(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE plist SYSTEM \"x\">\n<plist version=\"1.0\"><dict>"
      "<key>a &amp; b</key><string>Show &lt;1&gt; &#233;</string>"
      "<key>n</key><integer>-5</integer><key>big</key><integer>18446744073709551615</integer>"
      "<key>r</key><real>2.5</real><key>t</key><true/><key>f</key><false/>"
      "<key>e</key><array/><key>d</key><dict/><key>s</key><string/>"
      "<!-- a comment --><key>arr</key><array><integer>1</integer><string>x</string></array>"
      "</dict></plist>\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a & b"], "Show <1> \xC3\xA9");
  EXPECT_EQ((*v)["n"], -5);
  EXPECT_EQ((*v)["big"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ((*v)["r"], 2.5);
  EXPECT_EQ((*v)["t"], true);
  EXPECT_EQ((*v)["f"], false);
  EXPECT_TRUE((*v)["e"].is_array() && (*v)["e"].empty());
  EXPECT_TRUE((*v)["d"].is_object() && (*v)["d"].empty());
  EXPECT_EQ((*v)["s"], "");
  EXPECT_EQ((*v)["arr"], nlohmann::json::parse(R"([1, "x"])"));
}

TEST(PlistTest, BrokenInputIsAnErrorNamingTheOffset) {
  for (const char* bad :
       {"", "garbage", "<plist><dict><key>a</key></dict></plist>",
        "<plist><dict><string>x</string></dict></plist>", "<plist><integer>12x</integer></plist>",
        "<plist><dict/></plist>junk", "<plist><string>a &bogus; b</string></plist>",
        "<plist><array><string>open</array></plist>", "<plist><blob/></plist>"}) {
    auto v = ParsePlist(bad);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_THAT(v.status().message(), HasSubstr("plist: ")) << bad;
  }
  EXPECT_THAT(ParsePlist("<plist><integer>12x</integer></plist>").status().message(),
              HasSubstr("<integer> \"12x\" is not an integer at offset 7"));
  std::string deep = "<plist>";
  for (int i = 0; i < 70; ++i) deep += "<array>";
  for (int i = 0; i < 70; ++i) deep += "</array>";
  deep += "</plist>";
  EXPECT_THAT(ParsePlist(deep).status().message(), HasSubstr("nested deeper than 64"));
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

TEST(SmartctlTextTest, AppleSsdOnMacos14AnswersOnlySomeLogs) {
  auto s = ParseSmartctlText(
      Fixture("smartctl/smartctl-7.4_macos14_darwin23_arm64_apple_ssd_ap0256z_a.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "APPLE SSD AP0256Z");
  EXPECT_EQ(s->serial, "0ba01f1144582433");
  EXPECT_EQ(s->firmware, "355");
  EXPECT_EQ(s->health, "PASSED");
  EXPECT_EQ(s->temperature_c, 32);
  EXPECT_TRUE(s->sensor_temperatures_c.empty());
  EXPECT_FALSE(s->warning_temp_time_min.has_value());  // Apple SSDs do not print it
  EXPECT_FALSE(s->critical_temp_time_min.has_value());
  ASSERT_EQ(s->failed_logs.size(), 1u);
  EXPECT_THAT(s->failed_logs[0], HasSubstr("code=745"));
}

TEST(SmartctlTextTest, OlderSmartctlOnM1WithoutSerial) {
  auto s = ParseSmartctlText(
      Fixture("smartctl/smartctl-7.0_macos11_m1_macbookair_apple_ssd_ap0512q_a.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "APPLE SSD AP0512Q");
  EXPECT_EQ(s->serial, "");  // -q noserial
  EXPECT_EQ(s->temperature_c, 26);
  ASSERT_EQ(s->failed_logs.size(), 1u);
  EXPECT_THAT(s->failed_logs[0], HasSubstr("is not supported"));
}

TEST(SmartctlTextTest, SamsungWithSensorsTimesAndThresholds) {
  auto s =
      ParseSmartctlText(Fixture("smartctl/smartctl-7.4_linux_nvme_samsung980pro_temp_sensors.txt"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->model, "Samsung 980 PRO with Heatsink 2TB");
  EXPECT_EQ(s->serial, "");  // masked "--" in the public report
  EXPECT_EQ(s->temperature_c, 52);
  EXPECT_THAT(s->sensor_temperatures_c, ElementsAre(52, 56));
  EXPECT_EQ(s->warning_temp_time_min, 0);
  EXPECT_EQ(s->critical_temp_time_min, 0);
  EXPECT_EQ(s->warning_temp_threshold_c, 82);
  EXPECT_EQ(s->critical_temp_threshold_c, 85);
  auto asahi =
      ParseSmartctlText(Fixture("smartctl/smartctl-7.4_asahi-linux_apple-silicon_ap0512z.txt"));
  ASSERT_TRUE(asahi.ok());
  EXPECT_EQ(asahi->temperature_c, 33);
  EXPECT_EQ(asahi->model, "APPLE SSD AP0512Z");
}

TEST(SmartctlTextTest, NotAReportIsAnErrorAndAMissingTemperatureStaysUnset) {
  EXPECT_THAT(ParseSmartctlText("").status().message(), HasSubstr("no \"smartctl N.N\" banner"));
  EXPECT_FALSE(
      ParseSmartctlText(Fixture("smartctl/smartctl-7.0_linux_nvme_samsung970evo_x_json.json"))
          .ok());
  auto s = ParseSmartctlText(
      "smartctl 7.4 2023-08-01 r5530 [Darwin 23.0.0 arm64] (local build)\n"
      "Smartctl open device: /dev/disk9 failed: No such device\n");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->temperature_c.has_value());
  EXPECT_EQ(s->model, "");
}

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
  std::ifstream in("/proc/diskstats");
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    auto live = ParseDiskstats(ss.str());
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
