#include "common/cue_stack.h"

#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

TEST(CueStackTest, StreamTableHasDesignFiguresAndHapIsComputed) {
  // The figures of docs/DESIGN.md §5: Apple's Mb/s / 8 (147 / 8 = 18.375 is
  // DESIGN's 18.4; 3977 / 8 = 497.125 its 497.1).
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 1080p29.97")->mb_per_s, 18.375);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 HQ 1080p29.97")->mb_per_s, 27.5);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 1080p59.94")->mb_per_s, 36.625);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 4444 1080p29.97")->mb_per_s, 41.25);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 UHD 29.97")->mb_per_s, 73.625);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 HQ UHD 29.97")->mb_per_s, 110.5);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 UHD 59.94")->mb_per_s, 147.25);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 HQ UHD 59.94")->mb_per_s, 221.0);
  EXPECT_DOUBLE_EQ(FindStreamKind("prores 4444 xq uhd 59.94")->mb_per_s, 497.125);
  // HAP worst case = bytes per pixel x pixels x fps: 0.5 x 1920 x 1080 x 29.97 = 31.07 MB/s.
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP 1080p29.97")->mb_per_s, 31.1);
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP Q 1080p29.97")->mb_per_s, 62.1);
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP Q UHD 29.97")->mb_per_s, 248.6);
  auto unknown = FindStreamKind("ProRes RAW 8K");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("ProRes RAW 8K"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("HAP Q UHD 29.97"));
}

TEST(CueStackTest, EveryNameTheTableEverHadStillFindsItsStream) {
  // Saved command lines, scripts and tests use these names.
  for (const char* name :
       {"ProRes 422 1080p29.97", "ProRes 422 HQ 1080p29.97", "ProRes 422 1080p59.94",
        "ProRes 4444 1080p29.97", "HAP 1080p29.97", "HAP Q 1080p29.97", "ProRes 422 UHD 29.97",
        "ProRes 422 HQ UHD 29.97", "ProRes 422 UHD 59.94", "ProRes 422 HQ UHD 59.94",
        "HAP Q UHD 29.97", "ProRes 4444 XQ UHD 59.94", "request 4K", "request HD"}) {
    auto k = FindStreamKind(name);
    ASSERT_TRUE(k.ok()) << name << ": " << k.status();
    EXPECT_EQ(k->name, name);
  }
  // Spaces and case do not matter.
  EXPECT_EQ(FindStreamKind("prores 422 hq uhd29.97")->name, "ProRes 422 HQ UHD 29.97");
  EXPECT_EQ(FindStreamKind(" HAP Q 1080p 25 ")->name, "HAP Q 1080p25");
}

TEST(CueStackTest, TheTableHasEveryFormatAtEveryFrameRate) {
  const std::vector<std::string> rates = {"23.98", "25", "29.97", "50", "59.94"};
  EXPECT_EQ(StreamTableFrameRates(), rates);
  int found = 0;
  for (const char* codec :
       {"ProRes 422", "ProRes 422 HQ", "ProRes 4444", "ProRes 4444 XQ", "HAP", "HAP Q"}) {
    for (const std::string& rate : rates) {
      auto hd = FindStreamKind(std::string(codec) + " 1080p" + rate);
      auto uhd = FindStreamKind(std::string(codec) + " UHD " + rate);
      ASSERT_TRUE(hd.ok()) << hd.status();
      ASSERT_TRUE(uhd.ok()) << uhd.status();
      EXPECT_EQ(hd->format, std::string(codec) + " 1080p");
      EXPECT_EQ(uhd->format, std::string(codec) + " UHD");
      EXPECT_EQ(hd->fps_label, rate);
      // UHD has four times the pixels; Apple's UHD rates are 4.0 .. 4.03 x 1080p's.
      EXPECT_NEAR(uhd->mb_per_s / hd->mb_per_s, 4.0, 0.04) << codec << " " << rate;
      found += 2;
    }
  }
  EXPECT_EQ(found, 60);
  EXPECT_EQ(StreamTable().size(), 62u) << "60 formats x rates, and the request's two";
  // Names are unique, also as lookups see them.
  for (const StreamKind& k : StreamTable()) EXPECT_EQ(FindStreamKind(k.name)->name, k.name);
}

TEST(CueStackTest, RatesAreProportionalToFrameRateWithinAFormat) {
  // Apple: a ProRes data rate is bits per frame x fps at one frame size; a
  // transcription error in the table would break this. 23.98 is 23.976 fps.
  for (const StreamKind& k : StreamTable()) {
    if (k.format == "request") continue;
    auto base =
        FindStreamKind(k.format + (k.format.find("UHD") != std::string::npos ? " " : "") + "29.97");
    ASSERT_TRUE(base.ok()) << k.name << ": " << base.status();
    double expected = base->mb_per_s * k.fps / 29.97;
    EXPECT_NEAR(k.mb_per_s, expected, expected * 0.01) << k.name;
  }
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 HQ 1080p25")->mb_per_s, 184.0 / 8);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 4444 XQ UHD 50")->mb_per_s, 3318.0 / 8);
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 UHD 23.98")->fps, 23.976);
  // HAP at 25 fps: 1 x 3840 x 2160 x 25 = 207.36 MB/s -> 207.4.
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP Q UHD 25")->mb_per_s, 207.4);
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP 1080p50")->mb_per_s, 51.8);
}

