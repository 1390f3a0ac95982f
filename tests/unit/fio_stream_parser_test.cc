// FioStreamParser and the interval arithmetic on real fio output
// (tests/fixtures/fio, provenance in tests/fixtures/SOURCES.md) and on
// hand-made edge cases.
#include "fio/fio_stream_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::fio {
namespace {

using ::qdt::testing::Fixture;
using ::qdt::testing::FixturePath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

// File names under tests/fixtures/fio: bare, as the rows of kFacts (and the
// test names made from them) have them.
constexpr char kFiveObjects[] = "local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json";
constexpr char kTwoGroups[] =
    "local_fio-3.33_two_groups_stonewall_numjobs2_group_reporting_linux_vm.json";
constexpr char kError22[] = "fio-3.33_leading_error_lines_job_error22.json";
constexpr char kNumjobs4[] = "fio-3.16_randread_numjobs4_group_reporting_linux.json";

// Every field of a report as text, so two parses can be compared whole and a
// difference shows where it is.
std::string Describe(const FioReport& r) {
  std::string s = absl::StrCat(r.fio_version, " ts=", r.timestamp_ms, "\n");
  auto dir = [](const FioDirection& d) {
    return absl::StrCat(d.io_bytes, "/", d.total_ios, "/", d.bw_bytes, "/", d.iops, "/",
                        d.runtime_ms, "/", d.clat_p50_ns, "/", d.clat_p99_ns, "/", d.clat_mean_ns);
  };
  for (const FioJob& j : r.jobs) {
    absl::StrAppend(&s, j.name, " g=", j.group_id, " e=", j.error, " el=", j.elapsed_s,
                    " jr=", j.job_runtime_ms, " R=", dir(j.read), " W=", dir(j.write), " qd=");
    for (const auto& [depth, pct] : j.iodepth_level) absl::StrAppend(&s, depth, ":", pct, ",");
    s += "\n";
  }
  return s;
}

std::vector<std::string> DescribeAll(const std::vector<FioReport>& reports) {
  std::vector<std::string> out;
  for (const FioReport& r : reports) out.push_back(Describe(r));
  return out;
}

// ---------------------------------------------------------------------------
// Every fixture, with facts read out of the file by hand.

struct FixtureFacts {
  const char* file;
  size_t reports;
  size_t jobs;  // in the final report
  // Of the final report's first job:
  const char* job_name;
  int error;
  uint64_t read_io_bytes;
  uint64_t write_io_bytes;
  int64_t job_runtime_ms;  // 0 when the field is absent (fio < 3.16)
  double read_clat_p99_ns;
  double write_clat_p99_ns;
  // Of the whole output:
  size_t junk_lines;
  const char* fio_version;
};

void PrintTo(const FixtureFacts& f, std::ostream* os) { *os << f.file; }

const FixtureFacts kFacts[] = {
    // group_reporting merged 4 jobs: job_runtime is 4 x ~60 s while runtime is 60015.
    {kNumjobs4, 1, 1, "iotest", 0, 95281152, 0, 240022, 28442624, 0, 0, "fio-3.16"},
    // fio 3.1 has no "job_runtime"; latencies of a floppy drive: p99 0.83 s.
    {"fio-3.1_seqread_4k_qd2_libaio_floppy_linux.json", 1, 1, "iotest", 0, 1474560, 0, 0, 834666496,
     0, 0, "fio-3.1"},
    {"fio-3.26_seq_readwrite_70-30_libaio_azure_linux.json", 1, 1, "disk_fill", 0, 740294656,
     333447168, 4956, 104333312, 151864912, 0, "fio-3.26-19-ge7e53"},
    // The job failed before doing I/O: no "percentile" at all.
    {kError22, 1, 1, "1m", 22, 0, 0, 0, 0, 0, 3, "fio-3.33"},
    // jobname is the test file's path (CrystalDiskMark-style job).
    {"fio-3.39_jsonplus_macos_randwrite_posixaio.json", 1, 1,
     "/Users/alexander/CrystalDiskMark/CrystalDiskMark195681fd01a/CrystalDiskMark195681fd01a.tmp",
     0, 0, 16777216, 834, 0, 3489792, 0, "fio-3.39"},
    {"local_fio-3.33_jsonplus_seqread_128k_linux_vm.json", 1, 1, "seqread-jsonplus", 0, 1776025600,
     0, 2000, 749568, 0, 0, "fio-3.33"},
    {"local_fio-3.33_leading_note_line_psync_linux_vm.json", 1, 1, "syncnote", 0, 85995520, 0, 1000,
     134144, 0, 1, "fio-3.33"},
    {kFiveObjects, 5, 1, "seqread", 0, 3186622464, 0, 4008, 16318464, 0, 0, "fio-3.33"},
    {kTwoGroups, 1, 2, "seq-read-1m", 0, 2179989504, 0, 2005, 8847360, 0, 0, "fio-3.33"},
    // Two gated jobs: their two "Saving output of prerun" lines come first.
    {"local_fio-3.33_gated_prerun_status-interval1_stale_first_report_linux_vm.json", 5, 2, "s0", 0,
     262144000, 0, 2500, 2637824, 0, 2, "fio-3.33"},
    // macOS layout on Linux: stream-00 read by two psync reader threads
    // (stream-00, stream-00.r1) and stream-01 by one.
    {"local_fio-3.33_psync_readers_stream-00_r1_final_report_linux_vm.json", 1, 3, "stream-00", 0,
     40894464, 0, 2000, 27918336, 0, 0, "fio-3.33"},
};

class FixtureTest : public ::testing::TestWithParam<FixtureFacts> {};

TEST_P(FixtureTest, ParsesWithTheFactsOfTheFile) {
  const FixtureFacts& f = GetParam();
  std::string text = Fixture(absl::StrCat("fio/", f.file));
  ASSERT_FALSE(text.empty()) << f.file;
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(text, &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), f.reports);
  EXPECT_EQ(parser.skipped_lines().size(), f.junk_lines);
  const FioReport& last = reports.back();
  EXPECT_EQ(last.fio_version, f.fio_version);
  EXPECT_GT(last.timestamp_ms, 1'500'000'000'000);  // a wall clock in ms, not s
  ASSERT_EQ(last.jobs.size(), f.jobs);
  const FioJob& job = last.jobs[0];
  EXPECT_EQ(job.name, f.job_name);
  EXPECT_EQ(job.error, f.error);
  EXPECT_EQ(job.read.io_bytes, f.read_io_bytes);
  EXPECT_EQ(job.write.io_bytes, f.write_io_bytes);
  EXPECT_EQ(job.job_runtime_ms, f.job_runtime_ms);
  EXPECT_EQ(job.read.clat_p99_ns, f.read_clat_p99_ns);
  EXPECT_EQ(job.write.clat_p99_ns, f.write_clat_p99_ns);
  // Every fixture has the 7 depth buckets, in fio's order (not sorted as strings).
  std::vector<std::string> depths;
  for (const auto& level : job.iodepth_level) depths.push_back(level.first);
  EXPECT_THAT(depths, ElementsAre("1", "2", "4", "8", "16", "32", ">=64"));
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FixtureTest, ::testing::ValuesIn(kFacts),
                         [](const ::testing::TestParamInfo<FixtureFacts>& p) {
                           std::string name = p.param.file;
                           name = name.substr(0, name.rfind('.'));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Every file in the folder parses, so a fixture added later is covered at
// once; and it must get a row of facts above.
TEST(FioFixturesTest, EveryFixtureFileParsesAndHasFacts) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(FixturePath("fio"))) {
    if (!entry.is_regular_file()) continue;
    ++files;
    auto reports = ParseFioOutput(Fixture("fio/" + entry.path().filename().string()));
    ASSERT_TRUE(reports.ok()) << entry.path() << ": " << reports.status();
    ASSERT_GE(reports->size(), 1u);
    for (const FioReport& r : *reports) {
      EXPECT_FALSE(r.jobs.empty()) << entry.path();
      EXPECT_FALSE(r.fio_version.empty()) << entry.path();
    }
    bool has_facts = false;
    for (const auto& f : kFacts) has_facts |= entry.path().filename() == f.file;
    EXPECT_TRUE(has_facts) << entry.path() << " has no row in kFacts";
  }
  EXPECT_EQ(files, std::size(kFacts));
}

