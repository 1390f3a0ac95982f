// The commands that talk to an agent: info, volumes, telemetry, start, watch,
// stop, runs, get. Each connects with the global options (--agent, --token /
// --token-file, --ca, --tls-name) and reports gRPC errors as exit code 2.
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/pem.h"
#include "common/profiles.h"
#include "common/quote.h"
#include "common/run_state.h"
#include "common/units.h"
#include "common/verdict.h"
#include "console/client/agent_client.h"
#include "console/qdtctl/commands.h"
#include "google/protobuf/util/time_util.h"

namespace qdt::qdtctl {
namespace {

using google::protobuf::util::TimeUtil;

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid argument";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed precondition";
    case grpc::StatusCode::NOT_FOUND:
      return "not found";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission denied";
    default:
      return absl::StrCat("code ", static_cast<int>(code));
  }
}

// "256M", "1G": bytes (binary suffixes K, M, G, T).
bool ParseSize(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t mult = 1;
  std::string num = text;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (last == 'K' || last == 'M' || last == 'G' || last == 'T') {
    mult = last == 'K'   ? qdt::kKiB
           : last == 'M' ? qdt::kMiB
           : last == 'G' ? qdt::kGiB
                         : 1024 * qdt::kGiB;
    num = text.substr(0, text.size() - 1);
  }
  uint64_t v;
  if (!absl::SimpleAtoi(num, &v)) return false;
  *out = v * mult;
  return true;
}

absl::Status NotValid(const std::string& option, const std::string& value, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat(option, ": \"", value, "\" is not ", what));
}

// Where a watch prints. On a terminal (`status_line`), samples rewrite one
// status line in place -- "\r", the text, "\033[K" (erase to the end of the
// line), like fio's own ETA line -- and every other line is printed above
// it: the status line is cleared, the line printed, the status line drawn
// again. Elsewhere (a pipe, a file, --lines) a line per sample.
class WatchOutput {
 public:
  explicit WatchOutput(bool status_line) : status_line_(status_line) {}
  WatchOutput(const WatchOutput&) = delete;
  WatchOutput& operator=(const WatchOutput&) = delete;
  ~WatchOutput() { Clear(); }

  bool status_line() const { return status_line_; }

  // `text` ends with a newline. `redraw`: the status line comes back below
  // it (not after the verdict: the run is over).
  void Line(const std::string& text, bool redraw = true) {
    Clear();
    std::cout << text;
    if (!redraw) status_.clear();
    Draw();
  }

  void Status(const std::string& text) {
    status_ = text;
    Draw();
  }

  // The status line's text, emptied from the screen (before stderr writes).
  void Clear() {
    if (!shown_) return;
    std::cout << "\r\033[K" << std::flush;
    shown_ = false;
  }

