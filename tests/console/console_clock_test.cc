// Clocks that disagree (docs/CLOCKS.md): two real qdt-agent processes on
// loopback whose wall clocks run 3 s ahead of and 2 s behind the machine's
// (QDT_TEST_CLOCK_OFFSET_MS, test only), started together through
// Fleet::startRuns. The console measures both offsets and sends each agent
// the rig's start in its own clock, so both drives begin reading at one
// instant: their run records' first reads, on the steady clock both
// processes share (CLOCK_MONOTONIC), lie within 50 ms of each other. Without
// the correction they would lie the offsets' difference (5 s) apart.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <csignal>
#include <cstdlib>

#include "agent/clock.h"
#include "common/timestamp.h"
#include "console/app/fleet.h"
#include "console/client/agent_client.h"
#include "tests/integration/harness.h"

using namespace qdt::console;
using qdt::testing::AgentProcess;
using qdt::testing::TempDir;

namespace {

// One paced phase of 2 s reading a 16 MiB file: quick, light on the disk two
// agents share.
qdt::v1::StartRunRequest ShortPacedRun() {
  qdt::v1::StartRunRequest req;
  qdt::v1::Profile* p = req.mutable_profile();
  p->set_name("clock-sync");
  p->set_title("Clock sync");
  qdt::v1::Phase* phase = p->add_phases();
  phase->set_name("read");
  phase->set_duration_s(2);
  qdt::v1::Stream* s = phase->add_streams();
  s->set_name("clip");
  s->set_rate_bytes_per_s(50'000'000);
  s->set_block_size_bytes(1 << 20);
  s->set_iodepth(1);
  req.set_file_size_bytes(16ull << 20);
  return req;
}

// A qdt-agent child whose clock runs `offset_ms` off the machine's: the
// variable is in this process's environment only while the child starts
// (fork copies it; the agent reads it once, before it serves).
void StartShifted(AgentProcess& agent, int offset_ms) {
  ::setenv(qdt::agent::kTestClockOffsetEnv, std::to_string(offset_ms).c_str(), 1);
  agent.Start();
  ::unsetenv(qdt::agent::kTestClockOffsetEnv);
}

absl::StatusOr<qdt::v1::RunRecord> GetRun(const std::string& address, const std::string& token,
                                          const QString& run_id) {
  auto stub = qdt::v1::Agent::NewStub(qdt::client::MakeChannel(address));
  grpc::ClientContext ctx;
  qdt::client::PrepareContext(&ctx, token, absl::Seconds(30));
  qdt::v1::GetRunRequest req;
  req.set_run_id(run_id.toStdString());
  qdt::v1::RunRecord rec;
  grpc::Status st = stub->GetRun(&ctx, req, &rec);
  if (!st.ok()) return qdt::testing::ToAbslStatus(st);
  return rec;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// The run's warning that it began after the synchronised start; empty = none.
std::string LateWarning(const qdt::v1::RunRecord& rec) {
  for (const qdt::v1::RunEvent& ev : rec.events()) {
    if (ev.has_log() && ev.log().level() == qdt::v1::LogLine::LEVEL_WARNING &&
        ev.log().text().find("after the synchronised start") != std::string::npos) {
      return ev.log().text();
    }
  }
  return "";
}

}  // namespace

class ConsoleClockTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { RegisterFleetTypes(); }

