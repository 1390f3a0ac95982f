#include "common/profiles.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

TEST(ProfilesTest, SetupCheckHasTheRequestedShapeAndTargets) {
  auto p = BuiltinProfile("setup-check");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(ValidateProfile(*p).ok());
  ASSERT_EQ(p->phases_size(), 3);
  EXPECT_EQ(p->phases(0).name(), "normal");
  EXPECT_EQ(p->phases(1).name(), "crossfade");
  EXPECT_EQ(p->phases(2).name(), "max-read");
  EXPECT_DOUBLE_EQ(ProfileDurationS(*p), 30);
  // 1 x 440 + 3 x 72 = 656 MB/s.
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(0)), 656e6);
  EXPECT_EQ(p->phases(0).streams_size(), 4);
  // 2 cues x 656 x 1.6 = 2099.2 MB/s over 8 streams.
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(1)), 2099.2e6);
  EXPECT_EQ(p->phases(1).streams_size(), 8);
  // Unpaced: 1 MiB reads at queue depth 8.
  EXPECT_EQ(PhaseTargetBytesPerS(p->phases(2)), 0);
  EXPECT_EQ(p->phases(2).streams(0).block_size_bytes(), 1u << 20);
  EXPECT_EQ(p->phases(2).streams(0).iodepth(), 8u);
}

TEST(ProfilesTest, SetupCheckStreamsAreTheRequestsCueAndItsCrossfade) {
  auto p = BuiltinProfile("setup-check");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->title(), "Setup Check");
  const auto& normal = p->phases(0);
  EXPECT_EQ(normal.streams(0).name(), "request 4K");
  EXPECT_EQ(normal.streams(0).rate_bytes_per_s(), 440'000'000u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(normal.streams(i).name(), "request HD #" + std::to_string(i));
    EXPECT_EQ(normal.streams(i).rate_bytes_per_s(), 72'000'000u);
  }
  // The crossfade reads the outgoing and the incoming cue, every stream x 1.6.
  const auto& xfade = p->phases(1);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(xfade.streams(i).rate_bytes_per_s(), normal.streams(i % 4).rate_bytes_per_s() * 8 / 5)
        << i;
  }
  EXPECT_EQ(xfade.streams(0).name(), "request 4K (out)");
  EXPECT_EQ(xfade.streams(4).name(), "request 4K (in)");
  for (const auto& ph : p->phases()) EXPECT_DOUBLE_EQ(ph.duration_s(), 10) << ph.name();
  EXPECT_EQ(p->phases(2).streams_size(), 1);
  EXPECT_EQ(p->phases(2).streams(0).rate_bytes_per_s(), 0u);
}

TEST(ProfilesTest, EveryBuiltinPacedStreamReadsOneFrameAtQueueDepthTwo) {
  int paced = 0;
  for (const std::string& name : BuiltinProfileNames()) {
    auto p = BuiltinProfile(name);
    ASSERT_TRUE(p.ok()) << name << ": " << p.status();
    for (const auto& ph : p->phases()) {
      for (const auto& s : ph.streams()) {
        if (s.rate_bytes_per_s() == 0) continue;
        ++paced;
        const std::string where = name + "/" + ph.name() + "/" + s.name();
        EXPECT_GT(s.frame_rate(), 0) << where;
        EXPECT_EQ(s.block_size_bytes(),
                  BlockSizeForFrame(static_cast<double>(s.rate_bytes_per_s()), s.frame_rate()))
            << where;
        EXPECT_EQ(s.iodepth(), 2u) << where;
      }
    }
  }
  EXPECT_GT(paced, 12) << "setup-check alone has 12 paced streams";
}

TEST(ProfilesTest, UnknownNameListsTheKnownOnes) {
  auto p = BuiltinProfile("show-pattern-typo");
  ASSERT_TRUE(absl::IsNotFound(p.status()));
  EXPECT_THAT(p.status().message(), HasSubstr("show-pattern-typo"));
  EXPECT_THAT(p.status().message(), HasSubstr("setup-check"));
}

