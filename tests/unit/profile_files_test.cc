// Profiles from files in the console (console/app/profile_files.h): real
// files as `qdtctl profile derive --out` writes them, and the bad ones a
// designer's file dialog can hand over (truncated, corrupt, a wrong field, a
// huge file, a folder, nothing there); the profile list's description.
#include "console/app/profile_files.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <string>

#include "common/cue_stack.h"
#include "common/profiles.h"
#include "common/proto_json.h"
#include "fio/fio_job_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::console {
namespace {

using ::testing::HasSubstr;

class ProfileFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.isValid()); }

  QString Write(const QString& name, const std::string& bytes) {
    const QString path = dir_.filePath(name);
    QFile f(path);
    EXPECT_TRUE(f.open(QIODevice::WriteOnly));
    EXPECT_EQ(f.write(bytes.data(), static_cast<qint64>(bytes.size())),
              static_cast<qint64>(bytes.size()));
    return path;
  }

  // What `qdtctl profile derive --stream "ProRes 422 HQ UHD 29.97 x2" --out F` writes.
  static std::string DerivedJson() {
    auto cue = ParseCueStream("ProRes 422 HQ UHD 29.97 x2");
    EXPECT_TRUE(cue.ok());
    auto p = DeriveProfile("two-hq", {*cue}, 1.6, 10);
    EXPECT_TRUE(p.ok()) << p.status();
    auto json = ProtoToJson(*p);
    EXPECT_TRUE(json.ok()) << json.status();
    return *json;
  }

  QTemporaryDir dir_;
};

TEST_F(ProfileFilesTest, AFileThatQdtctlDerivedLoads) {
  const QString path = Write("two-hq.json", DerivedJson());
  QString error;
  auto p = LoadProfileFile(path, &error);
  ASSERT_TRUE(p.has_value()) << error.toStdString();
  EXPECT_EQ(p->name(), "two-hq");
  ASSERT_EQ(p->phases_size(), 3);
  // 2 x 110.5 MB/s normal; crossfade 2 x 2 x 110.5 x 1.6 = 707.2 MB/s.
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(0)), 221e6);
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(1)), 707.2e6);
  EXPECT_EQ(p->phases(0).streams(0).name(), "ProRes 422 HQ UHD 29.97 #1");
}

TEST_F(ProfileFilesTest, TextFormatLoadsToo) {
  const QString path = Write("one.txtpb",
                             "name: \"one\"\nphases { name: \"read\" duration_s: 5 streams { "
                             "name: \"s\" block_size_bytes: 1048576 iodepth: 8 } }\n");
  QString error;
  auto p = LoadProfileFile(path, &error);
  ASSERT_TRUE(p.has_value()) << error.toStdString();
  EXPECT_EQ(p->name(), "one");
}

