// qdt-agent: the headless daemon on each show machine. Thin main: flags, the
// token, the run store, recovery of runs a previous agent left, the gRPC
// server, and a clean shutdown on SIGTERM/SIGINT.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <limits.h>  // OPEN_MAX
#include <sys/sysctl.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "agent/agent_service.h"
#include "agent/clock.h"
#include "agent/config.h"
#include "agent/discovery.h"
#include "agent/doctor.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"
#include "agent/probes/platform_probe.h"
#include "agent/probes/smartctl.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/probes/thermal_pressure.h"
#include "agent/run/io_policy.h"
#include "agent/run/read_check.h"
#include "agent/run/run_plan.h"
#include "agent/run_manager.h"
#include "agent/run_store.h"
#include "agent/token.h"
#include "agent/volumes.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/pem.h"
#include "common/profiles.h"
#include "common/proto_json.h"
#include "common/quote.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_runner.h"
#include "grpc/support/log.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace {

#if defined(__APPLE__)
constexpr char kDefaultStateDir[] = "/Library/Application Support/QDT";
#else
constexpr char kDefaultStateDir[] = "/var/lib/qdt";
#endif

constexpr char kUsage[] =
    "usage: qdt-agent doctor     is this machine ready to test? ok / warn / FAIL per check with\n"
    "                            its fix; exit 0 ready, 1 warnings, 2 not ready\n"
    "                            [--platform P] [--target DIR] [--file-size BYTES] [--fio PATH]\n"
    "                            [--smartctl PATH] [--tcc-db PATH] [--state-dir DIR] "
    "[--allow-fio-without-cache-drop]\n"
    "       qdt-agent probe      one-shot JSON: volumes, temperature sources, thermal pressure, "
    "QLab\n"
    "       qdt-agent [--config FILE] [--listen HOST:PORT] [--token-file FILE] [--state-dir DIR] "
    "[--fio PATH]\n"
    "                 [--port-file FILE] [--default-file-size BYTES] [--platform NAME]\n"
    "                 [--check-config] [--allow-fio-without-cache-drop]\n"
    "  --config             a JSON AgentConfig (listen, tls_cert_file, tls_key_file, token_file,\n"
    "                       state_dir, fio_path, allowed_target_dirs, advertise, advertise_name,\n"
    "                       platform, default_file_size_bytes, smartctl_path); flags override it\n"
    "  --listen             address to serve gRPC on (default 127.0.0.1:50551; use\n"
    "                       0.0.0.0:50551 to accept consoles on the network)\n"
    "  --token-file         the rig token; created with a random token (mode 0600) if missing\n"
    "                       (default <state-dir>/token)\n"
    "  --state-dir          where runs are kept (default /var/lib/qdt on Linux, "
    "/Library/Application Support/QDT on macOS)\n"
    "  --fio                fio binary (default: found on PATH, /usr/bin, /usr/local/bin,\n"
    "                       /opt/homebrew/bin)\n"
    "  --port-file          write the bound port here once serving (for --listen HOST:0)\n"
    "  --default-file-size  bytes per stream file when a request does not say (default 1 GiB)\n"
    "  --tls-cert, --tls-key  serve TLS with this certificate chain and private key (PEM);\n"
    "                       clients then need the CA (qdtctl --ca); the token is still checked\n"
    "  --advertise          announce the agent as _qdt._tcp by DNS-SD (Avahi / Bonjour) so\n"
    "                       consoles on the network find it\n"
    "  --advertise-name     the name announced (default \"qdt-agent on <hostname>\")\n"
    "  --platform           auto, linux or macos: which probes fill volumes, drive facts and\n"
    "                       temperatures (default auto = this machine; macos works wherever\n"
    "                       system_profiler, diskutil and powermetrics are on PATH)\n"
    "  --check-config       check the config file and the flags (TLS files readable, fio found),\n"
    "                       print the settings in effect as JSON and exit: 0 when usable\n"
    "  --smartctl           smartctl for drive temperatures, an absolute path, never looked up\n"
    "                       on PATH (default: macOS the one next to qdt-agent, Linux\n"
    "                       /usr/sbin/smartctl)\n"
    "  --tcc-db             macOS: the TCC database whose readability tells whether the agent\n"
    "                       has Full Disk Access (default the system's)\n"
    "  --allow-fio-without-cache-drop\n"
    "                       macOS: run even with an fio older than 3.42, which cannot drop\n"
    "                       cached pages (refused otherwise)\n";