TEST(ProfilesTest, BlockSizeIsOneFrameRoundedUpTo4KiB) {
  // 440e6 / 59.94 = 7340674 B -> 1793 pages of 4096 = 7344128.
  EXPECT_EQ(BlockSizeForFrame(440e6, 59.94), 7344128u);
  EXPECT_EQ(BlockSizeForFrame(18.4e6, 29.97) % 4096, 0u);
  EXPECT_GE(BlockSizeForFrame(18.4e6, 29.97), 18.4e6 / 29.97);
  EXPECT_EQ(BlockSizeForFrame(1000, 60), 4096u);
  EXPECT_EQ(BlockSizeForFrame(0, 60), 4096u);
}

TEST(ProfilesTest, ScaleShrinksEveryDurationAndRejectsBadScales) {
  auto p = BuiltinProfile("setup-check");
  auto* burst = p->mutable_phases(1)->mutable_streams(4);
  burst->set_start_offset_s(4);
  burst->set_duration_s(2);
  auto s = ScaleProfile(*p, 0.1);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ(ProfileDurationS(*s), 3);
  EXPECT_DOUBLE_EQ(s->phases(1).streams(4).start_offset_s(), 0.4);
  EXPECT_DOUBLE_EQ(s->phases(1).streams(4).duration_s(), 0.2);
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(s->phases(0)), 656e6) << "rates do not scale";
  for (double bad : {0.0, -1.0, 1.5, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    auto r = ScaleProfile(*p, bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_THAT(ScaleProfile(*p, -1).status().message(), HasSubstr("-1"));
}

TEST(ProfilesTest, ShowPatternHasItsFivePhasesAndBurstsOnSharedFiles) {
  auto p = BuiltinProfile("show-pattern");
  ASSERT_TRUE(p.ok()) << p.status();
  std::vector<std::string> names;
  for (const auto& ph : p->phases()) names.push_back(ph.name());
  EXPECT_THAT(names, ::testing::ElementsAre("doors", "act-1", "intermission", "act-2", "finale"));
  EXPECT_DOUBLE_EQ(ProfileDurationS(*p), 2.5 * 3600);
  const auto& act1 = p->phases(1);
  EXPECT_DOUBLE_EQ(act1.duration_s(), 3600);
  // Between bursts: normal playback; during a burst: the crossfade peak.
  EXPECT_NEAR(ScheduledTargetBytesPerS(act1, 0, 1), 656e6, 1);
  EXPECT_NEAR(ScheduledTargetBytesPerS(act1, 111, 112), 2099.2e6, 1);
  EXPECT_NEAR(ScheduledTargetBytesPerS(act1, 125, 126), 656e6, 1);
  EXPECT_NEAR(PhaseTargetBytesPerS(act1), 2099.2e6, 1);
  // A window half in a burst is judged against the time-weighted mix.
  EXPECT_NEAR(ScheduledTargetBytesPerS(act1, 109.5, 110.5), (656e6 + 2099.2e6) / 2, 1);
  // 30 bursts in act 1 (every 2 min), 36 in act 2 (every 90 s), all on files 4..7.
  EXPECT_EQ(act1.streams_size(), 4 + 30 * 4);
  EXPECT_EQ(p->phases(3).streams_size(), 4 + 36 * 4);
  EXPECT_EQ(StreamFile(act1, 4), 4u);
  EXPECT_EQ(StreamFile(act1, act1.streams_size() - 1), 7u);
  EXPECT_NEAR(PhaseTargetBytesPerS(p->phases(4)), 2099.2e6, 1);
  // Scaled to 90 s (0.01), the bursts stay at their scaled times.
  auto s = ScaleProfile(*p, 0.01);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(ProfileDurationS(*s), 90, 1e-9);
  EXPECT_NEAR(ScheduledTargetBytesPerS(s->phases(1), 1.11, 1.12), 2099.2e6, 1);
}

TEST(ProfilesTest, MaxSustainedIsTwoHoursUnpaced) {
  auto p = BuiltinProfile("max-sustained");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->phases_size(), 1);
  EXPECT_DOUBLE_EQ(p->phases(0).duration_s(), 7200);
  EXPECT_EQ(PhaseTargetBytesPerS(p->phases(0)), 0);
  EXPECT_EQ(p->phases(0).streams(0).iodepth(), 8u);
  EXPECT_THAT(BuiltinProfileNames(),
              ::testing::ElementsAre("setup-check", "max-sustained", "show-pattern"));
}

TEST(ProfilesTest, ProfilesParseFromJsonAndTextFormatWithErrorsNamingTheSource) {
  auto text = ParseProfile(R"(name: "mine" phases { name: "p" duration_s: 5
      streams { name: "s" rate_bytes_per_s: 100000000 block_size_bytes: 1048576 } })",
                           "test");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(text->phases(0)), 100e6);
  auto json = ParseProfile(R"({"name": "mine", "phases": [{"name": "p", "duration_s": 5,
      "streams": [{"name": "s", "block_size_bytes": 1048576}]}]})",
                           "test");
  ASSERT_TRUE(json.ok()) << json.status();
  auto bad_text = ParseProfile("name: \"x\" phases { nme: 1 }", "my.txtpb");
  ASSERT_FALSE(bad_text.ok());
  EXPECT_THAT(bad_text.status().message(), HasSubstr("my.txtpb"));
  EXPECT_THAT(bad_text.status().message(), HasSubstr("line 1"));
  auto bad_json = ParseProfile("{\"name\": 5}", "my.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_THAT(bad_json.status().message(), HasSubstr("my.json"));
  auto invalid = ParseProfile("{\"name\": \"x\", \"phases\": []}", "my.json");
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(), HasSubstr("has no phases"));
  // A negative rate cannot be a uint64: the error names the field and the value.
  auto negative = ParseProfile(R"({"name": "neg", "phases": [{"name": "p", "duration_s": 5,
      "streams": [{"name": "s", "rate_bytes_per_s": -5, "block_size_bytes": 1048576}]}]})",
                               "neg.json");
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.status().message(), HasSubstr("phases[0].streams[0].rate_bytes_per_s"));
  EXPECT_THAT(negative.status().message(), HasSubstr("-5"));
  auto missing = LoadProfileFile("/nonexistent/profile.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/profile.json"));
}

