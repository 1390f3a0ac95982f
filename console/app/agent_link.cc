#include "console/app/agent_link.h"

#include <chrono>

#include "common/run_state.h"
#include "console/client/agent_client.h"

namespace qdt::console {
namespace {

constexpr int kInitialBackoffMs = 500;
constexpr int kMaxBackoffMs = 10000;
constexpr int kIdleSliceS = 5;  // telemetry stream length before GetInfo is asked again
constexpr int kVolumesEveryRounds = 12;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<grpc::Channel> ConsoleChannel(const std::string& address,
                                              const client::TlsOptions& tls) {
  grpc::ChannelArguments args;
  // The link has its own backoff; keep the channel's short so that a network
  // that comes back is used within a second or two, not after gRPC's 2 min.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  return client::MakeChannel(address, tls, args);
}

}  // namespace

AgentLink::AgentLink(QString address, std::string token, client::TlsOptions tls, QObject* parent)
    : QObject(parent),
      key_(std::move(address)),
      address_(key_.toStdString()),
      token_(std::move(token)),
      connect_hint_(client::ConnectHint(tls)),
      channel_(ConsoleChannel(address_, tls)),
      stub_(qdt::v1::Agent::NewStub(channel_)) {}

AgentLink::~AgentLink() { stop(); }

void AgentLink::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
  command_thread_ = std::thread([this] { commandLoop(); });
}

void AgentLink::stop() {
  stop_ = true;
  {
    absl::MutexLock lock(&mu_);
    if (active_ctx_ != nullptr) active_ctx_->TryCancel();  // a run stream too
  }
  wake();  // also wakes the command thread: its wait is re-checked when mu_ is released
  if (thread_.joinable()) thread_.join();
  if (command_thread_.joinable()) command_thread_.join();
}

void AgentLink::wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
  // Only the idle telemetry stream is cut short; a followed run keeps its stream.
  if (active_ctx_ != nullptr && active_is_idle_) active_ctx_->TryCancel();
}

bool AgentLink::pause(int ms) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(this, &AgentLink::wokenOrStopping), absl::Milliseconds(ms));
  woken_ = false;
  return !stop_;
}

uint64_t AgentLink::lastSeq(const QString& run_id) const {
  absl::MutexLock lock(&mu_);
  auto it = last_seq_.find(run_id.toStdString());
  return it == last_seq_.end() ? 0 : it->second;
}

void AgentLink::refreshVolumes() {
  {
    absl::MutexLock lock(&mu_);
    volumes_due_ = true;
  }
  wake();
}

void AgentLink::startRun(const qdt::v1::StartRunRequest& request) {
  absl::MutexLock lock(&mu_);
  commands_.push_back([this, request] {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(30));
    qdt::v1::Run run;
    grpc::Status st = stub_->StartRun(&ctx, request, &run);
    CommandResult r;
    r.key = key_;
    r.command = "start";
    r.ok = st.ok();
    r.message = QString::fromStdString(st.ok() ? run.run_id() : st.error_message());
    r.run = run;
    if (st.ok()) {
      absl::MutexLock inner(&mu_);
      watch_next_ = run.run_id();
    }
    emit commandDone(r);
    if (st.ok()) wake();  // leave the telemetry stream and follow the run
  });
}

void AgentLink::stopRun(const QString& run_id) {
  absl::MutexLock lock(&mu_);
  commands_.push_back([this, id = run_id.toStdString()] {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(15));
    qdt::v1::StopRunRequest req;
    req.set_run_id(id);
    qdt::v1::Run run;
    grpc::Status st = stub_->StopRun(&ctx, req, &run);
    CommandResult r;
    r.key = key_;
    r.command = "stop";
    r.ok = st.ok();
    r.message = QString::fromStdString(st.ok() ? id : st.error_message());
    r.run = run;
    emit commandDone(r);
  });
}

void AgentLink::commandLoop() {
  while (true) {
    std::function<void()> next;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &AgentLink::commandOrStopping));
      if (stop_) return;
      next = std::move(commands_.front());
      commands_.pop_front();
    }
    next();
  }
}