TEST(FioFixturesTest, IodepthLevelKeepsValues) {
  auto r = ParseFioOutput(Fixture("fio/fio-3.26_seq_readwrite_70-30_libaio_azure_linux.json"));
  ASSERT_TRUE(r.ok());
  const auto& levels = r->back().jobs[0].iodepth_level;
  ASSERT_EQ(levels.size(), 7u);
  EXPECT_THAT(levels[3], Pair("8", 0.195312));
  EXPECT_THAT(levels[6], Pair(">=64", 98.461914));
}

// ---------------------------------------------------------------------------
// Junk lines.

TEST(FioStreamParserTest, LeadingErrorLinesAreSkippedAndKept) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(Fixture(absl::StrCat("fio/", kError22)), &reports).ok());
  EXPECT_THAT(parser.skipped_lines(),
              ElementsAre("fio: time_based requires a runtime/timeout setting",
                          "1m: you need to specify size=",
                          "fio: pid=0, err=22/file:filesetup.c:1155, func=total_file_size, "
                          "error=Invalid argument"));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].jobs[0].error, 22);
}

TEST(FioStreamParserTest, NoteLineOfSynchronousEngineIsSkipped) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(
      parser.Feed(Fixture("fio/local_fio-3.33_leading_note_line_psync_linux_vm.json"), &reports)
          .ok());
  EXPECT_THAT(parser.skipped_lines(),
              ElementsAre("note: both iodepth >= 1 and synchronous I/O engine are selected, queue "
                          "depth will be capped at 1"));
  EXPECT_EQ(reports.size(), 1u);
}

// A small report in fio's layout ("{" alone on its first line).
std::string Mini(int64_t ts, uint64_t read_bytes, const std::string& name = "stream-00",
                 uint64_t read_ios = 10, int64_t runtime_ms = 1000) {
  return absl::StrReplaceAll(
      "{\n"
      "  \"fio version\" : \"fio-3.33\",\n"
      "  \"timestamp_ms\" : TS,\n"
      "  \"jobs\" : [\n"
      "    {\n"
      "      \"jobname\" : \"NAME\", \"error\" : 0,\n"
      "      \"read\" : { \"io_bytes\" : BYTES, \"total_ios\" : IOS, \"runtime\" : RUNTIME },\n"
      "      \"write\" : { \"io_bytes\" : 0, \"total_ios\" : 0, \"runtime\" : 0 }\n"
      "    }\n"
      "  ]\n"
      "}\n",
      {{"TS", absl::StrCat(ts)},
       {"NAME", name},
       {"BYTES", absl::StrCat(read_bytes)},
       {"IOS", absl::StrCat(read_ios)},
       {"RUNTIME", absl::StrCat(runtime_ms)}});
}

