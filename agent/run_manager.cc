#include "agent/run_manager.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/config.h"
#include "agent/probes/qlab.h"
#include "common/logging.h"
#include "common/profiles.h"
#include "common/verdict.h"
#include "fio/fio_analysis.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_stream_parser.h"
#include "google/protobuf/util/time_util.h"

namespace qdt::agent {
namespace {

using google::protobuf::util::TimeUtil;
using qdt::v1::Profile;
using qdt::v1::Run;
using qdt::v1::RunEvent;
using qdt::v1::RunState;
using qdt::v1::StartRunRequest;

constexpr uint64_t kMinFileSize = kMiB;
// Larger files than this are a typo, not a test plan.
constexpr uint64_t kMaxFileSize = 1024 * kGiB;
// A synchronised start further away than this is a clock or typing mistake.
constexpr absl::Duration kMaxStartDelay = absl::Hours(24);
// Shorter fio intervals (the last status before the final report) make noisy
// rates; they are folded into the next interval or left to fio's phase mean.
constexpr double kMinSampleIntervalS = 0.25;

bool IsTerminal(RunState s) {
  return s == qdt::v1::RUN_STATE_DONE || s == qdt::v1::RUN_STATE_FAILED ||
         s == qdt::v1::RUN_STATE_STOPPED || s == qdt::v1::RUN_STATE_INTERRUPTED;
}

std::string NewRunId() {
  std::random_device rd;
  return absl::StrCat(absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::StrFormat("%06x", rd() & 0xffffff));
}

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", bytes, units[u]);
}

// Folders of the operating system itself: never a place for test files, even
// where root could write. (macOS helper volumes are "Media OS Use Only".)
constexpr const char* kSystemFolders[] = {"/proc",
                                          "/sys",
                                          "/dev",
                                          "/run",
                                          "/boot",
                                          "/etc",
                                          "/usr",
                                          "/bin",
                                          "/sbin",
                                          "/lib",
                                          "/System/Volumes/Preboot",
                                          "/System/Volumes/VM",
                                          "/System/Volumes/Recovery",
                                          "/System/Volumes/Update",
                                          "/System/Volumes/xarts",
                                          "/System/Volumes/iSCPreboot",
                                          "/System/Volumes/Hardware",
                                          "/Library/Application Support/QDT",
                                          "/var/lib/qdt"};

bool InSystemFolder(const std::string& path) {
  for (const char* folder : kSystemFolders) {
    absl::string_view f(folder);
    if (absl::StartsWith(path, f) && (path.size() == f.size() || path[f.size()] == '/')) {
      return true;
    }
  }
  return false;
}

absl::Status CheckTarget(const std::string& target) {
  if (target.empty()) return absl::InvalidArgumentError("target_dir: empty; give a folder to test");
  if (target[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("target_dir: \"", target, "\" is not an absolute path"));
  }
  char resolved[PATH_MAX];
  std::string real = ::realpath(target.c_str(), resolved) != nullptr ? resolved : target;
  if (InSystemFolder(target) || InSystemFolder(real)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target_dir: \"", target, "\" is a system folder; test a media folder instead"));
  }
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("target_dir: \"", target, "\": ", strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("target_dir: \"", target, "\" is not a folder"));
  }
  struct statvfs vfs;
  if (::statvfs(target.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
    return absl::FailedPreconditionError(
        absl::StrCat("target_dir: \"", target, "\" is on a read-only volume"));
  }
  if (::access(target.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("target_dir: \"", target, "\" is not writable: ", strerror(errno)));
  }
  // access() says yes to root everywhere; creating our folder is the real test.
  std::string base = target + "/.qdt-test";
  if (::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(absl::StrCat("target_dir: \"", target,
                                                      "\" is not writable: cannot create \"", base,
                                                      "\": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status MakeTestDir(const std::string& target, const std::string& run_id) {
  std::string dir = TestDirFor(target, run_id);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("target_dir: cannot create \"", dir, "\": ", strerror(errno)));
  }
  return absl::OkStatus();
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

RunEvent StateEvent(RunState state, const std::string& message) {
  RunEvent ev;
  ev.mutable_state()->set_state(state);
  ev.mutable_state()->set_message(message);
  return ev;
}

RunEvent LogEvent(qdt::v1::LogLine::Level level, const std::string& text) {
  RunEvent ev;
  ev.mutable_log()->set_level(level);
  ev.mutable_log()->set_text(text);
  return ev;
}

// True when `pid` is a live fio started for `run_dir`: pids are reused, so a
// recorded pid alone is not enough to kill anything.
bool IsOurFio(pid_t pid, const std::string& run_dir) {
  if (pid <= 1 || ::kill(pid, 0) != 0) return false;
#if defined(__linux__)
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return absl::StrContains(cmdline, run_dir);
#else
  // Without /proc, require that the pid still leads its own process group, as
  // fio started by the agent does.
  return ::getpgid(pid) == pid;
#endif
}

}  // namespace

std::string TestDirFor(const std::string& target_dir, const std::string& run_id) {
  return absl::StrCat(target_dir, "/.qdt-test/", run_id);
}

void RemoveTestFiles(const std::string& target_dir, const std::string& run_id, int file_count) {
  std::string dir = TestDirFor(target_dir, run_id);
  for (int i = 0; i < file_count; ++i) {
    std::string path = absl::StrCat(dir, "/", fio::StreamFileName(i));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      QDT_LOG(Warning) << "cannot remove test file " << path << ": " << strerror(errno);
    }
  }
  ::rmdir(dir.c_str());  // only if empty: never remove what we did not create
  ::rmdir((target_dir + "/.qdt-test").c_str());
}