TEST_F(ProfileFilesTest, ATruncatedFileIsRefusedNamingThePath) {
  const std::string json = DerivedJson();
  const QString path = Write("cut.json", json.substr(0, json.size() / 2));
  QString error;
  EXPECT_FALSE(LoadProfileFile(path, &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(path.toStdString()));
  EXPECT_THAT(error.toStdString(), HasSubstr("not a profile in JSON"));
}

TEST_F(ProfileFilesTest, ABadFieldIsNamedWithItsValue) {
  std::string json = DerivedJson();
  const std::string from = "\"duration_s\": 10";
  const size_t at = json.find(from);
  ASSERT_NE(at, std::string::npos) << json.substr(0, 400);
  json.replace(at, from.size(), "\"duration_s\": -5");
  const QString path = Write("negative.json", json);
  QString error;
  EXPECT_FALSE(LoadProfileFile(path, &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(path.toStdString()));
  EXPECT_THAT(error.toStdString(), HasSubstr("phases[0].duration_s: -5"));
}

TEST_F(ProfileFilesTest, CorruptBytesAreRefused) {
  std::string junk = "\x89PNG\r\n\x1a\n";
  junk += std::string(1000, '\0');
  const QString path = Write("picture.json", junk);
  QString error;
  EXPECT_FALSE(LoadProfileFile(path, &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(path.toStdString()));
  EXPECT_THAT(error.toStdString(), HasSubstr("not a profile"));
}

TEST_F(ProfileFilesTest, AHugeFileIsRefusedByItsSizeUnread) {
  const QString path = dir_.filePath("movie.mov");
  QFile f(path);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly));
  ASSERT_TRUE(f.resize(qint64{17} << 20));  // sparse: no 17 MiB written
  f.close();
  QString error;
  EXPECT_FALSE(LoadProfileFile(path, &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(path.toStdString()));
  EXPECT_THAT(error.toStdString(), HasSubstr("17 MiB is too large for a profile (at most 16 MiB)"));
}

TEST_F(ProfileFilesTest, NothingThereOrAFolderIsRefused) {
  QString error;
  const QString missing = dir_.filePath("gone.json");
  EXPECT_FALSE(LoadProfileFile(missing, &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(missing.toStdString()));
  EXPECT_THAT(error.toStdString(), HasSubstr("cannot be read"));
  error.clear();
  EXPECT_FALSE(LoadProfileFile(dir_.path(), &error).has_value());
  EXPECT_THAT(error.toStdString(), HasSubstr(dir_.path().toStdString()));
  error.clear();
  EXPECT_FALSE(LoadProfileFile("", &error).has_value());
  EXPECT_EQ(error, "profile file: no file chosen");
}

TEST_F(ProfileFilesTest, TheProfileListSaysDurationPeakAndDiskSpace) {
  auto setup = BuiltinProfile("setup-check");
  ASSERT_TRUE(setup.ok());
  // Crossfade: 8 streams, each its own file.
  EXPECT_EQ(ProfileFileCount(*setup), 8);
  EXPECT_EQ(DescribeProfile(*setup, 0),
            "setup-check — 30 s · peak 2100 MB/s · 8 files × 1 GiB = 8 GiB (the agent's default "
            "file size)");
  EXPECT_EQ(DescribeProfile(*setup, uint64_t{512} << 20),
            "setup-check — 30 s · peak 2100 MB/s · 8 files × 512 MiB = 4 GiB");
  auto show = BuiltinProfile("show-pattern");
  ASSERT_TRUE(show.ok());
  // The file count is the agent's own (fio::FileCount lays them out).
  EXPECT_EQ(ProfileFileCount(*show), fio::FileCount(*show));
  EXPECT_THAT(DescribeProfile(*show, uint64_t{1} << 30).toStdString(),
              HasSubstr("show-pattern — 2 h 30 min · peak 2100 MB/s"));
  auto max = BuiltinProfile("max-sustained");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(DescribeProfile(*max, uint64_t{3} << 29),
            "max-sustained — 2 h · unpaced max read · 1 file × 1.5 GiB = 1.5 GiB");
  // A derived profile read back from its file: 12 min phases -> 36 min.
  auto cue = ParseCueStream("request HD x3");
  ASSERT_TRUE(cue.ok());
  auto p = DeriveProfile("hd3", {*cue}, 1.6, 720);
  ASSERT_TRUE(p.ok());
  auto json = ProtoToJson(*p);
  ASSERT_TRUE(json.ok());
  QString error;
  auto loaded = LoadProfileFile(Write("hd3.json", *json), &error);
  ASSERT_TRUE(loaded.has_value()) << error.toStdString();
  // Crossfade peak 2 x 3 x 72 x 1.6 = 691.2 -> 692 (rounded up, as verdicts judge it).
  EXPECT_EQ(DescribeProfile(*loaded, uint64_t{1} << 30),
            "hd3 — 36 min · peak 692 MB/s · 6 files × 1 GiB = 6 GiB");
}

TEST(SizeWordsTest, WholeUnitsWithoutDecimals) {
  EXPECT_EQ(SizeWords(0), "0 B");
  EXPECT_EQ(SizeWords(4096), "4 KiB");
  EXPECT_EQ(SizeWords(uint64_t{1} << 30), "1 GiB");
  EXPECT_EQ(SizeWords(uint64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(SizeWords(uint64_t{2} << 40), "2 TiB");
}

}  // namespace
}  // namespace qdt::console