  // The terminal's width (TIOCGWINSZ; 80 when it does not say), asked at
  // each sample so that a resized window is followed.
  static int Columns() {
    struct winsize ws = {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
  }

 private:
  void Draw() {
    if (!status_line_ || status_.empty()) {
      std::cout.flush();
      return;
    }
    std::cout << "\r" << status_ << "\033[K" << std::flush;
    shown_ = true;
  }

  const bool status_line_;
  std::string status_;
  bool shown_ = false;
};

// What a watch has seen so far; the exit code follows from it.
struct WatchState {
  uint64_t next_seq = 1;
  std::string phase_name;
  double phase_target = 0;
  std::optional<qdt::v1::Verdict> verdict;
  qdt::v1::RunState final_state = qdt::v1::RUN_STATE_UNSPECIFIED;
  std::string final_message;
  // For the status line's % done and time left: each phase's (scaled)
  // length, from the run record and the phase events; 0 = unknown.
  std::vector<double> phase_s;
  double planned_s = 0;
};

void PrintPhase(const qdt::v1::PhaseChange& phase, WatchState* state, WatchOutput* out) {
  state->phase_name = phase.phase_name();
  state->phase_target = phase.target_bytes_per_s();
  const auto index = static_cast<size_t>(std::max(0, phase.phase_index()));
  if (index < state->phase_s.size()) state->phase_s[index] = phase.duration_s();
  out->Line(absl::StrFormat("== phase %d: %s, %.1f s, %s, %d streams\n", phase.phase_index() + 1,
                            state->phase_name, phase.duration_s(),
                            state->phase_target > 0
                                ? absl::StrFormat("target %.1f MB/s", state->phase_target / 1e6)
                                : std::string("unpaced (as fast as the drive reads)"),
                            phase.stream_count()));
}

// The status line's numbers from a sample and what the watch knows.
qdt::client::StatusFields StatusOf(const qdt::v1::Sample& s, const WatchState& state) {
  qdt::client::StatusFields f;
  f.phase_name = state.phase_name;
  f.phase_number = s.phase_index() + 1;
  f.phase_count = static_cast<int>(state.phase_s.size());
  f.read_bytes_per_s = s.read_bytes_per_s() + s.write_bytes_per_s();
  // The scheduled target of this interval (a crossfade burst raises it).
  f.target_bytes_per_s = s.target_bytes_per_s() > 0 ? s.target_bytes_per_s() : state.phase_target;
  if (s.has_device_read_bytes_per_s()) f.device_read_bytes_per_s = s.device_read_bytes_per_s();
  if (s.has_temperature_c()) f.temperature_c = s.temperature_c();
  const auto index = static_cast<size_t>(s.phase_index());
  if (state.planned_s > 0 && s.phase_index() >= 0 && index < state.phase_s.size()) {
    double done = std::min(s.phase_elapsed_s(), state.phase_s[index]);
    bool known = state.phase_s[index] > 0;
    for (size_t i = 0; i < index; ++i) {
      done += state.phase_s[i];
      known &= state.phase_s[i] > 0;
    }
    if (known) {
      f.done_fraction = std::clamp(done / state.planned_s, 0.0, 1.0);
      f.seconds_left = std::max(0.0, state.planned_s - done);
    }
  }
  return f;
}

void PrintEvent(const qdt::v1::RunEvent& ev, WatchState* state, WatchOutput* out) {
  switch (ev.kind_case()) {
    case qdt::v1::RunEvent::kSample:
      if (out->status_line()) {
        out->Status(qdt::client::FormatStatusLine(StatusOf(ev.sample(), *state),
                                                  WatchOutput::Columns() - 1));
      } else {
        out->Line(
            "  " +
            qdt::client::FormatSampleLine(ev.sample(), state->phase_name, state->phase_target) +
            "\n");
      }
      break;
    case qdt::v1::RunEvent::kPhase:
      PrintPhase(ev.phase(), state, out);
      break;
    case qdt::v1::RunEvent::kState:
      state->final_state = ev.state().state();
      state->final_message = ev.state().message();
      out->Line(absl::StrCat("== ", qdt::RunStateName(ev.state().state()), ": ",
                             ev.state().message(), "\n"),
                /*redraw=*/!qdt::RunEnded(ev.state().state()));
      break;
    case qdt::v1::RunEvent::kLog:
      out->Line(absl::StrCat("   ",
                             ev.log().level() == qdt::v1::LogLine::LEVEL_INFO      ? ""
                             : ev.log().level() == qdt::v1::LogLine::LEVEL_WARNING ? "warning: "
                                                                                   : "error: ",
                             ev.log().text(), "\n"));
      break;
    case qdt::v1::RunEvent::kVerdict:
      state->verdict = ev.verdict();
      out->Line(absl::StrCat("\nVerdict\n", qdt::client::FormatVerdict(ev.verdict()), "\n"),
                /*redraw=*/false);
      break;
    default:
      break;
  }
}

// 0 for an EXCELLENT verdict, 1 for a finished run below it, 3 (with the
// reason on stderr) for a run that did not finish or whose numbers could not
// be trusted (NO RATING: e.g. served from the page cache).
int WatchExitCode(const std::string& run_id, const WatchState& state) {
  if (state.final_state == qdt::v1::RUN_STATE_DONE && state.verdict.has_value() &&
      !qdt::HasRating(*state.verdict)) {
    std::cerr << "qdtctl: run " << run_id
              << " gives no rating: " << state.verdict->no_rating_reason() << "\n";
    return kExitIncomplete;
  }
  if (state.final_state == qdt::v1::RUN_STATE_DONE) {
    const bool excellent =
        state.verdict.has_value() && state.verdict->rating() == qdt::v1::RATING_EXCELLENT;
    return excellent ? kExitPass : kExitFailsTarget;
  }
  std::cerr << "qdtctl: run " << run_id << " ended " << qdt::RunStateName(state.final_state)
            << (state.final_message.empty() ? "" : ": " + state.final_message) << "\n";
  return kExitIncomplete;
}

// While alive, calls `stop` from a helper thread once, at the first Ctrl-C
// counted in `interrupts`; `stop_sent` remembers that across reconnections.
// The read loop stays on the caller's thread so that the run's last events
// (the STOPPED state, the verdict on what ran) are still printed.
class StopOnInterrupt {
 public:
  StopOnInterrupt(const std::atomic<int>* interrupts, std::atomic<bool>* stop_sent,
                  std::function<void()> stop)
      : thread_([this, interrupts, stop_sent, stop = std::move(stop)] {
          while (!done_.load()) {
            if (interrupts->load() > 0 && !stop_sent->exchange(true)) stop();
            ::usleep(50000);
          }
        }) {}
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;
  ~StopOnInterrupt() {
    done_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The start request from start's options; errors are usage errors.
absl::StatusOr<qdt::v1::StartRunRequest> StartRequest(const CommandArgs& args) {
  qdt::v1::StartRunRequest req;
  if (const std::string* file = args.Find("--profile-file")) {
    auto profile = qdt::LoadProfileFile(*file);
    if (!profile.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--profile-file: ", profile.status().message()));
    }
    *req.mutable_profile() = *profile;
  } else {
    req.set_profile_name(args.Get("--profile", "setup-check"));
  }
  const std::string* target = args.Find("--target");
  if (target == nullptr) return absl::InvalidArgumentError("start: --target DIR is required");
  // The agent resolves nothing against its own working folder.
  char cwd[4096];
  if (!target->empty() && (*target)[0] != '/' && ::getcwd(cwd, sizeof(cwd)) != nullptr) {
    req.set_target_dir(absl::StrCat(cwd, "/", *target));
  } else {
    req.set_target_dir(*target);
  }
  if (const std::string* v = args.Find("--time-scale")) {
    double x;
    if (!absl::SimpleAtod(*v, &x)) return NotValid("--time-scale", *v, "a number");
    req.set_time_scale(x);
  }
  if (const std::string* v = args.Find("--file-size")) {
    uint64_t size;
    if (!ParseSize(*v, &size)) return NotValid("--file-size", *v, "a size (e.g. 256M, 1G)");
    req.set_file_size_bytes(size);
  }
  if (const std::string* v = args.Find("--start-in")) {
    double secs;
    if (!absl::SimpleAtod(*v, &secs) || secs < 0) {
      return NotValid("--start-in", *v, "a number of seconds");
    }
    absl::Time t = absl::Now() + absl::Seconds(secs);
    req.mutable_start_at()->set_seconds(absl::ToUnixSeconds(t));
    req.mutable_start_at()->set_nanos(static_cast<int>(absl::ToUnixNanos(t) % 1000000000));
  } else if (const std::string* at = args.Find("--start-at")) {
    if (!TimeUtil::FromString(*at, req.mutable_start_at())) {
      return NotValid("--start-at", *at, "an RFC 3339 time");
    }
  }
  req.set_force(args.Has("--force"));
  return req;
}

// One agent, the token to present and how to reach it.
class Session {
 public:
  // From the global options and $QDT_AGENT / $QDT_TOKEN_FILE; errors are
  // usage errors (no token, an unreadable token file or CA).
  static absl::StatusOr<std::unique_ptr<Session>> Connect(const CommandArgs& args);

  int Info();
  int Volumes();
  int Telemetry(uint32_t count, const std::atomic<int>& interrupts);
  int Start(const qdt::v1::StartRunRequest& req, bool wait, const std::atomic<int>* interrupts,
            bool status_line);
  // Follows a run until it ends. Reconnects with from_seq = last + 1 when the
  // connection drops, so no event is missed or repeated. With
  // `stop_on_interrupt`, the first Ctrl-C stops the run. `status_line`: one
  // live status line instead of a line per sample (a terminal).
  int Watch(const std::string& run_id, uint64_t from_seq, const std::atomic<int>* stop_on_interrupt,
            bool status_line);
  int Stop(const std::string& run_id);
  int Runs(const qdt::v1::ListRunsRequest& req);
  int Get(const std::string& run_id, bool json);

 private:
  Session(std::string agent, std::string token, const qdt::client::TlsOptions& tls)
      : agent_(std::move(agent)),
        token_(std::move(token)),
        connect_hint_("  (" + qdt::client::ConnectHint(tls) + ")\n"),
        stub_(qdt::v1::Agent::NewStub(qdt::client::MakeChannel(agent_, tls))) {}

  // Reports a failed call; always kExitUsage.
  int Fail(const std::string& what, const grpc::Status& st) const;
  void SendStop(const std::string& run_id);

  std::string agent_;
  std::string token_;
  std::string connect_hint_;  // what to check when the agent cannot be reached
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

absl::StatusOr<std::unique_ptr<Session>> Session::Connect(const CommandArgs& args) {
  const char* env_agent = std::getenv("QDT_AGENT");
  std::string agent = args.Get("--agent", env_agent != nullptr ? env_agent : "127.0.0.1:50551");
  std::string token;
  if (const std::string* t = args.Find("--token")) {
    token = *t;
    // Checked here: gRPC would abort qdtctl on a control character in the
    // header, and an empty token would be sent as "Bearer ".
    if (std::string problem = qdt::TokenProblem(token); !problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--token: the token ", problem));
    }
  } else {
    const char* env_file = std::getenv("QDT_TOKEN_FILE");
    std::string file = args.Get("--token-file", env_file != nullptr ? env_file : "");
    if (file.empty()) {
      return absl::InvalidArgumentError("no token: pass --token-file FILE (or set QDT_TOKEN_FILE)");
    }
    auto read = qdt::client::ReadTokenFile(file);
    if (!read.ok()) return absl::InvalidArgumentError(read.status().message());
    token = *read;
  }
  qdt::client::TlsOptions tls;
  if (const std::string* ca = args.Find("--ca")) {
    auto pem = qdt::ReadPemFile("--ca", *ca);
    if (!pem.ok()) return absl::InvalidArgumentError(pem.status().message());
    tls.ca_pem = *pem;
    tls.server_name = args.Get("--tls-name", "");
  } else if (args.Has("--tls-name")) {
    return absl::InvalidArgumentError("--tls-name: needs --ca");
  }
  return std::unique_ptr<Session>(new Session(std::move(agent), std::move(token), tls));
}

int Session::Fail(const std::string& what, const grpc::Status& st) const {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
      st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "qdtctl: cannot reach the agent at " << agent_ << ": " << st.error_message()
              << "\n"
              << connect_hint_;
  } else {
    std::cerr << "qdtctl: " << what << " refused (" << CodeName(st.error_code())
              << "): " << st.error_message() << "\n";
  }
  return kExitUsage;
}

int Session::Info() {
  grpc::ClientContext ctx;
  qdt::v1::AgentInfo info;
  qdt::v1::GetInfoRequest req;
  req.set_readiness(true);  // the doctor's list: the agent runs it at most every 30 s
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(60));
  auto st = stub_->GetInfo(&ctx, req, &info);
  if (!st.ok()) return Fail("info", st);
  std::cout << "agent        " << agent_ << "\n"
            << "host         " << info.hostname() << "\n"
            << "os           " << info.os() << " " << info.os_version() << " (" << info.arch()
            << ")\n"
            << "qdt-agent    " << info.agent_version() << " (" << info.platform() << " probes)\n"
            << "fio          " << info.fio_version() << " at " << info.fio_path()
            << (info.fio_drops_cache() ? "" : " (" + info.fio_cache_note() + ")") << "\n"
            << (info.full_disk_access().empty()
                    ? ""
                    : "disk access  " + info.full_disk_access_note() + "\n")
            << (info.io_policy().empty() ? "" : "I/O policy   " + info.io_policy() + "\n")
            << "agent clock  " << TimeUtil::ToString(info.wall_time()) << "\n"
            << "active run   " << (info.active_run_id().empty() ? "none" : info.active_run_id())
            << "\n"
            << "capabilities";
  for (const auto& c : info.capabilities()) std::cout << " " << c;
  std::cout << "\n";
  if (info.readiness_size() > 0) {
    int warn = 0, fail = 0;
    for (const auto& r : info.readiness()) {
      warn += r.level() == "warn";
      fail += r.level() == "fail";
    }
    std::cout << "ready        "
              << (fail > 0   ? absl::StrCat("NO: ", fail, " not ready, ", warn, " warnings")
                  : warn > 0 ? absl::StrCat("yes, with ", warn, " warnings")
                             : std::string("yes"))
              << "\n";
    for (const auto& r : info.readiness()) {
      absl::PrintF("  %-4s  %-16s %s\n", r.level() == "fail" ? "FAIL" : r.level(), r.name(),
                   r.detail());
      if (!r.fix().empty()) absl::PrintF("        %-16s fix: %s\n", "", r.fix());
    }
  }
  return kExitPass;
}

int Session::Volumes() {
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
  qdt::v1::ListVolumesResponse resp;
  auto st = stub_->ListVolumes(&ctx, {}, &resp);
  if (!st.ok()) return Fail("volumes", st);
  absl::PrintF("%-28s %-16s %-8s %-6s %-12s %-5s %10s %10s  %s\n", "mount point", "device", "drive",
               "fs", "protocol", "SSD", "free GB", "total GB", "model (serial)");
  for (const auto& v : resp.volumes()) {
    const char* ssd = v.solid_state() == qdt::v1::Volume::SOLID_STATE_YES  ? "yes"
                      : v.solid_state() == qdt::v1::Volume::SOLID_STATE_NO ? "no"
                                                                           : "?";
    absl::PrintF("%-28s %-16s %-8s %-6s %-12s %-5s %10.1f %10.1f  %s%s%s\n", v.mount_point(),
                 v.device(), v.physical_device().empty() ? "?" : v.physical_device(), v.fs_type(),
                 v.protocol().empty() ? "?" : v.protocol(), ssd, v.free_bytes() / 1e9,
                 v.total_bytes() / 1e9, v.model().empty() ? "?" : v.model(),
                 v.serial().empty() ? "" : " (" + v.serial() + ")",
                 v.read_only() ? " (read-only)" : "");
  }
  return kExitPass;
}

int Session::Telemetry(uint32_t count, const std::atomic<int>& interrupts) {
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::ZeroDuration());
  qdt::v1::WatchTelemetryRequest req;
  req.set_interval_s(1);
  auto reader = stub_->WatchTelemetry(&ctx, req);
  qdt::v1::Telemetry t;
  uint32_t seen = 0;
  while ((count == 0 || seen < count) && interrupts.load() == 0 && reader->Read(&t)) {
    ++seen;
    std::string temp =
        t.has_temperature_c() ? absl::StrFormat("%.1f °C", t.temperature_c()) : "unknown";
    if (!t.temperature_source().empty()) absl::StrAppend(&temp, " (", t.temperature_source(), ")");
    std::cout << TimeUtil::ToString(t.time()) << "  drive " << temp << "  thermal pressure "
              << qdt::client::PressureName(t.thermal_pressure()) << std::endl;
  }
  if (count != 0 && seen >= count) {
    ctx.TryCancel();
    reader->Finish();
    return kExitPass;
  }
  auto st = reader->Finish();
  if (!st.ok() && interrupts.load() == 0) return Fail("telemetry", st);
  return kExitPass;
}

int Session::Start(const qdt::v1::StartRunRequest& req, bool wait,
                   const std::atomic<int>* interrupts, bool status_line) {
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(30));
  qdt::v1::Run run;
  auto st = stub_->StartRun(&ctx, req, &run);
  if (!st.ok()) return Fail("start", st);
  std::cout << "run " << run.run_id() << " started: " << run.profile_name() << " on "
            << run.target_dir() << ", " << run.phase_count() << " phases, "
            << absl::StrFormat("%.0f", run.planned_duration_s()) << " s\n";
  std::cout.flush();
  if (!wait) return kExitPass;
  return Watch(run.run_id(), 1, interrupts, status_line);
}