TEST(CueStackTest, TheRequestsFourKStreamIsNotProRes4444XQ) {
  // 440 MB/s is the request's figure; the table gives 4444 XQ UHD 59.94 as 497.1.
  EXPECT_DOUBLE_EQ(FindStreamKind("request 4K")->mb_per_s, 440);
  for (const StreamKind& k : StreamTable()) {
    if (k.mb_per_s == 440) {
      EXPECT_EQ(k.name, "request 4K");
    }
  }
  // The built-in profiles name their streams as the table does.
  for (const std::string& name : BuiltinProfileNames()) {
    auto p = BuiltinProfile(name);
    ASSERT_TRUE(p.ok()) << p.status();
    for (const auto& ph : p->phases()) {
      for (const auto& s : ph.streams()) {
        EXPECT_THAT(s.name(), ::testing::Not(HasSubstr("4444"))) << name << "/" << ph.name();
        if (s.rate_bytes_per_s() == 0) continue;
        EXPECT_TRUE(s.name().rfind("request 4K", 0) == 0 || s.name().rfind("request HD", 0) == 0)
            << name << "/" << ph.name() << ": " << s.name();
      }
    }
  }
}

TEST(CueStackTest, DefaultsStayAtTheRequestedTargets) {
  CueTargets t = DeriveTargets(DefaultCue(), 1.6);
  EXPECT_DOUBLE_EQ(t.normal_mb_s, 656);
  EXPECT_DOUBLE_EQ(t.crossfade_mb_s, 2099.2);
  auto p = DeriveProfile("default", DefaultCue(), 1.6, 10);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(0)), 656e6);
  EXPECT_DOUBLE_EQ(PhaseTargetBytesPerS(p->phases(1)), 2099.2e6);
  ProfileLevels levels = TargetLevels(*p);
  EXPECT_DOUBLE_EQ(levels.normal_mb_s, 656);
  EXPECT_DOUBLE_EQ(levels.crossfade_mb_s, 2100);
  // Same shape as the built-in Setup Check.
  auto setup = BuiltinProfile("setup-check");
  EXPECT_DOUBLE_EQ(TargetLevels(*setup).crossfade_mb_s, 2100);
  EXPECT_DOUBLE_EQ(TargetLevels(*setup).normal_mb_s, 656);
}

TEST(CueStackTest, ADesignersOwnCueStack) {
  std::vector<CueStream> cue = {*ParseCueStream("ProRes 422 HQ UHD 59.94"),
                                *ParseCueStream("HAP Q 1080p29.97 x3"),
                                *ParseCueStream("100MB/s@25x2")};
  EXPECT_EQ(cue[1].count, 3);
  EXPECT_EQ(cue[2].count, 2);
  EXPECT_DOUBLE_EQ(cue[2].kind.fps, 25);
  CueTargets t = DeriveTargets(cue, 1.5);
  // 221.0 + 3 x 62.1 + 2 x 100 = 607.3; x 2 x 1.5 = 1821.9
  EXPECT_NEAR(t.normal_mb_s, 607.3, 1e-9);
  EXPECT_NEAR(t.crossfade_mb_s, 1821.9, 1e-9);
  auto p = DeriveProfile("mine", cue, 1.5, 5);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->phases(0).streams_size(), 6);
  EXPECT_EQ(p->phases(1).streams_size(), 12);
  EXPECT_NEAR(PhaseTargetBytesPerS(p->phases(1)), 1821.9e6, 2);
  // Blocks are one frame: 100 MB/s at 25 fps = 4 MB, rounded up to 4 KiB.
  EXPECT_EQ(p->phases(0).streams(4).block_size_bytes(), 4001792u);
  EXPECT_EQ(TargetLevels(*p).crossfade_mb_s, 1822);
}

TEST(CueStackTest, HeldStreamsAreReadOnceInACrossfade) {
  // A 4K layer that crossfades over a held HD background loop.
  CueStream main = *ParseCueStream("request 4K");
  CueStream loop = *ParseCueStream("request HD");
  loop.holds = true;
  CueTargets t = DeriveTargets({main, loop}, 1.6);
  EXPECT_DOUBLE_EQ(t.normal_mb_s, 512);
  // (72 + 2 x 440) x 1.6 = 1523.2
  EXPECT_NEAR(t.crossfade_mb_s, 1523.2, 1e-9);
  auto p = DeriveProfile("layered", {main, loop}, 1.6, 5);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->phases(1).streams_size(), 3);  // 4K out, HD loop, 4K in
  EXPECT_NEAR(PhaseTargetBytesPerS(p->phases(1)), 1523.2e6, 2);
}

TEST(CueStackTest, BadCueStacksNameTheArgument) {
  EXPECT_THAT(ParseCueStream("Bogus 8K").status().message(), HasSubstr("Bogus 8K"));
  EXPECT_THAT(ParseCueStream("HAP 1080p29.97 x0").status().message(), HasSubstr("count 0"));
  EXPECT_THAT(ParseCueStream("-5MB/s@30").status().message(), HasSubstr("RATE MB/s@FPS"));
  EXPECT_THAT(ParseCueStream("500MB/s").status().message(), HasSubstr("RATE MB/s@FPS"));
  EXPECT_THAT(DeriveProfile("x", {}, 1.6, 10).status().message(), HasSubstr("empty"));
  EXPECT_THAT(DeriveProfile("x", DefaultCue(), 0.5, 10).status().message(),
              HasSubstr("--safety: 0.5"));
  EXPECT_THAT(DeriveProfile("x", DefaultCue(), 1.6, 0).status().message(),
              HasSubstr("--phase-seconds"));
}

}  // namespace
}  // namespace qdt
