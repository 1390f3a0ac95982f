#include "console/app/agent_link.h"

#include <chrono>
#include <cmath>

#include "absl/time/clock.h"
#include "common/run_state.h"
#include "common/timestamp.h"
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

// Each clock round trip's own deadline: beyond kMaxClockRtt it is not used anyway.
constexpr absl::Duration kClockCallDeadline = absl::Seconds(2);

QString Ms(absl::Duration d) {
  return QString::number(absl::ToDoubleMilliseconds(d), 'f', 0) + " ms";
}

}  // namespace

ClockEstimate EstimateClockOffset(const std::vector<ClockProbe>& probes) {
  ClockEstimate e;
  e.probes = static_cast<int>(probes.size());
  const ClockProbe* best = nullptr;
  QStringList skipped;
  for (const ClockProbe& p : probes) {
    if (p.rtt < absl::ZeroDuration() || p.rtt > kMaxClockRtt) {
      skipped << QString("round trip %1, over %2").arg(Ms(p.rtt), Ms(kMaxClockRtt));
      continue;
    }
    if (!p.agent_time.has_value()) {
      skipped << "the agent sent no wall_time (an older agent?)";
      continue;
    }
    const absl::Duration offset = *p.agent_time - (p.sent + p.rtt / 2);
    if (offset > kMaxClockOffset || offset < -kMaxClockOffset) {
      skipped << QString(
                     "the agent's clock reads %1, %2 days off the console's: not a clock to "
                     "schedule by")
                     .arg(QString::fromStdString(absl::FormatTime(
                         "%Y-%m-%d %H:%M:%S UTC", *p.agent_time, absl::UTCTimeZone())))
                     .arg(std::round(absl::ToDoubleHours(offset) / 24));
      continue;
    }
    ++e.used;
    if (best == nullptr || p.rtt < best->rtt) best = &p;
  }
  skipped.removeDuplicates();
  if (best == nullptr) {
    e.note = probes.empty() ? QString("not measured yet")
                            : QString("no clock offset: %1").arg(skipped.join("; "));
    return e;
  }
  e.offset_ms = absl::ToDoubleMilliseconds(*best->agent_time - (best->sent + best->rtt / 2));
  e.rtt_ms = absl::ToDoubleMilliseconds(best->rtt);
  if (!skipped.isEmpty()) {
    e.note = QString("%1 of %2 round trips not used: %3")
                 .arg(e.probes - e.used)
                 .arg(e.probes)
                 .arg(skipped.join("; "));
  }
  return e;
}

std::optional<absl::Duration> ScheduleOffset(const ClockEstimate& estimate) {
  if (!estimate.offset_ms.has_value()) return std::nullopt;
  if (std::abs(*estimate.offset_ms) <= estimate.rtt_ms / 2) return absl::ZeroDuration();
  return absl::Nanoseconds(std::llround(*estimate.offset_ms * 1e6));
}

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

ClockEstimate AgentLink::clockEstimate() const {
  absl::MutexLock lock(&mu_);
  if (clock_.probes == 0 && clock_.note.isEmpty()) {
    ClockEstimate none;
    none.note = "not measured yet (the agent has not answered)";
    return none;
  }
  return clock_;
}

std::optional<ClockProbe> AgentLink::probeClock() {
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, token_, kClockCallDeadline);
  qdt::v1::AgentInfo info;
  ClockProbe p;
  p.sent = absl::Now();
  const int64_t t0 = SteadyNs();
  grpc::Status st = stub_->GetInfo(&ctx, {}, &info);
  p.rtt = absl::Nanoseconds(SteadyNs() - t0);
  if (!st.ok()) return std::nullopt;
  if (info.has_wall_time()) p.agent_time = qdt::FromTimestamp(info.wall_time());
  return p;
}

void AgentLink::measureClock(const ClockProbe& first) {
  std::vector<ClockProbe> probes{first};
  for (int i = 1; i < kClockProbes && !stop_; ++i) {
    if (std::optional<ClockProbe> p = probeClock()) probes.push_back(*p);
  }
  ClockEstimate e = EstimateClockOffset(probes);
  clock_measured_ns_ = SteadyNs();
  absl::MutexLock lock(&mu_);
  clock_ = std::move(e);
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

QString AgentLink::startClockNote() const {
  absl::MutexLock lock(&mu_);
  return start_clock_note_;
}

void AgentLink::checkTarget(const QString& dir) {
  absl::MutexLock lock(&mu_);
  commands_.push_back([this, dir] {
    grpc::ClientContext ctx;
    client::PrepareContext(&ctx, token_, absl::Seconds(10));
    qdt::v1::GetInfoRequest req;
    req.set_check_target(dir.toStdString());
    qdt::v1::AgentInfo info;
    if (!stub_->GetInfo(&ctx, req, &info).ok() || !info.target_checked()) return;
    CommandResult r;
    r.key = key_;
    r.command = "check";
    r.ok = info.target_problem().empty();
    // The folder asked about, then (when refused) why: a late answer about
    // an earlier folder is not taken for the current one.
    r.message = dir + '\n' + QString::fromStdString(info.target_problem());
    emit commandDone(r);
  });
}

void AgentLink::resumeRun(const QString& run_id) {
  {
    absl::MutexLock lock(&mu_);
    unfinished_run_ = run_id.toStdString();
  }
  wake();
}

void AgentLink::startRun(const qdt::v1::StartRunRequest& request, QString clock_note) {
  absl::MutexLock lock(&mu_);
  start_clock_note_ = std::move(clock_note);
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
    ClockProbe first;
    first.sent = absl::Now();
    const int64_t sent_ns = SteadyNs();
    grpc::Status st = stub_->GetInfo(&ctx, {}, &info);
    first.rtt = absl::Nanoseconds(SteadyNs() - sent_ns);
    if (!st.ok()) {
      clock_measured_ns_ = 0;  // measured again as soon as it answers
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
    // On connecting and every kClockEvery: the agent's clock offset, before
    // the snapshot that says it is online (a start right after it uses it).
    if (clock_measured_ns_ == 0 ||
        absl::Nanoseconds(SteadyNs() - clock_measured_ns_) >= kClockEvery) {
      if (info.has_wall_time()) first.agent_time = qdt::FromTimestamp(info.wall_time());
      measureClock(first);
    }
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
    if (!info.active_run_id().empty() && info.active_run_id() != run_described_) {
      grpc::ClientContext rctx;
      client::PrepareContext(&rctx, token_, absl::Seconds(10));
      qdt::v1::ListRunsRequest req;
      req.set_limit(1);  // newest first: the active run
      qdt::v1::ListRunsResponse runs;
      if (stub_->ListRuns(&rctx, req, &runs).ok() && runs.runs_size() > 0 &&
          runs.runs(0).run_id() == info.active_run_id()) {
        s.active_run = runs.runs(0);
        run_described_ = info.active_run_id();
      }
    }
    {
      absl::MutexLock lock(&mu_);
      s.clock_offset_ms = clock_.offset_ms;
      s.clock_rtt_ms = clock_.rtt_ms;
    }
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
