// Test harness for integration and end-to-end tests: temporary folders on the
// real disk, an agent served in-process on a loopback port (real gRPC, real
// fio), an agent as a real child process, and helpers to watch runs.
#ifndef QDT_TESTS_INTEGRATION_HARNESS_H_
#define QDT_TESTS_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/agent_service.h"
#include "agent/run_manager.h"
#include "agent/run_store.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::testing {

// A fresh folder under <build>/test-tmp (on the disk, never tmpfs: fio's
// direct=1 needs O_DIRECT), removed with everything in it when destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void RemoveTree(const std::string& path);

// A block device of the test's own: a fresh ext4 file system on a loop device
// over a file in RAM (/dev/shm when there is one), mounted on a new folder.
// Nothing but the test reads it, so its kernel byte counter counts the test's
// reads alone. Needs root, losetup and mkfs.ext4; skip_reason() says why it
// could not be made (the test then skips with that reason).
class LoopVolume {
 public:
  explicit LoopVolume(uint64_t size_bytes = 1280ull << 20);
  ~LoopVolume();  // unmounts and detaches
  bool ok() const { return skip_reason_.empty(); }
  const std::string& skip_reason() const { return skip_reason_; }
  const std::string& mount_point() const { return mount_.path(); }
  const std::string& device() const { return device_; }  // "/dev/loop3"

 private:
  TempDir backing_dir_{"loop-backing"};
  TempDir mount_{"loop-mount"};
  std::string image_, device_, skip_reason_;
  bool mounted_ = false;
};
bool PathExists(const std::string& path);
// Every path under `dir`, recursively, links not followed: what a refused
// check must leave exactly as it was.
std::set<std::string> TreeListing(const std::string& dir);

// The same code and message as an absl::Status, so tests check a call's
// outcome one way (absl::IsNotFound, .message()) whether it came over gRPC
// or not.
absl::Status ToAbslStatus(const grpc::Status& status);

// qdt-agent's service on 127.0.0.1:<free port> inside the test process.
class InProcessAgent {
 public:
  // `list_volumes` replaces the machine's volume listing (ListVolumes), e.g.
  // with a mount point whose bytes are not UTF-8.
  explicit InProcessAgent(agent::RunManagerOptions options = {},
                          agent::VolumeLister list_volumes = {});
  ~InProcessAgent();

  qdt::v1::Agent::Stub& stub() { return *stub_; }
  std::unique_ptr<qdt::v1::Agent::Stub> NewStub() const;
  const std::string& address() const { return address_; }
  const std::string& token() const { return token_; }
  const std::string& state_dir() const { return state_.path(); }
  agent::RunStore& store() { return *store_; }
  agent::RunManager& runs() { return *runs_; }
  // Adds the right bearer token (and a 30 s deadline unless `stream`).
  void Auth(grpc::ClientContext* ctx, bool stream = false) const;

  // The RPCs with the right token, on stub(); a failure is the agent's status
  // (ToAbslStatus). Calls that must send a wrong token or none, or need their
  // own connection, use stub() or NewStub() directly.
  absl::StatusOr<qdt::v1::Run> StartRun(const qdt::v1::StartRunRequest& request);
  absl::StatusOr<qdt::v1::Run> StopRun(const std::string& run_id);
  absl::StatusOr<qdt::v1::RunRecord> GetRun(const std::string& run_id);
  absl::StatusOr<qdt::v1::AgentInfo> GetInfo();
  absl::StatusOr<qdt::v1::ListRunsResponse> ListRuns(
      uint32_t limit = 0);  // 0 = one page (up to 100)
  absl::StatusOr<qdt::v1::ListVolumesResponse> ListVolumes();
  // The run's events from `from_seq` until the stream ends (a finished run's
  // stream ends after its last event); the stream's status if it ends in
  // error, losing what came before: Watch() keeps both.
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> WatchAll(const std::string& run_id,
                                                          uint64_t from_seq = 1);

 private:
  // One unary RPC, e.g. Call(&qdt::v1::Agent::Stub::GetRun, request).
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (qdt::v1::Agent::Stub::*rpc)(grpc::ClientContext*,
                                                                          const Request&,
                                                                          Response*),
                                const Request& request);

  TempDir state_;
  std::string token_;
  std::string address_;
  std::unique_ptr<agent::RunStore> store_;
  std::unique_ptr<agent::RunManager> runs_;
  std::unique_ptr<agent::AgentService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
};

// The qdt-agent binary as a child process on 127.0.0.1:<free port>.
class AgentProcess {
 public:
  AgentProcess(std::string state_dir, std::string token_file);
  ~AgentProcess();  // SIGKILL if still running
  // Starts and waits (up to 20 s) until it serves. `extra_args` go after the
  // harness's own; a non-empty `path_prefix` is put first on the child's PATH
  // (fake macOS tools).
  void Start(const std::vector<std::string>& extra_args = {}, const std::string& path_prefix = "");
  std::string Log() const;  // what the agent wrote to stderr
  void Signal(int sig);
  int Wait();  // exit status as from waitpid
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }

 private:
  std::string state_dir_, token_file_, address_;
  pid_t pid_ = -1;
};

// The Setup Check at `time_scale` with small files on `target`.
qdt::v1::StartRunRequest SetupCheckRequest(const std::string& target, double time_scale,
                                           uint64_t file_size = 64ull << 20);

// Reads the run's events from `from_seq` until the stream ends, or until
// `stop_after` returns true for an event (that event is included; the call is
// then cancelled). `status` receives the stream's final status.
std::vector<qdt::v1::RunEvent> Watch(
    qdt::v1::Agent::Stub& stub, const std::string& token, const std::string& run_id,
    uint64_t from_seq, const std::function<bool(const qdt::v1::RunEvent&)>& stop_after = nullptr,
    grpc::Status* status = nullptr);

// Pids of live processes whose command line contains `needle` (Linux /proc).
std::vector<pid_t> ProcessesWithArg(const std::string& needle);
bool ProcessAlive(pid_t pid);

// Runs a shell command; returns stdout+stderr, stores the exit code.
std::string RunCommand(const std::string& command, int* exit_code);

std::string AgentBinary();
std::string QdtctlBinary();

// Made with openssl in `dir`: a rig CA (ca.pem, "qdt-test-rig-ca"), an
// unrelated CA (other.pem) and the agent's certificate for "showmac-1.local"
// signed by the rig CA (agent.pem, agent.key). Empty on success, else
// openssl's output.
std::string MakeTestPki(const std::string& dir);

}  // namespace qdt::testing

#endif  // QDT_TESTS_INTEGRATION_HARNESS_H_
