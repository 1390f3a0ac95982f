// Shared by the journal hardening tests: an agent served in-process over a
// state folder the test prepared (real RunStore, RunManager, recovery,
// AgentService and gRPC on loopback), and a run's files written by hand.
#ifndef QDT_TESTS_HARDENING_JOURNAL_COMMON_H_
#define QDT_TESTS_HARDENING_JOURNAL_COMMON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent_service.h"
#include "agent/run_manager.h"
#include "agent/run_store.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::testing {

// The agent's parts on an existing state folder: Init (the lock), recovery,
// then the gRPC service on 127.0.0.1:<free port>.
class ServedState {
 public:
  explicit ServedState(const std::string& state_dir, agent::SyncFn sync = nullptr);
  ~ServedState();
  const absl::Status& recovered() const { return recovered_; }
  agent::RunStore& store() { return store_; }

  absl::StatusOr<qdt::v1::RunRecord> GetRun(const std::string& run_id);
  absl::StatusOr<qdt::v1::ListRunsResponse> ListRuns();
  // Every event from `from_seq` until the finished run's stream ends.
  absl::StatusOr<std::vector<qdt::v1::RunEvent>> WatchAll(const std::string& run_id,
                                                          uint64_t from_seq);

 private:
  agent::RunStore store_;
  std::unique_ptr<agent::RunManager> runs_;
  std::unique_ptr<agent::AgentService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<qdt::v1::Agent::Stub> stub_;
  absl::Status recovered_;
  const std::string token_ = "journal-test-token-0123456789";
};

// Writes `content` to `path` (no sync: the tests' own files).
void WriteRaw(const std::string& path, const std::string& content);

}  // namespace qdt::testing

#endif  // QDT_TESTS_HARDENING_JOURNAL_COMMON_H_
