#include "agent/agent_service.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "agent/doctor.h"
#include "agent/token.h"
#include "agent/volumes.h"
#include "common/logging.h"
#include "common/profiles.h"
#include "common/quote.h"
#include "common/timestamp.h"
#include "common/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/alarm.h"

namespace qdt::agent {
namespace {

using google::protobuf::util::TimeUtil;

grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// Sends the events of one run from `from_seq` on: first those already stored,
// then live ones as the journal appends them, and finishes once the run's
// journal is closed and everything was sent. One write is in flight at a time.
class WatchRunReactor final : public grpc::ServerWriteReactor<qdt::v1::RunEvent> {
 public:
  WatchRunReactor(std::shared_ptr<EventJournal> journal, uint64_t from_seq)
      : journal_(std::move(journal)), next_(from_seq == 0 ? 1 : from_seq) {
    subscription_ = journal_->Subscribe([this] { Pump(); });
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok && !finished_) {
        // The stream broke (client gone); there is nobody to write to.
        finished_ = true;
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream closed"));
        return;
      }
    }
    Pump();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (!finished_ && !writing_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
    cancelled_ = true;
  }

  void OnDone() override {
    subscription_.reset();  // waits for a wake-up in progress
    delete this;
  }

 private:
  void Pump() {
    absl::MutexLock lock(&mu_);
    if (finished_ || writing_) return;
    if (cancelled_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (journal_->Get(next_, &current_)) {
      ++next_;
      writing_ = true;
      StartWrite(&current_);
      return;
    }
    if (journal_->closed() && next_ > journal_->last_seq()) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  const std::shared_ptr<EventJournal> journal_;
  // Set in the constructor, reset in OnDone (after which nothing calls Pump).
  std::unique_ptr<EventJournal::Subscription> subscription_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  qdt::v1::RunEvent current_ ABSL_GUARDED_BY(mu_);  // the event being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// How long a telemetry stream's first message waits for the monitor's first
// sample (powermetrics takes its 1 s interval), polling at kFirstReadingPoll.
constexpr absl::Duration kFirstReadingWait = absl::Seconds(2);
constexpr absl::Duration kFirstReadingPoll = absl::Milliseconds(50);

// Sends a Telemetry message every interval until the client cancels. A source
// that is not available is left unset: never reported as 0 degrees. The
// stream keeps the thermal monitor sampling from its start to OnDone
// (Demand::kWatcher): nothing is spawned for telemetry nobody watches.
class TelemetryReactor final : public grpc::ServerWriteReactor<qdt::v1::Telemetry> {
 public:
  TelemetryReactor(double interval_s, ThermalMonitor* thermal, const Clock* clock)
      : interval_(absl::Seconds(interval_s)), thermal_(thermal), clock_(ClockOrSystem(clock)) {
    if (thermal_ != nullptr) thermal_->Activate(ThermalMonitor::Demand::kWatcher);
    Tick();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok || cancelled_) {
      FinishOnce(grpc::Status::CANCELLED);
      return;
    }
    SetAlarm(interval_);
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    alarm_.Cancel();
    if (!writing_) FinishOnce(grpc::Status::CANCELLED);
  }
  void OnDone() override {
    if (thermal_ != nullptr) thermal_->Deactivate(ThermalMonitor::Demand::kWatcher);
    delete this;
  }

 private:
  void Tick() {
    absl::MutexLock lock(&mu_);
    if (finished_ || cancelled_) {
      FinishOnce(grpc::Status::CANCELLED);
      return;
    }
    // The monitor was idle before this stream: the first message waits (up
    // to kFirstReadingWait) for its first sample instead of saying "unknown".
    if (thermal_ != nullptr && !sent_any_ && !thermal_->HasReading() &&
        waited_ < kFirstReadingWait) {
      waited_ += kFirstReadingPoll;
      SetAlarm(kFirstReadingPoll);
      return;
    }
    sent_any_ = true;
    current_.Clear();
    *current_.mutable_time() = ToTimestamp(clock_.Now());
    if (thermal_ != nullptr) {
      ThermalReading t = thermal_->Latest();
      if (t.temperature_c) current_.set_temperature_c(*t.temperature_c);
      current_.set_temperature_source(t.temperature_source);
      current_.set_thermal_pressure(t.pressure);
    }
    writing_ = true;
    // The temperature source names a tool and a device (tool output).
    MakeStringsValidUtf8(&current_);
    StartWrite(&current_);
  }
  void SetAlarm(absl::Duration after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    alarm_.Set(gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                            gpr_time_from_millis(absl::ToInt64Milliseconds(after), GPR_TIMESPAN)),
               [this](bool fired) {
                 if (fired) Tick();
               });
  }
  void FinishOnce(const grpc::Status& st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(st);
  }

  const absl::Duration interval_;
  ThermalMonitor* const thermal_;
  const Clock& clock_;  // the agent's, for each message's time
  absl::Mutex mu_;
  grpc::Alarm alarm_ ABSL_GUARDED_BY(mu_);
  qdt::v1::Telemetry current_ ABSL_GUARDED_BY(mu_);  // the message being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_any_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration waited_ ABSL_GUARDED_BY(mu_);  // for the first reading
};

template <typename T>
class ErrorWriter final : public grpc::ServerWriteReactor<T> {
 public:
  explicit ErrorWriter(const grpc::Status& st) { this->Finish(st); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

AgentService::AgentService(RunManager* runs, std::string token, AgentIdentity identity,
                           ThermalMonitor* thermal, VolumeLister list_volumes)
    : runs_(runs),
      token_(std::move(token)),
      identity_(std::move(identity)),
      thermal_(thermal),
      list_volumes_(std::move(list_volumes)) {
  if (!list_volumes_) list_volumes_ = [] { return qdt::agent::ListVolumes("/sys"); };
}

namespace {

void LogWrongTokens(const LogThrottle::Report& r) {
  if (r.count == 1 && r.span == absl::ZeroDuration()) {
    QDT_LOG(Warning) << "rejected a call with a wrong token from " << r.key
                     << " (more from it are counted, one line per 10 s)";
  } else {
    QDT_LOG(Warning) << "rejected " << r.count << (r.count == 1 ? " call" : " calls")
                     << " with a wrong token from " << r.key << " in the last "
                     << absl::StrFormat("%.0f", absl::ToDoubleSeconds(r.span)) << " s";
  }
}

}  // namespace

void AgentService::FlushLogs(bool all) {
  for (const LogThrottle::Report& r : wrong_token_log_.Flush(all)) LogWrongTokens(r);
}

grpc::Status AgentService::Authorize(grpc::CallbackServerContext* ctx) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing \"authorization: Bearer <token>\"; pass the rig token "
                        "(qdtctl --token-file)");
  }
  if (!BearerMatches(absl::string_view(it->second.data(), it->second.size()), token_)) {
    if (auto report = wrong_token_log_.Record(PeerWithoutPort(ctx->peer()))) {
      LogWrongTokens(*report);
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "wrong token: this agent expects its rig token");
  }
  return grpc::Status::OK;
}

// How long a GetInfo(readiness) answer is served again.
constexpr absl::Duration kReadinessTtl = absl::Seconds(30);

absl::Status AgentService::CheckTargetOf(const qdt::v1::GetInfoRequest& req,
                                         qdt::v1::AgentInfo* resp) const {
  const std::string& target = req.check_target();
  if (target.empty()) return absl::OkStatus();
  if (target.size() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("check_target: ", target.size(), " bytes is longer than 4096"));
  }
  const absl::Status st = runs_->CheckTargetFolder(target);
  resp->set_target_checked(true);
  resp->set_target_problem(st.ok() ? std::string() : std::string(st.message()));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AgentService::GetInfo(grpc::CallbackServerContext* ctx,
                                                const qdt::v1::GetInfoRequest* req,
                                                qdt::v1::AgentInfo* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  if (req->readiness() && identity_.readiness) {
    // One caller runs the checks at a time (tools, a power hold); the others
    // wait and get the same answer.
    absl::MutexLock lock(&readiness_mu_);
    if (absl::Now() - readiness_at_ > kReadinessTtl) {
      readiness_.clear();
      for (const DoctorCheck& c : identity_.readiness()) {
        qdt::v1::ReadinessCheck r;
        r.set_name(c.name);
        r.set_level(c.level == DoctorCheck::kOk     ? "ok"
                    : c.level == DoctorCheck::kWarn ? "warn"
                                                    : "fail");
        r.set_detail(c.detail);
        r.set_fix(c.fix);
        readiness_.push_back(std::move(r));
      }
      readiness_at_ = absl::Now();
    }
    for (const auto& r : readiness_) *resp->add_readiness() = r;
  }
  if (auto st = CheckTargetOf(*req, resp); !st.ok()) return Done(ctx, ToGrpcStatus(st));
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  resp->set_hostname(host);
  struct utsname u;
  if (::uname(&u) == 0) {
    std::string sys = u.sysname;
    resp->set_os(sys == "Darwin" ? "darwin" : sys == "Linux" ? "linux" : sys);
    resp->set_os_version(u.release);
    std::string arch = u.machine;
    resp->set_arch(arch == "aarch64" ? "arm64" : arch);
  }
  resp->set_agent_version(identity_.agent_version);
  resp->set_fio_version(identity_.fio_version);
  resp->set_fio_path(identity_.fio_path);
  resp->set_fio_drops_cache(identity_.fio_cache_problem.empty());
  resp->set_fio_cache_note(identity_.fio_cache_problem);
  resp->set_io_policy(identity_.io_policy);
  if (!identity_.tcc_db.empty()) {
    const FullDiskAccess fda = CheckFullDiskAccessAt(identity_.tcc_db);
    resp->set_full_disk_access(fda.state);
    resp->set_full_disk_access_note(fda.note);
  }
  for (const std::string& name : BuiltinProfileNames()) {
    resp->add_capabilities(absl::StrCat("profile:", name));
  }
  resp->add_capabilities("inline-profiles");
  resp->add_capabilities("synchronised-start");
  resp->set_active_run_id(runs_->ActiveRunId());
  resp->set_platform(identity_.platform);
  // Last, so that it is the time of the answer: a console takes the agent's
  // clock offset from it and the round trip (docs/CLOCKS.md).
  *resp->mutable_wall_time() = ToTimestamp(ClockOrSystem(identity_.clock).Now());
  // Readiness and target texts quote tool output and paths from the machine.
  MakeStringsValidUtf8(resp);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentService::ListVolumes(grpc::CallbackServerContext* ctx,
                                                    const qdt::v1::ListVolumesRequest*,
                                                    qdt::v1::ListVolumesResponse* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  // The macOS probes take a second or more (system_profiler); this handler
  // then holds one of gRPC's callback threads for that long, which is fine
  // for a call a console makes on demand.
  auto volumes = list_volumes_();
  if (!volumes.ok()) return Done(ctx, ToGrpcStatus(volumes.status()));
  for (auto& v : *volumes) *resp->add_volumes() = std::move(v);
  // Mount points, volume names and device models come from the OS and its tools.
  MakeStringsValidUtf8(resp);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentService::StartRun(grpc::CallbackServerContext* ctx,
                                                 const qdt::v1::StartRunRequest* req,
                                                 qdt::v1::Run* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  auto run = runs_->StartRun(*req);
  if (!run.ok()) {
    QDT_LOG(Info) << "StartRun refused: " << run.status();
    return Done(ctx, ToGrpcStatus(run.status()));
  }
  *resp = std::move(*run);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentService::StopRun(grpc::CallbackServerContext* ctx,
                                                const qdt::v1::StopRunRequest* req,
                                                qdt::v1::Run* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  auto run = runs_->StopRun(req->run_id());
  if (!run.ok()) return Done(ctx, ToGrpcStatus(run.status()));
  *resp = std::move(*run);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerWriteReactor<qdt::v1::RunEvent>* AgentService::WatchRun(
    grpc::CallbackServerContext* ctx, const qdt::v1::WatchRunRequest* req) {
  if (auto st = Authorize(ctx); !st.ok()) return new ErrorWriter<qdt::v1::RunEvent>(st);
  auto journal = runs_->OpenJournal(req->run_id());
  if (!journal.ok()) return new ErrorWriter<qdt::v1::RunEvent>(ToGrpcStatus(journal.status()));
  return new WatchRunReactor(std::move(*journal), req->from_seq());
}

qdt::v1::Run RunSummary(const qdt::v1::Run& run) {
  constexpr size_t kMaxText = 1024;
  constexpr size_t kMaxPath = 4096;
  qdt::v1::Run s = run;
  s.clear_checks();
  s.set_profile_name(CutUtf8(run.profile_name(), kMaxPath));
  s.set_target_dir(CutUtf8(run.target_dir(), kMaxPath));
  s.set_error(CutUtf8(run.error(), kMaxText));
  if (s.has_verdict()) {
    qdt::v1::Verdict* v = s.mutable_verdict();
    v->clear_phases();
    v->set_summary(CutUtf8(v->summary(), kMaxText));
    v->set_no_rating_reason(CutUtf8(v->no_rating_reason(), kMaxText));
    if (v->flags_size() > 32) v->mutable_flags()->DeleteSubrange(32, v->flags_size() - 32);
    for (std::string& flag : *v->mutable_flags()) flag = CutUtf8(flag, kMaxText);
  }
  return s;
}

grpc::ServerUnaryReactor* AgentService::ListRuns(grpc::CallbackServerContext* ctx,
                                                 const qdt::v1::ListRunsRequest* req,
                                                 qdt::v1::ListRunsResponse* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  const std::string& after = req->page_token();
  if (after.size() > 256) {
    return Done(ctx, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  absl::StrCat("page_token: ", QuoteForError(after),
                                               " is not a ListRuns next_page_token")));
  }
  const uint32_t page =
      req->limit() == 0 || req->limit() > kListRunsPageSize ? kListRunsPageSize : req->limit();
  // From the newest (or the run after the page token), one more than a page
  // is enough to know whether more remain; only those are read from disk.
  size_t bytes = 0;
  for (const qdt::v1::Run& run : runs_->ListRuns(page + 1, after)) {
    if (static_cast<uint32_t>(resp->runs_size()) >= page || bytes >= kListRunsReplyBudget) {
      resp->set_next_page_token(resp->runs(resp->runs_size() - 1).run_id());
      break;
    }
    qdt::v1::Run* s = resp->add_runs();
    *s = RunSummary(run);
    bytes += s->ByteSizeLong();
  }
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AgentService::GetRun(grpc::CallbackServerContext* ctx,
                                               const qdt::v1::GetRunRequest* req,
                                               qdt::v1::RunRecord* resp) {
  if (auto st = Authorize(ctx); !st.ok()) return Done(ctx, st);
  auto record = runs_->GetRun(req->run_id());
  if (!record.ok()) return Done(ctx, ToGrpcStatus(record.status()));
  *resp = std::move(*record);
  return Done(ctx, grpc::Status::OK);
}

grpc::ServerWriteReactor<qdt::v1::Telemetry>* AgentService::WatchTelemetry(
    grpc::CallbackServerContext* ctx, const qdt::v1::WatchTelemetryRequest* req) {
  if (auto st = Authorize(ctx); !st.ok()) return new ErrorWriter<qdt::v1::Telemetry>(st);
  double interval = req->interval_s() == 0 ? 1.0 : req->interval_s();
  if (!(interval >= 0.1 && interval <= 3600)) {
    return new ErrorWriter<qdt::v1::Telemetry>(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("interval_s: ", req->interval_s(), " must be between 0.1 and 3600")));
  }
  return new TelemetryReactor(interval, thermal_, identity_.clock);
}

}  // namespace qdt::agent
