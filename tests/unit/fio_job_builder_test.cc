// FioJobBuilder: golden job files for the Setup Check, every generated file
// accepted by the real fio's parser (fio --parse-only), and errors.
//
// To accept a deliberate change of the job files: QDT_UPDATE_GOLDEN=1 and run
// this test once; review the diff of tests/golden/ before committing.
#include "fio/fio_job_builder.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/profiles.h"
#include "fio/fio_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

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
  const std::string path = qdt::testing::GoldenPath(name);
  if (std::getenv("QDT_UPDATE_GOLDEN") != nullptr) {
    absl::Status written = qdt::WriteFile(path, actual);
    ASSERT_TRUE(written.ok()) << written;
  }
  EXPECT_EQ(actual, qdt::testing::Golden(name))
      << "job file differs from " << path << " (to accept a deliberate change, run with "
      << "QDT_UPDATE_GOLDEN=1)";
}

struct FioResult {
  int status = -1;     // as pclose returns it
  std::string output;  // stdout and stderr
};

// Writes `text` to a job file in a fresh temporary folder and runs the real
// fio on it with `flag` (--parse-only, --showcmd): neither does any I/O.
FioResult RunFioOn(const std::string& flag, const std::string& text) {
  FioResult r;
  auto fio = ResolveFioPath("");
  if (!fio.ok()) {
    r.output = std::string(fio.status().message());
    return r;
  }
  char dir[] = "/tmp/qdt-jobfile-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return r;
  std::string path = std::string(dir) + "/job.fio";
  std::ofstream(path) << text;
  std::string cmd = *fio + " " + flag + " " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  ::unlink(path.c_str());
  ::rmdir(dir);
  return r;
}

// Runs the real fio's job-file parser on `text`.
void ExpectFioAccepts(const std::string& text) {
  FioResult r = RunFioOn("--parse-only", text);
  EXPECT_EQ(r.status, 0) << "fio rejected the job file:\n" << r.output << "\n" << text;
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

TEST(FioJobBuilderTest, GatedStreamsThatStartLaterWaitAtTheirOwnGate) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  qdt::v1::Phase phase = profile->phases(0);  // 4 streams from the start
  for (double offset : {2.5, 0.5, 2.5}) {
    auto* burst = phase.add_streams();
    *burst = phase.streams(0);
    burst->set_start_offset_s(offset);
    burst->set_duration_s(1.25);
  }
  std::vector<PhaseGate> gates = PhaseGates(phase, 3);
  ASSERT_EQ(gates.size(), 3u);
  EXPECT_EQ(gates[0].fifo, "gate-3.fifo");
  EXPECT_EQ(gates[0].offset_s, 0);
  EXPECT_THAT(gates[0].jobs,
              ::testing::ElementsAre("stream-00", "stream-01", "stream-02", "stream-03"));
  // In the order they open, whatever the order of the streams.
  EXPECT_EQ(gates[1].fifo, "gate-3-1.fifo");
  EXPECT_EQ(gates[1].offset_s, 0.5);
  EXPECT_THAT(gates[1].jobs, ::testing::ElementsAre("stream-05"));
  EXPECT_EQ(gates[2].fifo, "gate-3-2.fifo");
  EXPECT_EQ(gates[2].offset_s, 2.5);
  EXPECT_THAT(gates[2].jobs, ::testing::ElementsAre("stream-04", "stream-06"));
  EXPECT_THAT(gates[2].streams, ::testing::ElementsAre(4, 6));

  FioJobOptions o = GoldenOptions();
  o.gated = true;
  o.gate_lead_s = 3;
  auto job = BuildPhaseJobFile(phase, 3, o);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(*job, HasSubstr("[stream-00]"));
  EXPECT_THAT(*job, HasSubstr("runtime=10000ms\nexec_prerun=dd if=gate-3.fifo of=/dev/null bs=1 "
                              "count=1\n"));
  // Created by fio kGateMarginS before its gate opens: 3 s lead + 2.5 s - 1 s.
  EXPECT_THAT(*job, HasSubstr("[stream-04]"));
  EXPECT_THAT(*job, HasSubstr("runtime=1250ms\nstartdelay=4500ms\nexec_prerun=dd "
                              "if=gate-3-2.fifo of=/dev/null bs=1 count=1\n"));
  ExpectFioAccepts(*job);
  // 0.5 s into the phase: three quarters of the time since the phase's own gate opens.
  EXPECT_THAT(*job,
              HasSubstr("runtime=1250ms\nstartdelay=3125ms\nexec_prerun=dd if=gate-3-1.fifo"));
  EXPECT_EQ(GateMarginS(0, 0.5), 0.375);
  EXPECT_EQ(GateMarginS(0.5, 2.5), kGateMarginS);
  EXPECT_NEAR(GateMarginS(110, 110.2), 0.15, 1e-9);
  // Without a lead (a phase released as soon as it waits).
  o.gate_lead_s = 0;
  job = BuildPhaseJobFile(phase, 3, o);
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, HasSubstr("runtime=1250ms\nstartdelay=125ms\nexec_prerun=dd if=gate-3-1.fifo"));
  EXPECT_THAT(*job, HasSubstr("runtime=1250ms\nstartdelay=1500ms\nexec_prerun=dd if=gate-3-2"));
  // A stream due before fio could create it later waits from fio's start.
  phase.mutable_streams(5)->set_start_offset_s(0.001);
  job = BuildPhaseJobFile(phase, 3, o);
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, HasSubstr("runtime=1250ms\nexec_prerun=dd if=gate-3-1.fifo"));
  o.gate_lead_s = -1;
  EXPECT_THAT(BuildPhaseJobFile(phase, 3, o).status().message(), HasSubstr("gate_lead_s: -1"));
}