int Usage(const std::string& error) {
  std::cerr << "qdt-agent: " << error << "\n" << kUsage;
  return 2;
}

int Fail(absl::string_view message) {
  std::cerr << "qdt-agent: " << message << "\n";
  return 1;
}

// Everything the flags and the config file say, the flags winning.
struct AgentFlags {
  std::string listen = "127.0.0.1:50551";
  std::string token_file;  // empty = <state_dir>/token
  std::string state_dir = kDefaultStateDir;
  std::string fio;
  std::string port_file;
  uint64_t default_file_size = qdt::kGiB;
  std::string platform = "auto";
  bool advertise = false;
  std::string advertise_name;
  std::string tls_cert, tls_key;
  std::vector<std::string> allowed_targets;
  bool check_config = false;
  bool allow_fio_without_cache_drop = false;
  std::string tcc_db = qdt::agent::kTccDatabase;  // macOS: for the Full Disk Access state
  std::string smartctl;  // empty = the bundled / system one (ResolveSmartctl)
};

// The config file first (wherever --config is), so the flags can override it.
absl::Status ApplyConfigFile(int argc, char** argv, AgentFlags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], path;
    if (arg == "--config" && i + 1 >= argc) {
      return absl::InvalidArgumentError(
          "--config: needs a FILE (the agent's JSON config, e.g. /etc/qdt/agent.json)");
    }
    if (arg == "--config") path = argv[++i];
    if (arg.rfind("--config=", 0) == 0) path = arg.substr(9);
    if (arg != "--config" && arg.rfind("--config=", 0) != 0) continue;
    auto config = qdt::agent::LoadAgentConfig(path);
    if (!config.ok()) return config.status();
    if (!config->listen().empty()) f->listen = config->listen();
    if (!config->token_file().empty()) f->token_file = config->token_file();
    if (!config->state_dir().empty()) f->state_dir = config->state_dir();
    if (!config->fio_path().empty()) f->fio = config->fio_path();
    if (!config->smartctl_path().empty()) f->smartctl = config->smartctl_path();
    if (!config->platform().empty()) f->platform = config->platform();
    if (config->default_file_size_bytes() > 0) {
      f->default_file_size = config->default_file_size_bytes();
    }
    f->tls_cert = config->tls_cert_file();
    f->tls_key = config->tls_key_file();
    f->advertise = config->advertise();
    f->advertise_name = config->advertise_name();
    f->allowed_targets.assign(config->allowed_target_dirs().begin(),
                              config->allowed_target_dirs().end());
    f->allow_fio_without_cache_drop = config->allow_fio_without_cache_drop();
  }
  return absl::OkStatus();
}

// The value of `--name VALUE` or `--name=VALUE` at argv[*i] (advancing *i).
std::optional<std::string> TakeValue(int argc, char** argv, int* i, const std::string& name) {
  const std::string arg = argv[*i];
  if (arg == name) {
    if (*i + 1 >= argc) return std::nullopt;
    return std::string(argv[++*i]);
  }
  if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
  return std::nullopt;
}

// Applies one flag at argv[*i]; an exit code when the program should end.
std::optional<int> ApplyFlag(int argc, char** argv, int* i, AgentFlags* f) {
  const std::string arg = argv[*i];
  struct ValueFlag {
    const char* name;
    std::string* target;
  };
  const ValueFlag value_flags[] = {
      {"--listen", &f->listen},   {"--token-file", &f->token_file}, {"--state-dir", &f->state_dir},
      {"--fio", &f->fio},         {"--port-file", &f->port_file},   {"--tls-cert", &f->tls_cert},
      {"--tls-key", &f->tls_key}, {"--platform", &f->platform},     {"--smartctl", &f->smartctl},
  };
  for (const ValueFlag& v : value_flags) {
    if (auto value = TakeValue(argc, argv, i, v.name)) {
      *v.target = *value;
      return std::nullopt;
    }
  }
  if (arg == "-h" || arg == "--help") {
    std::cout << kUsage;
    return 0;
  } else if (TakeValue(argc, argv, i, "--config")) {
    // read by ApplyConfigFile
  } else if (arg == "--check-config") {
    f->check_config = true;
  } else if (arg == "--allow-fio-without-cache-drop") {
    f->allow_fio_without_cache_drop = true;
  } else if (auto tcc = TakeValue(argc, argv, i, "--tcc-db")) {
    f->tcc_db = *tcc;
  } else if (arg == "--advertise") {
    f->advertise = true;
  } else if (auto name = TakeValue(argc, argv, i, "--advertise-name")) {
    f->advertise = true;
    f->advertise_name = *name;
  } else if (auto size = TakeValue(argc, argv, i, "--default-file-size")) {
    if (!absl::SimpleAtoi(*size, &f->default_file_size) ||
        f->default_file_size < qdt::agent::kMinFileSize ||
        f->default_file_size > qdt::agent::kMaxFileSize) {
      return Usage(absl::StrCat("--default-file-size: ", qdt::QuoteForError(*size),
                                " is not a byte count from 1 MiB (1048576) to 1 TiB"));
    }
  } else {
    return Usage(absl::StrCat("unknown argument \"", arg, "\""));
  }
  return std::nullopt;
}

