#include "tests/integration/harness.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/token.h"
#include "console/client/agent_client.h"
#include "fio/fio_runner.h"
#include "gtest/gtest.h"

namespace qdt::testing {

TempDir::TempDir(const std::string& prefix) {
  std::string base = std::string(QDT_BINARY_DIR) + "/test-tmp";
  ::mkdir(base.c_str(), 0755);
  std::string tmpl = absl::StrCat(base, "/", prefix, "-XXXXXX");
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (!path_.empty()) RemoveTree(path_);
}

void RemoveTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        RemoveTree(path + "/" + name);
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::set<std::string> TreeListing(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    out.insert(path);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      for (const std::string& inner : TreeListing(path)) out.insert(inner);
    }
  }
  ::closedir(d);
  return out;
}

absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC's codes are absl's, number for number (both are google.rpc.Code).
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

InProcessAgent::InProcessAgent(agent::RunManagerOptions options, agent::VolumeLister list_volumes)
    : state_("state") {
  token_ = "test-token-0123456789abcdef";
  store_ = std::make_unique<agent::RunStore>(state_.path());
  EXPECT_TRUE(store_->Init().ok());
  if (options.fio_path.empty()) {
    auto fio = fio::ResolveFioPath("");
    EXPECT_TRUE(fio.ok()) << fio.status();
    options.fio_path = fio.ok() ? *fio : "/usr/bin/fio";
  }
  runs_ = std::make_unique<agent::RunManager>(store_.get(), options);
  EXPECT_TRUE(runs_->Recover().ok());
  service_ = std::make_unique<agent::AgentService>(
      runs_.get(), token_, agent::AgentIdentity{"test", options.fio_path, "fio-test"},
      options.thermal, std::move(list_volumes));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  EXPECT_NE(port, 0);
  address_ = absl::StrCat("127.0.0.1:", port);
  stub_ = NewStub();
}

InProcessAgent::~InProcessAgent() {
  runs_->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
}

std::unique_ptr<qdt::v1::Agent::Stub> InProcessAgent::NewStub() const {
  return qdt::v1::Agent::NewStub(client::MakeChannel(address_));
}

void InProcessAgent::Auth(grpc::ClientContext* ctx, bool stream) const {
  client::PrepareContext(ctx, token_, stream ? absl::ZeroDuration() : absl::Seconds(30));
}

