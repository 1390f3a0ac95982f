#include "common/cue_stack.h"

#include "common/profiles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt {
namespace {

using ::testing::HasSubstr;

TEST(CueStackTest, StreamTableHasDesignFiguresAndHapIsComputed) {
  EXPECT_DOUBLE_EQ(FindStreamKind("ProRes 422 1080p29.97")->mb_per_s, 18.4);
  EXPECT_DOUBLE_EQ(FindStreamKind("prores 4444 xq uhd 59.94")->mb_per_s, 497.1);
  // HAP worst case = bytes per pixel x pixels x fps: 0.5 x 1920 x 1080 x 29.97 = 31.07 MB/s.
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP 1080p29.97")->mb_per_s, 31.1);
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP Q 1080p29.97")->mb_per_s, 62.1);
  EXPECT_DOUBLE_EQ(FindStreamKind("HAP Q UHD 29.97")->mb_per_s, 248.6);
  auto unknown = FindStreamKind("ProRes RAW 8K");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("ProRes RAW 8K"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("HAP Q UHD 29.97"));
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
