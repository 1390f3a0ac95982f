#include "agent/volumes.h"

#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

// From proc(5), plus a path with a space (escaped as \040) and a read-only mount.
constexpr char kMountInfo[] =
    "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "40 22 0:5 / /proc rw,nosuid - proc proc rw\n"
    "41 22 8:17 / /media/Show\\040Drive ro,relatime shared:9 - exfat /dev/sdb1 ro\n";

TEST(VolumesTest, ParsesMountInfo) {
  auto mounts = ParseMountInfo(kMountInfo);
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 4u);
  EXPECT_EQ((*mounts)[0].mount_point, "/mnt2");
  EXPECT_EQ((*mounts)[0].fs_type, "ext3");
  EXPECT_EQ((*mounts)[0].device, "/dev/root");
  EXPECT_EQ((*mounts)[3].mount_point, "/media/Show Drive");
  EXPECT_TRUE((*mounts)[3].read_only);
  EXPECT_FALSE((*mounts)[1].read_only);
}

TEST(VolumesTest, MalformedLineNamesTheLine) {
  auto mounts = ParseMountInfo("22 1 254:0 / / rw,relatime shared:1 ext4 /dev/vda rw\n");
  ASSERT_FALSE(mounts.ok());
  EXPECT_NE(mounts.status().message().find("line 1"), std::string::npos);
}

TEST(VolumesTest, FilesystemKinds) {
  EXPECT_TRUE(IsDiskFilesystem("ext4"));
  EXPECT_TRUE(IsDiskFilesystem("apfs"));
  EXPECT_FALSE(IsDiskFilesystem("proc"));
  EXPECT_FALSE(IsDiskFilesystem("tmpfs"));
  EXPECT_FALSE(IsDiskFilesystem("overlay"));
}

void WriteFile(const std::string& path, const std::string& text) {
  for (size_t p = 1; (p = path.find('/', p)) != std::string::npos; ++p) {
    ::mkdir(path.substr(0, p).c_str(), 0755);
  }
  std::ofstream(path) << text;
}

TEST(VolumesTest, BlockDeviceFromAFakeSysfsMapsPartitionsToTheirDrive) {
  testing::TempDir root("sysfs");
  WriteFile(root.path() + "/block/nvme0n1/device/model", "Samsung SSD 970 EVO 500GB  \n");
  WriteFile(root.path() + "/block/nvme0n1/device/serial", "S466NX0M000000\n");
  WriteFile(root.path() + "/block/nvme0n1/queue/rotational", "0\n");
  WriteFile(root.path() + "/block/nvme0n1/size", "976773168\n");
  ::mkdir((root.path() + "/block/sda").c_str(), 0755);
  WriteFile(root.path() + "/block/sda/queue/rotational", "1\n");
  auto nvme = ReadBlockDevice(root.path(), "/dev/nvme0n1p2");
  ASSERT_TRUE(nvme.ok()) << nvme.status();
  EXPECT_EQ(nvme->name, "nvme0n1");
  EXPECT_EQ(nvme->model, "Samsung SSD 970 EVO 500GB");
  EXPECT_EQ(nvme->serial, "S466NX0M000000");
  EXPECT_EQ(nvme->protocol, "NVMe");
  EXPECT_EQ(nvme->rotational, false);
  EXPECT_EQ(nvme->size_bytes, 976773168ull * 512);
  auto sda = ReadBlockDevice(root.path(), "/dev/sda1");
  ASSERT_TRUE(sda.ok());
  EXPECT_EQ(sda->name, "sda");
  EXPECT_EQ(sda->rotational, true);
  EXPECT_TRUE(sda->model.empty()) << "unknown stays empty";
  EXPECT_TRUE(absl::IsNotFound(ReadBlockDevice(root.path(), "server:/export").status()));
  EXPECT_TRUE(absl::IsNotFound(ReadBlockDevice(root.path(), "/dev/mapper/x").status()));
}

TEST(VolumesTest, ThisMachineListsTheVolumeHoldingTheBuild) {
  auto volumes = ListVolumes();
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  // The volume holding this build folder must be listed, with a size.
  struct stat build_st;
  ASSERT_EQ(::stat(QDT_BINARY_DIR, &build_st), 0);
  bool found = false;
  for (const auto& v : *volumes) {
    struct stat st;
    if (::stat(v.mount_point().c_str(), &st) == 0 && st.st_dev == build_st.st_dev) {
      found = true;
      EXPECT_GT(v.total_bytes(), 0u);
      EXPECT_LE(v.free_bytes(), v.total_bytes());
      EXPECT_FALSE(v.device().empty());
      // The real device behind it, from this machine's /sys.
      auto dev = ReadBlockDevice("/sys", v.device());
      if (dev.ok()) {
        EXPECT_GE(dev->size_bytes, v.total_bytes()) << "a file system fits on its drive";
        EXPECT_FALSE(v.protocol().empty() && dev->name.rfind("vd", 0) == 0);
      }
    }
  }
  EXPECT_TRUE(found) << "no listed volume holds " << QDT_BINARY_DIR;
}

}  // namespace
}  // namespace qdt::agent