struct RunManager::ActiveRun {
  mutable std::mutex mu;
  Run run;  // guarded by mu
  StartRunRequest request;
  Profile profile;  // scaled
  std::string test_dir;
  std::shared_ptr<EventJournal> journal;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> shutdown{false};
  std::condition_variable wake;        // start_at wait, interrupted by stop
  fio::FioProcess* process = nullptr;  // guarded by mu; the fio now running
  absl::Time start_at;
  fio::FioJobOptions job_opts;
  int file_count = 0;
  uint64_t free_bytes_at_start = 0, total_bytes = 0;  // the target volume, before layout
};

RunManager::RunManager(RunStore* store, RunManagerOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.ioengine.empty()) options_.ioengine = fio::DefaultIoEngine();
}

RunManager::~RunManager() { Shutdown(); }

Run RunManager::Snapshot(const ActiveRun& r) const {
  std::lock_guard<std::mutex> lock(r.mu);
  Run run = r.run;
  run.set_last_seq(r.journal->last_seq());
  return run;
}

std::string RunManager::ActiveRunId() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (active_ == nullptr) return "";
  std::lock_guard<std::mutex> run_lock(active_->mu);
  return IsTerminal(active_->run.state()) ? "" : active_->run.run_id();
}

absl::StatusOr<Run> RunManager::StartRun(const StartRunRequest& request) {
  // 1. The profile.
  Profile profile;
  if (request.has_profile()) {
    profile = request.profile();
    if (auto st = ValidateProfile(profile); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("profile.", st.message()));
    }
  } else if (!request.profile_name().empty()) {
    auto builtin = BuiltinProfile(request.profile_name());
    if (!builtin.ok())
      return absl::InvalidArgumentError(absl::StrCat("profile_name: ", builtin.status().message()));
    profile = *builtin;
  } else {
    return absl::InvalidArgumentError(
        "profile_name: empty; name a built-in profile (e.g. setup-check) or send a profile");
  }
  double scale = request.time_scale() == 0 ? 1.0 : request.time_scale();
  auto scaled = ScaleProfile(profile, scale);
  if (!scaled.ok())
    return absl::InvalidArgumentError(absl::StrCat("time_scale: ", scaled.status().message()));

  // 2. Sizes.
  uint64_t file_size =
      request.file_size_bytes() == 0 ? options_.default_file_size : request.file_size_bytes();
  if (file_size < kMinFileSize || file_size > kMaxFileSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "file_size_bytes: %d is out of range (%d bytes = 1 MiB to %d bytes = 1 TiB)",
        request.file_size_bytes(), kMinFileSize, kMaxFileSize));
  }
  // 3. Synchronised start.
  absl::Time start_at = absl::Now();
  if (request.has_start_at()) {
    const auto& ts = request.start_at();
    if (ts.seconds() < 0 || ts.nanos() < 0 || ts.nanos() > 999999999) {
      return absl::InvalidArgumentError(
          absl::StrCat("start_at: ", ts.seconds(), "s ", ts.nanos(), "ns is not a valid time"));
    }
    absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
    if (t > absl::Now() + kMaxStartDelay) {
      return absl::InvalidArgumentError(absl::StrCat(
          "start_at: ", absl::FormatTime(t), " is more than 24 h ahead of the agent's clock (",
          absl::FormatTime(absl::Now()), ")"));
    }
    start_at = t;
  }
  // Show safety: a disk test competes with playback for the same drive.
  if (!request.force() && QlabRunning(options_.commands)) {
    return absl::FailedPreconditionError(
        "QLab is running on this machine: a disk test now would compete with playback; quit "
        "QLab, or start with force (qdtctl start --force) if no show is running");
  }
  // 4. The target folder.
  const std::string target = request.target_dir();
  if (auto st = CheckTarget(target); !st.ok()) return st;
  if (auto st = CheckAllowedTarget(target, options_.allowed_target_dirs); !st.ok()) return st;
  // Refusals below leave no trace: .qdt-test is removed again if it is empty.
  bool accepted = false;
  auto tidy = absl::MakeCleanup([&] {
    if (!accepted) ::rmdir((target + "/.qdt-test").c_str());
  });

  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return absl::UnavailableError("the agent is shutting down");
  if (active_ != nullptr) {
    std::lock_guard<std::mutex> run_lock(active_->mu);
    if (!IsTerminal(active_->run.state())) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", active_->run.run_id(), " is already active (",
                       qdt::v1::RunState_Name(active_->run.state()), ", profile ",
                       active_->run.profile_name(), "); stop it first or wait for it to end"));
    }
  }
  // 5. Free space, with the numbers.
  fio::FioJobOptions job_opts;
  job_opts.file_size_bytes = file_size;
  job_opts.ioengine = options_.ioengine;
  const int files = fio::FileCount(*scaled);
  const double need = static_cast<double>(files) * file_size + options_.space_reserve_bytes;
  struct statvfs vfs;
  if (::statvfs(target.c_str(), &vfs) == 0) {
    double free_bytes = static_cast<double>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < need) {
      return absl::FailedPreconditionError(
          absl::StrCat("target_dir: not enough free space on \"", target, "\": need ",
                       HumanBytes(need), " (", files, " files x ", HumanBytes(file_size), " + ",
                       HumanBytes(options_.space_reserve_bytes), " reserve), ",
                       HumanBytes(free_bytes), " free"));
    }
  }
  // The job files must build before anything is created on disk.
  const std::string run_id = NewRunId();
  job_opts.test_dir = TestDirFor(target, run_id);
  if (auto layout = fio::BuildLayoutJobFile(*scaled, job_opts); !layout.ok()) {
    return absl::InvalidArgumentError(layout.status().message());
  }
  for (int i = 0; i < scaled->phases_size(); ++i) {
    if (auto job = fio::BuildPhaseJobFile(scaled->phases(i), i, job_opts); !job.ok()) {
      return absl::InvalidArgumentError(job.status().message());
    }
  }

  // 6. Create the test folder, then the record.
  if (auto st = MakeTestDir(target, run_id); !st.ok()) return st;
  auto r = std::make_shared<ActiveRun>();
  r->request = request;
  r->profile = *scaled;
  r->test_dir = job_opts.test_dir;
  Run& run = r->run;
  run.set_run_id(run_id);
  run.set_state(qdt::v1::RUN_STATE_PENDING);
  run.set_profile_name(profile.name());
  run.set_target_dir(target);
  *run.mutable_created_at() = TimeUtil::GetCurrentTime();
  run.set_phase_index(-1);
  run.set_phase_count(static_cast<uint32_t>(scaled->phases_size()));
  run.set_planned_duration_s(ProfileDurationS(*scaled));
  StartRunRequest stored = request;
  if (auto st = store_->CreateRun(run, stored, *scaled); !st.ok()) {
    RemoveTestFiles(target, run_id, 0);
    return st;
  }
  auto writer = store_->OpenEventLog(run_id);
  if (!writer.ok()) {
    RemoveTestFiles(target, run_id, 0);
    return writer.status();
  }
  r->journal = std::make_shared<EventJournal>(std::move(*writer));
  Emit(*r, StateEvent(qdt::v1::RUN_STATE_PENDING,
                      absl::StrCat("accepted: profile ", profile.name(), ", target ", target,
                                   ", time scale ", scale, ", ", files, " files x ",
                                   HumanBytes(file_size))));

  accepted = true;
  r->start_at = start_at;
  r->job_opts = job_opts;
  r->file_count = files;
  if (::statvfs(target.c_str(), &vfs) == 0) {
    r->free_bytes_at_start = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    r->total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  }
  if (worker_.joinable()) worker_.join();  // the previous run has ended (checked above)
  active_ = r;
  worker_ = std::thread([this, r] { Work(r); });
  return Snapshot(*r);
}

