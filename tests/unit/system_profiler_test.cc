// system_profiler JSON (agent/probes/system_profiler.h) on real captured
// output (tests/fixtures/system_profiler; provenance in SOURCES.md).
#include "agent/probes/system_profiler.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::agent {
namespace {

using ::qdt::testing::Fixture;

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

// The internal drive is offered where a test may run: the data volume as
// /Users/Shared; the sealed "/" and /System's own mounts hidden.
TEST(SystemProfilerTest, TheInternalDriveIsOfferedAsUsersSharedAndTheSystemVolumeHidden) {
  auto mac = ParseSystemProfilerJson(
      Fixture("system_profiler/applesilicon_ap0256z_SPStorage_SPNVMe_SPSerialATA.json"));
  ASSERT_TRUE(mac.ok());
  ASSERT_EQ(mac->volumes.size(), 2u);
  EXPECT_EQ(MacosTestPath(mac->volumes[0], true), "/Users/Shared");  // Data
  EXPECT_EQ(MacosTestPath(mac->volumes[1], true), std::nullopt);     // "/", read-only
  // The macOS 26 VM also mounts MobileAsset cryptexes under /System/Library.
  auto vm = ParseSystemProfilerJson(
      Fixture("system_profiler/github_runner_macos26_arm64_vm_SPStorageDataType.json"));
  ASSERT_TRUE(vm.ok());
  std::vector<std::string> offered;
  for (const SpVolume& v : vm->volumes) {
    if (auto p = MacosTestPath(v, true)) offered.push_back(*p);
  }
  EXPECT_THAT(offered, ::testing::Contains("/Users/Shared"));
  for (const std::string& p : offered) {
    EXPECT_NE(p.rfind("/System/", 0), 0u) << p;
    EXPECT_NE(p, "/");
  }
  // An external drive keeps its mount point; before 10.15 "/" is the one volume.
  SpVolume external;
  external.mount_point = "/Volumes/Show";
  EXPECT_EQ(MacosTestPath(external, true), "/Volumes/Show");
  SpVolume root;
  root.mount_point = "/";
  EXPECT_EQ(MacosTestPath(root, false), "/");
  root.mount_point = "";
  EXPECT_EQ(MacosTestPath(root, true), std::nullopt);
}

}  // namespace
}  // namespace qdt::agent
