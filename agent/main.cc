// qdt-agent: the headless daemon on each show machine. Thin main: flags, the
// token, the run store, recovery of runs a previous agent left, the gRPC
// server, and a clean shutdown on SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_service.h"
#include "agent/config.h"
#include "agent/discovery.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"
#include "agent/probes/platform_probe.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run_manager.h"
#include "agent/run_store.h"
#include "agent/token.h"
#include "agent/volumes.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/pem.h"
#include "fio/fio_runner.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace {

#if defined(__APPLE__)
constexpr char kDefaultStateDir[] = "/Library/Application Support/QDT";
#else
constexpr char kDefaultStateDir[] = "/var/lib/qdt";
#endif

constexpr char kUsage[] =
    "usage: qdt-agent probe      one-shot JSON: volumes, temperature sources, thermal pressure, "
    "QLab\n"
    "       qdt-agent [--config FILE] [--listen HOST:PORT] [--token-file FILE] [--state-dir DIR] "
    "[--fio PATH]\n"
    "                 [--port-file FILE] [--default-file-size BYTES] [--platform NAME]\n"
    "                 [--check-config]\n"
    "  --config             a JSON AgentConfig (listen, tls_cert_file, tls_key_file, token_file,\n"
    "                       state_dir, fio_path, allowed_target_dirs, advertise, advertise_name,\n"
    "                       platform, default_file_size_bytes); flags override it\n"
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
    "                       system_profiler, diskutil, smartctl and powermetrics are on PATH)\n"
    "  --check-config       check the config file and the flags (TLS files readable, fio found),\n"
    "                       print the settings in effect as JSON and exit: 0 when usable\n";

int Usage(const std::string& error) {
  std::cerr << "qdt-agent: " << error << "\n" << kUsage;
  return 2;
}

}  // namespace

