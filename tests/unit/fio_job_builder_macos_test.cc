// The macOS job files (docs/ARCHITECTURE.md, "Reads on macOS"): planned as the
// agent plans a run with --platform=macos, with the AIO limits read through
// a fake `sysctl` (FakeRunner -> ReadAioLimits -> ParseAioSysctl) printing the
// fixture. Golden files for the Setup Check (its crossfade: 8 streams x
// iodepth 2, exactly kern.aioprocmax) and for a derived 12-stream cue stack
// (24 streams in its crossfade); each generated file is parsed back and
// checked: no process over the per-process AIO budget, every stream of
// iodepth d read by exactly d reader jobs that interleave over its file,
// rates that sum to the stream's, every reader at its gate; and the real fio
// accepts it. The posixaio override: one process per stream, iodepth capped
// at kern.aioprocmax, and flagged.
//
// To accept a deliberate change of the job files: QDT_UPDATE_GOLDEN=1 and run
// this test once; review the diff of tests/golden/ before committing.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probes/sysctl.h"
#include "agent/run/run_plan.h"
#include "common/cue_stack.h"
#include "common/file_util.h"
#include "common/profiles.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSysctlFixture[] = "sysctl/sysctl_kern_aio_limits_arm64_defaults_constructed.txt";

// The limits as the agent reads them on a Mac: `sysctl` through the runner.
absl::StatusOr<AioLimits> FakeMacLimits(const std::string& sysctl_out) {
  testing::FakeRunner runner;
  runner.replies["sysctl kern.aioprocmax kern.aiomax kern.aiothreads"] = {0, 0, false, sysctl_out,
                                                                          ""};
  return ReadAioLimits(&runner);
}

PlanOptions MacOptions(const std::string& ioengine = "") {
  PlanOptions o;
  o.run_id = "run-1";
  o.default_file_size = 64ull << 20;
  o.ioengine = ioengine;  // empty: the platform's default
  o.now = absl::FromUnixSeconds(1795863877);
  o.platform = Platform::kMacOS;
  o.aio_limits = FakeMacLimits(testing::Fixture(kSysctlFixture));
  return o;
}

qdt::v1::Profile Cue12() {
  std::vector<CueStream> cue;
  for (const char* s : {"ProRes 422 HQ UHD 59.94 x2", "HAP Q 1080p29.97 x10"}) {
    auto c = ParseCueStream(s);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) cue.push_back(*c);
  }
  auto p = DeriveProfile("cue12", cue, 1.6, 10);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.value_or(qdt::v1::Profile{});
}

absl::StatusOr<RunPlan> Plan(const qdt::v1::Profile& profile, const PlanOptions& o) {
  qdt::v1::StartRunRequest req;
  *req.mutable_profile() = profile;
  req.set_target_dir("/Volumes/Show");
  return PlanRun(req, o);
}

// A job file read back: [global] and each job's options in order.
struct JobSection {
  std::string name;
  std::map<std::string, std::string> options;  // "thread" -> ""
};
struct JobFile {
  std::map<std::string, std::string> global;
  std::vector<JobSection> jobs;
};

JobFile ParseJobFile(const std::string& text) {
  JobFile f;
  std::map<std::string, std::string>* into = nullptr;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      const std::string name(line.substr(1, line.size() - 2));
      if (name == "global") {
        into = &f.global;
      } else {
        f.jobs.push_back({name, {}});
        into = &f.jobs.back().options;
      }
      continue;
    }
    EXPECT_NE(into, nullptr) << "option before any section: " << line;
    if (into == nullptr) continue;
    const size_t eq = line.find('=');
    (*into)[std::string(line.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : std::string(line.substr(eq + 1));
  }
  return f;
}

uint64_t Num(const std::map<std::string, std::string>& o, const std::string& key,
             uint64_t otherwise = 0) {
  auto it = o.find(key);
  if (it == o.end()) return otherwise;
  uint64_t n = 0;
  EXPECT_TRUE(absl::SimpleAtoi(it->second, &n)) << key << "=" << it->second;
  return n;
}

std::string Opt(const JobFile& f, const JobSection& j, const std::string& key) {
  if (auto it = j.options.find(key); it != j.options.end()) return it->second;
  if (auto it = f.global.find(key); it != f.global.end()) return it->second;
  return "";
}

