// FioStreamParser and friends on real fio output (tests/fixtures/fio, with
// provenance in tests/fixtures/SOURCES.md) and on hand-made edge cases.
#include "fio/fio_stream_parser.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::fio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FixturePath(const std::string& name) {
  return std::string(QDT_FIXTURE_DIR) + "/fio/" + name;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr char kFiveObjects[] = "local_fio-3.33_status-interval1_5objects_seqread_linux_vm.json";

// Facts of each fixture, read out of the files by hand.
struct FixtureFacts {
  const char* file;
  size_t reports;
  size_t jobs;
  const char* first_job_name;
  int first_job_error;
  uint64_t final_read_io_bytes;
  uint64_t final_write_io_bytes;
  size_t junk_lines;
  const char* fio_version;
};

const FixtureFacts kFacts[] = {
    {"fio-3.16_randread_numjobs4_group_reporting_linux.json", 1, 1, "iotest", 0, 95281152ull, 0ull,
     0, "fio-3.16"},
    {"fio-3.1_seqread_4k_qd2_libaio_floppy_linux.json", 1, 1, "iotest", 0, 1474560ull, 0ull, 0,
     "fio-3.1"},
    {"fio-3.26_seq_readwrite_70-30_libaio_azure_linux.json", 1, 1, "disk_fill", 0, 740294656ull,
     333447168ull, 0, "fio-3.26-19-ge7e53"},
    {"fio-3.33_leading_error_lines_job_error22.json", 1, 1, "1m", 22, 0ull, 0ull, 3, "fio-3.33"},
    {"fio-3.39_jsonplus_macos_randwrite_posixaio.json", 1, 1,
     "/Users/alexander/CrystalDiskMark/CrystalDiskMark195681fd01a/CrystalDiskMark195681fd01a.tmp",
     0, 0ull, 16777216ull, 0, "fio-3.39"},
    {"local_fio-3.33_jsonplus_seqread_128k_linux_vm.json", 1, 1, "seqread-jsonplus", 0,
     1776025600ull, 0ull, 0, "fio-3.33"},
    {"local_fio-3.33_leading_note_line_psync_linux_vm.json", 1, 1, "syncnote", 0, 85995520ull, 0ull,
     1, "fio-3.33"},
    {kFiveObjects, 5, 1, "seqread", 0, 3186622464ull, 0ull, 0, "fio-3.33"},
    {"local_fio-3.33_two_groups_stonewall_numjobs2_group_reporting_linux_vm.json", 1, 2,
     "seq-read-1m", 0, 2179989504ull, 0ull, 0, "fio-3.33"},
};

void PrintTo(const FixtureFacts& f, std::ostream* os) { *os << f.file; }

class FixtureTest : public ::testing::TestWithParam<FixtureFacts> {};

TEST_P(FixtureTest, ParsesWithTheFactsOfTheFile) {
  const FixtureFacts& f = GetParam();
  std::string text = ReadFixture(f.file);
  ASSERT_FALSE(text.empty()) << f.file;
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(text, &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), f.reports);
  const FioReport& last = reports.back();
  EXPECT_EQ(last.fio_version, f.fio_version);
  ASSERT_EQ(last.jobs.size(), f.jobs);
  EXPECT_EQ(last.jobs[0].name, f.first_job_name);
  EXPECT_EQ(last.jobs[0].error, f.first_job_error);
  EXPECT_EQ(last.jobs[0].read.io_bytes, f.final_read_io_bytes);
  EXPECT_EQ(last.jobs[0].write.io_bytes, f.final_write_io_bytes);
  EXPECT_EQ(parser.skipped_lines().size(), f.junk_lines);
  EXPECT_GT(last.timestamp_ms, 0);
  EXPECT_FALSE(last.jobs[0].iodepth_level.empty());
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, FixtureTest, ::testing::ValuesIn(kFacts),
                         [](const ::testing::TestParamInfo<FixtureFacts>& p) {
                           std::string name = p.param.file;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Every file in the folder parses, so a fixture added later is covered at once,
// and every file has a row of facts above.
TEST(FioFixturesTest, EveryFixtureFileParsesAndHasFacts) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(QDT_FIXTURE_DIR) + "/fio")) {
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto reports = ParseFioOutput(ss.str());
    ASSERT_TRUE(reports.ok()) << entry.path() << ": " << reports.status();
    EXPECT_FALSE(reports->back().jobs.empty()) << entry.path();
    EXPECT_FALSE(reports->back().fio_version.empty()) << entry.path();
    bool has_facts = false;
    for (const auto& f : kFacts) has_facts |= entry.path().filename() == f.file;
    EXPECT_TRUE(has_facts) << entry.path() << " has no row in kFacts";
  }
  EXPECT_EQ(files, static_cast<int>(std::size(kFacts)));
}