void RunManager::Emit(ActiveRun& r, RunEvent event) {
  auto seq = r.journal->Append(std::move(event));
  if (!seq.ok()) QDT_LOG(Error) << "run " << r.run.run_id() << ": " << seq.status();
}

void RunManager::SetState(ActiveRun& r, RunState state, const std::string& message) {
  Run copy;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    r.run.set_state(state);
    if (state == qdt::v1::RUN_STATE_RUNNING)
      *r.run.mutable_started_at() = TimeUtil::GetCurrentTime();
    if (IsTerminal(state)) {
      *r.run.mutable_ended_at() = TimeUtil::GetCurrentTime();
      if (state != qdt::v1::RUN_STATE_DONE && state != qdt::v1::RUN_STATE_STOPPED) {
        r.run.set_error(message);
      }
    }
  }
  Emit(r, StateEvent(state, message));
  copy = Snapshot(r);
  if (auto st = store_->SaveRun(copy); !st.ok()) QDT_LOG(Error) << st;
  QDT_LOG(Info) << "run " << copy.run_id() << ": " << qdt::v1::RunState_Name(state) << " "
                << message;
}

void RunManager::Work(std::shared_ptr<ActiveRun> rp) {
  ActiveRun& r = *rp;
  const std::string run_id = r.run.run_id();
  const std::string target = r.run.target_dir();
  const std::string fio_dir = store_->FioDir(run_id);
  const Profile& profile = r.profile;

  std::vector<PhaseSeries> series(static_cast<size_t>(profile.phases_size()));
  for (int i = 0; i < profile.phases_size(); ++i) {
    series[i].phase_index = i;
    series[i].name = profile.phases(i).name();
    series[i].target_bytes_per_s = PhaseTargetBytesPerS(profile.phases(i));
  }
  std::string failure;

  // Runs one fio invocation and records it in the run folder.
  auto run_fio =
      [&](const std::string& tag, int phase_index, const std::string& job_text,
          const std::vector<std::string>& extra_args,
          const std::function<void(absl::string_view)>& on_stdout) -> absl::StatusOr<fio::FioExit> {
    const std::string base = absl::StrCat(fio_dir, "/", tag);
    if (!WriteText(base + ".fio", job_text)) {
      return absl::InternalError(absl::StrCat("cannot write ", base, ".fio"));
    }
    std::vector<std::string> argv = {options_.fio_path, "--output-format=json"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    argv.push_back(base + ".fio");
    auto proc = fio::FioProcess::Start(argv, base + ".stdout", base + ".stderr", r.test_dir);
    if (!proc.ok()) return proc.status();
    // The pid file lets a restarted agent find and kill a fio that outlived it.
    WriteText(base + ".pid", absl::StrCat((*proc)->pid(), "\n"));
    {
      std::lock_guard<std::mutex> lock(r.mu);
      r.process = proc->get();
      if (r.stop_requested.load()) (*proc)->Terminate(options_.fio_stop_grace);
    }
    fio::FioExit exit = (*proc)->Wait(on_stdout);
    {
      std::lock_guard<std::mutex> lock(r.mu);
      r.process = nullptr;
    }
    ::unlink((base + ".pid").c_str());
    qdt::v1::FioInvocation inv;
    inv.set_phase_index(phase_index);
    for (const auto& a : argv) inv.add_argv(a);
    inv.set_exit_code(exit.exit_code);
    inv.set_term_signal(exit.term_signal);
    inv.set_stdout_bytes(exit.stdout_bytes);
    if (auto st = store_->SaveFioInvocation(run_id, tag, inv); !st.ok()) QDT_LOG(Error) << st;
    return exit;
  };

  // Layout: fio writes the stream files (create_only) before any timing starts.
  SetState(r, qdt::v1::RUN_STATE_PREPARING,
           absl::StrCat("laying out ", r.file_count, " files of ",
                        HumanBytes(static_cast<double>(r.job_opts.file_size_bytes)), " in ",
                        r.test_dir));
  auto layout_text = fio::BuildLayoutJobFile(profile, r.job_opts);
  if (!layout_text.ok()) {
    failure = std::string(layout_text.status().message());
  } else {
    auto exit = run_fio("layout", -1, *layout_text, {}, nullptr);
    if (!exit.ok()) {
      failure = absl::StrCat("cannot start fio: ", exit.status().message());
    } else if (!r.stop_requested.load() && (exit->exit_code != 0 || exit->term_signal != 0)) {
      failure = absl::StrCat("layout failed: ", exit->Describe());
    }
  }

  // Synchronised start: every agent of the rig waits for the same wall time.
  if (failure.empty() && !r.stop_requested.load() && r.start_at > absl::Now()) {
    Emit(r, LogEvent(
                qdt::v1::LogLine::LEVEL_INFO,
                absl::StrCat("waiting for the synchronised start at ",
                             absl::FormatTime("%H:%M:%E3S UTC", r.start_at, absl::UTCTimeZone()))));
    std::unique_lock<std::mutex> lock(r.mu);
    r.wake.wait_until(lock, absl::ToChronoTime(r.start_at),
                      [&r] { return r.stop_requested.load(); });
  }

  if (failure.empty() && !r.stop_requested.load()) {
    SetState(r, qdt::v1::RUN_STATE_RUNNING, absl::StrCat(profile.phases_size(), " phases"));
  }
  for (int i = 0; i < profile.phases_size() && failure.empty() && !r.stop_requested.load(); ++i) {
    const qdt::v1::Phase& phase = profile.phases(i);
    {
      std::lock_guard<std::mutex> lock(r.mu);
      r.run.set_phase_index(i);
    }
    RunEvent change;
    auto* pc = change.mutable_phase();
    pc->set_phase_index(i);
    pc->set_phase_name(phase.name());
    pc->set_duration_s(phase.duration_s());
    pc->set_target_bytes_per_s(series[i].target_bytes_per_s);
    pc->set_stream_count(static_cast<uint32_t>(phase.streams_size()));
    Emit(r, std::move(change));
    if (auto st = store_->SaveRun(Snapshot(r)); !st.ok()) QDT_LOG(Error) << st;
    series[i].ran = true;

    auto job_text = fio::BuildPhaseJobFile(phase, i, r.job_opts);
    if (!job_text.ok()) {
      failure = std::string(job_text.status().message());
      break;
    }
    fio::FioStreamParser parser;
    std::optional<fio::FioReport> prev;
    std::optional<fio::FioReport> last;
    absl::Status parse_error;
    double elapsed = 0;
    auto on_stdout = [&](absl::string_view chunk) {
      std::vector<fio::FioReport> reports;
      if (auto st = parser.Feed(chunk, &reports); !st.ok() && parse_error.ok()) parse_error = st;
      for (fio::FioReport& rep : reports) {
        absl::StatusOr<fio::FioInterval> iv =
            prev.has_value() ? fio::IntervalBetween(*prev, rep) : fio::FirstInterval(rep);
        last = rep;
        if (!iv.ok()) {
          if (prev.has_value() && parse_error.ok()) parse_error = iv.status();
          continue;  // no I/O yet: the next report measures from the phase start
        }
        if (iv->interval_s < kMinSampleIntervalS) continue;  // folded into the next interval
        prev = std::move(rep);
        elapsed += iv->interval_s;
        RunEvent ev;
        qdt::v1::Sample* s = ev.mutable_sample();
        *s->mutable_wall_time() = TimeUtil::GetCurrentTime();
        s->set_monotonic_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
        s->set_phase_index(i);
        s->set_interval_s(iv->interval_s);
        s->set_read_bytes_per_s(iv->read_bytes_per_s);
        s->set_write_bytes_per_s(iv->write_bytes_per_s);
        s->set_read_iops(iv->read_iops);
        s->set_write_iops(iv->write_iops);
        s->set_read_clat_p50_ms(iv->read_clat_p50_ns / 1e6);
        s->set_read_clat_p99_ms(iv->read_clat_p99_ns / 1e6);
        s->set_bytes_done(iv->read_bytes_total + iv->write_bytes_total);
        s->set_phase_elapsed_s(elapsed);
        if (options_.thermal != nullptr) {
          ThermalReading t = options_.thermal->Latest();
          if (t.temperature_c) s->set_temperature_c(*t.temperature_c);
          s->set_thermal_pressure(t.pressure);
        }
        const double window_target =
            series[i].target_bytes_per_s > 0
                ? ScheduledTargetBytesPerS(phase, elapsed - iv->interval_s, elapsed)
                : 0;
        s->set_target_bytes_per_s(window_target);
        series[i].window_bytes_per_s.push_back(iv->read_bytes_per_s + iv->write_bytes_per_s);
        series[i].window_s.push_back(iv->interval_s);
        series[i].window_target_bytes_per_s.push_back(window_target);
        Emit(r, std::move(ev));
      }
    };
    auto exit =
        run_fio(absl::StrCat("phase-", i), i, *job_text,
                {absl::StrCat("--status-interval=", options_.status_interval_s)}, on_stdout);
    if (!exit.ok()) {
      failure = absl::StrCat("cannot start fio: ", exit.status().message());
      break;
    }
    if (r.stop_requested.load()) break;  // the phase did not finish; judged as incomplete
    const std::string where = absl::StrCat("phase ", i + 1, " \"", phase.name(), "\": ");
    if (exit->exit_code != 0 || exit->term_signal != 0) {
      failure = where + exit->Describe();
      break;
    }
    if (auto st = parser.Finish(); !st.ok() && parse_error.ok()) parse_error = st;
    if (!last.has_value()) {
      failure =
          absl::StrCat(where, "fio printed no JSON report",
                       parse_error.ok() ? "" : absl::StrCat(" (", parse_error.message(), ")"));
      break;
    }
    for (const fio::FioJob& job : last->jobs) {
      if (job.error != 0) {
        failure = absl::StrCat(where, "fio job ", job.name, " failed with error ", job.error, " (",
                               strerror(job.error), ")");
        break;
      }
    }
    if (!failure.empty()) break;
    if (!parse_error.ok()) {
      Emit(r, LogEvent(qdt::v1::LogLine::LEVEL_WARNING,
                       absl::StrCat(where, "part of fio's output was not understood: ",
                                    parse_error.message())));
    }
    for (size_t j = 0; j < last->jobs.size() && j < static_cast<size_t>(phase.streams_size());
         ++j) {
      const qdt::v1::Stream& st = phase.streams(static_cast<int>(j));
      const fio::FioJob& job = last->jobs[j];
      series[i].streams.push_back({st.name(), st.rate_bytes_per_s() > 0 ? st.frame_rate() : 0.0,
                                   job.read.clat_p50_ns / 1e6, job.read.clat_p99_ns / 1e6});
      series[i].requested_iodepth = std::max(series[i].requested_iodepth, st.iodepth());
      series[i].reached_iodepth = std::max(series[i].reached_iodepth, fio::ReachedIodepth(job));
    }
    series[i].fio_mean_bytes_per_s = fio::MeanReadBytesPerS(*last) + fio::MeanWriteBytesPerS(*last);
    series[i].completed = true;
  }

  const bool any_ran = !series.empty() && series[0].ran;
  if (any_ran) {
    VerdictInput input;
    input.phases = series;
    // A derived cue stack is judged against its own levels; the built-ins give 656 / 2100.
    const ProfileLevels levels = TargetLevels(profile);
    input.normal_target_mb_s = levels.normal_mb_s;
    input.crossfade_target_mb_s = levels.crossfade_mb_s;
    input.free_bytes = r.free_bytes_at_start;
    input.total_bytes = r.total_bytes;
    qdt::v1::Verdict verdict = ComputeVerdict(input);
    {
      std::lock_guard<std::mutex> lock(r.mu);
      *r.run.mutable_verdict() = verdict;
    }
    RunEvent ev;
    *ev.mutable_verdict() = verdict;
    Emit(r, std::move(ev));
  }

  RemoveTestFiles(target, run_id, r.file_count);
  Emit(r, LogEvent(qdt::v1::LogLine::LEVEL_INFO,
                   absl::StrCat("removed the test files in ", r.test_dir)));

  if (!failure.empty()) {
    SetState(r, qdt::v1::RUN_STATE_FAILED, failure);
  } else if (r.shutdown.load()) {
    SetState(r, qdt::v1::RUN_STATE_INTERRUPTED, "the agent was shut down during the run");
  } else if (r.stop_requested.load()) {
    SetState(r, qdt::v1::RUN_STATE_STOPPED, "stopped on request");
  } else {
    std::string summary;
    {
      std::lock_guard<std::mutex> lock(r.mu);
      summary = r.run.verdict().summary();
    }
    SetState(r, qdt::v1::RUN_STATE_DONE, summary);
  }
  r.journal->Close();
}

absl::StatusOr<Run> RunManager::StopRun(const std::string& run_id) {
  std::shared_ptr<ActiveRun> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_ != nullptr && active_->run.run_id() == run_id) r = active_;
  }
  if (r == nullptr) {
    auto stored = store_->LoadRun(run_id);
    if (!stored.ok()) return stored.status();
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run_id, " has already ended (", qdt::v1::RunState_Name(stored->state()), ")"));
  }
  {
    std::lock_guard<std::mutex> lock(r->mu);
    if (IsTerminal(r->run.state())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", run_id, " has already ended (", qdt::v1::RunState_Name(r->run.state()), ")"));
    }
    r->stop_requested.store(true);
    if (r->process != nullptr) r->process->Terminate(options_.fio_stop_grace);
  }
  r->wake.notify_all();
  Emit(*r, LogEvent(qdt::v1::LogLine::LEVEL_INFO, "stop requested"));
  return Snapshot(*r);
}

