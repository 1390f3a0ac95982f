// AgentService is the gRPC face of the agent (callback API): it checks the
// rig token on every call, converts requests into RunManager calls and
// absl::Status into grpc::Status (the only place that conversion happens), and
// streams run events and telemetry with one write in flight per stream.
//
// Thread-safety: gRPC calls the handlers from its own threads; all state is in
// RunManager, which is thread-safe. The service must outlive the server.
#ifndef QDT_AGENT_AGENT_SERVICE_H_
#define QDT_AGENT_AGENT_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/clock.h"
#include "agent/doctor.h"
#include "agent/log_throttle.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run_manager.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::agent {

struct AgentIdentity {
  std::string agent_version;
  std::string fio_path;
  std::string fio_version;
  std::string platform = "linux";  // the probe backend (--platform)
  // Why this fio cannot drop cached pages on this platform (empty: it can);
  // fio/fio_runner.h FioCacheDropProblem.
  std::string fio_cache_problem;
  // macOS: where the TCC database is, for GetInfo's Full Disk Access state
  // (doctor.h); empty on Linux.
  std::string tcc_db;
  // macOS: the disk I/O policy fio runs with (AgentInfo.io_policy).
  std::string io_policy;
  // The doctor's checks without a target (doctor.h), for
  // GetInfo(readiness); unset = not offered.
  std::function<std::vector<DoctorCheck>()> readiness;
  // The agent's wall clock (clock.h) for GetInfo.wall_time and telemetry
  // times; null = the system clock. Must outlive the service.
  const Clock* clock = nullptr;
};

// Lists the testable volumes for ListVolumes: the Linux backend (mountinfo +
// sysfs) or the macOS probes (system_profiler + diskutil).
using VolumeLister = std::function<absl::StatusOr<std::vector<qdt::v1::Volume>>()>;

class AgentService final : public qdt::v1::Agent::CallbackService {
 public:
  // `thermal` may be null (telemetry then reports every source as unknown);
  // each WatchTelemetry stream keeps it sampling while open (Demand::kWatcher);
  // an empty `list_volumes` means ListVolumes("/sys") of this machine.
  AgentService(RunManager* runs, std::string token, AgentIdentity identity,
               ThermalMonitor* thermal = nullptr, VolumeLister list_volumes = nullptr);

  // GetInfoRequest.check_target: StartRun's target check, nothing written.
  absl::Status CheckTargetOf(const qdt::v1::GetInfoRequest& req, qdt::v1::AgentInfo* resp) const;
  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* ctx,
                                    const qdt::v1::GetInfoRequest* req,
                                    qdt::v1::AgentInfo* resp) override;
  grpc::ServerUnaryReactor* ListVolumes(grpc::CallbackServerContext* ctx,
                                        const qdt::v1::ListVolumesRequest* req,
                                        qdt::v1::ListVolumesResponse* resp) override;
  grpc::ServerUnaryReactor* StartRun(grpc::CallbackServerContext* ctx,
                                     const qdt::v1::StartRunRequest* req,
                                     qdt::v1::Run* resp) override;
  grpc::ServerUnaryReactor* StopRun(grpc::CallbackServerContext* ctx,
                                    const qdt::v1::StopRunRequest* req,
                                    qdt::v1::Run* resp) override;
  grpc::ServerWriteReactor<qdt::v1::RunEvent>* WatchRun(
      grpc::CallbackServerContext* ctx, const qdt::v1::WatchRunRequest* req) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* ctx,
                                     const qdt::v1::ListRunsRequest* req,
                                     qdt::v1::ListRunsResponse* resp) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* ctx,
                                   const qdt::v1::GetRunRequest* req,
                                   qdt::v1::RunRecord* resp) override;
  grpc::ServerWriteReactor<qdt::v1::Telemetry>* WatchTelemetry(
      grpc::CallbackServerContext* ctx, const qdt::v1::WatchTelemetryRequest* req) override;

  // Logs the refused calls the throttle held back (whose interval has ended;
  // all of them when `all`). The agent calls it every second and at exit.
  void FlushLogs(bool all = false);

 private:
  // UNAUTHENTICATED when the bearer token is missing or wrong.
  grpc::Status Authorize(grpc::CallbackServerContext* ctx) const;

  RunManager* runs_;
  std::string token_;
  AgentIdentity identity_;
  ThermalMonitor* thermal_;
  VolumeLister list_volumes_;
  // One "wrong token" line per client address per 10 s, with a count: a
  // client retrying a bad token must not flood the log.
  mutable LogThrottle wrong_token_log_;
  // GetInfo(readiness): the last answer, kept kReadinessTtl so a console that
  // asks often starts the tools at most that often.
  absl::Mutex readiness_mu_;
  std::vector<qdt::v1::ReadinessCheck> readiness_ ABSL_GUARDED_BY(readiness_mu_);
  absl::Time readiness_at_ ABSL_GUARDED_BY(readiness_mu_) = absl::InfinitePast();
};

// ListRuns: at most this many runs per reply, and a reply stops early once its
// runs pass kListRunsReplyBudget bytes (next_page_token says where it stopped).
inline constexpr uint32_t kListRunsPageSize = 100;
inline constexpr size_t kListRunsReplyBudget = 1 << 20;

// A run as ListRuns sends it: what a list shows (id, state, profile, target,
// times, phase count and index, planned length, time scale, error, rating,
// sustained rate, summary and flags), without the per-phase verdict and the
// measurement checks (GetRun has them), long text cut to a few KiB.
qdt::v1::Run RunSummary(const qdt::v1::Run& run);

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace qdt::agent

#endif  // QDT_AGENT_AGENT_SERVICE_H_