TEST(FioJobBuilderTest, RealFioAcceptsEveryBuiltinProfileFullLengthAndScaled) {
  // show-pattern has 124 streams in one phase, most of them bursts with a
  // startdelay; scaled to 1 % its bursts last 100 ms.
  for (const std::string& name : BuiltinProfileNames()) {
    auto full = BuiltinProfile(name);
    ASSERT_TRUE(full.ok()) << name;
    auto scaled = ScaleProfile(*full, 0.01);
    ASSERT_TRUE(scaled.ok()) << name;
    for (const qdt::v1::Profile* p : {&*full, &*scaled}) {
      auto layout = BuildLayoutJobFile(*p, GoldenOptions());
      ASSERT_TRUE(layout.ok()) << name << ": " << layout.status();
      ExpectFioAccepts(*layout);
      for (int i = 0; i < p->phases_size(); ++i) {
        auto job = BuildPhaseJobFile(p->phases(i), i, GoldenOptions());
        ASSERT_TRUE(job.ok()) << name << " phase " << i << ": " << job.status();
        ExpectFioAccepts(*job);
        FioJobOptions gated = GoldenOptions();
        gated.gated = true;
        gated.gate_lead_s = 3;
        job = BuildPhaseJobFile(p->phases(i), i, gated);
        ASSERT_TRUE(job.ok()) << name << " phase " << i << ": " << job.status();
        ExpectFioAccepts(*job);
      }
    }
  }
}

TEST(FioJobBuilderTest, DataFilesAreNamedRelativeToTheRunFolder) {
  FioJobOptions o = GoldenOptions();
  o.test_dir = "/Volumes/Show: Media #2;x$HOME/.qdt-test/run-1";
  auto profile = BuiltinProfile("setup-check");
  auto job = BuildPhaseJobFile(profile->phases(2), 2, o);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(*job, HasSubstr("\nfilename=stream-00.dat\n"));
  EXPECT_THAT(*job, Not(HasSubstr("filename=/")));
  EXPECT_THAT(*job, HasSubstr("; run with the working folder " + o.test_dir + "\n"));
  ExpectFioAccepts(*job);
}

TEST(FioJobBuilderTest, BadOptionsNameTheField) {
  auto profile = BuiltinProfile("setup-check");
  FioJobOptions o = GoldenOptions();
  o.file_size_bytes = 0;
  EXPECT_EQ(BuildLayoutJobFile(*profile, o).status().message(), "file_size_bytes: 0");
  o = GoldenOptions();
  o.ioengine = "";
  EXPECT_THAT(BuildLayoutJobFile(*profile, o).status().message(), HasSubstr("ioengine"));
  o = GoldenOptions();
  o.file_size_bytes = 1 << 20;  // smaller than the 4K stream's 7 MiB frame
  auto small = BuildPhaseJobFile(profile->phases(0), 0, o);
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(small.status().message(), HasSubstr("file_size_bytes: 1048576"));
}