void Session::SendStop(const std::string& run_id) {
  std::cerr << "\nqdtctl: stopping run " << run_id << " (Ctrl-C again to quit now)\n";
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
  qdt::v1::StopRunRequest req;
  req.set_run_id(run_id);
  qdt::v1::Run ignored;
  auto st = stub_->StopRun(&ctx, req, &ignored);
  if (!st.ok()) std::cerr << "qdtctl: stop: " << st.error_message() << "\n";
}

int Session::Watch(const std::string& run_id, uint64_t from_seq,
                   const std::atomic<int>* stop_on_interrupt, bool status_line) {
  WatchState state;
  state.next_seq = from_seq == 0 ? 1 : from_seq;
  WatchOutput out(status_line);
  if (status_line) {
    // The run's length and phase count for % done and time left (the run
    // list, not the run's record: that carries every event). Without them
    // the status line says n/a.
    // The run is usually the newest; older ones are a few pages back at most.
    qdt::v1::ListRunsRequest req;
    for (int pages = 0; pages < 20; ++pages) {
      grpc::ClientContext ctx;
      qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
      qdt::v1::ListRunsResponse runs;
      if (!stub_->ListRuns(&ctx, req, &runs).ok()) break;
      bool found = false;
      for (const auto& r : runs.runs()) {
        if (r.run_id() != run_id) continue;
        state.planned_s = r.planned_duration_s();
        state.phase_s.assign(std::min<uint32_t>(r.phase_count(), 1000), 0.0);
        found = true;
      }
      if (found || runs.next_page_token().empty() || runs.next_page_token() == req.page_token()) {
        break;
      }
      req.set_page_token(runs.next_page_token());
    }
  }
  absl::Time gave_up_at = absl::InfiniteFuture();
  std::atomic<bool> stop_sent{false};
  while (true) {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_);
    qdt::v1::WatchRunRequest req;
    req.set_run_id(run_id);
    req.set_from_seq(state.next_seq);
    std::optional<StopOnInterrupt> stopper;
    if (stop_on_interrupt != nullptr) {
      stopper.emplace(stop_on_interrupt, &stop_sent, [this, &run_id] { SendStop(run_id); });
    }
    auto reader = stub_->WatchRun(&ctx, req);
    qdt::v1::RunEvent ev;
    while (reader->Read(&ev)) {
      gave_up_at = absl::InfiniteFuture();
      state.next_seq = ev.seq() + 1;
      PrintEvent(ev, &state, &out);
    }
    grpc::Status st = reader->Finish();
    stopper.reset();
    if (st.ok()) break;
    out.Clear();
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
        st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
        st.error_code() != grpc::StatusCode::INTERNAL) {
      return Fail("watch", st);
    }
    // The agent or the network went away: retry for up to a minute, resuming at next_seq.
    if (gave_up_at == absl::InfiniteFuture()) gave_up_at = absl::Now() + absl::Minutes(1);
    if (absl::Now() > gave_up_at) return Fail("watch", st);
    std::cerr << "qdtctl: connection lost (" << st.error_message() << "); resuming at event "
              << state.next_seq << "\n";
    ::sleep(1);
  }
  return WatchExitCode(run_id, state);
}