template <typename Request, typename Response>
absl::StatusOr<Response> InProcessAgent::Call(
    grpc::Status (qdt::v1::Agent::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  grpc::ClientContext ctx;
  Auth(&ctx);
  Response response;
  absl::Status status = ToAbslStatus(((*stub_).*rpc)(&ctx, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<qdt::v1::Run> InProcessAgent::StartRun(const qdt::v1::StartRunRequest& request) {
  return Call(&qdt::v1::Agent::Stub::StartRun, request);
}

absl::StatusOr<qdt::v1::Run> InProcessAgent::StopRun(const std::string& run_id) {
  qdt::v1::StopRunRequest request;
  request.set_run_id(run_id);
  return Call(&qdt::v1::Agent::Stub::StopRun, request);
}

absl::StatusOr<qdt::v1::RunRecord> InProcessAgent::GetRun(const std::string& run_id) {
  qdt::v1::GetRunRequest request;
  request.set_run_id(run_id);
  return Call(&qdt::v1::Agent::Stub::GetRun, request);
}

absl::StatusOr<qdt::v1::AgentInfo> InProcessAgent::GetInfo() {
  return Call(&qdt::v1::Agent::Stub::GetInfo, qdt::v1::GetInfoRequest());
}

absl::StatusOr<qdt::v1::ListRunsResponse> InProcessAgent::ListRuns(uint32_t limit) {
  qdt::v1::ListRunsRequest request;
  request.set_limit(limit);
  return Call(&qdt::v1::Agent::Stub::ListRuns, request);
}

absl::StatusOr<qdt::v1::ListVolumesResponse> InProcessAgent::ListVolumes() {
  return Call(&qdt::v1::Agent::Stub::ListVolumes, qdt::v1::ListVolumesRequest());
}

absl::StatusOr<std::vector<qdt::v1::RunEvent>> InProcessAgent::WatchAll(const std::string& run_id,
                                                                        uint64_t from_seq) {
  grpc::Status status;
  std::vector<qdt::v1::RunEvent> events = Watch(*stub_, token_, run_id, from_seq, nullptr, &status);
  if (!status.ok()) return ToAbslStatus(status);
  return events;
}

std::string AgentBinary() { return QDT_AGENT_BINARY; }
std::string QdtctlBinary() { return QDT_QDTCTL_BINARY; }

AgentProcess::AgentProcess(std::string state_dir, std::string token_file)
    : state_dir_(std::move(state_dir)), token_file_(std::move(token_file)) {}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
}

void AgentProcess::Start(const std::vector<std::string>& extra_args,
                         const std::string& path_prefix) {
  std::string port_file = state_dir_ + "/agent.port";
  ::unlink(port_file.c_str());
  std::string log = state_dir_ + "/agent.log";
  std::vector<std::string> args = {AgentBinary(), "--listen",     "127.0.0.1:0",
                                   "--port-file", port_file,      "--state-dir",
                                   state_dir_,    "--token-file", token_file_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path;
  if (!path_prefix.empty()) {
    const char* old = std::getenv("PATH");
    path = path_prefix + ":" + (old != nullptr ? old : "/usr/bin:/bin");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    FILE* f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    if (!path.empty()) ::setenv("PATH", path.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      address_ = absl::StrCat("127.0.0.1:", port);
      return;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream l(log);
      std::stringstream ss;
      ss << l.rdbuf();
      FAIL() << "qdt-agent exited at start: " << ss.str();
    }
    ::usleep(100000);
  }
  FAIL() << "qdt-agent did not write its port file within 20 s";
}

std::string AgentProcess::Log() const {
  std::ifstream l(state_dir_ + "/agent.log");
  std::stringstream ss;
  ss << l.rdbuf();
  return ss.str();
}

void AgentProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int AgentProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

qdt::v1::StartRunRequest SetupCheckRequest(const std::string& target, double time_scale,
                                           uint64_t file_size) {
  qdt::v1::StartRunRequest req;
  req.set_profile_name("setup-check");
  req.set_target_dir(target);
  req.set_time_scale(time_scale);
  req.set_file_size_bytes(file_size);
  return req;
}

std::vector<qdt::v1::RunEvent> Watch(
    qdt::v1::Agent::Stub& stub, const std::string& token, const std::string& run_id,
    uint64_t from_seq, const std::function<bool(const qdt::v1::RunEvent&)>& stop_after,
    grpc::Status* status) {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token, absl::Minutes(4));
  qdt::v1::WatchRunRequest req;
  req.set_run_id(run_id);
  req.set_from_seq(from_seq);
  auto reader = stub.WatchRun(&ctx, req);
  std::vector<qdt::v1::RunEvent> events;
  qdt::v1::RunEvent ev;
  while (reader->Read(&ev)) {
    events.push_back(ev);
    if (stop_after && stop_after(ev)) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  if (status != nullptr) *status = st;
  return events;
}

std::vector<pid_t> ProcessesWithArg(const std::string& needle) {
  std::vector<pid_t> pids;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0') continue;
      std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
      std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (absl::StrContains(cmd, needle)) pids.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(d);
  }
  return pids;
}

bool ProcessAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  // A zombie is dead for our purposes.
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(in, line);
  size_t paren = line.rfind(')');
  return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

LoopVolume::LoopVolume(uint64_t size_bytes) {
  // RAM behind the loop device: fast and steady, and no other reader.
  struct stat st;
  const bool shm = ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode);
  image_ = shm ? absl::StrCat("/dev/shm/qdt-loop-", ::getpid(), "-",
                              reinterpret_cast<uintptr_t>(this), ".img")
               : backing_dir_.path() + "/volume.img";
  int rc = -1;
  std::string out = RunCommand(absl::StrCat("truncate -s ", size_bytes, " '", image_,
                                            "' && losetup --find --show '", image_, "'"),
                               &rc);
  if (rc != 0) {
    skip_reason_ = "cannot make a loop device here (not root, or no loop support): " + out;
    return;
  }
  device_ = std::string(absl::StripAsciiWhitespace(out));
  out = RunCommand(absl::StrCat("mkfs.ext4 -q -F '", device_, "' && mount '", device_, "' '",
                                mount_.path(), "'"),
                   &rc);
  if (rc != 0) {
    skip_reason_ = "cannot make a file system on " + device_ + ": " + out;
    return;
  }
  mounted_ = true;
}

LoopVolume::~LoopVolume() {
  int rc = -1;
  if (mounted_) RunCommand(absl::StrCat("umount '", mount_.path(), "'"), &rc);
  if (!device_.empty()) RunCommand(absl::StrCat("losetup -d '", device_, "'"), &rc);
  if (!image_.empty()) ::unlink(image_.c_str());
}

std::string MakeTestPki(const std::string& dir) {
  int rc = -1;
  std::string out = RunCommand(
      "(cd '" + dir +
          "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
          "-subj /CN=qdt-test-rig-ca && "
          "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 "
          "-subj /CN=someone-else && "
          "openssl req -newkey rsa:2048 -nodes -keyout agent.key -out agent.csr "
          "-subj /CN=showmac-1.local && "
          "printf 'subjectAltName=DNS:showmac-1.local\\n' > ext && "
          "openssl x509 -req -in agent.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
          "-out agent.pem -days 2 -extfile ext)",
      &rc);
  return rc == 0 ? "" : out;
}

}  // namespace qdt::testing
