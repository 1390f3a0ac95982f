#include "tests/hardening/journal_common.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "console/client/agent_client.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {

ServedState::ServedState(const std::string& state_dir, agent::SyncFn sync)
    : store_(state_dir, std::move(sync)) {
  recovered_ = store_.Init();
  agent::RunManagerOptions options;
  options.fio_path = "/usr/bin/fio";  // never started: these tests start no run
  runs_ = std::make_unique<agent::RunManager>(&store_, options);
  if (recovered_.ok()) recovered_ = runs_->Recover();
  service_ = std::make_unique<agent::AgentService>(
      runs_.get(), token_, agent::AgentIdentity{"test", options.fio_path, "fio-test"}, nullptr);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  EXPECT_NE(port, 0);
  stub_ = qdt::v1::Agent::NewStub(client::MakeChannel(absl::StrCat("127.0.0.1:", port)));
}

ServedState::~ServedState() {
  runs_->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
}

absl::StatusOr<qdt::v1::RunRecord> ServedState::GetRun(const std::string& run_id) {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, absl::Seconds(30));
  qdt::v1::GetRunRequest request;
  request.set_run_id(run_id);
  qdt::v1::RunRecord record;
  absl::Status st = ToAbslStatus(stub_->GetRun(&ctx, request, &record));
  if (!st.ok()) return st;
  return record;
}

absl::StatusOr<qdt::v1::ListRunsResponse> ServedState::ListRuns() {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, absl::Seconds(30));
  qdt::v1::ListRunsResponse response;
  absl::Status st = ToAbslStatus(stub_->ListRuns(&ctx, qdt::v1::ListRunsRequest(), &response));
  if (!st.ok()) return st;
  return response;
}

absl::StatusOr<std::vector<qdt::v1::RunEvent>> ServedState::WatchAll(const std::string& run_id,
                                                                     uint64_t from_seq) {
  grpc::Status status;
  std::vector<qdt::v1::RunEvent> events = Watch(*stub_, token_, run_id, from_seq, nullptr, &status);
  if (!status.ok()) return ToAbslStatus(status);
  return events;
}

void WriteRaw(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

}  // namespace qdt::testing