int Session::Stop(const std::string& run_id) {
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
  qdt::v1::StopRunRequest req;
  req.set_run_id(run_id);
  qdt::v1::Run run;
  auto st = stub_->StopRun(&ctx, req, &run);
  if (!st.ok()) return Fail("stop", st);
  std::cout << "run " << run_id << ": stop requested (was " << qdt::RunStateName(run.state())
            << ")\n";
  return kExitPass;
}

int Session::Runs(const qdt::v1::ListRunsRequest& req) {
  // The agent answers in pages (at most 100 runs each); `req.limit()` is the
  // whole count wanted here (0 = every run).
  const uint32_t wanted = req.limit();
  qdt::v1::ListRunsResponse resp;
  qdt::v1::ListRunsRequest page;
  do {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
    if (wanted != 0) page.set_limit(wanted - static_cast<uint32_t>(resp.runs_size()));
    qdt::v1::ListRunsResponse part;
    auto st = stub_->ListRuns(&ctx, page, &part);
    if (!st.ok()) return Fail("runs", st);
    for (auto& r : *part.mutable_runs()) *resp.add_runs() = std::move(r);
    // A token that does not move on would loop for ever: stop on it.
    if (part.next_page_token().empty() || part.next_page_token() == page.page_token()) break;
    page.set_page_token(part.next_page_token());
  } while (wanted == 0 || static_cast<uint32_t>(resp.runs_size()) < wanted);
  absl::PrintF("%-24s %-12s %-14s %-16s %s\n", "run", "state", "profile", "rating", "target");
  for (const auto& r : resp.runs()) {
    // A rehearsal's rating is not a show rating: the mark instead of the word.
    const std::string mark = qdt::RehearsalMark(r.time_scale());
    absl::PrintF("%-24s %-12s %-14s %-16s %s\n", r.run_id(), qdt::RunStateName(r.state()),
                 r.profile_name(),
                 !mark.empty()     ? mark
                 : r.has_verdict() ? qdt::client::RatingName(r.verdict().rating())
                                   : "-",
                 r.target_dir());
  }
  return kExitPass;
}

