// The XML plist reader (agent/probes/plist.h): values, entities, and broken
// input that must be an error naming the offset.
#include "agent/probes/plist.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::agent {
namespace {

using ::testing::HasSubstr;

TEST(PlistTest, ValuesAndEntities) {
  auto v = ParsePlist(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE plist SYSTEM \"x\">\n<plist version=\"1.0\"><dict>"
      "<key>a &amp; b</key><string>Show &lt;1&gt; &#233;</string>"
      "<key>n</key><integer>-5</integer><key>big</key><integer>18446744073709551615</integer>"
      "<key>r</key><real>2.5</real><key>t</key><true/><key>f</key><false/>"
      "<key>e</key><array/><key>d</key><dict/><key>s</key><string/>"
      "<!-- a comment --><key>arr</key><array><integer>1</integer><string>x</string></array>"
      "</dict></plist>\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a & b"], "Show <1> \xC3\xA9");
  EXPECT_EQ((*v)["n"], -5);
  EXPECT_EQ((*v)["big"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ((*v)["r"], 2.5);
  EXPECT_EQ((*v)["t"], true);
  EXPECT_EQ((*v)["f"], false);
  EXPECT_TRUE((*v)["e"].is_array() && (*v)["e"].empty());
  EXPECT_TRUE((*v)["d"].is_object() && (*v)["d"].empty());
  EXPECT_EQ((*v)["s"], "");
  EXPECT_EQ((*v)["arr"], nlohmann::json::parse(R"([1, "x"])"));
}

TEST(PlistTest, BrokenInputIsAnErrorNamingTheOffset) {
  for (const char* bad :
       {"", "garbage", "<plist><dict><key>a</key></dict></plist>",
        "<plist><dict><string>x</string></dict></plist>", "<plist><integer>12x</integer></plist>",
        "<plist><dict/></plist>junk", "<plist><string>a &bogus; b</string></plist>",
        "<plist><array><string>open</array></plist>", "<plist><blob/></plist>"}) {
    auto v = ParsePlist(bad);
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_THAT(v.status().message(), HasSubstr("plist: ")) << bad;
  }
  EXPECT_THAT(ParsePlist("<plist><integer>12x</integer></plist>").status().message(),
              HasSubstr("<integer> \"12x\" is not an integer at offset 7"));
  std::string deep = "<plist>";
  for (int i = 0; i < 70; ++i) deep += "<array>";
  for (int i = 0; i < 70; ++i) deep += "</array>";
  deep += "</plist>";
  EXPECT_THAT(ParsePlist(deep).status().message(), HasSubstr("nested deeper than 64"));
}

}  // namespace
}  // namespace qdt::agent
