// qdtctl analyze's engine on real fio output.
#include "fio/fio_analysis.h"

#include "fio/fio_stream_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::fio {
namespace {

using ::qdt::testing::Fixture;
using ::testing::HasSubstr;

const ProfileLevels kDefault{656, 2100};

TEST(FioAnalysisTest, StatusStreamIsJudgedOnItsWindowsAndFioMean) {
  auto a = AnalyzeFioOutput(
      Fixture("fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json"), kDefault,
      "f.json");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->reports, 5u);
  EXPECT_EQ(a->verdict.phases(0).windows(), 4u);
  EXPECT_NEAR(a->verdict.sustained_mb_s(), 794.9, 0.1);
  EXPECT_EQ(a->verdict.rating(), qdt::v1::RATING_ACCEPTABLE);
  // The same output against a cue stack of 500 / 780 MB/s: it sustains the crossfade.
  auto b = AnalyzeFioOutput(
      Fixture("fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json"), {500, 780},
      "f.json");
  EXPECT_EQ(b->verdict.rating(), qdt::v1::RATING_EXCELLENT);
}

TEST(FioAnalysisTest, SingleReportWithLeadingJunkAndFailedJob) {
  auto note = AnalyzeFioOutput(Fixture("fio/local_fio-3.33_leading_note_line_psync_linux_vm.json"),
                               kDefault, "n.json");
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->skipped_lines.size(), 1u);
  EXPECT_EQ(note->verdict.phases(0).windows(), 1u);
  // 85995520 B in 1.001 s = 85.9 MB/s: far below normal playback.
  EXPECT_NEAR(note->verdict.sustained_mb_s(), 85.91, 0.01);
  EXPECT_EQ(note->verdict.rating(), qdt::v1::RATING_FAIL);
  auto err =
      AnalyzeFioOutput(Fixture("fio/fio-3.33_leading_error_lines_job_error22.json"), kDefault, "e");
  ASSERT_TRUE(err.ok());
  // Issue 15 #4: a job that failed at once (error 22, runtime 0) measured
  // nothing: NO RATING with the job's error, never FAIL "sustained 0 MB/s".
  EXPECT_EQ(err->verdict.rating(), qdt::v1::RATING_NO_RATING);
  EXPECT_THAT(err->verdict.flags(),
              ::testing::Contains(HasSubstr("fio job \"1m\" failed with error 22")));
  EXPECT_EQ(err->verdict.no_rating_reason(),
            "fio job \"1m\" failed with error 22: a failed job's reads do not measure the drive");
  EXPECT_THAT(err->verdict.summary(), ::testing::StartsWith("NO RATING: fio job \"1m\" failed"));
  EXPECT_TRUE(err->verdict.fails_crossfade_target());
}

// Output whose every window is shorter than a judged one: NO RATING, and the
// sustained figure is fio's own mean.
TEST(FioAnalysisTest, NothingJudgedIsNoRatingWithFiosMean) {
  // One report of a job that ran 0.3 s and read 300 MB without an error.
  const std::string report = R"({"fio version": "fio-3.33", "timestamp_ms": 1000300,
    "jobs": [{"jobname": "short", "error": 0, "job_runtime": 300,
      "read": {"io_bytes": 300000000, "runtime": 300, "bw_bytes": 1000000000},
      "write": {"io_bytes": 0, "runtime": 0, "bw_bytes": 0}}]})";
  auto a = AnalyzeFioOutput(report, kDefault, "short.json");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->verdict.phases(0).windows(), 0u);
  EXPECT_EQ(a->verdict.rating(), qdt::v1::RATING_NO_RATING) << a->verdict.summary();
  EXPECT_EQ(a->verdict.no_rating_reason(),
            "no phase lasted one judging window (0.5 s): nothing to rate");
  EXPECT_NEAR(a->verdict.sustained_mb_s(), 1000, 1);
}

TEST(FioAnalysisTest, ReachedIodepthFromRealIodepthLevels) {
  // 5-object fixture: iodepth=8 with libaio; fio kept 8 in flight almost all the time.
  auto r =
      ParseFioOutput(Fixture("fio/local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReachedIodepth(r->back().jobs[0]), 8u);
  // psync: the engine caps the queue at 1 (the fixture's 'note:' line says so).
  auto p = ParseFioOutput(Fixture("fio/local_fio-3.33_leading_note_line_psync_linux_vm.json"));
  EXPECT_EQ(ReachedIodepth(p->back().jobs[0]), 1u);
  FioJob none;
  EXPECT_EQ(ReachedIodepth(none), 0u);
}

// A closed report bigger than the streaming parser's object limit (json+
// latency bins of many jobs) is analysed whole: analyze holds the text in
// memory, so an object can be as large as the text (up to 1 GiB).
TEST(FioAnalysisTest, AClosedReportOverTheStreamingLimitIsAnalysed) {
  std::string big = Fixture("fio/local_fio-3.33_leading_note_line_psync_linux_vm.json");
  const size_t brace = big.find('{');
  ASSERT_NE(brace, std::string::npos);
  const size_t padding = FioStreamParser::kDefaultMaxObjectBytes + (26u << 20);  // ~90 MB
  big.insert(brace + 1, "\n  \"padding\" : \"" + std::string(padding, 'p') + "\",\n");
  auto a = AnalyzeFioOutput(big, kDefault, "big.json");
  ASSERT_TRUE(a.ok()) << a.status().message().substr(0, 300);
  EXPECT_EQ(a->reports, 1u);
  EXPECT_GT(a->verdict.sustained_mb_s(), 0);
}

TEST(FioAnalysisTest, NotFioOutputSaysSo) {
  auto a = AnalyzeFioOutput("# README\nnot fio\n", kDefault, "README.md");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("README.md is not fio JSON output"));
  auto j = AnalyzeFioOutput("{\"name\": \"package\"}", kDefault, "package.json");
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(j.status().message(), HasSubstr("package.json is not fio JSON output"));
}

}  // namespace
}  // namespace qdt::fio
