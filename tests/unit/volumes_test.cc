#include "agent/volumes.h"

#include <sys/stat.h>

#include "gtest/gtest.h"

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
    }
  }
  EXPECT_TRUE(found) << "no listed volume holds " << QDT_BINARY_DIR;
}

}  // namespace
}  // namespace qdt::agent