// Why no path goes through the job file: the real fio changes such a filename
// (here: cuts it at '#' or ';'), so the run would lay out and read another path.
TEST(FioJobBuilderTest, RealFioCutsAFilenameAtHashAndSemicolon) {
  for (const char* dir : {"/Volumes/Media #2/t", "/Volumes/Media;2/t"}) {
    FioResult r = RunFioOn("--showcmd", absl::StrCat("[j]\nfilename=", dir, "/f.dat\n"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("--filename=/Volumes/Media ")) << dir;
    EXPECT_THAT(r.output, Not(HasSubstr("f.dat"))) << dir;
  }
}

// A layout in a folder with every character fio's parser would change really
// creates its files there when fio runs in that folder, and nowhere else.
TEST(FioJobBuilderTest, RealFioLaysOutFilesInAFolderWithHashSemicolonDollarAndColon) {
  auto fio = ResolveFioPath("");
  ASSERT_TRUE(fio.ok()) << fio.status();
  char tmp[] = "/tmp/qdt-odd-XXXXXX";
  ASSERT_NE(::mkdtemp(tmp), nullptr);
  const std::string dir = std::string(tmp) + "/Show: Media #2;x$HOME";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  qdt::v1::Profile p;
  p.set_name("odd");
  auto* ph = p.add_phases();
  ph->set_name("p");
  ph->set_duration_s(1);
  auto* st = ph->add_streams();
  st->set_name("s");
  st->set_block_size_bytes(4096);
  FioJobOptions o;
  o.test_dir = dir;
  o.file_size_bytes = 1 << 20;
  o.ioengine = "psync";
  o.direct = false;
  auto job = BuildLayoutJobFile(p, o);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string job_path = std::string(tmp) + "/layout.fio";
  std::ofstream(job_path) << *job;
  auto proc = FioProcess::Start({*fio, job_path}, std::string(tmp) + "/out",
                                std::string(tmp) + "/err", dir);
  ASSERT_TRUE(proc.ok()) << proc.status();
  FioExit exit = (*proc)->Wait(nullptr);
  EXPECT_EQ(exit.exit_code, 0) << exit.stderr_text;
  struct stat sb {};
  ASSERT_EQ(::stat((dir + "/stream-00.dat").c_str(), &sb), 0) << "not laid out in " << dir;
  EXPECT_EQ(sb.st_size, 1 << 20);
  // Nothing appeared beside the odd folder (a cut path would land in tmp).
  int entries = 0;
  if (DIR* d = ::opendir(tmp)) {
    while (dirent* e = ::readdir(d)) {
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++entries;
    }
    ::closedir(d);
  }
  EXPECT_EQ(entries, 4);  // the folder, layout.fio, out, err
  for (const char* f : {"/stream-00.dat"}) ::unlink((dir + f).c_str());
  ::rmdir(dir.c_str());
  for (const char* f : {"/layout.fio", "/out", "/err"}) ::unlink((std::string(tmp) + f).c_str());
  ::rmdir(tmp);
}

TEST(FioJobBuilderTest, AFolderThatCannotBeEnteredIsReportedNotRunElsewhere) {
  auto fio = ResolveFioPath("");
  ASSERT_TRUE(fio.ok());
  auto proc = FioProcess::Start({*fio, "--version"}, "/dev/null", "/dev/null",
                                "/nonexistent/qdt-no-such-folder");
  ASSERT_TRUE(proc.ok()) << proc.status();
  FioExit exit = (*proc)->Wait(nullptr);
  EXPECT_EQ(exit.exit_code, 126);
  EXPECT_THAT(exit.stderr_text, HasSubstr("cannot enter the working folder"));
}

struct BadDirCase {
  const char* what;
  std::string test_dir;
  const char* message;
};

void PrintTo(const BadDirCase& c, std::ostream* os) { *os << c.what; }

class BadTestDirTest : public ::testing::TestWithParam<BadDirCase> {};

TEST_P(BadTestDirTest, IsRefusedForLayoutAndPhasesNamingTheValue) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  FioJobOptions o = GoldenOptions();
  o.test_dir = GetParam().test_dir;
  auto layout = BuildLayoutJobFile(*profile, o);
  ASSERT_FALSE(layout.ok()) << *layout;
  EXPECT_TRUE(absl::IsInvalidArgument(layout.status()));
  EXPECT_THAT(layout.status().message(), HasSubstr(GetParam().message));
  auto phase = BuildPhaseJobFile(profile->phases(0), 0, o);
  ASSERT_FALSE(phase.ok());
  EXPECT_EQ(phase.status(), layout.status());
}