// The gRPC credentials the flags ask for: plaintext, or TLS from PEM files.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const AgentFlags& f) {
  if (f.tls_cert.empty()) return grpc::InsecureServerCredentials();
  auto cert = qdt::ReadPemFile("--tls-cert", f.tls_cert);
  if (!cert.ok()) return cert.status();
  auto key = qdt::ReadPemFile("--tls-key", f.tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

// --check-config: the settings in effect as JSON (0), or what is wrong (1).
int CheckConfig(const AgentFlags& f) {
  auto fio = qdt::fio::ResolveFioPath(f.fio);
  if (!fio.ok()) return Fail(fio.status().message());
  qdt::v1::AgentConfig effective;
  effective.set_listen(f.listen);
  effective.set_tls_cert_file(f.tls_cert);
  effective.set_tls_key_file(f.tls_key);
  effective.set_token_file(f.token_file);
  effective.set_state_dir(f.state_dir);
  effective.set_fio_path(*fio);
  auto platform = qdt::agent::ParsePlatform(f.platform);
  if (!platform.ok()) return Fail(platform.status().message());
  const qdt::agent::SmartctlChoice smartctl = qdt::agent::ResolveSmartctl(
      f.smartctl, *platform == qdt::agent::Platform::kMacOS, qdt::agent::SelfExecutablePath());
  // An explicit --smartctl that cannot be used is an error; a missing default is not.
  if (!f.smartctl.empty() && smartctl.path.empty()) return Fail(smartctl.note);
  effective.set_smartctl_path(smartctl.path);
  for (const auto& dir : f.allowed_targets) effective.add_allowed_target_dirs(dir);
  // A typo here would refuse every start on that drive: an error now. (A
  // serving agent only warns: a show drive may be plugged in later.)
  if (auto missing = qdt::agent::MissingAllowedTargetDirs(f.allowed_targets); !missing.empty()) {
    return Fail(absl::StrCat("allowed_target_dirs: not an existing folder: ",
                             absl::StrJoin(missing, "; ")));
  }
  effective.set_advertise(f.advertise);
  effective.set_advertise_name(f.advertise_name);
  effective.set_platform(f.platform);
  effective.set_default_file_size_bytes(f.default_file_size);
  effective.set_allow_fio_without_cache_drop(f.allow_fio_without_cache_drop);
  auto json = qdt::ProtoToJson(effective);
  if (!json.ok()) return Fail(json.status().message());
  std::cout << *json;
  return 0;
}

}  // namespace