  void agentsWhoseClocksDisagreeStartTogether() {
    TempDir state_a("clock-a"), state_b("clock-b"), target_a("clock-ta"), target_b("clock-tb");
    AgentProcess a(state_a.path(), state_a.path() + "/token");
    AgentProcess b(state_b.path(), state_b.path() + "/token");
    StartShifted(a, 3000);
    StartShifted(b, -2000);
    QVERIFY2(!a.address().empty(), "agent a did not start");
    QVERIFY2(!b.address().empty(), "agent b did not start");
    QVERIFY2(a.Log().find("TEST ONLY: this agent's clock runs 3000 ms off") != std::string::npos,
             a.Log().c_str());
    auto token_a = qdt::client::ReadTokenFile(state_a.path() + "/token");
    auto token_b = qdt::client::ReadTokenFile(state_b.path() + "/token");
    QVERIFY(token_a.ok() && token_b.ok());

    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath("console.sqlite"), &error), qPrintable(error));
    FleetModel model(nullptr, 100);
    Fleet fleet(&store, &model);
    const QString ka = QString::fromStdString(a.address()),
                  kb = QString::fromStdString(b.address());
    QVERIFY2(fleet.addAgent(ka, QString::fromStdString(*token_a), &error), qPrintable(error));
    QVERIFY2(fleet.addAgent(kb, QString::fromStdString(*token_b), &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(model.find(ka)->online && model.find(kb)->online, 15000);

    // The control: each link measured its agent's offset, within 100 ms of
    // what the agent was told; started on the console's clock the two would
    // begin (3000 − (−2000)) ms = 5 s apart.
    QTRY_VERIFY_WITH_TIMEOUT(fleet.link(ka)->clockEstimate().offset_ms.has_value() &&
                                 fleet.link(kb)->clockEstimate().offset_ms.has_value(),
                             10000);
    const ClockEstimate ca = fleet.link(ka)->clockEstimate(), cb = fleet.link(kb)->clockEstimate();
    qInfo("measured offsets: a %+.3f ms (rtt %.3f ms), b %+.3f ms (rtt %.3f ms)", *ca.offset_ms,
          ca.rtt_ms, *cb.offset_ms, cb.rtt_ms);
    QVERIFY2(std::abs(*ca.offset_ms - 3000) <= 100, qPrintable(QString::number(*ca.offset_ms)));
    QVERIFY2(std::abs(*cb.offset_ms + 2000) <= 100, qPrintable(QString::number(*cb.offset_ms)));
    QVERIFY(ca.rtt_ms > 0 && ca.rtt_ms <= 1000);
    // The snapshots the model is sent carry the measurement too.
    std::optional<double> shown_a;
    connect(
        fleet.link(ka), &AgentLink::snapshot, this,
        [&](const AgentSnapshot& s) {
          if (s.online) shown_a = s.clock_offset_ms;
        },
        Qt::QueuedConnection);
    QTRY_VERIFY_WITH_TIMEOUT(shown_a.has_value(), 15000);
    QVERIFY2(std::abs(*shown_a - 3000) <= 100, qPrintable(QString::number(*shown_a)));

    model.setTargetDir(ka, QString::fromStdString(target_a.path()));
    model.setTargetDir(kb, QString::fromStdString(target_b.path()));
    model.flush();
    QCOMPARE(fleet.startRuns({ka, kb}, ShortPacedRun(), 6.0), 2);
    QVERIFY2(fleet.link(ka)->startClockNote().startsWith("start_at in the agent's clock: the "
                                                         "console's +"),
             qPrintable(fleet.link(ka)->startClockNote()));
    QVERIFY2(fleet.link(kb)->startClockNote().startsWith("start_at in the agent's clock: the "
                                                         "console's -"),
             qPrintable(fleet.link(kb)->startClockNote()));
    auto ended = [&](const QString& k) {
      const FleetRow* r = model.find(k);
      return !r->run_id.isEmpty() && r->run_state == qdt::v1::RUN_STATE_DONE;
    };
    QTRY_VERIFY_WITH_TIMEOUT(ended(ka) && ended(kb), 90000);

    auto rec_a = GetRun(a.address(), *token_a, model.find(ka)->run_id);
    auto rec_b = GetRun(b.address(), *token_b, model.find(kb)->run_id);
    QVERIFY2(rec_a.ok(), std::string(rec_a.status().message()).c_str());
    QVERIFY2(rec_b.ok(), std::string(rec_b.status().message()).c_str());

    // Each agent was sent the rig's start in its own clock: the two start_at
    // differ by the measured offsets' difference, about 5 s.
    const absl::Time at_a = qdt::FromTimestamp(rec_a->request().start_at());
    const absl::Time at_b = qdt::FromTimestamp(rec_b->request().start_at());
    const double sent_apart_ms = Ms(at_a - at_b);
    QVERIFY2(std::abs(sent_apart_ms - (*ca.offset_ms - *cb.offset_ms)) < 1,
             qPrintable(QString::number(sent_apart_ms)));

    // Each began reading at its own start_at, read on its own clock...
    for (const auto* rec : {&*rec_a, &*rec_b}) {
      QVERIFY(rec->run().first_read_steady_ns() > 0);
      const double late_ms = Ms(qdt::FromTimestamp(rec->run().first_read_at()) -
                                qdt::FromTimestamp(rec->request().start_at()));
      qInfo("%s: first read %.3f ms after its start_at", rec->run().run_id().c_str(), late_ms);
      QVERIFY2(late_ms > -5 && late_ms < 1000, qPrintable(QString::number(late_ms)));
    }
    // ...and so both at one real instant: within 50 ms on the steady clock
    // the two processes share.
    const double apart_ms =
        (rec_a->run().first_read_steady_ns() - rec_b->run().first_read_steady_ns()) / 1e6;
    qInfo("first reads %.3f ms apart on CLOCK_MONOTONIC", apart_ms);
    QVERIFY2(std::abs(apart_ms) < 50, qPrintable(QString("%1 ms apart").arg(apart_ms)));
    QCOMPARE(LateWarning(*rec_a), std::string());
    QCOMPARE(LateWarning(*rec_b), std::string());

    // A start too soon for the layout (1 ms): that drive cannot begin with
    // the rig, and its run's log says so.
    const QString first_run = model.find(ka)->run_id;
    QCOMPARE(fleet.startRuns({ka}, ShortPacedRun(), 0.001), 1);
    QTRY_VERIFY_WITH_TIMEOUT(model.find(ka)->run_id != first_run && ended(ka), 60000);
    auto late = GetRun(a.address(), *token_a, model.find(ka)->run_id);
    QVERIFY2(late.ok(), std::string(late.status().message()).c_str());
    const std::string warning = LateWarning(*late);
    QVERIFY2(warning.find("this drive began reading ") == 0, warning.c_str());
    QVERIFY2(warning.find("give the start more delay") != std::string::npos, warning.c_str());

    a.Signal(SIGTERM);
    b.Signal(SIGTERM);
    QCOMPARE(a.Wait(), 0);
    QCOMPARE(b.Wait(), 0);
  }
};

QTEST_MAIN(ConsoleClockTest)
#include "console_clock_test.moc"
