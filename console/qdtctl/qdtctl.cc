// qdtctl: the agent's operations from a terminal, for scripts and for people
// without a display. Exit codes: 0 = pass (the drive meets its targets, or the
// command succeeded), 1 = the drive fails its target, 2 = usage or connection
// error, 3 = the run did not finish (failed, stopped or interrupted).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/cue_stack.h"
#include "common/pem.h"
#include "common/profiles.h"
#include "common/units.h"
#include "console/client/agent_client.h"
#include "fio/fio_analysis.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace {

using qdt::client::FormatSampleLine;
using qdt::client::FormatVerdict;
using qdt::client::StateName;

constexpr int kExitPass = 0;
constexpr int kExitFailsTarget = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIncomplete = 3;

constexpr char kUsage[] =
    R"(usage: qdtctl [--agent HOST:PORT] [--token-file FILE | --token TOKEN] COMMAND [options]

commands:
  info                         the agent: host, OS, fio version, clock, active run
  volumes                      testable volumes: device, drive, protocol, SSD, free/total
                               space, model and serial
  telemetry [--count N]        drive temperature and thermal pressure once a second
                               (N readings, default 5; 0 = until Ctrl-C)
  profiles                     built-in profiles and their phases (no agent needed)
  profile derive [--stream KIND[xN] ...] [--hold KIND[xN] ...] [--safety 1.6]
                 [--phase-seconds 10] [--name NAME] [--out FILE.json]
                               targets and a runnable profile from your cue stack; KIND is a
                               stream-table entry ("ProRes 422 HQ UHD 29.97") or "440MB/s@59.94";
                               --hold: a stream that plays through crossfades (read once);
                               no --stream = the request's 1 x 4K (440) + 3 x HD (72)
  streams                      the stream table (MB/s per stream)
  analyze FILE [--profile NAME | --profile-file F] [--json]
                               judge existing fio JSON output offline (no agent needed)
  start --target DIR [--profile NAME | --profile-file FILE.json] [--time-scale X]
        [--file-size SIZE] [--start-in SECONDS | --start-at RFC3339] [--force] [--wait]
                               start a run; with --wait, print one line per second and
                               the verdict (Ctrl-C stops the run)
  watch RUN_ID [--from-seq N]  follow a run's events (reconnects and resumes on its own)
  stop RUN_ID                  stop a run
  runs [--limit N]             runs on the agent, newest first
  get RUN_ID [--json]          everything about a run: verdict, fio commands and files

options:
  --agent       agent address (default 127.0.0.1:50551, or $QDT_AGENT)
  --token-file  file holding the rig token (default $QDT_TOKEN_FILE)
  --token       the rig token itself
  --ca          CA certificate (PEM) of an agent that serves TLS: connect with TLS and check
                the agent's certificate against it (the token is sent on top)
  --tls-name    the name the agent's certificate must carry, when it differs from the
                host in --agent (an agent reached by IP)
SIZE takes a suffix K, M, G (binary: 64M = 64 MiB). Exit codes: 0 pass, 1 the drive
fails its target, 2 usage or connection error, 3 the run did not finish.
)";

int UsageError(const std::string& msg) {
  std::cerr << "qdtctl: " << msg << "\n(qdtctl help shows the commands and options)\n";
  return kExitUsage;
}

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

// Appended to "cannot reach the agent": what to check for this transport.
std::string g_connect_hint;

int Fail(const std::string& what, const grpc::Status& st, const std::string& agent) {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
      st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "qdtctl: cannot reach the agent at " << agent << ": " << st.error_message() << "\n"
              << g_connect_hint;
  } else {
    std::cerr << "qdtctl: " << what << " refused (" << CodeName(st.error_code())
              << "): " << st.error_message() << "\n";
  }
  return kExitUsage;
}

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

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> opts;  // --name -> value ("" for switches); last wins
  std::vector<std::pair<std::string, std::string>> all;  // every option, in order
};

