// The read-back after the layout (agent/run/read_check.h): the real probe on
// real files, and what a refusal becomes on each platform.
#include "agent/run/read_check.h"

#include <unistd.h>

#include <string>

#include "common/errno_status.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

TEST(ReadCheckTest, TheRealProbeReadsFilesAndRefusesWhatIsNotOne) {
  testing::TempDir dir("read");
  const std::string small = dir.path() + "/stream-00.dat";
  ASSERT_TRUE(WriteFile(small, "data").ok());
  const std::string big = dir.path() + "/stream-01.dat";
  ASSERT_TRUE(WriteFile(big, std::string(3 << 20, 'x')).ok());
  EXPECT_TRUE(ReadFirstMiB(small).ok());
  EXPECT_TRUE(ReadFirstMiB(big).ok());
  EXPECT_TRUE(absl::IsNotFound(ReadFirstMiB(dir.path() + "/missing.dat")));
  // A link planted in place of a test file is not followed.
  const std::string link = dir.path() + "/stream-02.dat";
  ASSERT_EQ(::symlink(big.c_str(), link.c_str()), 0);
  EXPECT_FALSE(ReadFirstMiB(link).ok());
}

TEST(ReadCheckTest, ARefusalNamesTheFixAndOtherErrorsTheFile) {
  const ReadProbe refuse = [](const std::string& path) {
    return ErrnoStatus("cannot open \"" + path + "\"", EACCES);
  };
  absl::Status mac = CheckReadable({"/Volumes/Show/.qdt-test/r/stream-00.dat"}, refuse,
                                   Platform::kMacOS, "/Volumes/Show", "/Library/QDT/bin/qdt-agent");
  EXPECT_TRUE(absl::IsFailedPrecondition(mac));
  EXPECT_THAT(mac.message(), HasSubstr("macOS did not let qdt-agent read /Volumes/Show: add "
                                       "/Library/QDT/bin/qdt-agent in System Settings › Privacy "
                                       "& Security › Full Disk Access"));
  absl::Status linux_st =
      CheckReadable({"/mnt/x/f"}, refuse, Platform::kLinux, "/mnt/x", kInstalledAgentPath);
  EXPECT_TRUE(absl::IsFailedPrecondition(linux_st));
  EXPECT_THAT(linux_st.message(), HasSubstr("may write but not read its test files in /mnt/x"));
  EXPECT_THAT(linux_st.message(), ::testing::Not(HasSubstr("Full Disk Access")));
  // Not a refusal: an internal error naming the file, whatever the platform.
  const ReadProbe gone = [](const std::string& path) {
    return ErrnoStatus("cannot open \"" + path + "\"", ENOENT);
  };
  absl::Status missing =
      CheckReadable({"/Volumes/Show/f"}, gone, Platform::kMacOS, "/Volumes/Show", "x");
  EXPECT_TRUE(absl::IsInternal(missing));
  EXPECT_THAT(missing.message(), HasSubstr("\"/Volumes/Show/f\""));
  // Every file is probed until one fails; none at all is fine.
  int probed = 0;
  const ReadProbe count = [&probed](const std::string&) {
    ++probed;
    return absl::OkStatus();
  };
  EXPECT_TRUE(CheckReadable({"a", "b", "c"}, count, Platform::kMacOS, "/t", "x").ok());
  EXPECT_EQ(probed, 3);
  EXPECT_TRUE(CheckReadable({}, refuse, Platform::kMacOS, "/t", "x").ok());
}

}  // namespace
}  // namespace qdt::agent
