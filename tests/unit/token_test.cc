#include "agent/token.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::agent {
namespace {

TEST(TokenTest, MissingFileIsCreatedOwnerOnlyWithARandomToken) {
  testing::TempDir dir("token");
  std::string path = dir.path() + "/token";
  auto a = LoadOrCreateToken(path, true);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 64u);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = LoadOrCreateToken(path, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *a) << "an existing token must be kept";
  std::string other = dir.path() + "/token2";
  auto b = LoadOrCreateToken(other, true);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
}

TEST(TokenTest, MissingFileWithoutCreateAndEmptyFileAreErrorsNamingThePath) {
  testing::TempDir dir("token");
  auto missing = LoadOrCreateToken(dir.path() + "/nope", false);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nope"), std::string::npos);
  std::string empty = dir.path() + "/empty";
  std::ofstream(empty) << "  \n";
  auto e = LoadOrCreateToken(empty, true);
  EXPECT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("is empty"), std::string::npos);
}

// Writes `content` to dir/name with `mode` (chmod after, so umask does not interfere).
std::string TokenFile(const std::string& dir, const std::string& name, const std::string& content,
                      mode_t mode = 0600) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(TokenTest, FileOthersOrItsGroupCanWriteIsRefusedWithTheFix) {
  testing::TempDir dir("token");
  for (mode_t mode : {0666, 0622, 0620, 0602}) {
    const std::string path = TokenFile(dir.path(), "t", "0123456789abcdef0123\n", mode);
    auto t = LoadOrCreateToken(path, true);
    ASSERT_FALSE(t.ok()) << std::oct << mode;
    EXPECT_TRUE(absl::IsFailedPrecondition(t.status()));
    EXPECT_NE(t.status().message().find("chmod 600"), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find(path), std::string::npos) << t.status();
  }
  // Readable by others but writable only by its owner: accepted.
  EXPECT_TRUE(
      LoadOrCreateToken(TokenFile(dir.path(), "r", "0123456789abcdef0123\n", 0644), false).ok());
}

TEST(TokenTest, AFolderIsNotARegularFileNotEmpty) {
  testing::TempDir dir("token");
  auto t = LoadOrCreateToken(dir.path(), true);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("is not a regular file (a folder)"), std::string::npos)
      << t.status();
  EXPECT_EQ(t.status().message().find("empty"), std::string::npos) << t.status();
}

TEST(TokenTest, TokenBreakingTheRuleIsRefusedNamingWhatIsWrong) {
  testing::TempDir dir("token");
  struct Case {
    std::string content, expected;
  } cases[] = {
      {"0123456789abcdef\nsecond-line-0123\n", "holds a line break (\\x0a) at byte 17"},
      {"0123456789ab\x01"
       "cdef0123\n",
       "holds a control character (\\x01) at byte 13"},
      {"0123456789ab cdef0123\n", "holds a space (\\x20) at byte 13"},
      {"0123456789ab\xC3\xA9"
       "cdef0123",
       "holds a byte that is not ASCII (\\xc3) at byte 13"},
      {"short\n", "is 5 bytes long; a rig token is 16 to 1024 bytes"},
      {std::string(1025, 'a'), "is 1025 bytes long"},
  };
  for (const Case& c : cases) {
    auto t = LoadOrCreateToken(TokenFile(dir.path(), "t", c.content), false);
    ASSERT_FALSE(t.ok()) << c.expected;
    EXPECT_NE(t.status().message().find(c.expected), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find("--token-file"), std::string::npos) << t.status();
  }
  // Surrounding whitespace (an editor's newline, CRLF) is not part of the token.
  auto ok = LoadOrCreateToken(TokenFile(dir.path(), "t", "  0123456789abcdef\r\n"), false);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "0123456789abcdef");
}

TEST(TokenTest, BearerHeaderMustMatchExactly) {
  EXPECT_TRUE(BearerMatches("Bearer abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc124", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc1234", "abc123"));
  EXPECT_FALSE(BearerMatches("abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("bearer abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer ", "abc123"));
  // Every near miss of a real token: a strict prefix (down to one byte), the
  // token and one byte more, a different token of the same length, the last
  // byte changed.
  const std::string token = "0123456789abcdef0123456789abcdef";
  for (size_t n = 0; n < token.size(); ++n) {
    EXPECT_FALSE(BearerMatches("Bearer " + token.substr(0, n), token)) << n;
  }
  EXPECT_FALSE(BearerMatches("Bearer " + token + "0", token));
  EXPECT_FALSE(BearerMatches("Bearer fedcba9876543210fedcba9876543210", token));
  EXPECT_FALSE(BearerMatches("Bearer " + token.substr(0, token.size() - 1) + "e", token));
  EXPECT_TRUE(BearerMatches("Bearer " + token, token));
}

}  // namespace
}  // namespace qdt::agent
