// Reads on macOS (docs/ARCHITECTURE.md, "Reads on macOS: one thread per
// outstanding read"), end to end with the real fio: a qdt-agent process run
// with --platform=macos on Linux (psync exists here too) and a fake `sysctl`
// first on its PATH printing the AIO limits fixture. A short gated run of
// three phases — paced streams of iodepth 2 and 1, a crossfade burst at a
// gate of its own, an unpaced stream of iodepth 4 — runs as psync reader
// threads: it completes, every reader reads, the results are per stream (the
// readers added up), the readers' rates sum to their stream's, no queue is
// taken for capped, the run records the limits and the layout, and every
// file (the readers' prerun outputs too) is removed. And the posixaio
// override, in process: one fio process per stream, its iodepth capped at
// kern.aioprocmax, and the verdict says so.
#include <signal.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/token.h"
#include "common/file_util.h"
#include "console/client/agent_client.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_stream_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/unit/probe_fakes.h"

namespace qdt::testing {
namespace {

using qdt::v1::RunEvent;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSysctlFixture[] = "sysctl/sysctl_kern_aio_limits_arm64_defaults_constructed.txt";

qdt::v1::Stream* AddStream(qdt::v1::Phase* ph, const std::string& name, uint64_t rate, uint32_t bs,
                           uint32_t depth) {
  qdt::v1::Stream* s = ph->add_streams();
  s->set_name(name);
  s->set_rate_bytes_per_s(rate);
  s->set_block_size_bytes(bs);
  s->set_iodepth(depth);
  if (rate > 0) s->set_frame_rate(25);
  return s;
}

// Three 2 s phases on 32 MiB files: normal (2 paced streams: iodepth 2 and
// 1), crossfade (a paced stream and a burst from 1 s to 2 s, both iodepth 2:
// the burst's readers wait at a later gate), max-read (unpaced, iodepth 4).
qdt::v1::StartRunRequest ReadersRequest(const std::string& target) {
  qdt::v1::StartRunRequest req;
  req.set_target_dir(target);
  req.set_file_size_bytes(32ull << 20);
  qdt::v1::Profile* p = req.mutable_profile();
  p->set_name("macos-readers");
  qdt::v1::Phase* normal = p->add_phases();
  normal->set_name("normal");
  normal->set_duration_s(2);
  AddStream(normal, "clip A", 40000001, 1 << 20, 2);
  AddStream(normal, "clip B", 20000000, 512 << 10, 1);
  qdt::v1::Phase* xfade = p->add_phases();
  xfade->set_name("crossfade");
  xfade->set_duration_s(2);
  AddStream(xfade, "clip A (out)", 40000000, 1 << 20, 2);
  qdt::v1::Stream* in = AddStream(xfade, "clip A (in)", 40000000, 1 << 20, 2);
  in->set_start_offset_s(1);
  in->set_duration_s(1);
  qdt::v1::Phase* max = p->add_phases();
  max->set_name("max-read");
  max->set_duration_s(2);
  AddStream(max, "unpaced", 0, 1 << 20, 4);
  return req;
}

// The final report of a phase's fio, from the run record.
fio::FioReport FinalReport(const std::string& fio_dir, int phase) {
  auto text = ReadFile(absl::StrCat(fio_dir, "/phase-", phase, ".stdout"));
  EXPECT_TRUE(text.ok()) << text.status();
  auto reports = fio::ParseFioOutput(text.value_or(""));
  EXPECT_TRUE(reports.ok()) << reports.status();
  return reports.ok() && !reports->empty() ? reports->back() : fio::FioReport{};
}

// A phase's fio jobs by stream, from fio's own final report.
std::map<int, std::vector<fio::FioJob>> JobsByStream(const fio::FioReport& report) {
  std::map<int, std::vector<fio::FioJob>> out;
  for (const fio::FioJob& job : report.jobs) {
    auto name = fio::ParseJobName(job.name);
    EXPECT_TRUE(name.ok()) << name.status();
    if (name.ok()) out[name->stream].push_back(job);
  }
  return out;
}

class MacosReadsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // sysctl: the fixture for the three AIO names, each call logged.
    ASSERT_TRUE(WriteFile(bin_.path() + "/sysctl",
                          absl::StrCat("#!/bin/sh\necho \"$*\" >> '", bin_.path(),
                                       "/sysctl.log'\n"
                                       "[ \"$*\" = 'kern.aioprocmax kern.aiomax kern.aiothreads' ] "
                                       "|| { echo \"sysctl: unknown oid '$1'\" >&2; exit 1; }\n"
                                       "cat '",
                                       FixturePath(kSysctlFixture), "'\n"),
                          0755)
                    .ok());
    // fio 3.33 cannot drop cached pages on macOS; the run here is on Linux.
    agent_.Start({"--platform", "macos", "--allow-fio-without-cache-drop"}, bin_.path());
    auto token = agent::LoadOrCreateToken(token_file_, false);
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
    stub_ = qdt::v1::Agent::NewStub(client::MakeChannel(agent_.address()));
  }

