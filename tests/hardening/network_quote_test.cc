// common/quote.h: values from outside quoted in errors, bounded and escaped.
#include <string>

#include "common/quote.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(QuoteForErrorTest, ShortValueIsQuotedWhole) {
  EXPECT_EQ(QuoteForError("abc"), "\"abc\"");
  EXPECT_EQ(QuoteForError(""), "\"\"");
}

TEST(QuoteForErrorTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(QuoteForError("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteForError("a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
  EXPECT_EQ(QuoteForError(std::string("a\0b\x1b\x7f", 5)), "\"a\\x00b\\x1b\\x7f\"");
}

TEST(QuoteForErrorTest, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(QuoteForError("M\xC3\xA9"
                          "dias"),
            "\"M\xC3\xA9"
            "dias\"");
  // A lone continuation byte, an overlong '/', a surrogate, a truncated sequence.
  EXPECT_EQ(QuoteForError("\x80"), "\"\\x80\"");
  EXPECT_EQ(QuoteForError("\xC0\xAF"), "\"\\xc0\\xaf\"");
  EXPECT_EQ(QuoteForError("\xED\xA0\x80"), "\"\\xed\\xa0\\x80\"");
  EXPECT_EQ(QuoteForError("ab\xE2\x80"), "\"ab\\xe2\\x80\"");
  EXPECT_TRUE(IsValidUtf8(QuoteForError("\xFF\xFE garbage \xC3")));
}

TEST(QuoteForErrorTest, LongValueIsCutWithItsSize) {
  const std::string big(1 << 20, 'x');
  const std::string q = QuoteForError(big);
  EXPECT_LT(q.size(), 240u);
  EXPECT_EQ(q.substr(0, 201), "\"" + std::string(200, 'x'));
  EXPECT_THAT(q, EndsWith("\"\xE2\x80\xA6 (1048576 bytes)"));
  // Exactly at the bound: not cut.
  EXPECT_EQ(QuoteForError(std::string(200, 'y')), "\"" + std::string(200, 'y') + "\"");
  EXPECT_THAT(QuoteForError(std::string(201, 'y')), HasSubstr("(201 bytes)"));
}

TEST(QuoteForErrorTest, CutKeepsCharactersWhole) {
  // 99 x 'é' (2 bytes) + 'é': the cut at 200 bytes falls after 100 whole 'é's;
  // at 199 it must not split the 100th.
  std::string e;
  for (int i = 0; i < 150; ++i) e += "\xC3\xA9";
  const std::string q = QuoteForError(e, 199);
  EXPECT_TRUE(IsValidUtf8(q));
  EXPECT_THAT(q, HasSubstr("(300 bytes)"));
  EXPECT_EQ(q.find("\xC3\xA9\"\xE2\x80\xA6"), 1 + 99 * 2 - 2);
}

TEST(IsValidUtf8Test, AcceptsAndRefuses) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8E\xAC"));   // U+1F3AC
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("a\xFF"));
}

}  // namespace
}  // namespace qdt

namespace qdt {
namespace {

using ::testing::HasSubstr;

TEST(CutUtf8Test, CutsAtACharacterBoundaryWithAnEllipsis) {
  EXPECT_EQ(CutUtf8("short", 10), "short");
  EXPECT_EQ(CutUtf8("0123456789", 10), "0123456789");
  EXPECT_EQ(CutUtf8("0123456789a", 10), "0123456789\xE2\x80\xA6");
  // "é" is 2 bytes: a bound inside it backs up to before it.
  EXPECT_EQ(CutUtf8("abc\xC3\xA9xyz", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(CutUtf8("abc\xF0\x9F\x8E\xAC!", 6), "abc\xE2\x80\xA6");
  EXPECT_TRUE(IsValidUtf8(CutUtf8(std::string(5000, 'x') + "\xC3\xA9", 5001)));
}

TEST(TokenProblemTest, TheRuleForTheAgentQdtctlAndTheConsole) {
  EXPECT_EQ(TokenProblem("0123456789abcdef"), "");
  EXPECT_EQ(TokenProblem(std::string(1024, '~')), "");
  EXPECT_EQ(TokenProblem(""), "is empty");
  EXPECT_EQ(TokenProblem("0123456789abcde"), "is 15 bytes long; a rig token is 16 to 1024 bytes");
  EXPECT_EQ(TokenProblem(std::string(1025, 'a')),
            "is 1025 bytes long; a rig token is 16 to 1024 bytes");
  EXPECT_EQ(TokenProblem("0123456789abcdef\x7f"),
            "holds a control character (\\x7f) at byte 17; a rig token is one line of printable "
            "ASCII (0x21-0x7E)");
  EXPECT_THAT(TokenProblem("0123456789 abcdef"), HasSubstr("a space (\\x20) at byte 11"));
  EXPECT_THAT(TokenProblem("0123456789abcdef\xC3\xA9"), HasSubstr("not ASCII (\\xc3) at byte 17"));
  // The token itself is a secret: never quoted.
  EXPECT_EQ(TokenProblem("secret-secret-secret\n").find("secret"), std::string::npos);
}

}  // namespace
}  // namespace qdt
