// FioJobBuilder: golden job files for the Setup Check, every generated file
// accepted by the real fio's parser (fio --parse-only), and errors.
//
// To accept a deliberate change of the job files: QDT_UPDATE_GOLDEN=1 and run
// this test once; review the diff of tests/golden/ before committing.
#include "fio/fio_job_builder.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/profiles.h"
#include "fio/fio_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qdt::fio {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

FioJobOptions GoldenOptions() {
  FioJobOptions o;
  o.test_dir = "/tmp/qdt/.qdt-test/run-1";
  o.file_size_bytes = 64ull << 20;
  o.ioengine = "libaio";
  return o;
}

void CompareWithGolden(const std::string& name, const std::string& actual) {
  std::string path = std::string(QDT_GOLDEN_DIR) + "/" + name;
  if (std::getenv("QDT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with QDT_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(actual, ss.str()) << "job file differs from " << path;
}

// Runs the real fio's job-file parser on `text`.
void ExpectFioAccepts(const std::string& text) {
  auto fio = ResolveFioPath("");
  ASSERT_TRUE(fio.ok()) << fio.status();
  char dir[] = "/tmp/qdt-jobfile-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/job.fio";
  std::ofstream(path) << text;
  std::string cmd = *fio + " --parse-only " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  ::unlink(path.c_str());
  ::rmdir(dir);
  EXPECT_EQ(status, 0) << "fio rejected the job file:\n" << out << "\n" << text;
}

TEST(FioJobBuilderTest, SetupCheckMatchesGoldenFiles) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  auto layout = BuildLayoutJobFile(*profile, GoldenOptions());
  ASSERT_TRUE(layout.ok()) << layout.status();
  CompareWithGolden("setup_check_layout.fio", *layout);
  for (int i = 0; i < profile->phases_size(); ++i) {
    auto job = BuildPhaseJobFile(profile->phases(i), i, GoldenOptions());
    ASSERT_TRUE(job.ok()) << job.status();
    CompareWithGolden("setup_check_phase" + std::to_string(i) + ".fio", *job);
  }
}

TEST(FioJobBuilderTest, PacedStreamsUsePlainIntegerRatesAndThreads) {
  auto profile = BuiltinProfile("setup-check");
  auto job = BuildPhaseJobFile(profile->phases(0), 0, GoldenOptions());
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, HasSubstr("rate=440000000\n"));
  EXPECT_THAT(*job, HasSubstr("rate=72000000\n"));
  EXPECT_THAT(*job, HasSubstr("\nthread\n"));
  EXPECT_THAT(*job, HasSubstr("runtime=10000ms\n"));
  EXPECT_THAT(*job, Not(HasSubstr("rate=440m")));
  // The unpaced phase has no rate= at all.
  auto max = BuildPhaseJobFile(profile->phases(2), 2, GoldenOptions());
  EXPECT_THAT(*max, Not(HasSubstr("rate=")));
  EXPECT_THAT(*max, HasSubstr("iodepth=8\n"));
  EXPECT_THAT(*max, HasSubstr("bs=1048576\n"));
}

TEST(FioJobBuilderTest, RealFioAcceptsEveryGeneratedFileAlsoScaledAndWithBursts) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  auto scaled = ScaleProfile(*profile, 0.1);
  ASSERT_TRUE(scaled.ok());
  for (const qdt::v1::Profile* p : {&*profile, &*scaled}) {
    ExpectFioAccepts(*BuildLayoutJobFile(*p, GoldenOptions()));
    for (int i = 0; i < p->phases_size(); ++i) {
      ExpectFioAccepts(*BuildPhaseJobFile(p->phases(i), i, GoldenOptions()));
    }
  }
  // A crossfade burst: starts 2.5 s into the phase and lasts 1.25 s.
  qdt::v1::Phase phase = profile->phases(0);
  auto* burst = phase.add_streams();
  *burst = phase.streams(0);
  burst->set_start_offset_s(2.5);
  burst->set_duration_s(1.25);
  auto job = BuildPhaseJobFile(phase, 0, GoldenOptions());
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, HasSubstr("[stream-04]"));
  EXPECT_THAT(*job, HasSubstr("runtime=1250ms\nstartdelay=2500ms\n"));
  ExpectFioAccepts(*job);
}

TEST(FioJobBuilderTest, ColonsInThePathAreEscapedAndFioAcceptsThem) {
  FioJobOptions o = GoldenOptions();
  o.test_dir = "/Volumes/Show: Media/.qdt-test/run-1";
  auto profile = BuiltinProfile("setup-check");
  auto job = BuildPhaseJobFile(profile->phases(2), 2, o);
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, HasSubstr("filename=/Volumes/Show\\: Media/.qdt-test/run-1/stream-00.dat\n"));
  ExpectFioAccepts(*job);
}

TEST(FioJobBuilderTest, BadOptionsNameTheField) {
  auto profile = BuiltinProfile("setup-check");
  FioJobOptions o = GoldenOptions();
  o.test_dir = "relative/dir";
  auto r = BuildLayoutJobFile(*profile, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("test_dir: \"relative/dir\""));
  o = GoldenOptions();
  o.test_dir = "/tmp/a\nb";
  EXPECT_FALSE(BuildLayoutJobFile(*profile, o).ok());
  o = GoldenOptions();
  o.ioengine = "";
  EXPECT_THAT(BuildLayoutJobFile(*profile, o).status().message(), HasSubstr("ioengine"));
  o = GoldenOptions();
  o.file_size_bytes = 1 << 20;  // smaller than the 4K stream's 7 MiB frame
  auto small = BuildPhaseJobFile(profile->phases(0), 0, o);
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(small.status().message(), HasSubstr("file_size_bytes: 1048576"));
}

TEST(FioJobBuilderTest, FileCountIsTheLargestPhase) {
  auto profile = BuiltinProfile("setup-check");
  EXPECT_EQ(FileCount(*profile), 8);
  EXPECT_EQ(StreamFileName(7), "stream-07.dat");
#if defined(__APPLE__)
  EXPECT_EQ(DefaultIoEngine(), "posixaio");
#else
  EXPECT_EQ(DefaultIoEngine(), "libaio");
#endif
}

}  // namespace
}  // namespace qdt::fio