absl::StatusOr<std::shared_ptr<EventJournal>> RunManager::OpenJournal(const std::string& run_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_ != nullptr && active_->run.run_id() == run_id) return active_->journal;
  }
  auto run = store_->LoadRun(run_id);
  if (!run.ok()) return run.status();
  auto events = store_->ReadEvents(run_id);
  if (!events.ok()) return events.status();
  return std::make_shared<EventJournal>(nullptr, std::move(*events));
}

absl::StatusOr<qdt::v1::RunRecord> RunManager::GetRun(const std::string& run_id) {
  auto record = store_->LoadRecord(run_id);
  if (!record.ok()) return record.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (active_ != nullptr && active_->run.run_id() == run_id) {
    *record->mutable_run() = Snapshot(*active_);
  } else {
    record->mutable_run()->set_last_seq(static_cast<uint64_t>(record->events_size()));
  }
  return record;
}

std::vector<Run> RunManager::ListRuns(uint32_t limit) {
  std::vector<std::string> ids = store_->ListRunIds();
  std::vector<Run> runs;
  std::shared_ptr<ActiveRun> active;
  {
    std::lock_guard<std::mutex> lock(mu_);
    active = active_;
  }
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (limit != 0 && runs.size() >= limit) break;
    if (active != nullptr && active->run.run_id() == *it) {
      runs.push_back(Snapshot(*active));
      continue;
    }
    auto run = store_->LoadRun(*it);
    if (run.ok()) runs.push_back(*run);
  }
  return runs;
}