struct BadCase {
  const char* what;
  void (*mutate)(qdt::v1::Profile*);
  const char* message;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.what; }

class ValidateTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ValidateTest, NamesTheFieldAndValue) {
  auto p = BuiltinProfile("setup-check");
  GetParam().mutate(&*p);
  absl::Status st = ValidateProfile(*p);
  ASSERT_FALSE(st.ok()) << GetParam().what;
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr(GetParam().message)) << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(
    BadProfiles, ValidateTest,
    ::testing::Values(
        BadCase{"no name", [](qdt::v1::Profile* p) { p->clear_name(); }, "name: empty"},
        BadCase{"no phases", [](qdt::v1::Profile* p) { p->clear_phases(); }, "phases: profile"},
        BadCase{"zero duration",
                [](qdt::v1::Profile* p) { p->mutable_phases(1)->set_duration_s(0); },
                "phases[1].duration_s: 0"},
        BadCase{"negative duration",
                [](qdt::v1::Profile* p) { p->mutable_phases(0)->set_duration_s(-5); },
                "phases[0].duration_s: -5"},
        BadCase{"duplicate phase name",
                [](qdt::v1::Profile* p) { p->mutable_phases(2)->set_name("normal"); },
                "phases[2].name: \"normal\" is used twice"},
        BadCase{"no streams", [](qdt::v1::Profile* p) { p->mutable_phases(0)->clear_streams(); },
                "phases[0].streams: none"},
        BadCase{"too many streams",
                [](qdt::v1::Profile* p) {
                  auto* ph = p->mutable_phases(0);
                  while (ph->streams_size() <= kMaxStreamsPerPhase)
                    *ph->add_streams() = ph->streams(1);
                },
                "phases[0].streams: 257 streams, at most 256"},
        BadCase{"block not multiple of 512",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(0)->set_block_size_bytes(5000);
                },
                "phases[1].streams[0].block_size_bytes: 5000 is not a multiple of 512"},
        BadCase{"block too small",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(2)->mutable_streams(0)->set_block_size_bytes(512);
                },
                "block_size_bytes: 512 is outside"},
        BadCase{"iodepth absurd",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(2)->mutable_streams(0)->set_iodepth(100000);
                },
                "iodepth: 100000"},
        BadCase{"rate absurd",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(0)->set_rate_bytes_per_s(1ull << 62);
                },
                "rate_bytes_per_s: 4611686018427387904"},
        BadCase{"mixed paced and unpaced",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(3)->set_rate_bytes_per_s(0);
                },
                "3 of 4 streams are paced"},
        BadCase{"burst past the phase end",
                [](qdt::v1::Profile* p) {
                  auto* s = p->mutable_phases(1)->mutable_streams(4);
                  s->set_start_offset_s(8);
                  s->set_duration_s(5);
                },
                "phases[1].streams[4].duration_s: 5"},
        BadCase{"negative start",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(4)->set_start_offset_s(-1);
                },
                "start_offset_s: -1"},
        BadCase{"file index too high",
                [](qdt::v1::Profile* p) { p->mutable_phases(0)->mutable_streams(0)->set_file(64); },
                "phases[0].streams[0].file: 64 is not below 64"},
        BadCase{"two streams read one file at once",
                [](qdt::v1::Profile* p) { p->mutable_phases(0)->mutable_streams(1)->set_file(0); },
                "phases[0].streams[1].file: 0 is read by streams[0] at the same time"},
        BadCase{"line break in a stream name (would start a fio job section)",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(2)->set_name(
                      "HD\n[evil]\nrw=write\nfilename=/dev/sda");
                },
                "phases[0].streams[2].name: \"HD\\n[evil]\\nrw=write\\nfilename=/dev/sda\" "
                "contains control character 0x0a"},
        BadCase{"carriage return in a phase name",
                [](qdt::v1::Profile* p) { p->mutable_phases(1)->set_name("cross\rfade"); },
                "phases[1].name: \"cross\\rfade\" contains control character 0x0d"},
        BadCase{"tab in the profile name", [](qdt::v1::Profile* p) { p->set_name("setup\tcheck"); },
                "name: \"setup\\tcheck\" contains control character 0x09"},
        BadCase{"negative frame rate",
                [](qdt::v1::Profile*
                       p) { p->mutable_phases(1)->mutable_streams(4)->set_frame_rate(-30); },
                "frame_rate: -30"},
        // Issue 15 #6: 1e18 s overflowed fio's milliseconds and ran for 1 ms.
        BadCase{"phase of 1e18 s",
                [](qdt::v1::Profile* p) { p->mutable_phases(2)->set_duration_s(1e18); },
                "phases[2].duration_s: 1e+18 is more than 24 h (86400 s)"},
        BadCase{"phase of a day and a second",
                [](qdt::v1::Profile* p) { p->mutable_phases(0)->set_duration_s(86401); },
                "phases[0].duration_s: 86401 is more than 24 h"},
        BadCase{"NaN phase",
                [](qdt::v1::Profile* p) { p->mutable_phases(1)->set_duration_s(std::nan("")); },
                "phases[1].duration_s: nan must be a positive number of seconds"},
        BadCase{"infinite phase",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->set_duration_s(std::numeric_limits<double>::infinity());
                },
                "phases[1].duration_s: inf must be a positive number of seconds"},
        BadCase{"infinite stream offset",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(4)->set_start_offset_s(
                      std::numeric_limits<double>::infinity());
                },
                "phases[1].streams[4].start_offset_s: inf must be a number of seconds"},
        BadCase{"NaN stream duration",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(4)->set_duration_s(std::nan(""));
                },
                "phases[1].streams[4].duration_s: nan must be a number of seconds"},
        BadCase{"negative stream duration",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(4)->set_duration_s(-2);
                },
                "phases[1].streams[4].duration_s: -2 must be a number of seconds, 0 or more"},
        BadCase{"stream of 1e18 s",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(4)->set_duration_s(1e18);
                },
                "phases[1].streams[4].duration_s: 1e+18 is more than 24 h"},
        BadCase{"three phases of 9 h: 27 h in all",
                [](qdt::v1::Profile* p) {
                  for (auto& ph : *p->mutable_phases()) ph.set_duration_s(9 * 3600);
                },
                "phases: 97200 s in all is more than 24 h (86400 s)"},
        BadCase{"too many phases",
                [](qdt::v1::Profile* p) {
                  while (p->phases_size() <= kMaxPhases) {
                    auto* ph = p->add_phases();
                    *ph = p->phases(0);
                    ph->set_name("p" + std::to_string(p->phases_size()));
                    ph->set_duration_s(1);
                  }
                },
                "phases: 1001 phases, at most 1000"},
        // Issue 15 #16: the proto says stream names are unique in a phase.
        BadCase{"duplicate stream name",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(1)->mutable_streams(6)->set_name("request 4K (out)");
                },
                "phases[1].streams[6].name: \"request 4K (out)\" is also the name of streams[0]"},
        BadCase{"two unnamed streams",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(1)->clear_name();
                  p->mutable_phases(0)->mutable_streams(3)->clear_name();
                },
                "phases[0].streams[3].name: \"\" is also the name of streams[1]"},
        // Issue 15 #10: names are bounded and valid UTF-8.
        BadCase{"profile name of 201 bytes",
                [](qdt::v1::Profile* p) { p->set_name(std::string(201, 'n')); },
                "name: \"nnnn"},
        BadCase{"phase name of 8 KiB",
                [](qdt::v1::Profile* p) { p->mutable_phases(2)->set_name(std::string(8192, 'x')); },
                "phases[2].name: \"xxx"},
        BadCase{"stream name of 1 MB",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(0)->set_name(std::string(1 << 20, 's'));
                },
                "… (1048576 bytes) is 1048576 bytes long, at most 200"},
        BadCase{"stream name not UTF-8",
                [](qdt::v1::Profile* p) {
                  p->mutable_phases(0)->mutable_streams(1)->set_name("HD \xff\xfe");
                },
                "phases[0].streams[1].name: \"HD \\xff\\xfe\" is not valid UTF-8"},
        BadCase{"C1 control character (U+0085, next line) in a phase name",
                [](qdt::v1::Profile* p) { p->mutable_phases(0)->set_name("nor\xc2\x85mal"); },
                "contains control character 0x85"},
        BadCase{"title of 300 bytes",
                [](qdt::v1::Profile* p) { p->set_title(std::string(300, 't')); },
                "title: \"ttt"},
        BadCase{"description of 5000 bytes",
                [](qdt::v1::Profile* p) { p->set_description(std::string(5000, 'd')); },
                "description: \"ddd"}));