TEST(FioStreamParserTest, JunkLinesBeforeTheObjectAreSkippedAndKept) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(
      parser.Feed(ReadFixture("fio-3.33_leading_error_lines_job_error22.json"), &reports).ok());
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
      parser.Feed(ReadFixture("local_fio-3.33_leading_note_line_psync_linux_vm.json"), &reports)
          .ok());
  ASSERT_EQ(parser.skipped_lines().size(), 1u);
  EXPECT_THAT(parser.skipped_lines()[0], HasSubstr("note: both iodepth >= 1 and synchronous"));
}

// Per-interval rates of the 5-object status-interval fixture, worked out by hand:
//   report  timestamp_ms    read io_bytes  total_ios  runtime (ms)
//   1       1795863877771    381681664       376        486
//   2       1795863878769   1152385024      1108       1487
//   3       1795863879770   1915748352      1839       2487
//   4       1795863880771   2712666112      2596       3486
//   5       1795863881334   3186622464      3039       4009  (final)
// The interval is the runtime step (fio's I/O clock), not the timestamp step:
// 1->2: (1152385024 - 381681664) B / 1.001 s = 770703360 / 1.001 = 769933426.6 B/s
// 2->3: 763363328 / 1.000 = 763363328.0 B/s
// 3->4: 796917760 / 0.999 = 797715475.5 B/s
// 4->5: 473956352 / 0.523 = 906226294.5 B/s
// first: 381681664 B / 0.486 s = 785353218.1 B/s
// mean:  3186622464 B / 4.009 s = 794867165.1 B/s  (= the intervals' total / their total time)
TEST(FioIntervalTest, RatesOfTheStatusIntervalFixtureMatchHandArithmetic) {
  auto reports = ParseFioOutput(ReadFixture(kFiveObjects));
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 5u);
  auto first = FirstInterval((*reports)[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_NEAR(first->interval_s, 0.486, 1e-9);
  EXPECT_NEAR(first->read_bytes_per_s, 785353218.1, 1.0);
  EXPECT_NEAR(first->read_iops, 376 / 0.486, 1e-6);
  const double expected[] = {769933426.6, 763363328.0, 797715475.5, 906226294.5};
  const double seconds[] = {1.001, 1.000, 0.999, 0.523};
  double bytes = first->read_bytes_per_s * first->interval_s, secs = first->interval_s;
  for (int i = 0; i < 4; ++i) {
    auto iv = IntervalBetween((*reports)[i], (*reports)[i + 1]);
    ASSERT_TRUE(iv.ok()) << iv.status();
    EXPECT_NEAR(iv->interval_s, seconds[i], 1e-9) << "interval " << i + 1;
    EXPECT_NEAR(iv->read_bytes_per_s, expected[i], 1.0) << "interval " << i + 1;
    EXPECT_EQ(iv->write_bytes_per_s, 0);
    bytes += iv->read_bytes_per_s * iv->interval_s;
    secs += iv->interval_s;
  }
  // The samples add up to fio's own mean exactly.
  EXPECT_NEAR(bytes / secs, MeanReadBytesPerS(reports->back()), 1.0);
  auto iv = IntervalBetween((*reports)[0], (*reports)[1]);
  EXPECT_NEAR(iv->read_iops, (1108 - 376) / 1.001, 1e-6);
  EXPECT_EQ(iv->read_bytes_total, 1152385024u);
  EXPECT_NEAR(iv->read_clat_p50_ns, 10289152, 0.5);
  EXPECT_NEAR(iv->read_clat_p99_ns, 16449536, 0.5);
  EXPECT_NEAR(MeanReadBytesPerS(reports->back()), 794867165.1, 1.0);
  EXPECT_EQ(MeanWriteBytesPerS(reports->back()), 0);
}

TEST(FioStreamParserTest, ChunkingDoesNotChangeTheResult) {
  const std::string text = ReadFixture(kFiveObjects);
  auto whole = ParseFioOutput(text);
  ASSERT_TRUE(whole.ok());
  auto check = [&](const std::vector<FioReport>& got, const std::string& how) {
    ASSERT_EQ(got.size(), whole->size()) << how;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].timestamp_ms, (*whole)[i].timestamp_ms) << how;
      EXPECT_EQ(got[i].jobs[0].read.io_bytes, (*whole)[i].jobs[0].read.io_bytes) << how;
      EXPECT_EQ(got[i].jobs[0].read.clat_p99_ns, (*whole)[i].jobs[0].read.clat_p99_ns) << how;
    }
  };
  {
    FioStreamParser parser;
    std::vector<FioReport> got;
    for (char c : text) ASSERT_TRUE(parser.Feed(absl::string_view(&c, 1), &got).ok());
    ASSERT_TRUE(parser.Finish().ok());
    check(got, "one byte at a time");
  }
  for (unsigned seed : {1u, 7u, 42u, 1234u}) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> size(1, 4096);
    FioStreamParser parser;
    std::vector<FioReport> got;
    for (size_t pos = 0; pos < text.size();) {
      size_t n = std::min(size(rng), text.size() - pos);
      ASSERT_TRUE(parser.Feed(absl::string_view(text).substr(pos, n), &got).ok());
      pos += n;
    }
    ASSERT_TRUE(parser.Finish().ok());
    check(got, "random chunks, seed " + std::to_string(seed));
  }
}