// `qdt-agent probe [--platform=auto|linux|macos]`: one-shot JSON of what this
// machine offers for testing.
int Probe(int argc, char** argv) {
  std::string platform_flag = "auto";
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--platform=", 0) == 0) {
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
  qdt::agent::SystemCommandRunner commands;
  qdt::agent::ProbeReport report = *platform == qdt::agent::Platform::kMacOS
                                       ? qdt::agent::ProbeMacos(&commands)
                                       : qdt::agent::ProbeLinux(&commands, "/sys");
  nlohmann::ordered_json out;
  out["platform"] = report.platform;
  out["volumes"] = nlohmann::ordered_json::array();
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  for (const auto& v : report.volumes) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(v, &json, opts);
    out["volumes"].push_back(nlohmann::ordered_json::parse(json));
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

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "probe") return Probe(argc, argv);
  std::string listen = "127.0.0.1:50551";
  std::string token_file;
  std::string state_dir = kDefaultStateDir;
  std::string fio_flag;
  std::string port_file;
  uint64_t default_file_size = qdt::kGiB;
  std::string platform_flag = "auto";
  bool advertise = false;
  std::string tls_cert, tls_key;
  std::string advertise_name;
  std::vector<std::string> allowed_targets;
  bool check_config = false;
  // The config file first (wherever --config is), then the flags over it.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], path;
    if (arg == "--config" && i + 1 < argc) path = argv[i + 1];
    if (arg.rfind("--config=", 0) == 0) path = arg.substr(9);
    if (path.empty()) continue;
    auto config = qdt::agent::LoadAgentConfig(path);
    if (!config.ok()) {
      std::cerr << "qdt-agent: " << config.status().message() << "\n";
      return 2;
    }
    if (!config->listen().empty()) listen = config->listen();
    if (!config->token_file().empty()) token_file = config->token_file();
    if (!config->state_dir().empty()) state_dir = config->state_dir();
    if (!config->fio_path().empty()) fio_flag = config->fio_path();
    if (!config->platform().empty()) platform_flag = config->platform();
    if (config->default_file_size_bytes() > 0)
      default_file_size = config->default_file_size_bytes();
    tls_cert = config->tls_cert_file();
    tls_key = config->tls_key_file();
    advertise = config->advertise();
    advertise_name = config->advertise_name();
    allowed_targets.assign(config->allowed_target_dirs().begin(),
                           config->allowed_target_dirs().end());
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto take = [&](const std::string& name) {
      if (arg == name) {
        if (i + 1 >= argc) return false;
        value = argv[++i];
        return true;
      }
      if (arg.rfind(name + "=", 0) == 0) {
        value = arg.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (take("--listen")) {
      listen = value;
    } else if (take("--token-file")) {
      token_file = value;
    } else if (take("--state-dir")) {
      state_dir = value;
    } else if (take("--fio")) {
      fio_flag = value;
    } else if (take("--port-file")) {
      port_file = value;
    } else if (take("--config")) {
      // read above
    } else if (take("--tls-cert")) {
      tls_cert = value;
    } else if (take("--tls-key")) {
      tls_key = value;
    } else if (arg == "--check-config") {
      check_config = true;
    } else if (arg == "--advertise") {
      advertise = true;
    } else if (take("--advertise-name")) {
      advertise = true;
      advertise_name = value;
    } else if (take("--platform")) {
      platform_flag = value;
    } else if (take("--default-file-size")) {
      if (!absl::SimpleAtoi(value, &default_file_size) || default_file_size < qdt::kMiB) {
        return Usage(
            absl::StrCat("--default-file-size: \"", value, "\" is not a byte count >= 1 MiB"));
      }
    } else {
      return Usage(absl::StrCat("unknown argument \"", arg, "\""));
    }
  }
  if (token_file.empty()) token_file = state_dir + "/token";
  auto platform = qdt::agent::ParsePlatform(platform_flag);
  if (!platform.ok()) return Usage(std::string(platform.status().message()));
  if (tls_cert.empty() != tls_key.empty()) {
    return Usage(tls_cert.empty() ? "--tls-cert: needed with --tls-key"
                                  : "--tls-key: needed with --tls-cert");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!tls_cert.empty()) {
    auto cert = qdt::ReadPemFile("--tls-cert", tls_cert);
    auto key = qdt::ReadPemFile("--tls-key", tls_key);
    if (!cert.ok() || !key.ok()) {
      std::cerr << "qdt-agent: " << (!cert.ok() ? cert : key).status().message() << "\n";
      return 1;
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }

  if (check_config) {
    auto fio = qdt::fio::ResolveFioPath(fio_flag);
    if (!fio.ok()) {
      std::cerr << "qdt-agent: " << fio.status().message() << "\n";
      return 1;
    }
    qdt::v1::AgentConfig effective;
    effective.set_listen(listen);
    effective.set_tls_cert_file(tls_cert);
    effective.set_tls_key_file(tls_key);
    effective.set_token_file(token_file);
    effective.set_state_dir(state_dir);
    effective.set_fio_path(*fio);
    for (const auto& dir : allowed_targets) effective.add_allowed_target_dirs(dir);
    effective.set_advertise(advertise);
    effective.set_advertise_name(advertise_name);
    effective.set_platform(platform_flag);
    effective.set_default_file_size_bytes(default_file_size);
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(effective, &json, print);
    std::cout << json;
    return 0;
  }

  // Signals are taken by sigwait() below; block them before any thread starts
  // so that gRPC's and the runs' threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  qdt::agent::RunStore store(state_dir);
  if (auto st = store.Init(); !st.ok()) {
    std::cerr << "qdt-agent: " << st.message() << "\n";
    return 1;
  }
  auto token = qdt::agent::LoadOrCreateToken(token_file, /*create_if_missing=*/true);
  if (!token.ok()) {
    std::cerr << "qdt-agent: " << token.status().message() << "\n";
    return 1;
  }
  auto fio_path = qdt::fio::ResolveFioPath(fio_flag);
  if (!fio_path.ok()) {
    std::cerr << "qdt-agent: " << fio_path.status().message() << "\n";
    return 1;
  }
  auto fio_version = qdt::fio::FioVersion(*fio_path);
  if (!fio_version.ok()) {
    std::cerr << "qdt-agent: " << fio_version.status().message() << "\n";
    return 1;
  }

  qdt::agent::SystemCommandRunner commands;
  qdt::agent::ThermalMonitor thermal(&commands, *platform, "/sys");
  const bool macos = *platform == qdt::agent::Platform::kMacOS;
  qdt::agent::VolumeLister list_volumes = [] { return qdt::agent::ListVolumes("/sys"); };
  if (macos) {
    // One probe at start finds the internal drive for smartctl; ListVolumes
    // probes again on every call (drives come and go).
    std::vector<std::string> notes;
    std::string internal_device;
    auto volumes = qdt::agent::ProbeMacosVolumes(&commands, &notes, &internal_device);
    for (const auto& n : notes) QDT_LOG(Warning) << "probe: " << n;
    QDT_LOG(Info) << "macOS probes: " << volumes.size() << " volumes, internal drive "
                  << (internal_device.empty() ? "unknown" : internal_device);
    if (!internal_device.empty()) thermal.SetSmartDevice(internal_device);
    list_volumes = [&commands]() -> absl::StatusOr<std::vector<qdt::v1::Volume>> {
      std::vector<std::string> call_notes;
      std::string internal;
      auto v = qdt::agent::ProbeMacosVolumes(&commands, &call_notes, &internal);
      for (const auto& n : call_notes) QDT_LOG(Warning) << "probe: " << n;
      if (v.empty() && !call_notes.empty()) return absl::UnavailableError(call_notes.front());
      return v;
    };
  }
  thermal.Start();

  qdt::agent::RunManagerOptions options;
  options.fio_path = *fio_path;
  options.thermal = &thermal;
  options.commands = &commands;
  options.default_file_size = default_file_size;
  options.allowed_target_dirs = allowed_targets;
  qdt::agent::RunManager runs(&store, options);
  if (auto st = runs.Recover(); !st.ok()) {
    std::cerr << "qdt-agent: recovering earlier runs: " << st.message() << "\n";
    return 1;
  }

  qdt::agent::AgentService service(
      &runs, *token, {QDT_VERSION, *fio_path, *fio_version, macos ? "macos" : "linux"}, &thermal,
      list_volumes);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(listen, credentials, &bound_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    std::cerr << "qdt-agent: cannot listen on " << listen << " (address in use or invalid)\n";
    return 1;
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  QDT_LOG(Info) << "qdt-agent " << QDT_VERSION << " listening on " << host << ":" << bound_port
                << (tls_cert.empty() ? " (plaintext)" : " (TLS)") << ", state " << state_dir
                << ", fio " << *fio_path << " (" << *fio_version << ")";
  if (!port_file.empty()) {
    if (auto st = qdt::WriteFileAtomically(port_file, absl::StrCat(bound_port, "\n"));
        !st.ok()) {
      QDT_LOG(Error) << st;
    }
  }

  std::unique_ptr<qdt::agent::Advertiser> advertiser;
  if (advertise) {
    if (advertise_name.empty()) {
      char hostname[256] = {0};
      ::gethostname(hostname, sizeof(hostname) - 1);
      advertise_name = absl::StrCat("qdt-agent on ", hostname);
    }
    auto a = qdt::agent::Advertiser::Start(*platform, advertise_name, bound_port, state_dir);
    if (a.ok()) {
      advertiser = std::move(*a);
      QDT_LOG(Info) << "advertising \"" << advertise_name << "\" as " << qdt::agent::kServiceType
                    << " on port " << bound_port;
    } else {
      QDT_LOG(Warning) << a.status().message();
    }
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  QDT_LOG(Info) << "signal " << sig << " (" << strsignal(sig) << "): shutting down";
  advertiser.reset();
  runs.Shutdown();  // the active run ends INTERRUPTED; watchers get its last events
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  QDT_LOG(Info) << "stopped";
  return 0;
}