TEST(FioStreamParserTest, BackToBackObjectsWithJunkBetween) {
  // As --status-interval prints them: "}" line then "{" line, no separator.
  std::string text = "fio: terminating on signal 2\n" + Mini(1000, 100) + Mini(2000, 300) +
                     "\n\n   \nfio: pid=7, err=5/file:io_u.c:1845, func=io_u error\n" +
                     Mini(3000, 600);
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(text, &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].timestamp_ms, 1000);
  EXPECT_EQ(reports[1].jobs[0].read.io_bytes, 300u);
  EXPECT_EQ(reports[2].jobs[0].read.io_bytes, 600u);
  // Blank lines are not kept.
  EXPECT_THAT(parser.skipped_lines(),
              ElementsAre("fio: terminating on signal 2",
                          "fio: pid=7, err=5/file:io_u.c:1845, func=io_u error"));
}

TEST(FioStreamParserTest, ObjectsOnOneLineWithoutNewlineBetween) {
  std::string a = Mini(1000, 1), b = Mini(2000, 2);
  a.pop_back();  // "...}{..." with nothing between
  auto reports = ParseFioOutput(a + b);
  ASSERT_TRUE(reports.ok()) << reports.status();
  EXPECT_EQ(reports->size(), 2u);
}

TEST(FioStreamParserTest, BracesAndEscapesInsideStringsDoNotCount) {
  // A job name with braces, an escaped quote and an escaped backslash right
  // before the closing quote: a naive scanner ends the string or the object early.
  const std::string name = R"(a}{\"b}\\)";
  auto reports = ParseFioOutput(Mini(1000, 5, name) + Mini(2000, 6, "{"));
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].jobs[0].name, R"(a}{"b}\)");
  EXPECT_EQ((*reports)[1].jobs[0].name, "{");
  EXPECT_EQ((*reports)[1].jobs[0].read.io_bytes, 6u);
}

TEST(FioStreamParserTest, JunkSplitAcrossChunks) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed("fio: pid=12, er", &reports).ok());
  ASSERT_TRUE(parser.Feed("r=5/file:io_u.c\nnote: both iodepth", &reports).ok());
  ASSERT_TRUE(parser.Feed(" >= 1\n" + Mini(1000, 10), &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  EXPECT_THAT(parser.skipped_lines(),
              ElementsAre("fio: pid=12, err=5/file:io_u.c", "note: both iodepth >= 1"));
  ASSERT_EQ(reports.size(), 1u);
}

TEST(FioStreamParserTest, JunkBeforeTheOpeningBraceOnTheSameLine) {
  // A message printed without its newline, glued to fio's "{\n": junk, then the
  // object; also with the chunk boundary anywhere in "{\n  \"fio version\"".
  const std::string report = Mini(1000, 10);
  const std::string text = "fio: warning" + report;
  const size_t at = text.size() - report.size();
  for (size_t split = at - 1; split < at + 8; ++split) {
    FioStreamParser parser;
    std::vector<FioReport> reports;
    ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(0, split), &reports).ok());
    ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(split), &reports).ok());
    ASSERT_TRUE(parser.Finish().ok());
    ASSERT_EQ(reports.size(), 1u) << "split " << split;
    EXPECT_EQ(reports[0].jobs[0].read.io_bytes, 10u);
    EXPECT_THAT(parser.skipped_lines(), ElementsAre("fio: warning")) << "split " << split;
  }
}

TEST(FioStreamParserTest, BraceInsideAMessageDoesNotStartAnObject) {
  // Were any of these "{" taken as an object, the real report would nest
  // inside it and never complete. "rate={" even ends its line, as a glued
  // report's "{" would, but the next line does not open like a report.
  for (const std::string between : {"", "\n\n", "}\n"}) {
    const std::string text =
        "note: a line with { no object\nfio: job options {\"rw\": \"read\"}\n"
        "fio: bad option rate={\n" +
        between + Mini(1000, 10) + "fio: ends with {";
    for (size_t chunk : {size_t{1}, text.size()}) {
      FioStreamParser parser;
      std::vector<FioReport> reports;
      for (size_t pos = 0; pos < text.size(); pos += chunk) {
        ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(pos, chunk), &reports).ok());
      }
      ASSERT_TRUE(parser.Finish().ok());
      ASSERT_EQ(reports.size(), 1u) << "chunk " << chunk;
      EXPECT_EQ(reports[0].jobs[0].read.io_bytes, 10u);
      std::vector<std::string> expected = {"note: a line with { no object",
                                           "fio: job options {\"rw\": \"read\"}",
                                           "fio: bad option rate={"};
      if (between == "}\n") expected.push_back("}");
      expected.push_back("fio: ends with {");
      EXPECT_EQ(parser.skipped_lines(), expected) << "chunk " << chunk;
    }
  }
}