absl::Status RunManager::Recover() {
  for (const std::string& id : store_->ListRunIds()) {
    auto run = store_->LoadRun(id);
    if (!run.ok()) {
      QDT_LOG(Warning) << "skipping run folder " << id << ": " << run.status();
      continue;
    }
    if (IsTerminal(run->state())) continue;
    const std::string run_dir = store_->RunDir(id);
    // 1. A fio that outlived its agent (PR_SET_PDEATHSIG covers Linux; this covers the rest).
    for (int i = -1; i < static_cast<int>(run->phase_count()); ++i) {
      std::string pid_file =
          absl::StrCat(store_->FioDir(id), "/",
                       i < 0 ? std::string("layout") : absl::StrCat("phase-", i), ".pid");
      std::ifstream in(pid_file);
      pid_t pid = 0;
      if (!(in >> pid)) continue;
      if (IsOurFio(pid, run_dir)) {
        QDT_LOG(Warning) << "run " << id << ": killing orphaned fio pid " << pid;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        for (int w = 0; w < 100 && ::kill(pid, 0) == 0; ++w) ::usleep(30000);
      }
      ::unlink(pid_file.c_str());
    }
    // 2. Its test files.
    auto profile = store_->LoadProfile(id);
    int files = profile.ok() ? fio::FileCount(*profile) : 0;
    if (!run->target_dir().empty()) RemoveTestFiles(run->target_dir(), id, files);
    // 3. Its record: keep every event, then say what happened.
    auto kept = store_->RepairEventLog(id);
    if (!kept.ok()) return kept.status();
    const std::string message = absl::StrCat(
        "the agent stopped while the run was ", qdt::v1::RunState_Name(run->state()),
        run->phase_index() >= 0
            ? absl::StrCat(" (phase ", run->phase_index() + 1, " of ", run->phase_count(), ")")
            : "",
        "; the ", *kept, " events recorded before that are kept");
    auto writer = store_->OpenEventLog(id);
    if (!writer.ok()) return writer.status();
    auto events = store_->ReadEvents(id);
    EventJournal journal(std::move(*writer),
                         events.ok() ? std::move(*events) : std::vector<RunEvent>{});
    (void)journal.Append(
        LogEvent(qdt::v1::LogLine::LEVEL_WARNING,
                 absl::StrCat("removed the test files in ", TestDirFor(run->target_dir(), id))));
    (void)journal.Append(StateEvent(qdt::v1::RUN_STATE_INTERRUPTED, message));
    journal.Close();
    run->set_state(qdt::v1::RUN_STATE_INTERRUPTED);
    run->set_error(message);
    run->set_last_seq(journal.last_seq());
    *run->mutable_ended_at() = TimeUtil::GetCurrentTime();
    if (auto st = store_->SaveRun(*run); !st.ok()) return st;
    QDT_LOG(Warning) << "run " << id << " marked INTERRUPTED: " << message;
  }
  return absl::OkStatus();
}

void RunManager::Shutdown() {
  std::shared_ptr<ActiveRun> r;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    r = active_;
  }
  if (r != nullptr) {
    std::lock_guard<std::mutex> lock(r->mu);
    if (!IsTerminal(r->run.state())) {
      r->shutdown.store(true);
      r->stop_requested.store(true);
      if (r->process != nullptr) r->process->Terminate(options_.fio_stop_grace);
    }
  }
  if (r != nullptr) r->wake.notify_all();
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
}

void RunManager::WaitIdle() {
  while (!ActiveRunId().empty()) ::usleep(20000);
}

}  // namespace qdt::agent