// POSIX AIO requests each process of the file may have in flight: with
// `thread` all jobs are one process, else each job is its own.
std::vector<uint64_t> AioPerProcess(const JobFile& f) {
  std::vector<uint64_t> per;
  const bool one_process = f.global.count("thread") > 0;
  if (one_process) per.push_back(0);
  for (const JobSection& j : f.jobs) {
    const uint64_t aio = Opt(f, j, "ioengine") == "posixaio" ? Num(j.options, "iodepth", 1) : 0;
    if (one_process) {
      per[0] += aio;
    } else {
      per.push_back(aio);
    }
  }
  return per;
}

// Checks one phase's file against the phase: the reader jobs of every stream
// (count, offsets that interleave over the file, rates summing to the
// stream's, its file), and every job at exactly the gate PhaseGates names.
void CheckReaders(const qdt::v1::Phase& phase, int index, const JobFile& f, uint64_t file_size) {
  std::map<int, std::vector<const JobSection*>> by_stream;
  for (const JobSection& j : f.jobs) {
    auto name = fio::ParseJobName(j.name);
    ASSERT_TRUE(name.ok()) << name.status();
    ASSERT_LT(name->stream, phase.streams_size()) << j.name;
    auto& readers = by_stream[name->stream];
    EXPECT_EQ(name->reader, static_cast<int>(readers.size())) << j.name << ": readers out of order";
    readers.push_back(&j);
  }
  ASSERT_EQ(by_stream.size(), static_cast<size_t>(phase.streams_size()));
  for (int i = 0; i < phase.streams_size(); ++i) {
    const qdt::v1::Stream& s = phase.streams(i);
    const std::vector<const JobSection*>& readers = by_stream[i];
    const uint64_t d = std::max<uint32_t>(1, s.iodepth());
    ASSERT_EQ(readers.size(), d) << "stream " << i << " of " << phase.name();
    const uint64_t bs = s.block_size_bytes();
    const uint64_t blocks = file_size / bs;
    std::vector<int> read_by(blocks, -1);
    uint64_t rate_sum = 0;
    for (uint64_t k = 0; k < d; ++k) {
      const JobSection& j = *readers[k];
      EXPECT_EQ(Num(j.options, "bs"), bs) << j.name;
      EXPECT_EQ(Num(j.options, "iodepth"), 1u) << j.name << ": one read in flight per thread";
      EXPECT_EQ(Opt(f, j, "filename"), fio::StreamFileName(static_cast<int>(StreamFile(phase, i))));
      rate_sum += Num(j.options, "rate");
      // Walk the reader as fio does: from offset, skip after each read, until offset + size.
      const uint64_t offset = Num(j.options, "offset");
      const uint64_t size = Num(j.options, "size", file_size);
      uint64_t skip = 0;
      absl::string_view rw = Opt(f, j, "rw");
      if (absl::ConsumePrefix(&rw, "read:")) {
        ASSERT_TRUE(absl::SimpleAtoi(rw, &skip)) << j.name << " rw=" << rw;
      } else {
        EXPECT_EQ(rw, "read") << j.name;
      }
      EXPECT_EQ(offset, k * bs) << j.name;
      EXPECT_EQ(skip, (d - 1) * bs) << j.name;
      EXPECT_LE(offset + size, file_size) << j.name << ": a read job must not extend the file";
      for (uint64_t pos = offset; pos + bs <= offset + size; pos += bs + skip) {
        ASSERT_EQ(pos % bs, 0u);
        ASSERT_LT(pos / bs, blocks);
        EXPECT_EQ(read_by[pos / bs], -1) << "block " << pos / bs << " read twice";
        read_by[pos / bs] = static_cast<int>(k);
      }
    }
    // Together the readers read every whole block once, in turn.
    for (uint64_t b = 0; b < blocks; ++b) {
      EXPECT_EQ(read_by[b], static_cast<int>(b % d)) << "stream " << i << " block " << b;
    }
    EXPECT_EQ(rate_sum, s.rate_bytes_per_s()) << "stream " << i << ": the readers' rates";
  }
  // Every job waits at the gate PhaseGates lists it at, and only there.
  std::map<std::string, std::string> gate_of;
  for (const fio::PhaseGate& g : fio::PhaseGates(phase, index, fio::JobLayout::kThreadPerRead)) {
    for (const std::string& job : g.jobs) {
      EXPECT_TRUE(gate_of.emplace(job, g.fifo).second) << job << " at two gates";
    }
  }
  EXPECT_EQ(gate_of.size(), f.jobs.size());
  for (const JobSection& j : f.jobs) {
    EXPECT_EQ(Opt(f, j, "exec_prerun"),
              absl::StrCat("dd if=", gate_of[j.name], " of=/dev/null bs=1 count=1"))
        << j.name;
  }
}