// `qdt-agent doctor [--platform P] [--fio PATH] [--target DIR] [--file-size BYTES]
// [--allow-fio-without-cache-drop] [--tcc-db PATH]`: is this machine ready to
// test? (agent/doctor.h). Exit 0 ready, 1 warnings, 2 not ready (or a usage error).
int Doctor(int argc, char** argv) {
  qdt::agent::DoctorOptions o;
  o.state_dir = kDefaultStateDir;
  std::string platform_flag = "auto";
  uint64_t file_size = 1ull << 30;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--platform" && has_value) {
      platform_flag = argv[++i];
    } else if (arg == "--fio" && has_value) {
      o.fio_path = argv[++i];
    } else if (arg == "--target" && has_value) {
      o.target = argv[++i];
    } else if (arg == "--tcc-db" && has_value) {
      o.tcc_db = argv[++i];
    } else if (arg == "--smartctl" && has_value) {
      o.smartctl = argv[++i];
    } else if (arg == "--state-dir" && has_value) {
      o.state_dir = argv[++i];
    } else if (arg == "--file-size" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &file_size) || file_size == 0) {
        std::cerr << "qdt-agent doctor: --file-size: \"" << argv[i] << "\" is not a byte count\n";
        return 2;
      }
    } else if (arg == "--allow-fio-without-cache-drop") {
      o.allow_fio_without_cache_drop = true;
    } else {
      std::cerr << "qdt-agent doctor: unknown argument \"" << arg << "\"\n";
      return 2;
    }
  }
  auto platform = qdt::agent::ParsePlatform(platform_flag);
  if (!platform.ok()) {
    std::cerr << "qdt-agent doctor: " << platform.status().message() << "\n";
    return 2;
  }
  o.platform = *platform;
  o.agent_path = qdt::agent::SelfExecutablePath();
  const qdt::agent::SmartctlChoice smartctl = qdt::agent::ResolveSmartctl(
      o.smartctl, o.platform == qdt::agent::Platform::kMacOS, o.agent_path);
  o.smartctl = smartctl.path;
  o.smartctl_note = smartctl.note;
  auto profile = qdt::BuiltinProfile("setup-check");
  if (profile.ok()) {
    o.needed_bytes = qdt::fio::FileCount(*profile) * file_size + (256ull << 20);
  }
  qdt::agent::SystemCommandRunner commands;
  o.commands = &commands;
  const auto checks = qdt::agent::RunDoctor(o);
  std::cout << qdt::agent::FormatDoctor(checks);
  return qdt::agent::DoctorExitCode(checks);
}

// `qdt-agent probe [--platform=auto|linux|macos]`: one-shot JSON of what this
// machine offers for testing.
int Probe(int argc, char** argv) {
  std::string platform_flag = "auto";
  std::string smartctl_flag;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (auto value = TakeValue(argc, argv, &i, "--smartctl")) {
      smartctl_flag = *value;
    } else if (arg.rfind("--platform=", 0) == 0) {
      platform_flag = arg.substr(11);
    } else if (arg == "--platform" && i + 1 < argc) {
      platform_flag = argv[++i];
    } else {
      std::cerr << "qdt-agent probe: unknown argument \"" << arg << "\"\n";
      return 2;
    }
  }
  auto platform = qdt::agent::ParsePlatform(platform_flag);
  if (!platform.ok()) {
    std::cerr << "qdt-agent probe: " << platform.status().message() << "\n";
    return 2;
  }
  const bool macos = *platform == qdt::agent::Platform::kMacOS;
  const qdt::agent::SmartctlChoice smartctl =
      qdt::agent::ResolveSmartctl(smartctl_flag, macos, qdt::agent::SelfExecutablePath());
  qdt::agent::SystemCommandRunner commands;
  qdt::agent::ProbeReport report = macos ? qdt::agent::ProbeMacos(&commands, smartctl.path)
                                         : qdt::agent::ProbeLinux(&commands, smartctl.path, "/sys");
  if (smartctl.path.empty()) report.notes.push_back(smartctl.note);
  nlohmann::ordered_json out;
  out["platform"] = report.platform;
  out["volumes"] = nlohmann::ordered_json::array();
  for (const auto& v : report.volumes) {
    auto json = qdt::ProtoToJson(v, {.pretty = false, .always_print_primitive = true});
    if (!json.ok()) return Fail(json.status().message());
    out["volumes"].push_back(nlohmann::ordered_json::parse(*json));
  }
  if (report.drive_temperature_c) {
    out["drive_temperature_c"] = *report.drive_temperature_c;
  } else {
    out["drive_temperature_c"] = nullptr;  // unknown, never 0
  }
  out["temperature_source"] = report.temperature_source;
  out["thermal_pressure"] = qdt::v1::ThermalPressure_Name(report.thermal_pressure);
  out["qlab_running"] = report.qlab_running;
  out["drive_activity_mb_s"] = report.drive_activity_mb_s;
  if (report.cpu_speed_limit) {
    out["cpu_speed_limit"] = *report.cpu_speed_limit;
  } else {
    out["cpu_speed_limit"] = nullptr;  // not reported (Linux, Apple Silicon)
  }
  out["notes"] = report.notes;
  std::cout << out.dump(2) << "\n";
  return 0;
}