void AgentLink::loop() {
  int backoff = kInitialBackoffMs;
  int round = 0;
  while (!stop_) {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(5));
    qdt::v1::AgentInfo info;
    grpc::Status st = stub_->GetInfo(&ctx, {}, &info);
    if (!st.ok()) {
      AgentSnapshot s;
      s.key = key_;
      s.online = false;
      s.error = QString::fromStdString(st.error_message());
      if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
          st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        s.error += QString::fromStdString(" (" + connect_hint_ + ")");
      }
      s.reconnect_in_ms = backoff;
      emit snapshot(s);
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, kMaxBackoffMs);
      continue;
    }
    backoff = kInitialBackoffMs;
    bool volumes_due;
    {
      absl::MutexLock lock(&mu_);
      volumes_due = volumes_due_ || round % kVolumesEveryRounds == 0;
      volumes_due_ = false;
    }
    ++round;
    AgentSnapshot s;
    s.key = key_;
    s.online = true;
    s.hostname = QString::fromStdString(info.hostname());
    s.platform = QString::fromStdString(info.platform());
    s.active_run_id = QString::fromStdString(info.active_run_id());
    if (volumes_due) {
      grpc::ClientContext vctx;
      client::PrepareContext(&vctx, token_, absl::Seconds(60));
      qdt::v1::ListVolumesResponse vols;
      if (stub_->ListVolumes(&vctx, {}, &vols).ok()) {
        for (const auto& v : vols.volumes()) s.volumes.push_back(v);
      }
    }
    emit snapshot(s);

    std::string run;
    {
      absl::MutexLock lock(&mu_);
      run = !watch_next_.empty()            ? watch_next_
            : !info.active_run_id().empty() ? info.active_run_id()
                                            : unfinished_run_;
      watch_next_.clear();
    }
    if (!run.empty()) {
      // A stream that fails while GetInfo answers (an agent restarting) is
      // retried after a short pause rather than at once.
      if (!follow(run) && !pause(kInitialBackoffMs)) return;
    } else {
      idle();
    }
  }
}

bool AgentLink::follow(const std::string& run_id) {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_);
  qdt::v1::WatchRunRequest req;
  req.set_run_id(run_id);
  {
    absl::MutexLock lock(&mu_);
    req.set_from_seq(last_seq_[run_id] + 1);
    unfinished_run_ = run_id;
    active_ctx_ = &ctx;
    active_is_idle_ = false;
  }
  auto reader = stub_->WatchRun(&ctx, req);
  qdt::v1::RunEvent ev;
  bool ended = false;
  const QString qrun = QString::fromStdString(run_id);
  while (!stop_ && reader->Read(&ev)) {
    {
      absl::MutexLock lock(&mu_);
      uint64_t& last = last_seq_[run_id];
      if (ev.seq() <= last) continue;  // already delivered
      last = ev.seq();
    }
    if (ev.has_state() && RunEnded(ev.state().state())) ended = true;
    AgentEvent e;
    e.key = key_;
    e.run_id = qrun;
    e.event = ev;
    e.read_ns = SteadyNs();
    emit runEvent(e);
  }
  grpc::Status st = reader->Finish();
  absl::MutexLock lock(&mu_);
  active_ctx_ = nullptr;
  // The stream ends OK once the run's journal is closed: it is complete. A
  // run the agent no longer knows is not followed again.
  if (ended || (st.ok() && !stop_) || st.error_code() == grpc::StatusCode::NOT_FOUND) {
    if (unfinished_run_ == run_id) unfinished_run_.clear();
    return true;
  }
  return st.ok();
}

void AgentLink::idle() {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, absl::Seconds(kIdleSliceS));
  {
    absl::MutexLock lock(&mu_);
    if (woken_ || stop_) {
      woken_ = false;
      return;
    }
    active_ctx_ = &ctx;
    active_is_idle_ = true;
  }
  qdt::v1::WatchTelemetryRequest req;
  req.set_interval_s(1);
  auto reader = stub_->WatchTelemetry(&ctx, req);
  qdt::v1::Telemetry t;
  while (!stop_ && reader->Read(&t)) {
    AgentTelemetry out;
    out.key = key_;
    if (t.has_temperature_c()) out.temperature_c = t.temperature_c();
    out.temperature_source = QString::fromStdString(t.temperature_source());
    out.pressure = t.thermal_pressure();
    emit telemetry(out);
  }
  reader->Finish();
  absl::MutexLock lock(&mu_);
  active_ctx_ = nullptr;
  woken_ = false;
}

}  // namespace qdt::console
