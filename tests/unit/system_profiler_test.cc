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

}  // namespace
}  // namespace qdt::agent