int Session::Get(const std::string& run_id, bool json) {
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token_, absl::Seconds(30));
  qdt::v1::GetRunRequest req;
  req.set_run_id(run_id);
  qdt::v1::RunRecord rec;
  auto st = stub_->GetRun(&ctx, req, &rec);
  if (!st.ok()) return Fail("get", st);
  if (json) {
    std::string out;
    if (!ToJsonOrReport(rec, "get", &out)) return kExitUsage;
    std::cout << out;
    return kExitPass;
  }
  const auto& r = rec.run();
  std::cout << "run       " << r.run_id() << "\nstate     " << qdt::RunStateName(r.state())
            << (r.error().empty() ? "" : " (" + r.error() + ")") << "\nprofile   "
            << r.profile_name()
            << (qdt::RehearsalMark(r.time_scale()).empty()
                    ? ""
                    : "  " + qdt::RehearsalMark(r.time_scale()) + " (phases shortened)")
            << "\ntarget    " << r.target_dir() << "\nevents    " << rec.events_size() << "\n";
  for (const auto& inv : rec.fio()) {
    std::cout << "\nfio "
              << (inv.phase_index() < 0 ? std::string("layout")
                                        : absl::StrCat("phase ", inv.phase_index() + 1))
              << ": exit " << inv.exit_code()
              << (inv.term_signal() ? absl::StrCat(", signal ", inv.term_signal()) : "")
              << "\n  command:";
    for (const auto& a : inv.argv()) std::cout << " " << a;
    std::cout << "\n  files:   " << inv.files_dir() << "\n";
  }
  if (r.has_checks()) {
    std::cout << "\nChecks\n" << qdt::client::FormatChecks(r.checks(), rec.profile());
  }
  if (r.has_verdict()) std::cout << "\nVerdict\n" << qdt::client::FormatVerdict(r.verdict());
  return kExitPass;
}

