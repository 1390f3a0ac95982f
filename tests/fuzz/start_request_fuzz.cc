// libFuzzer target: start_request. Any bytes as a serialized
// qdt.v1.StartRunRequest (what StartRun receives over gRPC): when it parses,
// PlanRun (agent/run/run_plan.h) for Linux and for macOS, and everything the
// run derives from the plan without a disk (the test file names, the plan's
// description), must give a plan or an error, never a crash, a hang, an
// overflow or a sanitizer report. Seeds: tests/fixtures/start_request/*.txtpb,
// encoded by ./fuzz.sh with protoc. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "agent/run/run_plan.h"
#include "qdt/v1/agent.pb.h"

namespace {

void Plan(const qdt::v1::StartRunRequest& request, qdt::agent::Platform platform) {
  qdt::agent::PlanOptions options;
  options.run_id = "20261202-120000-f0f0f0";
  options.default_file_size = 1ull << 30;
  options.now = absl::FromUnixSeconds(1800000000);
  options.platform = platform;
  if (platform == qdt::agent::Platform::kMacOS) {
    options.aio_limits = qdt::agent::AioLimits{16, 90, 4};
  }
  auto plan = qdt::agent::PlanRun(request, options);
  if (!plan.ok()) return;
  (void)plan->Describe();
  (void)qdt::agent::TestFileNames(plan->profile, plan->job_options.layout);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qdt::v1::StartRunRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  Plan(request, qdt::agent::Platform::kLinux);
  Plan(request, qdt::agent::Platform::kMacOS);
  return 0;
}