void CompareWithGolden(const std::string& name, const std::string& actual) {
  const std::string path = testing::GoldenPath(name);
  if (std::getenv("QDT_UPDATE_GOLDEN") != nullptr) {
    absl::Status written = qdt::WriteFile(path, actual);
    ASSERT_TRUE(written.ok()) << written;
  }
  EXPECT_EQ(actual, testing::Golden(name))
      << "job file differs from " << path << " (to accept a deliberate change, run with "
      << "QDT_UPDATE_GOLDEN=1)";
}

// The real fio's job-file parser (--parse-only: no I/O) on `text`.
void ExpectFioAccepts(const std::string& text) {
  auto fio = fio::ResolveFioPath("");
  ASSERT_TRUE(fio.ok()) << fio.status();
  char dir[] = "/tmp/qdt-jobfile-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/job.fio";
  std::ofstream(path) << text;
  std::string output;
  FILE* p = ::popen((*fio + " --parse-only " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) output.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << "fio rejected the job file:\n" << output << "\n" << text;
  ::unlink(path.c_str());
  ::rmdir(dir);
}

// Every phase of a psync plan: golden, read back and checked, accepted by fio.
void CheckPsyncPlan(const RunPlan& plan, const std::string& golden_prefix) {
  ASSERT_EQ(plan.phase_jobs.size(), static_cast<size_t>(plan.profile.phases_size()));
  for (int i = 0; i < plan.profile.phases_size(); ++i) {
    SCOPED_TRACE(plan.profile.phases(i).name());
    const std::string& text = plan.phase_jobs[static_cast<size_t>(i)];
    CompareWithGolden(absl::StrCat(golden_prefix, i, ".fio"), text);
    const JobFile f = ParseJobFile(text);
    EXPECT_EQ(f.global.count("thread"), 1u) << "readers are threads of one fio";
    EXPECT_EQ(f.global.at("ioengine"), "psync");
    // No process over the per-process AIO budget: psync uses none.
    for (uint64_t aio : AioPerProcess(f)) {
      EXPECT_LE(aio, static_cast<uint64_t>(MacOptions().aio_limits->aioprocmax));
      EXPECT_EQ(aio, 0u);
    }
    CheckReaders(plan.profile.phases(i), i, f, plan.file_size_bytes);
    ExpectFioAccepts(text);
  }
  EXPECT_TRUE(plan.aio_flags.empty());
  EXPECT_EQ(plan.aio_limits_note, "kern.aioprocmax 16, kern.aiomax 90, kern.aiothreads 4");
}

TEST(FioJobBuilderMacosTest, SetupCheckCrossfadeIsSixteenPsyncReaders) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  auto plan = Plan(*profile, MacOptions());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->job_options.ioengine, "psync");
  EXPECT_EQ(plan->job_options.layout, fio::JobLayout::kThreadPerRead);
  CheckPsyncPlan(*plan, "macos_setup_check_gated_phase");
  // The crossfade: 8 streams x iodepth 2 = 16 reader threads, all at its gate.
  const JobFile crossfade = ParseJobFile(plan->phase_jobs[1]);
  EXPECT_EQ(crossfade.jobs.size(), 16u);
  EXPECT_EQ(crossfade.jobs[1].name, "stream-00.r1");
  const std::vector<fio::PhaseGate> gates =
      fio::PhaseGates(plan->profile.phases(1), 1, plan->job_options.layout);
  ASSERT_EQ(gates.size(), 1u);
  EXPECT_EQ(gates[0].jobs.size(), 16u) << "one byte per reader, or a reader waits for ever";
  EXPECT_EQ(plan->io_engine_note,
            "psync: one thread per outstanding read, 16 threads at the peak (crossfade)");
  // Every reader's prerun output is cleaned up; a Linux run's names are a subset.
  std::vector<std::string> names = TestFileNames(plan->profile, plan->job_options.layout);
  EXPECT_THAT(names, ::testing::Contains("stream-07.r1.prerun.txt"));
  EXPECT_THAT(names, ::testing::Contains("stream-00.r7.prerun.txt"));  // max-read, iodepth 8
  EXPECT_THAT(names, Not(::testing::Contains("stream-01.r2.prerun.txt")));
  std::set<std::string> all(names.begin(), names.end());
  EXPECT_EQ(all.size(), names.size());
  for (const std::string& n : TestFileNames(plan->profile)) EXPECT_EQ(all.count(n), 1u) << n;
}