// The session, or nullptr after reporting why there is none.
std::unique_ptr<Session> ConnectOrReport(const CommandArgs& args) {
  auto session = Session::Connect(args);
  if (!session.ok()) {
    UsageError(std::string(session.status().message()));
    return nullptr;
  }
  return *std::move(session);
}

// The one RUN_ID that watch, stop and get take, or nullptr after reporting it.
const std::string* RunIdOrReport(const CommandArgs& args, const char* command) {
  if (args.positional.size() == 1) return &args.positional[0];
  UsageError(absl::StrCat(command, ": give one RUN_ID"));
  return nullptr;
}

// A count option's value (`fallback` when absent), or false after reporting it.
template <typename Int>
bool CountOption(const CommandArgs& args, const char* name, const char* what, Int* out) {
  const std::string* v = args.Find(name);
  if (v == nullptr || absl::SimpleAtoi(*v, out)) return true;
  UsageError(absl::StrCat(name, ": \"", *v, "\" is not ", what));
  return false;
}

}  // namespace

int RunInfo(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  return session ? session->Info() : kExitUsage;
}

int RunVolumes(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  return session ? session->Volumes() : kExitUsage;
}

int RunTelemetry(const CommandArgs& args, const RunContext& context) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  uint32_t count = 5;
  if (!CountOption(args, "--count", "a count", &count)) return kExitUsage;
  return session->Telemetry(count, *context.interrupts);
}