  TempDir state_{"state"};
  TempDir target_{"target"};
  TempDir bin_{"fakebin"};
  const std::string token_file_ = state_.path() + "/token";
  AgentProcess agent_{state_.path(), token_file_};
  std::string token_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

TEST_F(MacosReadsProcessTest, PsyncReadersRunAGatedRunAndAddUpPerStream) {
  const qdt::v1::StartRunRequest req = ReadersRequest(target_.path());
  qdt::v1::Run started;
  {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    grpc::Status st = stub_->StartRun(&ctx, req, &started);
    ASSERT_TRUE(st.ok()) << st.error_message() << agent_.Log();
  }
  const std::vector<RunEvent> events = Watch(*stub_, token_, started.run_id(), 1);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.back().has_state());
  ASSERT_EQ(events.back().state().state(), qdt::v1::RUN_STATE_DONE)
      << events.back().state().message() << agent_.Log();
  qdt::v1::RunRecord record;
  {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::GetRunRequest get;
    get.set_run_id(started.run_id());
    ASSERT_TRUE(stub_->GetRun(&ctx, get, &record).ok());
  }
  const qdt::v1::Run& run = record.run();

  // The limits, read once through sysctl, and the layout.
  EXPECT_EQ(run.checks().aio_limits(), "kern.aioprocmax 16, kern.aiomax 90, kern.aiothreads 4");
  EXPECT_EQ(run.checks().io_engine(),
            "psync: one thread per outstanding read, 4 threads at the peak (crossfade)");
  auto sysctl_log = ReadFile(bin_.path() + "/sysctl.log");
  ASSERT_TRUE(sysctl_log.ok());
  EXPECT_EQ(*sysctl_log, "kern.aioprocmax kern.aiomax kern.aiothreads\n");

  const std::string fio_dir = absl::StrCat(state_.path(), "/runs/", run.run_id(), "/fio");
  auto crossfade_job = ReadFile(fio_dir + "/phase-1.fio");
  ASSERT_TRUE(crossfade_job.ok());
  EXPECT_THAT(*crossfade_job, HasSubstr("\nthread\nioengine=psync\n"));
  // The burst's second reader waits at the burst's own gate.
  EXPECT_THAT(*crossfade_job, HasSubstr("[stream-01.r1]"));
  EXPECT_THAT(crossfade_job->substr(crossfade_job->find("[stream-01.r1]")),
              HasSubstr("exec_prerun=dd if=gate-1-1.fifo "));

  const qdt::v1::Verdict& verdict = run.verdict();
  ASSERT_EQ(verdict.phases_size(), 3);
  for (int p = 0; p < 3; ++p) {
    SCOPED_TRACE(req.profile().phases(p).name());
    const qdt::v1::Phase& phase = req.profile().phases(p);
    const fio::FioReport report = FinalReport(fio_dir, p);
    const std::map<int, std::vector<fio::FioJob>> by_stream = JobsByStream(report);
    ASSERT_EQ(by_stream.size(), static_cast<size_t>(phase.streams_size()));
    uint64_t phase_bytes = 0;
    int paced = 0;
    for (int i = 0; i < phase.streams_size(); ++i) {
      const qdt::v1::Stream& s = phase.streams(i);
      const std::vector<fio::FioJob>& readers = by_stream.at(i);
      ASSERT_EQ(readers.size(), s.iodepth()) << "one reader per read in flight";
      uint64_t bytes = 0;
      double bytes_per_s = 0, p99_ns = 0;
      for (const fio::FioJob& r : readers) {
        EXPECT_GT(r.read.io_bytes, 0u) << r.name << " read nothing";
        EXPECT_EQ(r.error, 0) << r.name;
        bytes += r.read.io_bytes;
        if (r.read.runtime_ms > 0) bytes_per_s += r.read.io_bytes / (r.read.runtime_ms / 1e3);
        p99_ns = std::max(p99_ns, r.read.clat_p99_ns);
      }
      phase_bytes += bytes;
      if (s.rate_bytes_per_s() == 0) continue;
      // The readers together keep the stream's pace (fio paces each at its share).
      EXPECT_GT(bytes_per_s, 0.85 * s.rate_bytes_per_s()) << s.name();
      EXPECT_LT(bytes_per_s, 1.10 * s.rate_bytes_per_s()) << s.name();
      // One verdict entry per stream (not per reader), with the readers' worst p99.
      ASSERT_LT(paced, verdict.phases(p).streams_size());
      const qdt::v1::StreamVerdict& sv = verdict.phases(p).streams(paced++);
      EXPECT_EQ(sv.name(), s.name());
      EXPECT_NEAR(sv.clat_p99_ms(), p99_ns / 1e6, 1e-9) << s.name();
    }
    EXPECT_EQ(verdict.phases(p).streams_size(), paced);
    // The phase's mean is every reader's bytes over fio's longest runtime.
    int64_t runtime_ms = 0;
    for (const fio::FioJob& j : report.jobs) runtime_ms = std::max(runtime_ms, j.read.runtime_ms);
    ASSERT_GT(runtime_ms, 0);
    EXPECT_NEAR(verdict.phases(p).mean_mb_s(), phase_bytes / (runtime_ms / 1e3) / 1e6, 1e-6);
    EXPECT_TRUE(verdict.phases(p).ran());
  }
  for (const std::string& flag : verdict.flags()) {
    EXPECT_THAT(flag, Not(HasSubstr("queue depth capped")));
    EXPECT_THAT(flag, Not(HasSubstr("macOS AIO")));
  }
  // Every file the readers made (their prerun outputs) is gone with the rest.
  EXPECT_FALSE(PathExists(absl::StrCat(target_.path(), "/.qdt-test/", run.run_id())))
      << "the run folder was not emptied";
  agent_.Signal(SIGTERM);
  EXPECT_EQ(agent_.Wait(), 0);
}

