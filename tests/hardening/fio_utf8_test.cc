// common/utf8: what comes from outside is made valid UTF-8 before it enters
// a proto (issue 15, defect 2). Checked against protobuf's own validator and
// by a round trip through the wire format, which refuses invalid UTF-8.
#include <random>
#include <string>

#include "common/utf8.h"
#include "fio/fio_runner.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/common.h"
#include "gtest/gtest.h"
#include "qdt/v1/agent.pb.h"

namespace qdt {
namespace {

bool ProtobufAccepts(const std::string& s) {
  return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
}

TEST(Utf8Test, ValidTextIsKeptByteForByte) {
  const std::string valid[] = {
      "",
      "fio-3.33",
      std::string("nul \0 inside", 12),
      "caf\xC3\xA9",                                      // U+00E9
      "\xE2\x82\xAC 5",                                   // U+20AC
      "\xF0\x9D\x84\x9E",                                 // U+1D11E, four bytes
      "\xED\x9F\xBF",                                     // U+D7FF, the last before the surrogates
      "\xEE\x80\x80",                                     // U+E000, the first after them
      "\xF4\x8F\xBF\xBF",                                 // U+10FFFF, the last code point
      "\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xF0\x90\x80\x80",  // each length's smallest
  };
  for (const std::string& s : valid) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    EXPECT_EQ(ToValidUtf8(s), s);
    EXPECT_TRUE(ProtobufAccepts(s)) << s;
  }
}

TEST(Utf8Test, InvalidBytesAreEscapedAsHex) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"\xFF\xFE", "\\xff\\xfe"},
      {"a\x80z", "a\\x80z"},                                   // a lone continuation byte
      {"\xC0\xAF", "\\xc0\\xaf"},                              // overlong '/'
      {"\xE0\x80\xAF", "\\xe0\\x80\\xaf"},                     // overlong, three bytes
      {"\xF0\x80\x80\xAF", "\\xf0\\x80\\x80\\xaf"},            // overlong, four bytes
      {"\xED\xA0\x80", "\\xed\\xa0\\x80"},                     // a surrogate, U+D800
      {"\xF4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},            // U+110000
      {"\xF5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"},            // no such lead byte
      {"end \xE2\x82", "end \\xe2\\x82"},                      // cut short at the end
      {"\xE2\x82x \xE2\x82\xAC", "\\xe2\\x82x \xE2\x82\xAC"},  // cut short, then a good one
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(IsValidUtf8(c.in)) << c.out;
    EXPECT_FALSE(ProtobufAccepts(c.in)) << c.out;
    EXPECT_EQ(ToValidUtf8(c.in), c.out);
    EXPECT_TRUE(ProtobufAccepts(ToValidUtf8(c.in))) << c.out;
  }
}

// Random bytes, biased towards the bytes that make UTF-8 hard: our validator
// agrees with protobuf's on every string, the output is always accepted, and
// valid input is returned as it was.
TEST(Utf8Test, AgreesWithProtobufOnRandomBytes) {
  std::mt19937 rng(15);
  const unsigned char interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                       0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) {
      c = static_cast<char>(rng() % 2 ? interesting[rng() % sizeof(interesting)] : rng() % 256);
    }
    const bool valid = IsValidUtf8(s);
    ASSERT_EQ(valid, ProtobufAccepts(s)) << "round " << round << ": " << ToValidUtf8(s);
    const std::string fixed = ToValidUtf8(s);
    ASSERT_TRUE(ProtobufAccepts(fixed)) << "round " << round << ": " << fixed;
    if (valid) ASSERT_EQ(fixed, s);
  }
}

// The message that broke ListRuns: fio's bytes in nested and repeated string
// fields. After MakeStringsValidUtf8 it survives the wire format.
TEST(Utf8Test, EveryStringFieldOfAMessageIsMadeValid) {
  qdt::v1::RunRecord record;
  record.mutable_run()->set_error("fio exited with status 1: \xFF\xFE");
  record.mutable_run()->set_run_id("r-1");
  qdt::v1::RunEvent* ev = record.add_events();
  ev->mutable_state()->set_message("bad \xC0\xAF");
  record.add_events()->mutable_log()->set_text("\x80");
  qdt::v1::FioInvocation* inv = record.add_fio();
  inv->add_argv("/usr/bin/fio");
  inv->add_argv("dir-\xE9");
  inv->set_stdout("{\"x\": \"\xED\xA0\x80\"}");
  inv->set_stderr("ok");

  std::string wire;
  ASSERT_TRUE(record.SerializeToString(&wire));  // protobuf logs the error, writes anyway
  qdt::v1::RunRecord parsed;
  EXPECT_FALSE(parsed.ParseFromString(wire)) << "the reader refuses it: the defect";

  EXPECT_EQ(MakeStringsValidUtf8(&record), 5);
  EXPECT_EQ(record.run().error(), "fio exited with status 1: \\xff\\xfe");
  EXPECT_EQ(record.run().run_id(), "r-1");
  EXPECT_EQ(record.events(0).state().message(), "bad \\xc0\\xaf");
  EXPECT_EQ(record.events(1).log().text(), "\\x80");
  EXPECT_EQ(record.fio(0).argv(0), "/usr/bin/fio");
  EXPECT_EQ(record.fio(0).argv(1), "dir-\\xe9");
  EXPECT_EQ(record.fio(0).stdout(), "{\"x\": \"\\xed\\xa0\\x80\"}");
  ASSERT_TRUE(record.SerializeToString(&wire));
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.run().error(), record.run().error());
  EXPECT_EQ(MakeStringsValidUtf8(&parsed), 0);
}

// fio's last stderr line in a message: escaped, and cut at 200 bytes.
TEST(Utf8Test, FioExitDescribeQuotesStderrValidAndCut) {
  fio::FioExit exit;
  exit.exit_code = 1;
  exit.stderr_text = "fio: first\nfio: bad \xFF\xFE \x80 end\n";
  EXPECT_EQ(exit.Describe(), "fio exited with status 1: fio: bad \\xff\\xfe \\x80 end");
  exit.stderr_text = std::string(100000, 'e');
  EXPECT_EQ(exit.Describe(), "fio exited with status 1: " + std::string(200, 'e') + "...");
}

}  // namespace
}  // namespace qdt