TEST(FioStreamParserTest, CarriageReturnEndsALine) {
  // fio --eta=always rewrites its status line with "\r" and no "\n".
  std::string text = "Jobs: 1 (f=1): [R(1)][20.0%][r=800MiB/s][eta 00m:04s]\r" +
                     std::string("Jobs: 1 (f=1): [R(1)][40.0%][r=790MiB/s][eta 00m:03s]\r") +
                     absl::StrReplaceAll(Mini(1000, 10), {{"\n", "\r\n"}});
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(text, &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(parser.skipped_lines().size(), 2u);
}

TEST(FioStreamParserTest, JunkIsBounded) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(std::string(100'000, 'x') + "\n", &reports).ok());
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(parser.Feed("fio: again\n", &reports).ok());
  ASSERT_TRUE(parser.Feed(Mini(1000, 10), &reports).ok());
  EXPECT_EQ(reports.size(), 1u);
  ASSERT_EQ(parser.skipped_lines().size(), FioStreamParser::kMaxSkippedLines);
  EXPECT_EQ(parser.skipped_lines()[0].size(), FioStreamParser::kMaxSkippedLineBytes);
}

TEST(FioStreamParserTest, AnObjectThatNeverClosesIsDroppedAndTheNextParses) {
  FioStreamParser parser(/*max_object_bytes=*/4096);
  std::vector<FioReport> reports;
  // A lost "}": the first object would otherwise swallow everything after it.
  std::string broken = Mini(1000, 10);
  broken.resize(broken.rfind('}'));
  std::string filler = "  \"x\" : \"" + std::string(5000, 'a') + "\",\n";
  ASSERT_TRUE(parser.Feed(broken + filler + "  \"y\" : 1\n", &reports).ok())
      << "whether it closes is not known yet";
  // The next report opens a line: the big one never closed.
  absl::Status st = parser.Feed(Mini(2000, 20), &reports);
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("grew past 4096 bytes without closing"));
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].timestamp_ms, 2000);
  EXPECT_THAT(parser.skipped_lines(), IsEmpty());  // the dropped tail is not fio's messages
}

// Issue 15 (16): a closed object over the limit is "too big", with its size,
// never "without closing"; the reports around it still parse.
TEST(FioStreamParserTest, AClosedObjectOverTheLimitIsTooBigNotUnclosed) {
  FioStreamParser parser(/*max_object_bytes=*/4096);
  std::vector<FioReport> reports;
  std::string big = Mini(1000, 10);
  const std::string padding = "  \"padding\" : \"" + std::string(10000, 'p') + "\",\n";
  big.insert(big.find('\n') + 1, padding);
  absl::Status st = parser.Feed(Mini(500, 5) + big + Mini(2000, 20), &reports);
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_THAT(st.message(),
              HasSubstr(absl::StrCat("too big (", big.rfind('}') + 1, " bytes, limit 4096)")));
  EXPECT_THAT(st.message(), Not(HasSubstr("without closing")));
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].timestamp_ms, 500);
  EXPECT_EQ(reports[1].timestamp_ms, 2000);

  // Cut inside it: truncated output, with the limit named.
  FioStreamParser cut(/*max_object_bytes=*/4096);
  ASSERT_TRUE(cut.Feed(big.substr(0, 8000), &reports).ok());
  absl::Status end = cut.Finish();
  EXPECT_TRUE(absl::IsDataLoss(end)) << end;
  EXPECT_THAT(end.message(), HasSubstr("8000 bytes pending, over the limit of 4096 bytes"));
}

// A whole text in memory (qdtctl analyze) takes a report as big as the text:
// a 70 MB report, over the streaming limit, parses.
TEST(FioStreamParserTest, AWholeTextTakesAReportOverTheStreamingLimit) {
  std::string big = Mini(1000, 10);
  const size_t size = FioStreamParser::kDefaultMaxObjectBytes + (6u << 20);
  big.insert(big.find('\n') + 1, "  \"padding\" : \"" + std::string(size, 'p') + "\",\n");
  auto reports = ParseFioOutput(big);
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].timestamp_ms, 1000);
  EXPECT_EQ(FioStreamParser::LimitForText(10), FioStreamParser::kDefaultMaxObjectBytes);
  EXPECT_EQ(FioStreamParser::LimitForText(size_t{5} << 30),
            FioStreamParser::kMaxWholeTextObjectBytes);
}

// ---------------------------------------------------------------------------
// Chunking.

void FeedInChunks(const std::string& text, std::mt19937* rng, size_t max_chunk,
                  std::vector<FioReport>* reports, std::vector<std::string>* skipped) {
  FioStreamParser parser;
  std::uniform_int_distribution<size_t> size(1, max_chunk);
  for (size_t pos = 0; pos < text.size();) {
    size_t n = std::min(size(*rng), text.size() - pos);
    ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(pos, n), reports).ok()) << pos;
    pos += n;
  }
  ASSERT_TRUE(parser.Finish().ok());
  *skipped = parser.skipped_lines();
}

TEST(FioStreamParserTest, ChunkingDoesNotChangeTheResult) {
  const std::string text = Fixture(absl::StrCat("fio/", kFiveObjects));
  auto whole = ParseFioOutput(text);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->size(), 5u);
  const std::vector<std::string> expected = DescribeAll(*whole);
  {
    FioStreamParser parser;
    std::vector<FioReport> got;
    for (char c : text) ASSERT_TRUE(parser.Feed(absl::string_view(&c, 1), &got).ok());
    ASSERT_TRUE(parser.Finish().ok());
    EXPECT_EQ(DescribeAll(got), expected) << "one byte at a time";
  }
  for (unsigned seed : {1u, 7u, 42u, 1234u, 99991u}) {
    for (size_t max_chunk : {size_t{7}, size_t{300}, size_t{4096}}) {
      std::mt19937 rng(seed);
      std::vector<FioReport> got;
      std::vector<std::string> skipped;
      FeedInChunks(text, &rng, max_chunk, &got, &skipped);
      EXPECT_EQ(DescribeAll(got), expected) << "seed " << seed << ", chunks <= " << max_chunk;
      EXPECT_THAT(skipped, IsEmpty());
    }
  }
}