TEST(FioJobBuilderMacosTest, ATwelveStreamCueStackIsNotHeldBack) {
  const qdt::v1::Profile cue = Cue12();
  ASSERT_EQ(cue.phases(0).streams_size(), 12);
  ASSERT_EQ(cue.phases(1).streams_size(), 24);
  auto plan = Plan(cue, MacOptions());
  ASSERT_TRUE(plan.ok()) << plan.status();
  CheckPsyncPlan(*plan, "macos_cue12_gated_phase");
  // 48 reads in flight in its crossfade: three times kern.aioprocmax, and
  // none of them through AIO.
  EXPECT_EQ(ParseJobFile(plan->phase_jobs[1]).jobs.size(), 48u);
  EXPECT_EQ(plan->io_engine_note,
            "psync: one thread per outstanding read, 48 threads at the peak (crossfade)");
}

TEST(FioJobBuilderMacosTest, PosixaioAskedForRunsAProcessPerStreamCappedAndFlagged) {
  qdt::v1::Profile cue = Cue12();
  cue.mutable_phases(2)->mutable_streams(0)->set_iodepth(24);  // the unpaced stream
  auto plan = Plan(cue, MacOptions("posixaio"));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->job_options.layout, fio::JobLayout::kProcessPerStream);
  EXPECT_EQ(plan->job_options.max_iodepth, 16u);
  for (int i = 0; i < cue.phases_size(); ++i) {
    SCOPED_TRACE(cue.phases(i).name());
    const std::string& text = plan->phase_jobs[static_cast<size_t>(i)];
    const JobFile f = ParseJobFile(text);
    EXPECT_EQ(f.global.count("thread"), 0u) << "each stream its own process";
    EXPECT_EQ(f.global.at("ioengine"), "posixaio");
    ASSERT_EQ(f.jobs.size(), static_cast<size_t>(cue.phases(i).streams_size()));
    const std::vector<uint64_t> per = AioPerProcess(f);
    ASSERT_EQ(per.size(), f.jobs.size());
    for (size_t j = 0; j < per.size(); ++j) {
      EXPECT_LE(per[j], 16u) << f.jobs[j].name;
      EXPECT_EQ(per[j],
                std::min<uint64_t>(16, cue.phases(i).streams(static_cast<int>(j)).iodepth()));
      EXPECT_EQ(f.jobs[j].name, fio::StreamJobName(static_cast<int>(j)));
    }
    ExpectFioAccepts(text);
  }
  CompareWithGolden("macos_cue12_posixaio_gated_phase2.fio", plan->phase_jobs[2]);
  EXPECT_THAT(plan->aio_flags,
              ElementsAre("queue capped by macOS AIO: stream-00 in max-read asked 24 reads in "
                          "flight, got 16 (kern.aioprocmax 16)"));
  EXPECT_EQ(plan->io_engine_note,
            "posixaio: one process per stream, iodepth at most 16 (kern.aioprocmax)");

  // A Mac whose kern.aiomax is below the crossfade's 48 reads.
  PlanOptions low = MacOptions("posixaio");
  low.aio_limits = FakeMacLimits(absl::StrReplaceAll(testing::Fixture(kSysctlFixture),
                                                     {{"kern.aiomax: 90", "kern.aiomax: 40"}}));
  ASSERT_TRUE(low.aio_limits.ok()) << low.aio_limits.status();
  plan = Plan(cue, low);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->aio_flags,
              ::testing::Contains("queue capped by macOS AIO: crossfade keeps up to 48 reads in "
                                  "flight, the Mac allows 40 at once (kern.aiomax 40)"));
}