// A name from outside is quoted at most ~200 bytes long in the error: a 1 MB
// name must not make a 1 MB error (and a 4 MB gRPC reply).
TEST(ProfilesTest, HugeNamesMakeShortErrors) {
  auto p = BuiltinProfile("setup-check");
  ASSERT_TRUE(p.ok());
  p->mutable_phases(1)->mutable_streams(2)->set_name(std::string(1 << 20, 'x'));
  absl::Status st = ValidateProfile(*p);
  ASSERT_FALSE(st.ok());
  EXPECT_LT(st.message().size(), 400u) << st.message().substr(0, 400);
  EXPECT_THAT(st.message(), HasSubstr("phases[1].streams[2].name"));
  // Exactly kMaxNameBytes of a multi-byte name is fine; descriptions keep
  // their line breaks.
  p = BuiltinProfile("setup-check");
  std::string e_acute;
  while (e_acute.size() + 2 <= kMaxNameBytes) e_acute += "\xc3\xa9";
  p->mutable_phases(0)->mutable_streams(0)->set_name(e_acute);
  p->set_description("line one\nline two\twith a tab");
  EXPECT_TRUE(ValidateProfile(*p).ok()) << ValidateProfile(*p);
}

// Issue 15 #4 and #17: a time scale that makes a phase shorter than one can be
// judged, or a burst shorter than fio can start, is refused, naming the phase
// or stream, its length and the smallest scale that works.
TEST(ProfilesTest, TimeScalesThatLeaveNothingToJudgeAreRefused) {
  auto setup = BuiltinProfile("setup-check");
  ASSERT_TRUE(setup.ok());
  EXPECT_DOUBLE_EQ(SmallestTimeScale(*setup), 0.1);
  EXPECT_TRUE(CheckScaledLengths(*setup, 1).ok());
  EXPECT_TRUE(CheckScaledLengths(*setup, 0.1).ok()) << CheckScaledLengths(*setup, 0.1);
  absl::Status st = CheckScaledLengths(*setup, 0.01);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr("time_scale: 0.01 makes phases[0] (\"normal\") 0.1 s long, "
                                      "shorter than the 1 s a phase needs to be judged"));
  EXPECT_THAT(st.message(),
              HasSubstr("the smallest time scale for profile \"setup-check\" is 0.1"));
  EXPECT_FALSE(CheckScaledLengths(*setup, 0.099).ok());

  // The show pattern at 0.01 (the README's 90 s rehearsal): 6 s phases, 0.1 s
  // bursts. Below that the bursts are too short to start.
  auto show = BuiltinProfile("show-pattern");
  ASSERT_TRUE(show.ok());
  EXPECT_DOUBLE_EQ(SmallestTimeScale(*show), 0.01);
  EXPECT_TRUE(CheckScaledLengths(*show, 0.01).ok()) << CheckScaledLengths(*show, 0.01);
  st = CheckScaledLengths(*show, 0.005);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(".streams["));
  EXPECT_THAT(st.message(), HasSubstr("0.05 s long, shorter than the 0.1 s a stream needs"));
  EXPECT_THAT(st.message(), HasSubstr("is 0.01"));

  // Every built-in runs at its smallest scale and not at half of it.
  for (const std::string& name : BuiltinProfileNames()) {
    auto p = BuiltinProfile(name);
    ASSERT_TRUE(p.ok());
    const double smallest = SmallestTimeScale(*p);
    EXPECT_TRUE(CheckScaledLengths(*p, smallest).ok()) << name << " at " << smallest;
    EXPECT_FALSE(CheckScaledLengths(*p, smallest / 2).ok()) << name << " at " << smallest / 2;
  }
}