namespace {

// Volumes for ListVolumes. On macOS one probe at start finds the internal
// drive for smartctl; ListVolumes probes again on every call (drives come and go).
qdt::agent::VolumeLister MakeVolumeLister(bool macos, qdt::agent::CommandRunner* commands,
                                          qdt::agent::ThermalMonitor* thermal) {
  if (!macos) return [] { return qdt::agent::ListVolumes("/sys"); };
  std::vector<std::string> notes;
  std::string internal_device;
  auto volumes = qdt::agent::ProbeMacosVolumes(commands, &notes, &internal_device);
  for (const auto& n : notes) QDT_LOG(Warning) << "probe: " << n;
  QDT_LOG(Info) << "macOS probes: " << volumes.size() << " volumes, internal drive "
                << (internal_device.empty() ? "unknown" : internal_device);
  if (!internal_device.empty()) thermal->SetSmartDevice(internal_device);
  return [commands]() -> absl::StatusOr<std::vector<qdt::v1::Volume>> {
    std::vector<std::string> call_notes;
    std::string internal;
    auto v = qdt::agent::ProbeMacosVolumes(commands, &call_notes, &internal);
    for (const auto& n : call_notes) QDT_LOG(Warning) << "probe: " << n;
    if (v.empty() && !call_notes.empty()) return absl::UnavailableError(call_notes.front());
    return v;
  };
}

// The DNS-SD announcement, when asked for; a missing publisher is only a warning.
std::unique_ptr<qdt::agent::Advertiser> Advertise(const AgentFlags& f,
                                                  qdt::agent::Platform platform, int port) {
  if (!f.advertise) return nullptr;
  std::string name = f.advertise_name;
  if (name.empty()) {
    char hostname[256] = {0};
    ::gethostname(hostname, sizeof(hostname) - 1);
    name = absl::StrCat("qdt-agent on ", hostname);
  }
  auto a = qdt::agent::Advertiser::Start(platform, name, port, f.state_dir);
  if (!a.ok()) {
    QDT_LOG(Warning) << a.status().message();
    return nullptr;
  }
  QDT_LOG(Info) << "advertising \"" << name << "\" as " << qdt::agent::kServiceType << " on port "
                << port;
  return *std::move(a);
}

// Blocks the stop signals in this thread and every thread started after it,
// so that only sigwait() in Serve() takes them.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

// The thermal monitor's sources: smartctl (bundled, by its absolute path)
// and on a Mac the native pressure reader; the smartctl chosen is returned.
qdt::agent::SmartctlChoice SetUpThermal(const AgentFlags& f, bool macos,
                                        qdt::agent::ThermalMonitor* thermal) {
  const qdt::agent::SmartctlChoice smartctl =
      qdt::agent::ResolveSmartctl(f.smartctl, macos, qdt::agent::SelfExecutablePath());
  // Without a usable smartctl the agent still tests; it reports no drive
  // temperature (and GetInfo's readiness says why).
  if (smartctl.path.empty() && (macos || !f.smartctl.empty())) {
    QDT_LOG(Warning) << smartctl.note << ": no drive temperature";
  }
  thermal->SetSmartctl(smartctl.path, smartctl.note);
  if (macos) {
    // On a Mac the pressure comes from notify(3), no child process; elsewhere
    // (--platform=macos on Linux, the tests) from powermetrics.
    if (auto native = qdt::agent::NativePressureSource())
      thermal->SetPressureSource(std::move(native));
  }
  return smartctl;
}

// GetInfo(readiness): the doctor's list without a target (doctor.h).
std::function<std::vector<qdt::agent::DoctorCheck>()> Readiness(
    const AgentFlags& f, qdt::agent::Platform platform, const std::string& fio_path,
    const qdt::agent::SmartctlChoice& smartctl, qdt::agent::CommandRunner* commands) {
  qdt::agent::DoctorOptions doctor;
  doctor.platform = platform;
  doctor.fio_path = fio_path;
  doctor.allow_fio_without_cache_drop = f.allow_fio_without_cache_drop;
  doctor.agent_path = qdt::agent::SelfExecutablePath();
  doctor.tcc_db = f.tcc_db;
  doctor.smartctl = smartctl.path;
  doctor.smartctl_note = smartctl.note;
  doctor.commands = commands;
  doctor.state_dir = f.state_dir;
  return [doctor] { return qdt::agent::RunDoctor(doctor); };
}

// Raises the soft limit on open descriptors to the hard limit: every client
// connection is a descriptor, and at the usual soft limit of 1024 (256 on
// macOS) a burst of idle connections used them all (issue 15). Logs the limit
// in effect.
void RaiseOpenFileLimit() {
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    QDT_LOG(Warning) << "open files: cannot read the limit: " << std::strerror(errno);
    return;
  }
  const rlim_t before = rl.rlim_cur;
  rlim_t want = rl.rlim_max;
#if defined(__APPLE__)
  // getrlimit(2) on macOS, COMPATIBILITY: setrlimit() no longer accepts
  // rlim_cur = RLIM_INFINITY for RLIMIT_NOFILE ("Use rlim_cur =
  // min(OPEN_MAX, rlim_max)"), and the kernel caps a process at
  // kern.maxfilesperproc whatever the hard limit says (launchd's default hard
  // limit is "unlimited").
  int per_proc = 0;
  size_t len = sizeof(per_proc);
  if (::sysctlbyname("kern.maxfilesperproc", &per_proc, &len, nullptr, 0) == 0 && per_proc > 0) {
    want = std::min<rlim_t>(want, static_cast<rlim_t>(per_proc));
  } else {
    want = std::min<rlim_t>(want, OPEN_MAX);
  }
#endif
  if (want > before) {
    rl.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      QDT_LOG(Warning) << "open files: cannot raise the limit from " << before << " to " << want
                       << ": " << std::strerror(errno);
      return;
    }
    QDT_LOG(Info) << "open files: limit raised from " << before << " to " << want;
  } else {
    QDT_LOG(Info) << "open files: limit " << before << " (the hard limit)";
  }
}