constexpr char kMiniReport[] =
    "{\n \"fio version\" : \"fio-3.33\",\n \"timestamp_ms\" : %TS%,\n \"jobs\" : [ { \"jobname\" : "
    "\"%NAME%\", \"error\" : 0, \"read\" : { \"io_bytes\" : %BYTES%, \"total_ios\" : 10, "
    "\"runtime\" : 1000 }, \"write\" : { \"io_bytes\" : 0, \"total_ios\" : 0, \"runtime\" : 0 } } "
    "]\n}\n";

std::string Mini(int64_t ts, uint64_t bytes, const std::string& name = "stream-00") {
  std::string s = kMiniReport;
  s.replace(s.find("%TS%"), 4, std::to_string(ts));
  s.replace(s.find("%NAME%"), 6, name);
  s.replace(s.find("%BYTES%"), 7, std::to_string(bytes));
  return s;
}

TEST(FioStreamParserTest, BackToBackObjectsJunkBetweenAndBracesInStrings) {
  std::string text = "fio: terminating on signal 2\n" + Mini(1000, 100) +
                     Mini(2000, 300, "a}{\\\"b") + "\nnote: a line with { no object\n" +
                     Mini(3000, 600);
  // fio starts an object with '{' at the start of a line; a '{' inside a junk
  // line does not start one.
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(text, &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].timestamp_ms, 1000);
  EXPECT_EQ(reports[1].jobs[0].name, "a}{\"b");
  EXPECT_EQ(reports[2].jobs[0].read.io_bytes, 600u);
  EXPECT_THAT(parser.skipped_lines(),
              ElementsAre("fio: terminating on signal 2", "note: a line with { no object"));
}

TEST(FioStreamParserTest, JunkSplitAcrossChunks) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed("fio: pid=12, er", &reports).ok());
  ASSERT_TRUE(parser.Feed("r=5/file:io_u.c\n" + Mini(1000, 10), &reports).ok());
  ASSERT_TRUE(parser.Finish().ok());
  EXPECT_THAT(parser.skipped_lines(), ElementsAre("fio: pid=12, err=5/file:io_u.c"));
  ASSERT_EQ(reports.size(), 1u);
}

TEST(FioStreamParserTest, TruncatedOutputIsAnErrorNotAZeroRate) {
  std::string text = ReadFixture(kFiveObjects);
  // Cut in the middle of the third object.
  size_t third = text.find("\n{", text.find("\n{") + 2);
  std::string cut = text.substr(0, third + 500);
  FioStreamParser parser;
  std::vector<FioReport> reports;
  ASSERT_TRUE(parser.Feed(cut, &reports).ok());
  EXPECT_EQ(reports.size(), 2u);
  absl::Status st = parser.Finish();
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("truncated"));
  EXPECT_FALSE(ParseFioOutput(cut).ok());
}

TEST(FioStreamParserTest, MalformedObjectIsReportedAndTheNextStillParses) {
  FioStreamParser parser;
  std::vector<FioReport> reports;
  absl::Status st = parser.Feed("{ \"jobs\": [ }\n" + Mini(5000, 42), &reports);
  EXPECT_FALSE(st.ok());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].jobs[0].read.io_bytes, 42u);
}

