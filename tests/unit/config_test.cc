// The agent's config file: every field read, errors naming file, field and
// value; the allowed-target check.
#include "agent/config.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/run/test_area.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

std::string Write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(AgentConfigTest, EveryFieldIsRead) {
  testing::TempDir dir("config");
  auto c = LoadAgentConfig(Write(dir, "agent.json", R"({
    "listen": "0.0.0.0:50551", "tls_cert_file": "/etc/qdt/agent.pem",
    "tls_key_file": "/etc/qdt/agent.key", "token_file": "/etc/qdt/token",
    "state_dir": "/var/lib/qdt", "fio_path": "/opt/qdt/bin/fio",
    "allowed_target_dirs": ["/Volumes/Media", "/Volumes/Show"], "advertise": true,
    "advertise_name": "FOH playback 1", "platform": "macos",
    "default_file_size_bytes": "536870912"})"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen(), "0.0.0.0:50551");
  EXPECT_EQ(c->tls_key_file(), "/etc/qdt/agent.key");
  EXPECT_EQ(c->token_file(), "/etc/qdt/token");
  EXPECT_EQ(c->fio_path(), "/opt/qdt/bin/fio");
  ASSERT_EQ(c->allowed_target_dirs_size(), 2);
  EXPECT_EQ(c->allowed_target_dirs(1), "/Volumes/Show");
  EXPECT_TRUE(c->advertise());
  EXPECT_EQ(c->advertise_name(), "FOH playback 1");
  EXPECT_EQ(c->default_file_size_bytes(), 536870912u);
}

TEST(AgentConfigTest, ErrorsNameTheFileTheFieldAndTheValue) {
  testing::TempDir dir("config");
  std::string p = Write(dir, "typo.json", R"({"listn": "0.0.0.0:50551"})");
  auto c = LoadAgentConfig(p);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("config \"" + p + "\""));
  EXPECT_THAT(c.status().message(), HasSubstr("listn"));
  EXPECT_THAT(LoadAgentConfig(Write(dir, "rel.json", R"({"allowed_target_dirs": ["/a", "media"]})"))
                  .status()
                  .message(),
              HasSubstr("allowed_target_dirs[1]: \"media\" is not an absolute path"));
  EXPECT_THAT(LoadAgentConfig(Write(dir, "port.json", R"({"listen": "50551"})")).status().message(),
              HasSubstr("listen: \"50551\" is not HOST:PORT"));
  EXPECT_THAT(
      LoadAgentConfig(Write(dir, "tls.json", R"({"tls_cert_file": "/x.pem"})")).status().message(),
      HasSubstr("tls_cert_file and tls_key_file go together"));
  EXPECT_THAT(LoadAgentConfig(Write(dir, "bad.json", "{ not json")).status().message(),
              HasSubstr("config \""));
  EXPECT_EQ(LoadAgentConfig(dir.path() + "/missing.json").status().message(),
            "--config: cannot read \"" + dir.path() + "/missing.json\": No such file or directory");
}

TEST(AgentConfigTest, AllowedTargetsAreFoldersNotPrefixes) {
  testing::TempDir dir("allowed");
  const std::string media = dir.path() + "/Media", media2 = dir.path() + "/Media2";
  ::mkdir(media.c_str(), 0755);
  ::mkdir(media2.c_str(), 0755);
  ::mkdir((media + "/show").c_str(), 0755);
  EXPECT_TRUE(CheckAllowedTarget(media2, {}).ok());  // no list: anything the other checks allow
  EXPECT_TRUE(CheckAllowedTarget(media, {media}).ok());
  EXPECT_TRUE(CheckAllowedTarget(media + "/show", {media + "/"}).ok());
  auto st = CheckAllowedTarget(media2, {media});
  EXPECT_TRUE(absl::IsFailedPrecondition(st));
  EXPECT_EQ(st.message(), "target_dir: \"" + media2 +
                              "\" is outside the folders this agent may test (" + media + ")");
  // A symlink inside the allowed folder that points out of it is outside.
  ::symlink(media2.c_str(), (media + "/escape").c_str());
  EXPECT_FALSE(CheckAllowedTarget(media + "/escape", {media}).ok());
}

TEST(AgentConfigTest, DefaultFileSizeOutsideWhatAStartTakesIsRefusedAtLoad) {
  testing::TempDir dir("config");
  for (const char* bad : {"5", "1048575", "1099511627777"}) {
    const std::string p =
        Write(dir, "size.json", absl::StrCat(R"({"default_file_size_bytes": ")", bad, R"("})"));
    auto c = LoadAgentConfig(p);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.status().message(),
                HasSubstr(absl::StrCat("default_file_size_bytes: ", bad, " is out of range")));
    EXPECT_THAT(c.status().message(), HasSubstr("1 MiB"));
  }
  for (const char* good : {"0", "1048576", "1099511627776"}) {
    auto c = LoadAgentConfig(
        Write(dir, "size.json", absl::StrCat(R"({"default_file_size_bytes": ")", good, R"("})")));
    EXPECT_TRUE(c.ok()) << good << ": " << c.status();
  }
}

TEST(AgentConfigTest, AFolderOrAnEmptyPathIsNotAConfigFile) {
  testing::TempDir dir("config");
  auto c = LoadAgentConfig(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "--config: \"" + dir.path() +
                                      "\" is a folder; give the config file itself (a JSON "
                                      "AgentConfig, e.g. /etc/qdt/agent.json)");
  EXPECT_THAT(LoadAgentConfig("").status().message(), HasSubstr("--config: empty path"));
}

TEST(AgentConfigTest, MissingAllowedTargetDirsSaysWhichAndWhy) {
  testing::TempDir dir("allowed");
  const std::string file = Write(dir, "file", "x");
  const std::string gone = dir.path() + "/unplugged";
  auto missing = MissingAllowedTargetDirs({dir.path(), gone, file});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0], "\"" + gone + "\": No such file or directory");
  EXPECT_EQ(missing[1], "\"" + file + "\": not a folder");
  EXPECT_TRUE(MissingAllowedTargetDirs({dir.path()}).empty());
}

}  // namespace
}  // namespace qdt::agent