// Set by GrpcLog when gRPC's listener failed to accept a connection.
std::atomic<bool> g_accept_failed{false};

// gRPC's log (errors only, unless GRPC_VERBOSITY asks for more) in the agent's
// format. gRPC 1.51's listener (src/core/lib/iomgr/tcp_server_posix.cc,
// on_read) stops for good after an accept4() error other than EAGAIN,
// ECONNABORTED or EINTR: at the descriptor limit it logs "Failed accept4: Too
// many open files" once and never accepts again, even after every connection
// closed (grpc/grpc#16058, #20418, #31080; measured here: deaf for good). That
// line is the only sign of it, so it is watched for, and the server rebuilt.
void GrpcLog(gpr_log_func_args* args) {
  const char* message = args->message != nullptr ? args->message : "";
  if (std::strstr(message, "Failed accept") != nullptr) g_accept_failed.store(true);
  const qdt::LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? qdt::LogLevel::kError
                              : args->severity == GPR_LOG_SEVERITY_INFO ? qdt::LogLevel::kInfo
                                                                        : qdt::LogLevel::kDebug;
  qdt::LogLine(level, args->file, args->line, absl::StrCat("grpc: ", message));
}

// The gRPC server, rebuilt on the same port when its listener died (above).
// Connections are bounded in time so that idle or half-open ones do not pile
// up, without touching a console that watches a 2.5 h run: a WatchRun stream
// is a call, so its connection is never idle, and keepalive pings keep it.
class ServerKeeper {
 public:
  ServerKeeper(std::shared_ptr<grpc::ServerCredentials> credentials,
               qdt::agent::AgentService* service)
      : credentials_(std::move(credentials)), service_(service) {}
  ~ServerKeeper() { Stop(); }

  // Listens on `listen` ("HOST:PORT", port 0 = any); the port, 0 on failure.
  int Start(const std::string& listen) {
    absl::MutexLock lock(&mu_);
    host_ = listen.substr(0, listen.rfind(':'));
    server_ = Build(listen, &port_);
    if (server_ == nullptr) return 0;
    thread_ = std::thread([this] { Maintain(); });
    return port_;
  }