// Options that take no value.
bool IsSwitch(const std::string& name) {  // NOLINT
  return name == "--wait" || name == "--force" || name == "--json";
}

// Proto3 JSON with the .proto field names, as the agent stores runs.
std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, opts);
  return json;
}

std::optional<Args> ParseArgs(int argc, char** argv, std::string* error) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg, value;
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
      } else if (!IsSwitch(name)) {
        if (i + 1 >= argc) {
          *error = absl::StrCat(name, ": needs a value");
          return std::nullopt;
        }
        value = argv[++i];
      }
      a.opts[name] = value;
      a.all.emplace_back(name, value);
    } else if (a.command.empty()) {
      a.command = arg;
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

// Process-wide Ctrl-C state for `start --wait`.
std::atomic<int> g_interrupts{0};

class Ctl {
 public:
  Ctl(std::string agent, std::string token, const qdt::client::TlsOptions& tls)
      : agent_(std::move(agent)),
        token_(std::move(token)),
        stub_(qdt::v1::Agent::NewStub(qdt::client::MakeChannel(agent_, tls))) {}

  int Info() {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::AgentInfo info;
    auto st = stub_->GetInfo(&ctx, {}, &info);
    if (!st.ok()) return Fail("info", st, agent_);
    std::cout << "agent        " << agent_ << "\n"
              << "host         " << info.hostname() << "\n"
              << "os           " << info.os() << " " << info.os_version() << " (" << info.arch()
              << ")\n"
              << "qdt-agent    " << info.agent_version() << " (" << info.platform() << " probes)\n"
              << "fio          " << info.fio_version() << " at " << info.fio_path() << "\n"
              << "agent clock  " << google::protobuf::util::TimeUtil::ToString(info.wall_time())
              << "\n"
              << "active run   " << (info.active_run_id().empty() ? "none" : info.active_run_id())
              << "\n"
              << "capabilities";
    for (const auto& c : info.capabilities()) std::cout << " " << c;
    std::cout << "\n";
    return kExitPass;
  }

  int Volumes() {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::ListVolumesResponse resp;
    auto st = stub_->ListVolumes(&ctx, {}, &resp);
    if (!st.ok()) return Fail("volumes", st, agent_);
    absl::PrintF("%-28s %-16s %-8s %-6s %-12s %-5s %10s %10s  %s\n", "mount point", "device",
                 "drive", "fs", "protocol", "SSD", "free GB", "total GB", "model (serial)");
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

  int Start(const Args& a) {
    qdt::v1::StartRunRequest req;
    if (a.opts.count("--profile-file")) {
      auto profile = qdt::LoadProfileFile(a.opts.at("--profile-file"));
      if (!profile.ok())
        return UsageError(absl::StrCat("--profile-file: ", profile.status().message()));
      *req.mutable_profile() = *profile;
    } else {
      req.set_profile_name(a.opts.count("--profile") ? a.opts.at("--profile") : "setup-check");
    }
    if (!a.opts.count("--target")) return UsageError("start: --target DIR is required");
    std::string target = a.opts.at("--target");
    if (!target.empty() && target[0] != '/') {
      char cwd[4096];
      if (::getcwd(cwd, sizeof(cwd)) != nullptr) target = absl::StrCat(cwd, "/", target);
    }
    req.set_target_dir(target);
    if (a.opts.count("--time-scale")) {
      double x;
      if (!absl::SimpleAtod(a.opts.at("--time-scale"), &x)) {
        return UsageError(
            absl::StrCat("--time-scale: \"", a.opts.at("--time-scale"), "\" is not a number"));
      }
      req.set_time_scale(x);
    }
    if (a.opts.count("--file-size")) {
      uint64_t size;
      if (!ParseSize(a.opts.at("--file-size"), &size)) {
        return UsageError(absl::StrCat("--file-size: \"", a.opts.at("--file-size"),
                                       "\" is not a size (e.g. 256M, 1G)"));
      }
      req.set_file_size_bytes(size);
    }
    if (a.opts.count("--start-in")) {
      double secs;
      if (!absl::SimpleAtod(a.opts.at("--start-in"), &secs) || secs < 0) {
        return UsageError(absl::StrCat("--start-in: \"", a.opts.at("--start-in"),
                                       "\" is not a number of seconds"));
      }
      absl::Time t = absl::Now() + absl::Seconds(secs);
      req.mutable_start_at()->set_seconds(absl::ToUnixSeconds(t));
      req.mutable_start_at()->set_nanos(static_cast<int>(absl::ToUnixNanos(t) % 1000000000));
    } else if (a.opts.count("--start-at")) {
      if (!google::protobuf::util::TimeUtil::FromString(a.opts.at("--start-at"),
                                                        req.mutable_start_at())) {
        return UsageError(
            absl::StrCat("--start-at: \"", a.opts.at("--start-at"), "\" is not an RFC 3339 time"));
      }
    }
    req.set_force(a.opts.count("--force") > 0);

    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::Run run;
    auto st = stub_->StartRun(&ctx, req, &run);
    if (!st.ok()) return Fail("start", st, agent_);
    std::cout << "run " << run.run_id() << " started: " << run.profile_name() << " on "
              << run.target_dir() << ", " << run.phase_count() << " phases, "
              << absl::StrFormat("%.0f", run.planned_duration_s()) << " s\n";
    std::cout.flush();
    if (!a.opts.count("--wait")) return kExitPass;
    return Watch(run.run_id(), 1, /*stop_on_interrupt=*/true);
  }

  // Follows a run until it ends. Reconnects with from_seq = last + 1 when the
  // connection drops, so no event is missed or repeated.
  int Watch(const std::string& run_id, uint64_t from_seq, bool stop_on_interrupt) {
    uint64_t next = from_seq == 0 ? 1 : from_seq;
    std::string phase_name = "";
    double phase_target = 0;
    std::optional<qdt::v1::Verdict> verdict;
    qdt::v1::RunState final_state = qdt::v1::RUN_STATE_UNSPECIFIED;
    std::string final_message;
    absl::Time gave_up_at = absl::InfiniteFuture();
    bool stop_sent = false;
    while (true) {
      grpc::ClientContext ctx;
      qdt::client::PrepareContext(&ctx, token_);
      qdt::v1::WatchRunRequest wreq;
      wreq.set_run_id(run_id);
      wreq.set_from_seq(next);
      std::atomic<bool> done{false};
      // Ctrl-C watcher: the first stops the run (we keep reading its last events).
      std::thread interrupt_watch;
      if (stop_on_interrupt) {
        interrupt_watch = std::thread([&] {
          while (!done.load()) {
            if (g_interrupts.load() > 0 && !stop_sent) {
              stop_sent = true;
              std::cerr << "\nqdtctl: stopping run " << run_id << " (Ctrl-C again to quit now)\n";
              grpc::ClientContext sctx;
              qdt::client::PrepareContext(&sctx, token_, absl::Seconds(10));
              qdt::v1::StopRunRequest sreq;
              sreq.set_run_id(run_id);
              qdt::v1::Run ignored;
              auto st = stub_->StopRun(&sctx, sreq, &ignored);
              if (!st.ok()) std::cerr << "qdtctl: stop: " << st.error_message() << "\n";
            }
            ::usleep(50000);
          }
        });
      }
      auto reader = stub_->WatchRun(&ctx, wreq);
      qdt::v1::RunEvent ev;
      while (reader->Read(&ev)) {
        gave_up_at = absl::InfiniteFuture();
        next = ev.seq() + 1;
        switch (ev.kind_case()) {
          case qdt::v1::RunEvent::kSample:
            std::cout << "  " << FormatSampleLine(ev.sample(), phase_name, phase_target) << "\n";
            break;
          case qdt::v1::RunEvent::kPhase:
            phase_name = ev.phase().phase_name();
            phase_target = ev.phase().target_bytes_per_s();
            std::cout << absl::StrFormat(
                "== phase %d: %s, %.1f s, %s, %d streams\n", ev.phase().phase_index() + 1,
                phase_name, ev.phase().duration_s(),
                phase_target > 0 ? absl::StrFormat("target %.1f MB/s", phase_target / 1e6)
                                 : std::string("unpaced (as fast as the drive reads)"),
                ev.phase().stream_count());
            break;
          case qdt::v1::RunEvent::kState:
            final_state = ev.state().state();
            final_message = ev.state().message();
            std::cout << "== " << StateName(ev.state().state()) << ": " << ev.state().message()
                      << "\n";
            break;
          case qdt::v1::RunEvent::kLog:
            std::cout << "   "
                      << (ev.log().level() == qdt::v1::LogLine::LEVEL_INFO      ? ""
                          : ev.log().level() == qdt::v1::LogLine::LEVEL_WARNING ? "warning: "
                                                                                : "error: ")
                      << ev.log().text() << "\n";
            break;
          case qdt::v1::RunEvent::kVerdict:
            verdict = ev.verdict();
            std::cout << "\nVerdict\n" << FormatVerdict(ev.verdict()) << "\n";
            break;
          default:
            break;
        }
        std::cout.flush();
      }
      grpc::Status st = reader->Finish();
      done.store(true);
      if (interrupt_watch.joinable()) interrupt_watch.join();
      if (st.ok()) break;
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
          st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
          st.error_code() != grpc::StatusCode::INTERNAL) {
        return Fail("watch", st, agent_);
      }
      // The agent or the network went away: retry for up to a minute, resuming at `next`.
      if (gave_up_at == absl::InfiniteFuture()) gave_up_at = absl::Now() + absl::Minutes(1);
      if (absl::Now() > gave_up_at) return Fail("watch", st, agent_);
      std::cerr << "qdtctl: connection lost (" << st.error_message() << "); resuming at event "
                << next << "\n";
      ::sleep(1);
    }
    switch (final_state) {
      case qdt::v1::RUN_STATE_DONE:
        if (verdict.has_value() && verdict->rating() == qdt::v1::RATING_EXCELLENT) return kExitPass;
        return kExitFailsTarget;
      default:
        std::cerr << "qdtctl: run " << run_id << " ended " << StateName(final_state)
                  << (final_message.empty() ? "" : ": " + final_message) << "\n";
        return kExitIncomplete;
    }
  }

  int Stop(const std::string& run_id) {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::StopRunRequest req;
    req.set_run_id(run_id);
    qdt::v1::Run run;
    auto st = stub_->StopRun(&ctx, req, &run);
    if (!st.ok()) return Fail("stop", st, agent_);
    std::cout << "run " << run_id << ": stop requested (was " << StateName(run.state()) << ")\n";
    return kExitPass;
  }

  int Telemetry(const Args& a) {
    uint32_t count = 5;
    if (a.opts.count("--count") && !absl::SimpleAtoi(a.opts.at("--count"), &count)) {
      return UsageError(absl::StrCat("--count: \"", a.opts.at("--count"), "\" is not a count"));
    }
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::ZeroDuration());
    qdt::v1::WatchTelemetryRequest req;
    req.set_interval_s(1);
    auto reader = stub_->WatchTelemetry(&ctx, req);
    qdt::v1::Telemetry t;
    uint32_t seen = 0;
    while ((count == 0 || seen < count) && g_interrupts.load() == 0 && reader->Read(&t)) {
      ++seen;
      std::string temp =
          t.has_temperature_c() ? absl::StrFormat("%.1f °C", t.temperature_c()) : "unknown";
      std::cout << google::protobuf::util::TimeUtil::ToString(t.time()) << "  drive " << temp
                << "  thermal pressure " << qdt::client::PressureName(t.thermal_pressure())
                << std::endl;
    }
    if (count != 0 && seen >= count) {
      ctx.TryCancel();
      reader->Finish();
      return kExitPass;
    }
    auto st = reader->Finish();
    if (!st.ok() && g_interrupts.load() == 0) return Fail("telemetry", st, agent_);
    return kExitPass;
  }

  int Runs(const Args& a) {
    qdt::v1::ListRunsRequest req;
    if (a.opts.count("--limit")) {
      uint32_t n;
      if (!absl::SimpleAtoi(a.opts.at("--limit"), &n)) {
        return UsageError(absl::StrCat("--limit: \"", a.opts.at("--limit"), "\" is not a count"));
      }
      req.set_limit(n);
    }
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::ListRunsResponse resp;
    auto st = stub_->ListRuns(&ctx, req, &resp);
    if (!st.ok()) return Fail("runs", st, agent_);
    absl::PrintF("%-24s %-12s %-14s %-12s %s\n", "run", "state", "profile", "rating", "target");
    for (const auto& r : resp.runs()) {
      absl::PrintF(
          "%-24s %-12s %-14s %-12s %s\n", r.run_id(), StateName(r.state()), r.profile_name(),
          r.has_verdict() ? qdt::client::RatingName(r.verdict().rating()) : "-", r.target_dir());
    }
    return kExitPass;
  }

  int Get(const std::string& run_id, bool json) {
    grpc::ClientContext ctx;
    qdt::client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::GetRunRequest req;
    req.set_run_id(run_id);
    qdt::v1::RunRecord rec;
    auto st = stub_->GetRun(&ctx, req, &rec);
    if (!st.ok()) return Fail("get", st, agent_);
    if (json) {
      std::string out = ToJson(rec);
      std::cout << out;
      return kExitPass;
    }
    const auto& r = rec.run();
    std::cout << "run       " << r.run_id() << "\nstate     " << StateName(r.state())
              << (r.error().empty() ? "" : " (" + r.error() + ")") << "\nprofile   "
              << r.profile_name() << "\ntarget    " << r.target_dir() << "\nevents    "
              << rec.events_size() << "\n";
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
    if (r.has_verdict()) std::cout << "\nVerdict\n" << FormatVerdict(r.verdict());
    return kExitPass;
  }

 private:
  std::string agent_;
  std::string token_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

std::string Duration(double s) {
  if (s >= 3600) return absl::StrFormat("%.1f h", s / 3600);
  if (s >= 120) return absl::StrFormat("%.0f min", s / 60);
  return absl::StrFormat("%.0f s", s);
}

int Profiles() {
  for (const std::string& name : qdt::BuiltinProfileNames()) {
    auto p = qdt::BuiltinProfile(name);
    if (!p.ok()) continue;
    absl::PrintF("%s  (%s, %s)\n  %s\n", p->name(), p->title(), Duration(qdt::ProfileDurationS(*p)),
                 p->description());
    for (const auto& ph : p->phases()) {
      double peak = qdt::PhaseTargetBytesPerS(ph);
      double start = qdt::ScheduledTargetBytesPerS(ph, 0, 1e-3);
      std::string load = peak <= 0          ? "unpaced max read"
                         : peak > start + 1 ? absl::StrFormat("%.1f MB/s, bursts to %.1f MB/s",
                                                              start / 1e6, peak / 1e6)
                                            : absl::StrFormat("%.1f MB/s", peak / 1e6);
      absl::PrintF("    %-14s %9s  %3d streams  %s\n", ph.name(), Duration(ph.duration_s()),
                   ph.streams_size(), load);
    }
  }
  std::cout << "--time-scale X (0 < X <= 1) shrinks every duration, e.g. 0.01 runs show-pattern in "
               "90 s\n";
  return kExitPass;
}

int Streams() {
  absl::PrintF("%-28s %8s %7s\n", "stream", "MB/s", "fps");
  for (const auto& k : qdt::StreamTable())
    absl::PrintF("%-28s %8.1f %7.2f\n", k.name, k.mb_per_s, k.fps);
  return kExitPass;
}

int ProfileDerive(const Args& a) {
  std::vector<qdt::CueStream> cue;
  for (const auto& [name, value] : a.all) {
    if (name != "--stream" && name != "--hold") continue;
    auto c = qdt::ParseCueStream(value);
    if (!c.ok()) return UsageError(std::string(c.status().message()));
    c->holds = name == "--hold";
    cue.push_back(*c);
  }
  if (cue.empty()) cue = qdt::DefaultCue();
  double safety = 1.6, phase_s = 10;
  if (a.opts.count("--safety") && !absl::SimpleAtod(a.opts.at("--safety"), &safety)) {
    return UsageError(absl::StrCat("--safety: \"", a.opts.at("--safety"), "\" is not a number"));
  }
  if (a.opts.count("--phase-seconds") &&
      !absl::SimpleAtod(a.opts.at("--phase-seconds"), &phase_s)) {
    return UsageError(
        absl::StrCat("--phase-seconds: \"", a.opts.at("--phase-seconds"), "\" is not a number"));
  }
  std::string name = a.opts.count("--name") ? a.opts.at("--name") : "my-cue-stack";
  auto profile = qdt::DeriveProfile(name, cue, safety, phase_s);
  if (!profile.ok()) return UsageError(std::string(profile.status().message()));
  qdt::CueTargets t = qdt::DeriveTargets(cue, safety);
  std::cout << "cue stack:\n";
  for (const auto& c : cue) {
    absl::PrintF("  %d x %-28s %8.1f MB/s each%s\n", c.count, c.kind.name, c.kind.mb_per_s,
                 c.holds ? "  (holds through crossfades)" : "");
  }
  absl::PrintF("normal playback target: %.1f MB/s\n", t.normal_mb_s);
  absl::PrintF("crossfade peak target:  %.1f MB/s  (outgoing + incoming cue x %.2f safety)\n",
               t.crossfade_mb_s, safety);
  std::string json = ToJson(*profile);
  if (a.opts.count("--out")) {
    std::ofstream out(a.opts.at("--out"));
    out << json;
    if (!out) return UsageError(absl::StrCat("--out: cannot write \"", a.opts.at("--out"), "\""));
    std::cout << "profile written to " << a.opts.at("--out")
              << " (run it with: qdtctl start --profile-file " << a.opts.at("--out")
              << " --target DIR)\n";
  } else {
    std::cout << json;
  }
  return kExitPass;
}

int Analyze(const Args& a) {
  if (a.positional.size() != 1) return UsageError("analyze: give one FILE of fio JSON output");
  const std::string& path = a.positional[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError(absl::StrCat("analyze: cannot read \"", path, "\""));
  std::stringstream ss;
  ss << in.rdbuf();
  qdt::v1::Profile profile;
  if (a.opts.count("--profile-file")) {
    auto p = qdt::LoadProfileFile(a.opts.at("--profile-file"));
    if (!p.ok()) return UsageError(absl::StrCat("--profile-file: ", p.status().message()));
    profile = *p;
  } else {
    auto p =
        qdt::BuiltinProfile(a.opts.count("--profile") ? a.opts.at("--profile") : "setup-check");
    if (!p.ok()) return UsageError(absl::StrCat("--profile: ", p.status().message()));
    profile = *p;
  }
  qdt::ProfileLevels levels = qdt::TargetLevels(profile);
  auto analysis = qdt::fio::AnalyzeFioOutput(ss.str(), levels, path);
  if (!analysis.ok()) {
    std::cerr << "qdtctl: " << analysis.status().message() << "\n";
    return kExitUsage;
  }
  const auto& v = analysis->verdict;
  if (a.opts.count("--json")) {
    std::string json = ToJson(v);
    std::cout << json;
  } else {
    absl::PrintF("%s: %d fio report(s), %d job(s), %d non-JSON line(s) skipped\n", path,
                 analysis->reports, analysis->jobs, analysis->skipped_lines.size());
    absl::PrintF("judged against %s: normal %.1f MB/s, crossfade %.1f MB/s\n\n", profile.name(),
                 levels.normal_mb_s, levels.crossfade_mb_s);
    std::cout << FormatVerdict(v);
  }
  return v.rating() == qdt::v1::RATING_EXCELLENT ? kExitPass : kExitFailsTarget;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto args = ParseArgs(argc, argv, &error);
  if (!args.has_value()) return UsageError(error);
  Args& a = *args;
  if (a.command.empty() || a.command == "help" || a.opts.count("--help")) {
    std::cout << kUsage;
    return a.command.empty() && !a.opts.count("--help") ? kExitUsage : kExitPass;
  }
  if (a.command == "profiles") return Profiles();
  if (a.command == "streams") return Streams();
  if (a.command == "analyze") return Analyze(a);
  if (a.command == "profile") {
    if (a.positional.size() == 1 && a.positional[0] == "derive") return ProfileDerive(a);
    return UsageError("profile: the subcommand is \"derive\"");
  }

  std::string agent = a.opts.count("--agent")    ? a.opts.at("--agent")
                      : std::getenv("QDT_AGENT") ? std::getenv("QDT_AGENT")
                                                 : "127.0.0.1:50551";
  std::string token;
  if (a.opts.count("--token")) {
    token = a.opts.at("--token");
  } else {
    std::string file = a.opts.count("--token-file")    ? a.opts.at("--token-file")
                       : std::getenv("QDT_TOKEN_FILE") ? std::getenv("QDT_TOKEN_FILE")
                                                       : "";
    if (file.empty()) return UsageError("no token: pass --token-file FILE (or set QDT_TOKEN_FILE)");
    auto t = qdt::client::ReadTokenFile(file);
    if (!t.ok()) return UsageError(std::string(t.status().message()));
    token = *t;
  }

  // Ctrl-C: counted here, acted on by the watch loop (stop the run); the second quits.
  struct sigaction sa {};
  sa.sa_handler = [](int) {
    if (g_interrupts.fetch_add(1) >= 1) ::_exit(130);
  };
  sigaction(SIGINT, &sa, nullptr);

  qdt::client::TlsOptions tls;
  if (a.opts.count("--ca")) {
    auto pem = qdt::ReadPemFile("--ca", a.opts.at("--ca"));
    if (!pem.ok()) return UsageError(std::string(pem.status().message()));
    tls.ca_pem = *pem;
    if (a.opts.count("--tls-name")) tls.server_name = a.opts.at("--tls-name");
  } else if (a.opts.count("--tls-name")) {
    return UsageError("--tls-name: needs --ca");
  }
  g_connect_hint = "  (" + qdt::client::ConnectHint(tls) + ")\n";
  Ctl ctl(agent, token, tls);
  auto need_id = [&](const char* cmd) -> std::optional<std::string> {
    if (a.positional.size() != 1) return std::nullopt;
    (void)cmd;
    return a.positional[0];
  };
  if (a.command == "info") return ctl.Info();
  if (a.command == "volumes") return ctl.Volumes();
  if (a.command == "telemetry") return ctl.Telemetry(a);
  if (a.command == "start") return ctl.Start(a);
  if (a.command == "runs") return ctl.Runs(a);
  if (a.command == "watch") {
    auto id = need_id("watch");
    if (!id) return UsageError("watch: give one RUN_ID");
    uint64_t from = 1;
    if (a.opts.count("--from-seq") && !absl::SimpleAtoi(a.opts.at("--from-seq"), &from)) {
      return UsageError(
          absl::StrCat("--from-seq: \"", a.opts.at("--from-seq"), "\" is not a number"));
    }
    return ctl.Watch(*id, from, /*stop_on_interrupt=*/false);
  }
  if (a.command == "stop") {
    auto id = need_id("stop");
    if (!id) return UsageError("stop: give one RUN_ID");
    return ctl.Stop(*id);
  }
  if (a.command == "get") {
    auto id = need_id("get");
    if (!id) return UsageError("get: give one RUN_ID");
    return ctl.Get(*id, a.opts.count("--json") > 0);
  }
  return UsageError(absl::StrCat("unknown command \"", a.command, "\""));
}