TEST(FioJobBuilderMacosTest, TheLayoutFollowsThePlatformNotTheBuild) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  PlanOptions linux_options = MacOptions();
  linux_options.platform = Platform::kLinux;
  auto linux_plan = Plan(*profile, linux_options);
  ASSERT_TRUE(linux_plan.ok());
  EXPECT_EQ(linux_plan->job_options.ioengine, "libaio");
  EXPECT_EQ(linux_plan->job_options.layout, fio::JobLayout::kJobPerStream);
  EXPECT_EQ(linux_plan->aio_limits_note, "") << "AIO limits are a macOS matter";
  EXPECT_EQ(linux_plan->io_engine_note, "libaio: one thread per stream, iodepth per stream");
  EXPECT_THAT(linux_plan->phase_jobs[1], Not(HasSubstr(".r1]")));
  // An explicit synchronous engine on macOS is laid out as psync is.
  auto sync_plan = Plan(*profile, MacOptions("sync"));
  ASSERT_TRUE(sync_plan.ok());
  EXPECT_EQ(sync_plan->job_options.layout, fio::JobLayout::kThreadPerRead);
  // sysctl did not answer: the run says so and still runs with psync.
  PlanOptions unknown = MacOptions();
  unknown.aio_limits = absl::UnavailableError("sysctl exited 1: unknown oid");
  auto plan = Plan(*profile, unknown);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->aio_limits_note, "unknown: sysctl exited 1: unknown oid");
  EXPECT_EQ(plan->job_options.layout, fio::JobLayout::kThreadPerRead);
  // posixaio without known limits: not capped, and the note says why.
  unknown.ioengine = "posixaio";
  plan = Plan(*profile, unknown);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->job_options.max_iodepth, 0u);
  EXPECT_EQ(plan->io_engine_note,
            "posixaio: one process per stream, iodepth per stream (kern.aioprocmax unknown)");
}

TEST(FioJobBuilderMacosTest, AFileWithFewerBlocksThanReadersIsRefusedByName) {
  auto profile = BuiltinProfile("setup-check");
  ASSERT_TRUE(profile.ok());
  // 4K frames of 7.3 MB: a 10 MiB file holds one, and the stream keeps 2 in flight.
  qdt::v1::StartRunRequest req;
  *req.mutable_profile() = *profile;
  req.set_target_dir("/Volumes/Show");
  req.set_file_size_bytes(10ull << 20);
  auto plan = PlanRun(req, MacOptions());
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(plan.status()));
  EXPECT_EQ(plan.status().message(),
            "file_size_bytes: 10485760 holds 1 blocks of 7344128 bytes, fewer than "
            "phases[0].streams[0].iodepth 2 (on macOS each read in flight is a reader of its own "
            "block)");
}

TEST(FioJobBuilderMacosTest, JobNamesReadBack) {
  EXPECT_EQ(fio::ReaderJobName(3, 0), "stream-03");
  EXPECT_EQ(fio::ReaderJobName(3, 1), "stream-03.r1");
  EXPECT_EQ(fio::ReaderJobName(123, 15), "stream-123.r15");
  for (const auto& [stream, reader] : std::vector<std::pair<int, int>>{{0, 0}, {3, 1}, {123, 15}}) {
    auto back = fio::ParseJobName(fio::ReaderJobName(stream, reader));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->stream, stream);
    EXPECT_EQ(back->reader, reader);
  }
  for (const char* bad : {"stream-3", "stream-03.r0", "stream-03.r01", "stream-03.r", "stream-03.1",
                          "stream--1", "seqread", "stream-03.r1 ", "stream-999999", ""}) {
    auto parsed = fio::ParseJobName(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("is not \"stream-NN\" or \"stream-NN.rK\""));
  }
  // Rates: an odd rate leaves its remainder on reader 0.
  EXPECT_EQ(fio::ReaderRate(704000001, 2, 0), 352000001u);
  EXPECT_EQ(fio::ReaderRate(704000001, 2, 1), 352000000u);
  EXPECT_EQ(fio::ReaderRate(10, 3, 0) + fio::ReaderRate(10, 3, 1) + fio::ReaderRate(10, 3, 2), 10u);
}

TEST(FioJobBuilderMacosTest, APhaseOfTooManyReadersIsRefused) {
  qdt::v1::Phase phase;
  phase.set_name("wall");
  phase.set_duration_s(1);
  for (int i = 0; i < 5; ++i) {
    auto* s = phase.add_streams();
    s->set_name("s");
    s->set_block_size_bytes(4096);
    s->set_iodepth(256);
  }
  fio::FioJobOptions o;
  o.test_dir = "/Volumes/Show/.qdt-test/run-1";
  o.file_size_bytes = 64ull << 20;
  o.ioengine = "psync";
  o.layout = fio::JobLayout::kThreadPerRead;
  auto job = fio::BuildPhaseJobFile(phase, 0, o);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().message(),
            "phases[0].streams: 1280 fio jobs (thread per read), at most 1024");
  o.layout = fio::JobLayout::kJobPerStream;
  EXPECT_TRUE(fio::BuildPhaseJobFile(phase, 0, o).ok());
}

}  // namespace
}  // namespace qdt::agent