// A profile's own too-short phase or burst names its field (no time scale).
TEST(ProfilesTest, TooShortPhasesAndBurstsNameTheirField) {
  auto p = BuiltinProfile("setup-check");
  ASSERT_TRUE(p.ok());
  p->mutable_phases(2)->set_duration_s(0.5);
  absl::Status st = CheckScaledLengths(*p, 1, "profile.");
  EXPECT_THAT(st.message(), HasSubstr("profile.phases[2].duration_s: \"max-read\" lasts 0.5 s, "
                                      "shorter than the 1 s a phase needs to be judged"));
  p = BuiltinProfile("setup-check");
  // A sub-millisecond burst: the job builder would have to write runtime=0
  // (fio: no limit) or round it up to a burst that never was.
  auto* burst = p->mutable_phases(1)->mutable_streams(4);
  burst->set_start_offset_s(5);
  burst->set_duration_s(0.0004);
  st = CheckScaledLengths(*p, 1);
  EXPECT_THAT(st.message(), HasSubstr("phases[1].streams[4].duration_s: \"request 4K (in)\" "
                                      "lasts 0.0004 s, shorter than the 0.1 s a stream needs"));
  // A burst without a duration runs from its offset to the phase's end.
  burst->set_duration_s(0);
  burst->set_start_offset_s(9.95);
  st = CheckScaledLengths(*p, 1);
  EXPECT_THAT(st.message(), HasSubstr("phases[1].streams[4].start_offset_s"));
  EXPECT_GT(SmallestTimeScale(*p), 1);
}

}  // namespace
}  // namespace qdt