TEST(FioStreamParserTest, ChunkingDoesNotChangeJunkLinesOfAnyFixture) {
  std::mt19937 rng(5);
  for (const FixtureFacts& f : kFacts) {
    const std::string text =
        "fio: before\n" + Fixture(absl::StrCat("fio/", f.file)) + "fio: after\n";
    FioStreamParser parser;
    std::vector<FioReport> whole;
    ASSERT_TRUE(parser.Feed(text, &whole).ok());
    ASSERT_TRUE(parser.Finish().ok());
    std::vector<FioReport> got;
    std::vector<std::string> skipped;
    FeedInChunks(text, &rng, 64, &got, &skipped);
    EXPECT_EQ(DescribeAll(got), DescribeAll(whole)) << f.file;
    EXPECT_EQ(skipped, parser.skipped_lines()) << f.file;
    EXPECT_EQ(skipped.size(), f.junk_lines + 2) << f.file;
  }
}

// ---------------------------------------------------------------------------
// Broken input.

TEST(FioStreamParserTest, TruncatedOutputIsAnErrorNotAZeroRate) {
  const std::string text = Fixture(absl::StrCat("fio/", kFiveObjects));
  // Cut 500 bytes into the third object (objects start with "{" on its own line).
  size_t second = text.find("}\n{") + 2;
  size_t third = text.find("}\n{", second) + 2;
  std::string cut = text.substr(0, third + 500);
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(cut, &reports).ok());
  ASSERT_EQ(reports.size(), 2u);
  absl::Status st = parser.Finish();
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("(500 bytes pending)"));
  EXPECT_TRUE(absl::IsDataLoss(ParseFioOutput(cut).status()));
  // The complete reports still give real rates.
  auto first = FirstInterval(reports[0]);
  auto next = IntervalBetween(reports[0], reports[1]);
  ASSERT_TRUE(first.ok() && next.ok());
  EXPECT_GT(first->read_bytes_per_s, 0);
  EXPECT_GT(next->read_bytes_per_s, 0);
  // The parser is usable after Finish().
  ASSERT_TRUE(parser.Feed(Mini(1, 1), &reports).ok());
  EXPECT_EQ(reports.size(), 3u);
}

TEST(FioStreamParserTest, CutAnywhereNeverYieldsAZeroRateReport) {
  const std::string text = Fixture(absl::StrCat("fio/", kFiveObjects));
  for (size_t len = 0; len < text.size(); len += 97) {
    FioStreamParser parser;
    std::vector<FioReport> reports;
    ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(0, len), &reports).ok()) << len;
    absl::Status finish = parser.Finish();
    for (size_t i = 0; i < reports.size(); ++i) {
      auto iv = i == 0 ? FirstInterval(reports[0]) : IntervalBetween(reports[i - 1], reports[i]);
      ASSERT_TRUE(iv.ok()) << len;
      EXPECT_GT(iv->read_bytes_per_s, 0) << len;
    }
    // Unless the cut falls between objects, the end is reported as truncation.
    bool between = len == 0 || (text[len - 1] == '\n' && text[len] == '{');
    EXPECT_EQ(finish.ok(), between) << len << ": " << finish;
  }
}

TEST(FioStreamParserTest, MalformedObjectIsReportedAndTheNextStillParses) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  absl::Status st = parser.Feed("{ \"jobs\": [ }\n" + Mini(5000, 42), &reports);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("not valid JSON"));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].jobs[0].read.io_bytes, 42u);
  // And in a later Feed, too.
  ASSERT_TRUE(parser.Feed(Mini(6000, 43), &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  EXPECT_EQ(reports.size(), 2u);
  EXPECT_FALSE(ParseFioOutput("{ \"jobs\": [ }\n" + Mini(5000, 42)).ok());
}

TEST(FioStreamParserTest, TextThatIsNotFioOutputSaysSo) {
  auto none = ParseFioOutput("hello\nthis is not fio\n");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "no fio JSON report found in 22 bytes of output");
  EXPECT_FALSE(ParseFioOutput("").ok());
  auto other_json = ParseFioOutput("{\"name\": \"a package.json\"}\n");
  ASSERT_FALSE(other_json.ok());
  EXPECT_THAT(other_json.status().message(), HasSubstr("\"fio version\""));
  EXPECT_FALSE(ParseFioOutput("[1, 2, 3]\n").ok());  // no object at all
}

TEST(ParseFioReportTest, ErrorsNameWhatIsMissing) {
  auto no_jobs = ParseFioReport(R"({"fio version": "fio-3.33"})");
  ASSERT_FALSE(no_jobs.ok());
  EXPECT_EQ(no_jobs.status().message(), "fio report: no \"jobs\" array");
  auto no_read = ParseFioReport(
      R"({"fio version": "fio-3.33", "jobs": [
          {"read": {}, "write": {}}, {"read": {}, "write": {}}, {"jobname": "x", "write": {}}]})");
  ASSERT_FALSE(no_read.ok());
  EXPECT_EQ(no_read.status().message(), "fio report: job 2 has no \"read\" object");
  auto not_object = ParseFioReport(R"({"fio version": "fio-3.33", "jobs": [7]})");
  EXPECT_THAT(not_object.status().message(), HasSubstr("job 0 is not an object"));
  EXPECT_THAT(ParseFioReport("[]").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseFioReport("{").status().message(), HasSubstr("not valid JSON"));
}