TEST(FioStreamParserTest, TextThatIsNotFioOutputSaysSo) {
  auto none = ParseFioOutput("hello\nthis is not fio\n");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no fio JSON report"));
  auto other_json = ParseFioOutput("{\"name\": \"a package.json\"}\n");
  ASSERT_FALSE(other_json.ok());
  EXPECT_THAT(other_json.status().message(), HasSubstr("fio version"));
  auto no_jobs = ParseFioReport("{\"fio version\": \"fio-3.33\"}");
  ASSERT_FALSE(no_jobs.ok());
  EXPECT_THAT(no_jobs.status().message(), HasSubstr("\"jobs\""));
  auto no_read =
      ParseFioReport("{\"fio version\": \"fio-3.33\", \"jobs\": [{\"jobname\": \"x\"}]}");
  ASSERT_FALSE(no_read.ok());
  EXPECT_THAT(no_read.status().message(), HasSubstr("job 0 has no \"read\""));
}

TEST(FioIntervalTest, ErrorsNameTheValues) {
  auto a = ParseFioReport(Mini(2000, 500));
  auto b = ParseFioReport(Mini(1000, 600));
  ASSERT_TRUE(a.ok() && b.ok());
  auto backwards_time = IntervalBetween(*a, *b);
  ASSERT_FALSE(backwards_time.ok());
  EXPECT_THAT(backwards_time.status().message(), HasSubstr("1000 is not after 2000"));
  // Same runtime, later timestamp: the timestamp step is the fallback clock.
  auto later = ParseFioReport(Mini(2500, 600));
  auto fallback = IntervalBetween(*a, *later);
  ASSERT_TRUE(fallback.ok());
  EXPECT_NEAR(fallback->interval_s, 0.5, 1e-9);
  auto c = ParseFioReport(Mini(3000, 100));
  auto backwards_bytes = IntervalBetween(*a, *c);
  ASSERT_FALSE(backwards_bytes.ok());
  EXPECT_THAT(backwards_bytes.status().message(), HasSubstr("500 -> 100"));
  auto two = ParseFioOutput(
      ReadFixture("local_fio-3.33_two_groups_stonewall_numjobs2_group_reporting_linux_vm.json"));
  ASSERT_TRUE(two.ok());
  auto mismatch = IntervalBetween(*a, two->back());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("1 and 2 jobs"));
  FioReport idle = *a;
  idle.jobs[0].read.runtime_ms = 0;
  EXPECT_FALSE(FirstInterval(idle).ok());
}

TEST(FioIntervalTest, SumsOverJobs) {
  // Two jobs (streams) of one phase: the interval rate is the sum.
  auto two = ParseFioOutput(
      ReadFixture("local_fio-3.33_two_groups_stonewall_numjobs2_group_reporting_linux_vm.json"));
  ASSERT_TRUE(two.ok());
  FioReport later = two->back();
  later.timestamp_ms += 2000;
  later.jobs[0].read.io_bytes += 200'000'000;
  later.jobs[1].write.io_bytes += 50'000'000;
  later.jobs[1].read.io_bytes += 100'000'000;
  auto iv = IntervalBetween(two->back(), later);
  ASSERT_TRUE(iv.ok());
  EXPECT_DOUBLE_EQ(iv->read_bytes_per_s, 150'000'000);
  EXPECT_DOUBLE_EQ(iv->write_bytes_per_s, 25'000'000);
  // fio's own means over the two-group file: the longest direction runtime is the
  // read job's 2006 ms (job_runtime 4000 is the sum over numjobs=2 with
  // group_reporting, so it is not used): read 2179989504 B / 2.006 s, write
  // 194994176 B / 2.006 s.
  EXPECT_NEAR(MeanReadBytesPerS(two->back()), 2179989504 / 2.006, 1.0);
  EXPECT_NEAR(MeanWriteBytesPerS(two->back()), 194994176 / 2.006, 1.0);
}

TEST(FioStreamParserTest, JsonPlusPercentilesParse) {
  auto r = ParseFioOutput(ReadFixture("local_fio-3.33_jsonplus_seqread_128k_linux_vm.json"));
  ASSERT_TRUE(r.ok());
  const FioJob& j = r->back().jobs[0];
  EXPECT_GT(j.read.clat_p50_ns, 0);
  EXPECT_GE(j.read.clat_p99_ns, j.read.clat_p50_ns);
  auto mac = ParseFioOutput(ReadFixture("fio-3.39_jsonplus_macos_randwrite_posixaio.json"));
  ASSERT_TRUE(mac.ok());
  EXPECT_GT(mac->back().jobs[0].write.clat_p99_ns, 0);
  EXPECT_EQ(mac->back().jobs[0].read.clat_p99_ns, 0);  // no reads: absent, not made up
}

}  // namespace
}  // namespace qdt::fio