// posixaio asked for on macOS (RunManagerOptions::ioengine): one process per
// stream, a stream asking 24 reads in flight gets kern.aioprocmax (16), and
// the verdict says so. posixaio exists on Linux's fio too (glibc's POSIX AIO).
TEST(MacosReadsTest, PosixaioOverrideRunsProcessesCappedAtAioprocmax) {
  FakeRunner runner;
  runner.replies["sysctl kern.aioprocmax kern.aiomax kern.aiothreads"] = {
      0, 0, false, Fixture(kSysctlFixture), ""};
  runner.replies["pgrep"] = {1, 0, false, "", ""};  // no QLab
  agent::RunManagerOptions options;
  options.platform = agent::Platform::kMacOS;
  options.ioengine = "posixaio";
  options.commands = &runner;
  InProcessAgent agent(options);
  TempDir target("target");
  qdt::v1::StartRunRequest req;
  req.set_target_dir(target.path());
  req.set_file_size_bytes(32ull << 20);
  qdt::v1::Profile* p = req.mutable_profile();
  p->set_name("posixaio-override");
  qdt::v1::Phase* max = p->add_phases();
  max->set_name("max-read");
  max->set_duration_s(1.5);
  AddStream(max, "deep", 0, 256 << 10, 24);
  AddStream(max, "shallow", 0, 256 << 10, 2);
  auto started = agent.StartRun(req);
  ASSERT_TRUE(started.ok()) << started.status();
  auto events = agent.WatchAll(started->run_id());
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_TRUE(events->back().has_state());
  ASSERT_EQ(events->back().state().state(), qdt::v1::RUN_STATE_DONE)
      << events->back().state().message();
  auto record = agent.GetRun(started->run_id());
  ASSERT_TRUE(record.ok()) << record.status();
  const qdt::v1::Run& run = record->run();
  EXPECT_EQ(run.checks().io_engine(),
            "posixaio: one process per stream, iodepth at most 16 (kern.aioprocmax)");
  EXPECT_EQ(run.checks().aio_limits(), "kern.aioprocmax 16, kern.aiomax 90, kern.aiothreads 4");
  EXPECT_THAT(run.verdict().flags(),
              Contains("queue capped by macOS AIO: stream-00 in max-read asked 24 reads in flight, "
                       "got 16 (kern.aioprocmax 16)"));
  const std::string fio_dir = agent.store().FioDir(run.run_id());
  auto job = ReadFile(fio_dir + "/phase-0.fio");
  ASSERT_TRUE(job.ok());
  EXPECT_THAT(*job, Not(HasSubstr("\nthread\n"))) << "each stream its own process";
  EXPECT_THAT(*job, HasSubstr("[stream-00]\nfilename=stream-00.dat\nbs=262144\niodepth=16\n"));
  // Both processes read; fio kept no more than 16 in flight for the deep one.
  const fio::FioReport report = FinalReport(fio_dir, 0);
  ASSERT_EQ(report.jobs.size(), 2u);
  for (const fio::FioJob& j : report.jobs) EXPECT_GT(j.read.io_bytes, 0u) << j.name;
  std::vector<std::string> names;
  for (const fio::FioJob& j : report.jobs) names.push_back(j.name);
  EXPECT_THAT(names, ElementsAre("stream-00", "stream-01"));
}

}  // namespace
}  // namespace qdt::testing