  // Shuts the server down (2 s for calls to end) and ends the maintenance.
  void Stop() {
    std::unique_ptr<grpc::Server> server;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      server = std::move(server_);
    }
    if (thread_.joinable()) thread_.join();
    if (server != nullptr) {
      server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    }
    service_->FlushLogs(/*all=*/true);
  }

 private:
  std::unique_ptr<grpc::Server> Build(const std::string& address, int* port) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, credentials_, port);
    builder.RegisterService(service_);
    // A TCP connection that never completes the HTTP/2 (and TLS) handshake
    // is closed after 10 s, not gRPC's 120 s.
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
    // No call for 10 min: closed (GOAWAY; a client reconnects on its next call).
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60'000);
    // Pings a quiet client every 60 s and drops it after 20 s without an
    // answer: a console that vanished (laptop closed) frees its connection.
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // The console pings every 10 s, also with no call open
    // (console/app/agent_link.cc); gRPC's server default (one ping per 5 min
    // without data) would answer that with GOAWAY "too_many_pings".
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
    // A console has a handful of calls open (watch, telemetry, polls).
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 64);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr || *port == 0) return nullptr;
    return server;
  }

  // Once a second: the throttled log lines, and a dead listener replaced.
  void Maintain() {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
      if (stopping_) break;
      service_->FlushLogs();
      if (server_ != nullptr && !g_accept_failed.exchange(false)) continue;
      // Shutting the old server down closes every connection it holds (the
      // burst's too), which gives the descriptors back.
      if (server_ != nullptr) {
        QDT_LOG(Warning) << "the gRPC listener stopped accepting (descriptor limit reached): "
                         << "restarting the server on port " << port_
                         << "; connected clients reconnect";
        server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
        server_.reset();
      }
      int port = 0;
      server_ = Build(absl::StrCat(host_, ":", port_), &port);
      if (server_ == nullptr) {
        QDT_LOG(Error) << "cannot listen on " << host_ << ":" << port_ << " again; retrying";
      } else {
        QDT_LOG(Info) << "listening on " << host_ << ":" << port_ << " again";
      }
    }
  }

  const std::shared_ptr<grpc::ServerCredentials> credentials_;
  qdt::agent::AgentService* const service_;
  absl::Mutex mu_;
  std::string host_ ABSL_GUARDED_BY(mu_);
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The serving agent: store, token, fio, probes, recovery, gRPC, then waits
// for SIGTERM / SIGINT / SIGHUP and shuts down cleanly.
int Serve(const AgentFlags& f, qdt::agent::Platform platform,
          std::shared_ptr<grpc::ServerCredentials> credentials, const qdt::agent::Clock* clock) {
  const sigset_t stop_signals = BlockStopSignals();
  RaiseOpenFileLimit();
  gpr_set_log_function(GrpcLog);
  qdt::agent::RunStore store(f.state_dir);
  if (auto st = store.Init(); !st.ok()) return Fail(st.message());
  auto token = qdt::agent::LoadOrCreateToken(f.token_file, /*create_if_missing=*/true);
  if (!token.ok()) return Fail(token.status().message());
  auto fio_path = qdt::fio::ResolveFioPath(f.fio);
  if (!fio_path.ok()) return Fail(fio_path.status().message());
  auto fio_version = qdt::fio::FioVersion(*fio_path);
  if (!fio_version.ok()) return Fail(fio_version.status().message());

  qdt::agent::SystemCommandRunner commands;
  qdt::agent::ThermalMonitor thermal(&commands, platform, "/sys");
  const bool macos = platform == qdt::agent::Platform::kMacOS;
  const qdt::agent::SmartctlChoice smartctl = SetUpThermal(f, macos, &thermal);
  qdt::agent::VolumeLister list_volumes = MakeVolumeLister(macos, &commands, &thermal);
  // Samples only while a run or a WatchTelemetry stream needs it (thermal_monitor.h).
  thermal.Start();

  qdt::agent::RunManagerOptions options;
  options.fio_path = *fio_path;
  const qdt::agent::FioIoPolicy io_policy = qdt::agent::ChooseFioIoPolicy(platform);
  if (macos && !io_policy.set) QDT_LOG(Warning) << "fio I/O policy " << io_policy.description;
  options.fio_wrapper = io_policy.wrapper;
  options.io_policy = io_policy.description;
  options.thermal = &thermal;
  options.commands = &commands;
  options.default_file_size = f.default_file_size;
  options.allowed_target_dirs = f.allowed_targets;
  for (const std::string& m : qdt::agent::MissingAllowedTargetDirs(f.allowed_targets)) {
    QDT_LOG(Warning) << "allowed_target_dirs: " << m
                     << " (kept: runs there are refused until it exists)";
  }
  options.platform = platform;
  const std::string fio_cache_problem = qdt::fio::FioCacheDropProblem(macos, *fio_version);
  if (!fio_cache_problem.empty()) QDT_LOG(Warning) << fio_cache_problem;
  options.fio_cache_problem = fio_cache_problem;
  options.allow_fio_without_cache_drop = f.allow_fio_without_cache_drop;
  options.clock = clock;
  qdt::agent::RunManager runs(&store, options);
  if (auto st = runs.Recover(); !st.ok()) {
    return Fail(absl::StrCat("recovering earlier runs: ", st.message()));
  }
  qdt::agent::AgentIdentity identity{QDT_VERSION,          *fio_path,
                                     *fio_version,         macos ? "macos" : "linux",
                                     fio_cache_problem,    macos ? f.tcc_db : "",
                                     io_policy.description};
  identity.readiness = Readiness(f, platform, *fio_path, smartctl, &commands);
  identity.clock = clock;
  qdt::agent::AgentService service(&runs, *token, identity, &thermal, list_volumes);
  ServerKeeper server(std::move(credentials), &service);
  const int bound_port = server.Start(f.listen);
  if (bound_port == 0) {
    return Fail(absl::StrCat("cannot listen on ", f.listen, " (address in use or invalid)"));
  }
  QDT_LOG(Info) << "qdt-agent " << QDT_VERSION << " listening on "
                << f.listen.substr(0, f.listen.rfind(':')) << ":" << bound_port
                << (f.tls_cert.empty() ? " (plaintext)" : " (TLS)") << ", state " << f.state_dir
                << ", fio " << *fio_path << " (" << *fio_version << ")";
  if (!f.port_file.empty()) {
    if (auto st = qdt::WriteFileAtomically(f.port_file, absl::StrCat(bound_port, "\n")); !st.ok()) {
      QDT_LOG(Error) << st;
    }
  }
  std::unique_ptr<qdt::agent::Advertiser> advertiser = Advertise(f, platform, bound_port);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  QDT_LOG(Info) << "signal " << sig << " (" << strsignal(sig) << "): shutting down";
  advertiser.reset();
  runs.Shutdown();  // the active run ends INTERRUPTED; watchers get its last events
  server.Stop();
  QDT_LOG(Info) << "stopped";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "probe") return Probe(argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "doctor") return Doctor(argc, argv);
  AgentFlags flags;
  if (auto st = ApplyConfigFile(argc, argv, &flags); !st.ok()) {
    std::cerr << "qdt-agent: " << st.message() << "\n";
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    if (auto exit_code = ApplyFlag(argc, argv, &i, &flags)) return *exit_code;
  }
  if (flags.token_file.empty()) flags.token_file = flags.state_dir + "/token";
  auto platform = qdt::agent::ParsePlatform(flags.platform);
  if (!platform.ok()) return Usage(std::string(platform.status().message()));
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Usage(flags.tls_cert.empty() ? "--tls-cert: needed with --tls-key"
                                        : "--tls-key: needed with --tls-cert");
  }
  // Before anything can start a thread (gRPC's init, reached through
  // Credentials, does): a thread that does not block the stop signals would
  // take SIGTERM with its default action and end the agent without its clean
  // shutdown (seen as a test agent killed by signal 15). Serve waits for them.
  if (!flags.check_config) BlockStopSignals();
  auto credentials = Credentials(flags);
  if (!credentials.ok()) return Fail(credentials.status().message());
  if (flags.check_config) return CheckConfig(flags);
  // The agent's wall clock; QDT_TEST_CLOCK_OFFSET_MS shifts it for tests of
  // clocks that disagree (agent/clock.h, docs/CLOCKS.md). Test only: not a
  // flag and not in --help.
  auto clock = qdt::agent::AgentClockFromEnvironment();
  if (!clock.ok()) return Fail(clock.status().message());
  if (const auto* shifted = dynamic_cast<const qdt::agent::OffsetClock*>(clock->get())) {
    QDT_LOG(Warning) << "TEST ONLY: this agent's clock runs "
                     << absl::ToInt64Milliseconds(shifted->offset()) << " ms off the system's ("
                     << qdt::agent::kTestClockOffsetEnv << "); never set it on a show Mac";
  }
  return Serve(flags, *platform, *std::move(credentials), clock->get());
}