INSTANTIATE_TEST_SUITE_P(
    FioWouldMisreadThem, BadTestDirTest,
    ::testing::Values(
        BadDirCase{"relative", "relative/dir", "test_dir: \"relative/dir\" is not an absolute"},
        BadDirCase{"empty", "", "test_dir: \"\" is not an absolute path"},
        BadDirCase{"line break", "/tmp/a\nb",
                   "test_dir: \"/tmp/a\\nb\" contains control character 0x0a"},
        BadDirCase{"carriage return", "/tmp/a\rb", "contains control character 0x0d"}));

TEST(FioJobBuilderTest, LineBreaksInNamesAreRefusedNotWrittenIntoComments) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  qdt::v1::Phase phase = profile->phases(0);
  phase.mutable_streams(1)->set_name("HD\n[evil]\nrw=write");
  auto job = BuildPhaseJobFile(phase, 0, GoldenOptions());
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().message(),
            "phases[0].streams[1].name: \"HD\\n[evil]\\nrw=write\" contains a line break");
  phase = profile->phases(0);
  phase.set_name("normal\r\n[evil]");
  EXPECT_THAT(BuildPhaseJobFile(phase, 3, GoldenOptions()).status().message(),
              HasSubstr("phases[3].name: "));
  qdt::v1::Profile p = *profile;
  p.set_name("x\n[evil]");
  EXPECT_THAT(BuildLayoutJobFile(p, GoldenOptions()).status().message(),
              HasSubstr("name: \"x\\n[evil]\" contains a line break"));
}

// The plan refuses streams under 0.1 s (common/profiles.h kMinStreamS), but
// the builder is the last line: fio reads runtime=0 as "no limit", so a burst
// of a fraction of a millisecond must still be written as at least 1 ms.
TEST(FioJobBuilderTest, ASubMillisecondBurstIsNeverWrittenAsRuntimeZero) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  qdt::v1::Phase phase = profile->phases(0);
  for (auto& s : *phase.mutable_streams()) s.set_duration_s(0.0004);
  phase.set_duration_s(0.0004);
  for (bool gated : {false, true}) {
    FioJobOptions o = GoldenOptions();
    o.gated = gated;
    auto job = BuildPhaseJobFile(phase, 0, o);
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_THAT(*job, Not(HasSubstr("runtime=0"))) << *job;
    EXPECT_THAT(*job, HasSubstr("runtime=1ms")) << *job;
  }
}

TEST(FioJobBuilderTest, PhaseWithoutStreamsIsRefused) {
  qdt::v1::Phase phase;
  phase.set_name("empty");
  phase.set_duration_s(1);
  EXPECT_EQ(BuildPhaseJobFile(phase, 2, GoldenOptions()).status().message(),
            "phases[2].streams: none");
}

TEST(FioJobBuilderTest, FileCountIsTheLargestPhase) {
  auto profile = BuiltinProfile("setup-check");
  EXPECT_EQ(FileCount(*profile), 8);
  EXPECT_EQ(StreamFileName(7), "stream-07.dat");
#if defined(__APPLE__)
  EXPECT_EQ(DefaultIoEngine(), "psync");  // one thread per outstanding read (JobLayout)
#else
  EXPECT_EQ(DefaultIoEngine(), "libaio");
#endif
}

}  // namespace
TEST(FioVersionTest, VersionsAndWhetherTheyDropCachedPagesOnMacos) {
  auto v = ParseFioVersion("fio-3.41");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 3);
  EXPECT_EQ(v->minor, 41);
  auto git = ParseFioVersion("fio-3.42-12-gdeadbee\n");
  ASSERT_TRUE(git.ok());
  EXPECT_EQ(git->minor, 42);
  EXPECT_FALSE(ParseFioVersion("3.41").ok());
  EXPECT_FALSE(ParseFioVersion("fio-x.y").ok());
  EXPECT_EQ(FioCacheDropProblem(/*macos=*/true, "fio-3.41"),
            "fio 3.41 cannot drop cached pages on macOS; QDT needs 3.42 or newer");
  EXPECT_EQ(FioCacheDropProblem(true, "fio-3.33"),
            "fio 3.33 cannot drop cached pages on macOS; QDT needs 3.42 or newer");
  EXPECT_EQ(FioCacheDropProblem(true, "fio-3.42"), "");
  EXPECT_EQ(FioCacheDropProblem(true, "fio-4.0"), "");
  EXPECT_EQ(FioCacheDropProblem(/*macos=*/false, "fio-3.33"), "");
  EXPECT_THAT(FioCacheDropProblem(true, "qdt-fake"), HasSubstr("is not a fio version"));
}

}  // namespace qdt::fio
