// Linux hwmon (agent/probes/hwmon.h) on a fake sysfs tree built from real
// captures (tests/fixtures/hwmon; provenance in SOURCES.md).
#include "agent/probes/hwmon.h"

#include <sys/stat.h>
#include <unistd.h>

#include "agent/probes/thermal_monitor.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::BuildSysfs;

TEST(HwmonTest, FindsTheNvmeByNameNotByIndex) {
  testing::TempDir root("sysfs");
  BuildSysfs(root.path());
  auto temps = ReadDriveHwmon(root.path());
  ASSERT_EQ(temps.size(), 1u);
  EXPECT_EQ(temps[0].hwmon, "hwmon3");
  EXPECT_EQ(temps[0].label, "Composite");
  EXPECT_DOUBLE_EQ(temps[0].celsius, 29.85);  // 29850 m°C
  testing::TempDir empty("sysfs-empty");
  EXPECT_TRUE(ReadDriveHwmon(empty.path()).empty());
}

// Adds the device links of a real sysfs to the fake tree: hwmon3 and the
// namespace nvme0n1 (with its partition nvme0n1p2) lead to the controller
// nvme0; loop0 has no device (as in real sysfs).
void AddDeviceLinks(const std::string& root) {
  const std::string ctrl = root + "/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0";
  for (const std::string& d :
       {root + "/devices", root + "/devices/pci0000:00", root + "/devices/pci0000:00/0000:00:1d.0",
        root + "/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0",
        root + "/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme", ctrl, ctrl + "/nvme0n1",
        ctrl + "/nvme0n1/nvme0n1p2", root + "/class/block", root + "/devices/virtual",
        root + "/devices/virtual/block", root + "/devices/virtual/block/loop0"}) {
    ::mkdir(d.c_str(), 0755);
  }
  ASSERT_TRUE(WriteFile(ctrl + "/nvme0n1/nvme0n1p2/partition", "2\n").ok());
  ASSERT_EQ(::symlink(ctrl.c_str(), (root + "/class/hwmon/hwmon3/device").c_str()), 0);
  ASSERT_EQ(::symlink(ctrl.c_str(), (ctrl + "/nvme0n1/device").c_str()), 0);
  ASSERT_EQ(::symlink((ctrl + "/nvme0n1").c_str(), (root + "/class/block/nvme0n1").c_str()), 0);
  ASSERT_EQ(
      ::symlink((ctrl + "/nvme0n1/nvme0n1p2").c_str(), (root + "/class/block/nvme0n1p2").c_str()),
      0);
  ASSERT_EQ(::symlink((root + "/devices/virtual/block/loop0").c_str(),
                      (root + "/class/block/loop0").c_str()),
            0);
}

// The drive under test's own sensor, found through the device links; a
// loop device has none, and never gets another drive's.
TEST(HwmonTest, TheSensorOfOneBlockDevice) {
  testing::TempDir root("sysfs");
  BuildSysfs(root.path());
  AddDeviceLinks(root.path());
  auto nvme = ReadBlockDeviceHwmon(root.path(), "nvme0n1");
  ASSERT_TRUE(nvme.has_value());
  EXPECT_EQ(nvme->hwmon, "hwmon3");
  EXPECT_DOUBLE_EQ(nvme->celsius, 29.85);
  auto part = ReadBlockDeviceHwmon(root.path(), "nvme0n1p2");
  ASSERT_TRUE(part.has_value()) << "a partition has its disk's sensor";
  EXPECT_EQ(part->hwmon, "hwmon3");
  EXPECT_FALSE(ReadBlockDeviceHwmon(root.path(), "loop0").has_value());
  EXPECT_FALSE(ReadBlockDeviceHwmon(root.path(), "sda").has_value());
  EXPECT_FALSE(ReadBlockDeviceHwmon(root.path(), "../class").has_value());

  // The thermal monitor on Linux during a run: that drive's sensor, named.
  ThermalMonitor monitor(nullptr, Platform::kLinux, root.path());
  monitor.SetRunDrive({"/dev/loop0", ""});
  ThermalReading r = monitor.SampleOnce();
  EXPECT_FALSE(r.temperature_c.has_value()) << "the NVMe's temperature is not the loop's";
  EXPECT_EQ(r.temperature_source, "no temperature sensor for loop0");
  monitor.SetRunDrive({"/dev/nvme0n1p2", ""});
  r = monitor.SampleOnce();
  EXPECT_EQ(r.temperature_c, 29.85);
  EXPECT_EQ(r.temperature_source, "hwmon3 nvme Composite (nvme0n1p2)");
  monitor.ClearRunDrive();
  EXPECT_EQ(monitor.SampleOnce().temperature_source, "hwmon3 nvme Composite");  // idle: as before
}

}  // namespace
}  // namespace qdt::agent