TEST(ParseFioReportTest, EmptyJobsIsAValidReport) {
  auto r = ParseFioReport(R"({"fio version": "fio-3.33", "timestamp_ms": 5, "jobs": []})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->jobs.empty());
  EXPECT_EQ(r->timestamp_ms, 5);
  EXPECT_TRUE(absl::IsFailedPrecondition(FirstInterval(*r).status()));
  EXPECT_EQ(MeanReadBytesPerS(*r), 0);
}

TEST(ParseFioReportTest, NumbersAsFloatsOrBeyond32Bits) {
  auto r = ParseFioReport(R"({"fio version": "fio-3.33", "timestamp_ms": 1795863877771,
      "jobs": [{"jobname": "big", "groupid": 1.0, "error": 0, "elapsed": 7200,
        "read": {"io_bytes": 9007199254740993, "total_ios": 2.0e3, "runtime": 1000.0,
                 "bw_bytes": 1.5e9, "iops": 12.5, "bw": 1464843,
                 "clat_ns": {"mean": 1234.5, "percentile": {"50.000000": 1000, "99.000000": 2.5e6}}},
        "write": {"io_bytes": 5000000000, "total_ios": -1, "runtime": 1000}}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  const FioJob& j = r->jobs[0];
  EXPECT_EQ(r->timestamp_ms, 1795863877771);
  EXPECT_EQ(j.group_id, 1);
  EXPECT_EQ(j.elapsed_s, 7200);
  EXPECT_EQ(j.read.io_bytes, 9007199254740993u);  // 2^53 + 1: not rounded through a double
  EXPECT_EQ(j.read.total_ios, 2000u);
  EXPECT_EQ(j.read.runtime_ms, 1000);
  EXPECT_EQ(j.read.bw_bytes, 1.5e9);  // bytes, not fio's KiB "bw"
  EXPECT_EQ(j.read.iops, 12.5);
  EXPECT_EQ(j.read.clat_mean_ns, 1234.5);
  EXPECT_EQ(j.read.clat_p50_ns, 1000);
  EXPECT_EQ(j.read.clat_p99_ns, 2.5e6);
  EXPECT_EQ(j.write.io_bytes, 5000000000u);
  EXPECT_EQ(j.write.total_ios, 0u);  // negative clamped
  EXPECT_EQ(j.write.clat_p99_ns, 0);
  EXPECT_EQ(j.job_runtime_ms, 0);  // absent
  EXPECT_TRUE(j.iodepth_level.empty());
}

// ---------------------------------------------------------------------------
// Intervals.

// Per-interval read rates of the 5-object status-interval fixture, by hand
// from the file (job "seqread", one job):
//   report  timestamp_ms    read io_bytes  total_ios  runtime (ms)  p50 / p99 clat ns
//   1       1795863877771    381681664       376        486         10027008 / 16580608
//   2       1795863878769   1152385024      1108       1487         10289152 / 16449536
//   3       1795863879770   1915748352      1839       2487
//   4       1795863880771   2712666112      2596       3486
//   5       1795863881334   3186622464      3039       4009  (final)
// The interval is the runtime step (fio's I/O clock), not the timestamp step
// (998, 1001, 1001, 563 ms):
// 1->2: (1152385024 - 381681664) = 770703360 B / 1.001 s = 769933426.6 B/s; 732 ios / 1.001 s
// 2->3: (1915748352 - 1152385024) = 763363328 B / 1.000 s = 763363328.0 B/s
// 3->4: (2712666112 - 1915748352) = 796917760 B / 0.999 s = 797715475.5 B/s
// 4->5: (3186622464 - 2712666112) = 473956352 B / 0.523 s = 906226294.5 B/s
// first: 381681664 B / 0.486 s (runtime) = 785353218.1 B/s; fio's own bw_bytes 785353218
// mean:  3186622464 B / 4.009 s = 794867164.9 B/s; fio's own final bw_bytes 794867164
//        (= the intervals' bytes / their summed seconds, 0.486+1.001+1.000+0.999+0.523)
TEST(FioIntervalTest, RatesOfTheStatusIntervalFixtureMatchHandArithmetic) {
  auto reports = ParseFioOutput(Fixture(absl::StrCat("fio/", kFiveObjects)));
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 5u);

  auto first = FirstInterval((*reports)[0]);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_DOUBLE_EQ(first->interval_s, 0.486);
  EXPECT_NEAR(first->read_bytes_per_s, 785353218.1, 0.1);
  EXPECT_NEAR(first->read_bytes_per_s, (*reports)[0].jobs[0].read.bw_bytes, 1.0);
  EXPECT_DOUBLE_EQ(first->read_iops, 376 / 0.486);
  EXPECT_EQ(first->read_bytes_total, 381681664u);
  EXPECT_EQ(first->write_bytes_per_s, 0);
  EXPECT_EQ(first->read_clat_p50_ns, 10027008);
  EXPECT_EQ(first->read_clat_p99_ns, 16580608);

  const double rates[] = {769933426.6, 763363328.0, 797715475.5, 906226294.5};
  const double seconds[] = {1.001, 1.000, 0.999, 0.523};
  double bytes = first->read_bytes_per_s * first->interval_s, secs = first->interval_s;
  for (int i = 0; i < 4; ++i) {
    auto iv = IntervalBetween((*reports)[i], (*reports)[i + 1]);
    ASSERT_TRUE(iv.ok()) << iv.status();
    EXPECT_DOUBLE_EQ(iv->interval_s, seconds[i]) << "interval " << i + 1;
    EXPECT_NEAR(iv->read_bytes_per_s, rates[i], 0.1) << "interval " << i + 1;
    EXPECT_EQ(iv->write_bytes_per_s, 0);
    EXPECT_EQ(iv->write_iops, 0);
    bytes += iv->read_bytes_per_s * iv->interval_s;
    secs += iv->interval_s;
  }
  // The samples add up to fio's own mean.
  EXPECT_NEAR(bytes / secs, MeanReadBytesPerS(reports->back()), 1e-3);
  auto iv = IntervalBetween((*reports)[0], (*reports)[1]);
  ASSERT_TRUE(iv.ok());
  EXPECT_DOUBLE_EQ(iv->read_iops, (1108 - 376) / 1.001);
  EXPECT_EQ(iv->read_bytes_total, 1152385024u);
  EXPECT_EQ(iv->read_clat_p50_ns, 10289152);  // of report 2 (cumulative)
  EXPECT_EQ(iv->read_clat_p99_ns, 16449536);
  EXPECT_NEAR(MeanReadBytesPerS(reports->back()), 794867164.9, 0.1);
  EXPECT_NEAR(MeanReadBytesPerS(reports->back()), reports->back().jobs[0].read.bw_bytes, 1.0);
  EXPECT_EQ(MeanWriteBytesPerS(reports->back()), 0);
}

TEST(FioIntervalTest, FirstIntervalUsesRuntimeNotTheSummedJobRuntime) {
  // numjobs=4 + group_reporting: runtime 60015 ms, job_runtime 240022 (4 x 60 s).
  auto r = ParseFioOutput(Fixture(absl::StrCat("fio/", kNumjobs4)));
  ASSERT_TRUE(r.ok());
  auto first = FirstInterval(r->back());
  ASSERT_TRUE(first.ok());
  EXPECT_DOUBLE_EQ(first->interval_s, 60.015);
  EXPECT_NEAR(first->read_bytes_per_s, 95281152 / 60.015, 1e-6);  // 1587622.3 B/s
  EXPECT_DOUBLE_EQ(first->read_iops, 23262 / 60.015);
  EXPECT_NEAR(MeanReadBytesPerS(r->back()), r->back().jobs[0].read.bw_bytes, 1.0);
  // job_runtime is the fallback only when no direction has a runtime.
  FioReport only_job_runtime = r->back();
  only_job_runtime.jobs[0].read.runtime_ms = 0;
  only_job_runtime.jobs[0].job_runtime_ms = 1500;
  first = FirstInterval(only_job_runtime);
  ASSERT_TRUE(first.ok());
  EXPECT_DOUBLE_EQ(first->interval_s, 1.5);
}

TEST(FioIntervalTest, FirstIntervalOfAFailedJobIsAnError) {
  // error=22 before any I/O: runtime 0 everywhere; a rate would be 0/0.
  auto r = ParseFioOutput(Fixture(absl::StrCat("fio/", kError22)));
  ASSERT_TRUE(r.ok());
  auto first = FirstInterval(r->back());
  EXPECT_TRUE(absl::IsFailedPrecondition(first.status())) << first.status();
  EXPECT_THAT(first.status().message(), HasSubstr("runtime 0 ms"));
  EXPECT_EQ(MeanReadBytesPerS(r->back()), 0);
}

TEST(FioIntervalTest, ClockIsRuntimeThenTimestamp) {
  // Runtime advanced 250 ms while the printed timestamps are 1000 ms apart
  // (fio's status thread printed late): runtime wins.
  auto a = ParseFioReport(Mini(1000, 0, "s", 0, 1000));
  auto b = ParseFioReport(Mini(2000, 1000, "s", 1, 1250));
  ASSERT_TRUE(a.ok() && b.ok());
  auto iv = IntervalBetween(*a, *b);
  ASSERT_TRUE(iv.ok()) << iv.status();
  EXPECT_DOUBLE_EQ(iv->interval_s, 0.25);
  EXPECT_DOUBLE_EQ(iv->read_bytes_per_s, 4000);
  // Same runtime, later timestamp: the timestamp step is the fallback clock.
  auto c = ParseFioReport(Mini(2500, 1000, "s", 1, 1000));
  iv = IntervalBetween(*a, *c);
  ASSERT_TRUE(iv.ok()) << iv.status();
  EXPECT_DOUBLE_EQ(iv->interval_s, 1.5);
}

TEST(FioIntervalTest, ErrorsNameTheValues) {
  // Mini() reports all have runtime 1000, so only the timestamp can advance.
  auto a = ParseFioReport(Mini(2000, 500, "s", 10));
  auto earlier = ParseFioReport(Mini(1000, 600, "s", 20));
  auto same_time = ParseFioReport(Mini(2000, 600, "s", 20));
  auto fewer_bytes = ParseFioReport(Mini(3000, 100, "s", 20));
  auto fewer_ios = ParseFioReport(Mini(3000, 600, "s", 5));
  auto two = ParseFioOutput(Fixture(absl::StrCat("fio/", kTwoGroups)));
  ASSERT_TRUE(a.ok() && earlier.ok() && same_time.ok() && fewer_bytes.ok() && fewer_ios.ok() &&
              two.ok());

  auto st = IntervalBetween(*a, *earlier).status();
  EXPECT_EQ(st.message(),
            "fio report timestamp_ms 1000 is not after 2000 and no job runtime advanced");
  st = IntervalBetween(*a, *same_time).status();
  EXPECT_THAT(st.message(), HasSubstr("timestamp_ms 2000 is not after 2000"));
  st = IntervalBetween(*a, *fewer_bytes).status();
  EXPECT_THAT(st.message(), HasSubstr("fio job 0 (s) read io_bytes went backwards: 500 -> 100"));
  st = IntervalBetween(*a, *fewer_ios).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("read total_ios went backwards: 10 -> 5"));
  st = IntervalBetween(*a, two->back()).status();
  EXPECT_EQ(st.message(), "fio reports have 1 and 2 jobs; cannot compare");
}

TEST(FioIntervalTest, SumsOverJobsMatchedByPosition) {
  // The two-group fixture: job 0 read 2179989504 B (runtime 2006 ms), job 1
  // wrote 194994176 B (runtime 2001 ms). A later report with made-up progress
  // in both jobs and directions, 2 s later on the runtime clock.
  auto two = ParseFioOutput(Fixture(absl::StrCat("fio/", kTwoGroups)));
  ASSERT_TRUE(two.ok());
  const FioReport& prev = two->back();
  FioReport cur = prev;
  cur.timestamp_ms += 2100;
  cur.jobs[0].read.runtime_ms += 2000;
  cur.jobs[1].write.runtime_ms += 2000;
  cur.jobs[0].read.io_bytes += 200'000'000;
  cur.jobs[0].read.total_ios += 200;
  cur.jobs[1].read.io_bytes += 100'000'000;
  cur.jobs[1].write.io_bytes += 50'000'000;
  cur.jobs[1].write.total_ios += 12'000;
  auto iv = IntervalBetween(prev, cur);
  ASSERT_TRUE(iv.ok()) << iv.status();
  EXPECT_DOUBLE_EQ(iv->interval_s, 2.0);                // 4006 - 2006 ms
  EXPECT_DOUBLE_EQ(iv->read_bytes_per_s, 150'000'000);  // (200e6 + 100e6) / 2 s
  EXPECT_DOUBLE_EQ(iv->write_bytes_per_s, 25'000'000);  // 50e6 / 2 s
  EXPECT_DOUBLE_EQ(iv->read_iops, 100);
  EXPECT_DOUBLE_EQ(iv->write_iops, 6000);
  EXPECT_EQ(iv->read_bytes_total, 2179989504u + 300'000'000u);
  EXPECT_EQ(iv->write_bytes_total, 194994176u + 50'000'000u);
  EXPECT_EQ(iv->read_clat_p99_ns, 8847360);  // max over jobs; job 1 did no reads

  // Same names (numjobs without group_reporting): matched by position, summed.
  FioReport a = cur, b = cur;
  for (FioJob* j : {&a.jobs[0], &a.jobs[1], &b.jobs[0], &b.jobs[1]}) j->name = "stream";
  b.jobs[0].read.runtime_ms += 1000;
  b.jobs[0].read.io_bytes += 5;
  b.jobs[1].read.io_bytes += 7;
  iv = IntervalBetween(a, b);
  ASSERT_TRUE(iv.ok());
  EXPECT_DOUBLE_EQ(iv->read_bytes_per_s, 12);

  // fio's own means: the longest direction runtime is the read job's 2006 ms
  // (job 1's job_runtime 4000 is summed over numjobs=2, so not used):
  // read 2179989504 B / 2.006 s = 1086734548.4, write 194994176 B / 2.006 s = 97205471.6.
  EXPECT_NEAR(MeanReadBytesPerS(prev), 1086734548.4, 0.1);
  EXPECT_NEAR(MeanWriteBytesPerS(prev), 97205471.6, 0.1);
}

// ---------------------------------------------------------------------------
// json+ (percentiles plus latency bins).

TEST(FioJsonPlusTest, PercentilesParseBesideTheBins) {
  auto linux_plus =
      ParseFioOutput(Fixture("fio/local_fio-3.33_jsonplus_seqread_128k_linux_vm.json"));
  ASSERT_TRUE(linux_plus.ok()) << linux_plus.status();
  const FioJob& j = linux_plus->back().jobs[0];
  EXPECT_EQ(j.read.clat_p50_ns, 569344);
  EXPECT_EQ(j.read.clat_p99_ns, 749568);
  EXPECT_EQ(j.read.total_ios, 13550u);  // = the sum of its 87 bins
  EXPECT_EQ(j.write.clat_p99_ns, 0);    // no writes: absent, not made up

  auto mac = ParseFioOutput(Fixture("fio/fio-3.39_jsonplus_macos_randwrite_posixaio.json"));
  ASSERT_TRUE(mac.ok()) << mac.status();
  const FioJob& m = mac->back().jobs[0];
  EXPECT_EQ(m.write.clat_p50_ns, 189440);
  EXPECT_EQ(m.write.clat_p99_ns, 3489792);
  EXPECT_EQ(m.read.clat_p99_ns, 0);
  // posixaio with iodepth=8 kept 8 in flight only 83% of the time (docs/DESIGN.md §4).
  ASSERT_EQ(m.iodepth_level.size(), 7u);
  EXPECT_THAT(m.iodepth_level[3], Pair("8", 83.148193));
}

}  // namespace
}  // namespace qdt::fio
