#include "agent/token.h"

#include <sys/stat.h>

#include <fstream>

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

TEST(TokenTest, BearerHeaderMustMatchExactly) {
  EXPECT_TRUE(BearerMatches("Bearer abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc124", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer abc1234", "abc123"));
  EXPECT_FALSE(BearerMatches("abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("bearer abc123", "abc123"));
  EXPECT_FALSE(BearerMatches("Bearer ", "abc123"));
}

}  // namespace
}  // namespace qdt::agent