// One live status line when stdout is a terminal that can take it, unless
// --lines asks for a line per sample.
bool StatusLineWanted(const CommandArgs& args) {
  const char* term = std::getenv("TERM");
  return !args.Has("--lines") && ::isatty(STDOUT_FILENO) == 1 &&
         (term == nullptr || std::string(term) != "dumb");
}

int RunStart(const CommandArgs& args, const RunContext& context) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  auto req = StartRequest(args);
  if (!req.ok()) return UsageError(std::string(req.status().message()));
  return session->Start(*req, args.Has("--wait"), context.interrupts, StatusLineWanted(args));
}

int RunWatch(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  const std::string* run_id = RunIdOrReport(args, "watch");
  if (run_id == nullptr) return kExitUsage;
  uint64_t from = 1;
  if (!CountOption(args, "--from-seq", "a number", &from)) return kExitUsage;
  // Ctrl-C leaves a watched run alone: only `start --wait` owns the run.
  return session->Watch(*run_id, from, /*stop_on_interrupt=*/nullptr, StatusLineWanted(args));
}

int RunStop(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  const std::string* run_id = RunIdOrReport(args, "stop");
  return run_id != nullptr ? session->Stop(*run_id) : kExitUsage;
}

int RunRuns(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  qdt::v1::ListRunsRequest req;
  uint32_t limit = 0;
  if (!CountOption(args, "--limit", "a count", &limit)) return kExitUsage;
  if (args.Has("--limit")) req.set_limit(limit);
  return session->Runs(req);
}

int RunGet(const CommandArgs& args, const RunContext& /*context*/) {
  auto session = ConnectOrReport(args);
  if (!session) return kExitUsage;
  const std::string* run_id = RunIdOrReport(args, "get");
  return run_id != nullptr ? session->Get(*run_id, args.Has("--json")) : kExitUsage;
}

}  // namespace qdt::qdtctl
