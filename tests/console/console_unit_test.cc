// Console pieces without agents: the model's cell-precise dataChanged, the
// decimation of what is drawn, the store (real SQLite file, the drive's own
// rate beside fio's, an older store brought up to date), the drive-counter
// line of the run chart, the verdict's words and flags in the table and the
// report, and address checks.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtCharts/QLineSeries>
#include <QtTest>
#include <cmath>
#include <memory>
#include <tuple>

#include "common/profiles.h"
#include "common/proto_json.h"
#include "console/app/board_view.h"
#include "console/app/charts.h"
#include "console/app/discovery.h"
#include "console/app/fleet.h"
#include "console/app/fleet_model.h"
#include "console/app/main_window.h"
#include "console/app/report.h"
#include "console/app/sample_store.h"

using namespace qdt::console;

namespace {

AgentEvent SampleEvent(const QString& key, const QString& run, uint64_t seq, double mb_s,
                       double wall_s, std::optional<double> temp = std::nullopt,
                       std::optional<double> device_mb_s = std::nullopt) {
  AgentEvent e;
  e.key = key;
  e.run_id = run;
  e.event.set_seq(seq);
  auto* s = e.event.mutable_sample();
  s->set_read_bytes_per_s(mb_s * 1e6);
  s->mutable_wall_time()->set_seconds(static_cast<int64_t>(wall_s));
  s->mutable_wall_time()->set_nanos(static_cast<int32_t>((wall_s - std::floor(wall_s)) * 1e9));
  *e.event.mutable_time() = s->wall_time();
  if (temp) s->set_temperature_c(*temp);
  if (device_mb_s) s->set_device_read_bytes_per_s(*device_mb_s * 1e6);
  return e;
}

AgentEvent VerdictEvent(const QString& key, const QString& run, uint64_t seq,
                        const qdt::v1::Verdict& v) {
  AgentEvent e;
  e.key = key;
  e.run_id = run;
  e.event.set_seq(seq);
  e.event.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  *e.event.mutable_verdict() = v;
  return e;
}

// The line of a chart with this legend name; null when the chart has none.
QLineSeries* SeriesNamed(QChart* chart, const QString& name) {
  QLineSeries* found = nullptr;
  for (QAbstractSeries* s : chart->series()) {
    if (s->name() == name) {
      if (found != nullptr) return nullptr;  // named twice: not the chart we mean
      found = qobject_cast<QLineSeries*>(s);
    }
  }
  return found;
}

constexpr char kCacheReason[] =
    "served from cache: fio read 12.1 GB in crossfade, the drive delivered 0.2 GB";

// A run the page cache answered: NO RATING with its reason, which is also its
// first flag, and a flag that tries to be markup.
qdt::v1::Verdict ServedFromCacheVerdict() {
  qdt::v1::Verdict v;
  v.set_rating(qdt::v1::RATING_NO_RATING);
  v.set_no_rating_reason(kCacheReason);
  v.set_summary(std::string("NO RATING: ") + kCacheReason);
  v.set_fails_crossfade_target(true);
  v.set_sustained_mb_s(11500);
  v.set_crossfade_target_mb_s(2100);
  v.add_flags(kCacheReason);
  v.add_flags("rested before crossfade: the drive read nothing for 450 ms <b>at</b> the handover");
  auto* p = v.add_phases();
  p->set_name("crossfade");
  p->set_ran(true);
  p->set_passed(true);
  p->set_target_mb_s(2100);
  p->set_mean_mb_s(11500);
  p->set_device_mean_mb_s(187);
  p->set_device_bytes(200000000);
  p->set_fio_bytes(12100000000);
  return v;
}

// A drive that did well on a volume without a counter: rated, with the caveat.
qdt::v1::Verdict NotCrossCheckedVerdict() {
  qdt::v1::Verdict v;
  v.set_rating(qdt::v1::RATING_EXCELLENT);
  v.set_summary("EXCELLENT: sustains 2650 MB/s and met every paced target");
  v.set_sustained_mb_s(2650);
  v.set_crossfade_target_mb_s(2100);
  v.add_flags("not cross-checked: no device counter for \"/mnt/x\": <b>nfs</b> has no diskstats");
  auto* p = v.add_phases();
  p->set_name("max-read");
  p->set_ran(true);
  p->set_passed(true);
  p->set_mean_mb_s(2650);
  p->set_fio_bytes(26500000000);
  return v;
}

}  // namespace

class ConsoleUnitTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { RegisterFleetTypes(); }

  void dataChangedOnlyForCellsThatChanged() {
    FleetModel model(nullptr, /*flush_ms=*/1000000);  // flushed by hand
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addAgent("127.0.0.1:1");
    model.addAgent("127.0.0.1:2");
    for (const char* key : {"127.0.0.1:1", "127.0.0.1:2"}) {  // connected: values are current
      AgentSnapshot snap;
      snap.key = key;
      snap.online = true;
      model.onSnapshot(snap);
    }
    model.flush();
    QSignalSpy spy(&model, &QAbstractItemModel::dataChanged);
    AgentTelemetry t;
    t.key = "127.0.0.1:2";
    t.temperature_c = 41.5;
    model.onTelemetry(t);
    model.flush();
    QCOMPARE(spy.count(), 1);
    auto args = spy.takeFirst();
    auto tl = args[0].value<QModelIndex>(), br = args[1].value<QModelIndex>();
    QCOMPARE(tl.row(), 1);
    QCOMPARE(br.row(), 1);
    QCOMPARE(tl.column(), int(FleetModel::kTemperature));
    QCOMPARE(br.column(), int(FleetModel::kTemperature));
    QCOMPARE(model.data(tl).toString(), QString("41.5 °C"));
    // The same value again: nothing to repaint.
    model.onTelemetry(t);
    model.flush();
    QCOMPARE(spy.count(), 0);
    // Ten samples for one agent between flushes are one dataChanged, and
    // the row shows the last of them.
    for (int i = 1; i <= 10; ++i) {
      model.onEvent(SampleEvent("127.0.0.1:1", "run-a", i, 100.0 * i, 1e9 + i));
    }
    model.flush();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(model.data(model.index(0, FleetModel::kMbps)).toString(), QString("1000"));
    // A missing temperature is shown as not available, never 0.
    QCOMPARE(model.data(model.index(0, FleetModel::kTemperature)).toString(), QString("n/a"));
  }

  // Issue 15, item 17: one flush that changes several cells of a row, not
  // next to each other (state, rate, temperature, verdict), repaints every
  // one of them: each changed column lies inside a dataChanged range of its
  // row, and no range reaches past the first and last changed column.
  void dataChangedCoversEveryChangedColumn() {
    FleetModel model(nullptr, /*flush_ms=*/1000000);  // flushed by hand
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addAgent("127.0.0.1:1");
    model.addAgent("127.0.0.1:2");
    for (const char* key : {"127.0.0.1:1", "127.0.0.1:2"}) {
      AgentSnapshot snap;
      snap.key = key;
      snap.online = true;
      model.onSnapshot(snap);
    }
    model.flush();
    auto texts = [&](int row) {
      QStringList out;
      for (int c = 0; c < FleetModel::kColumnCount; ++c) {
        out << model.data(model.index(row, c)).toString();
      }
      return out;
    };
    const QStringList before = texts(1);
    QSignalSpy spy(&model, &QAbstractItemModel::dataChanged);
    // The second agent's run starts: a sample (state, rate, temperature,
    // pressure) and the verdict column's "…" of a run in progress.
    AgentEvent e = SampleEvent("127.0.0.1:2", "run-b", 1, 2150, 1e9 + 1, 44.5);
    e.event.mutable_sample()->set_target_bytes_per_s(2100e6);
    e.event.mutable_sample()->set_thermal_pressure(qdt::v1::THERMAL_PRESSURE_MODERATE);
    model.onEvent(e);
    model.flush();
    const QStringList after = texts(1);
    QList<int> changed;
    for (int c = 0; c < FleetModel::kColumnCount; ++c) {
      if (before[c] != after[c]) changed << c;
    }
    // What this test is about: several columns, with unchanged ones between.
    QCOMPARE(changed, (QList<int>{FleetModel::kState, FleetModel::kMbps, FleetModel::kTemperature,
                                  FleetModel::kPressure, FleetModel::kVerdict}));
    QCOMPARE(after[FleetModel::kMbps], QString("2150 / 2100"));
    QCOMPARE(after[FleetModel::kTemperature], QString("44.5 °C"));
    QCOMPARE(after[FleetModel::kVerdict], QString("…"));
    QVERIFY(spy.count() >= 1);
    for (int c : changed) {
      bool covered = false;
      for (const QList<QVariant>& args : spy) {
        const auto tl = args[0].value<QModelIndex>(), br = args[1].value<QModelIndex>();
        covered |= tl.row() <= 1 && br.row() >= 1 && tl.column() <= c && br.column() >= c;
      }
      QVERIFY2(covered, qPrintable(QString("column %1 (%2 -> %3) changed without dataChanged")
                                       .arg(c)
                                       .arg(before[c], after[c])));
    }
    for (const QList<QVariant>& args : spy) {
      const auto tl = args[0].value<QModelIndex>(), br = args[1].value<QModelIndex>();
      QCOMPARE(tl.row(), 1);  // the other agent's row is untouched
      QCOMPARE(br.row(), 1);
      QVERIFY(tl.column() >= changed.front() && br.column() <= changed.back());
    }
  }

  // Issue 15, item 17: the rig summary with runs in every stage at once:
  // waiting to start, preparing and running are all "running" (each holds
  // its agent), with the longest time left; a finished run counts by its
  // rating, a stopped run without a rating and a lost test as NO RATING; a
  // run that failed without a verdict, an idle agent and an offline one are
  // none of these. Exact numbers, and the sentence the summary bar shows.
  void rigSummaryCountsUnfinishedRunsExactly() {
    FleetModel model(nullptr, 1000000);
    const QStringList keys = {"idle:1",    "pending:1",        "preparing:1", "running:1",
                              "running:2", "done-excellent:1", "done-fail:1", "stopped:1",
                              "lost:1",    "failed:1",         "offline:1"};
    for (const QString& k : keys) {
      model.addAgent(k);
      AgentSnapshot snap;
      snap.key = k;
      snap.online = k != "offline:1";
      snap.error = snap.online ? QString() : QString("Connection refused");
      model.onSnapshot(snap);
    }
    auto start = [&](const QString& key, double planned_s) {
      CommandResult c;
      c.key = key;
      c.command = "start";
      c.ok = true;
      c.message = "run-" + key;
      c.run.set_run_id(c.message.toStdString());
      c.run.set_state(qdt::v1::RUN_STATE_PENDING);
      c.run.set_phase_count(3);
      c.run.set_planned_duration_s(planned_s);
      model.onCommand(c);
    };
    uint64_t seq = 0;
    auto event = [&](const QString& key, double wall_s) {
      AgentEvent e;
      e.key = key;
      e.run_id = "run-" + key;
      e.event.set_seq(++seq);
      e.event.mutable_time()->set_seconds(static_cast<int64_t>(wall_s));
      return e;
    };
    auto state = [&](const QString& key, qdt::v1::RunState s) {
      AgentEvent e = event(key, 1.7e9);
      e.event.mutable_state()->set_state(s);
      model.onEvent(e);
    };
    auto verdict = [&](const QString& key, qdt::v1::Rating rating, double sustained) {
      AgentEvent e = event(key, 1.7e9);
      e.event.mutable_verdict()->set_rating(rating);
      e.event.mutable_verdict()->set_sustained_mb_s(sustained);
      e.event.mutable_verdict()->set_time_scale(1);
      if (rating == qdt::v1::RATING_NO_RATING) {
        e.event.mutable_verdict()->set_no_rating_reason("the run did not finish (phase normal)");
      }
      model.onEvent(e);
    };
    // Running for 40 s of 100 and 100 s of 300: 200 s left on the rig.
    auto running = [&](const QString& key, double planned_s, double elapsed_s) {
      start(key, planned_s);
      state(key, qdt::v1::RUN_STATE_PREPARING);
      state(key, qdt::v1::RUN_STATE_RUNNING);
      AgentEvent phase = event(key, 1.7e9);
      phase.event.mutable_phase()->set_phase_index(0);
      phase.event.mutable_phase()->set_phase_name("normal");
      model.onEvent(phase);
      AgentEvent sample = SampleEvent(key, "run-" + key, ++seq, 700, 1.7e9 + elapsed_s);
      model.onEvent(sample);
    };
    start("pending:1", 30);
    start("preparing:1", 30);
    state("preparing:1", qdt::v1::RUN_STATE_PREPARING);
    running("running:1", 100, 40);
    running("running:2", 300, 100);
    for (const char* k : {"done-excellent:1", "done-fail:1", "stopped:1", "lost:1", "failed:1"}) {
      running(k, 30, 30);
    }
    verdict("done-excellent:1", qdt::v1::RATING_EXCELLENT, 2650);
    state("done-excellent:1", qdt::v1::RUN_STATE_DONE);
    verdict("done-fail:1", qdt::v1::RATING_FAIL, 420);
    state("done-fail:1", qdt::v1::RUN_STATE_DONE);
    state("stopped:1", qdt::v1::RUN_STATE_STOPPED);
    verdict("stopped:1", qdt::v1::RATING_NO_RATING, 0);
    state("lost:1", qdt::v1::RUN_STATE_INTERRUPTED);
    state("failed:1", qdt::v1::RUN_STATE_FAILED);
    model.flush();
    auto cell = [&](const QString& key, int column) {
      return FleetModel::CellText(*model.find(key), column);
    };
    QCOMPARE(cell("pending:1", FleetModel::kState), QString("waiting to start"));
    QCOMPARE(cell("preparing:1", FleetModel::kState), QString("preparing"));
    QCOMPARE(cell("running:2", FleetModel::kState), QString("running 1/3 normal"));
    for (const char* k : {"pending:1", "preparing:1", "running:1", "running:2"}) {
      QCOMPARE(cell(k, FleetModel::kVerdict), QString("…"));
    }
    QCOMPARE(cell("failed:1", FleetModel::kVerdict), QString("—"));
    QVERIFY(cell("lost:1", FleetModel::kVerdict).startsWith("TEST LOST — "));
    const RigSummary s = model.summary();
    QCOMPARE(s.agents, 11);
    QCOMPARE(s.online, 10);
    QCOMPARE(s.running, 4);  // pending, preparing and the two running
    QCOMPARE(s.excellent, 1);
    QCOMPARE(s.acceptable, 0);
    QCOMPARE(s.failed, 1);
    QCOMPARE(s.unrated, 2);  // the stopped run and the lost test
    QCOMPARE(s.rehearsals, 0);
    QCOMPARE(s.slowest_key, QString("done-fail:1"));
    QCOMPARE(s.slowest_mb_s, 420.0);
    QCOMPARE(s.seconds_left, 200.0);
    QCOMPARE(s.Text(), QString("11 agents, 10 online, 4 running — 1 EXCELLENT, 0 ACCEPTABLE, "
                               "1 FAIL, 2 NO RATING — slowest: done-fail:1 at 420 MB/s — "
                               "3:20 left"));
    // The runs end: nothing is running, nothing is left, the ratings stay.
    for (const char* k : {"pending:1", "preparing:1", "running:1", "running:2"}) {
      state(k, qdt::v1::RUN_STATE_STOPPED);
    }
    model.flush();
    const RigSummary after = model.summary();
    QCOMPARE(after.running, 0);
    QCOMPARE(after.seconds_left, 0.0);
    QCOMPARE(after.excellent + after.failed + after.unrated, 4);
  }

  // Issue 14: every rating in its own word and colour, the reason after the
  // word; an ACCEPTABLE drive is never drawn as a FAIL, NO RATING is grey
  // and neither; the rig summary counts the four apart.
  void eachRatingHasItsOwnWordColourAndCount() {
    FleetModel model(nullptr, 1000000);
    for (const char* key : {"a:1", "b:1", "c:1", "d:1", "e:1"}) model.addAgent(key);
    auto verdict = [&](const QString& key, const qdt::v1::Verdict& v) {
      AgentEvent e;
      e.key = key;
      e.run_id = "r";
      e.event.set_seq(1);
      *e.event.mutable_verdict() = v;
      model.onEvent(e);
    };
    auto rated = [](qdt::v1::Rating rating, double sustained) {
      qdt::v1::Verdict v;
      v.set_rating(rating);
      v.set_sustained_mb_s(sustained);
      v.set_crossfade_target_mb_s(2100);
      v.set_normal_target_mb_s(656);
      v.set_fails_crossfade_target(rating != qdt::v1::RATING_EXCELLENT);
      return v;
    };
    auto phase = [](qdt::v1::Verdict* v, const char* name, double target, int missed, int windows) {
      auto* p = v->add_phases();
      p->set_name(name);
      p->set_ran(true);
      p->set_target_mb_s(target);
      p->set_windows(windows);
      p->set_missed_windows(missed);
      p->set_passed(missed == 0);
    };
    verdict("a:1", rated(qdt::v1::RATING_EXCELLENT, 2650));
    qdt::v1::Verdict acceptable = rated(qdt::v1::RATING_ACCEPTABLE, 1900);
    phase(&acceptable, "normal", 656, 0, 20);
    phase(&acceptable, "crossfade", 2099.2, 9, 10);  // the Setup Check's peak, under 2100
    verdict("b:1", acceptable);
    qdt::v1::Verdict fail = rated(qdt::v1::RATING_FAIL, 420);
    phase(&fail, "normal", 656, 12, 20);
    phase(&fail, "crossfade", 2100, 10, 10);
    verdict("c:1", fail);
    verdict("d:1", ServedFromCacheVerdict());
    verdict("e:1", rated(qdt::v1::RATING_ACCEPTABLE, 1500));  // unpaced only: the figure says why
    model.flush();
    auto cell = [&](int row) {
      return model.data(model.index(row, FleetModel::kVerdict)).toString();
    };
    auto colour = [&](int row) {
      return model.data(model.index(row, FleetModel::kVerdict), Qt::BackgroundRole)
          .value<QBrush>()
          .color();
    };
    QCOMPARE(cell(0), QString("EXCELLENT — 2650 MB/s sustained"));
    QCOMPARE(cell(1), QString("ACCEPTABLE — crossfade 9/10 low"));
    QCOMPARE(cell(2), QString("FAIL — normal playback missed (normal 12/20 low)"));
    QCOMPARE(cell(3), QString("NO RATING — ") + kCacheReason);
    QCOMPARE(cell(4), QString("ACCEPTABLE — sustained 1500 < 2100 MB/s crossfade"));
    QCOMPARE(colour(0), QColor(30, 140, 60));    // green
    QCOMPARE(colour(1), QColor(240, 170, 0));    // amber, not the red of a FAIL
    QCOMPARE(colour(2), QColor(200, 30, 30));    // red
    QCOMPARE(colour(3), QColor(110, 110, 110));  // grey: neither
    QCOMPARE(colour(4), colour(1));
    QCOMPARE(model.data(model.index(1, FleetModel::kVerdict), Qt::ForegroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(Qt::black));  // dark text on amber
    RigSummary s = model.summary();
    QCOMPARE(s.excellent, 1);
    QCOMPARE(s.acceptable, 2);
    QCOMPARE(s.failed, 1);
    QCOMPARE(s.unrated, 1);
    QCOMPARE(s.slowest_key, QString("c:1"));
    QCOMPARE(s.slowest_mb_s, 420.0);  // the cache's 11500 MB/s is nobody's figure
    QVERIFY2(s.Text().contains("1 EXCELLENT, 2 ACCEPTABLE, 1 FAIL, 1 NO RATING"),
             qPrintable(s.Text()));
  }

  // Issue 14, item 7: the live rate beside the phase's target, green while it
  // holds 95 % of it, red below; no colour without a target; an offline
  // Mac shows no stale rate. The board's tiles say the same.
  void liveRateIsColouredAgainstThePhaseTarget() {
    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    AgentSnapshot up;
    up.key = "a:1";
    up.online = true;
    up.hostname = "show-mac-1";
    model.onSnapshot(up);
    auto sample = [&](uint64_t seq, double mb_s, double target_mb_s) {
      AgentEvent e;
      e.key = "a:1";
      e.run_id = "r";
      e.event.set_seq(seq);
      e.event.mutable_sample()->set_read_bytes_per_s(mb_s * 1e6);
      e.event.mutable_sample()->set_target_bytes_per_s(target_mb_s * 1e6);
      model.onEvent(e);
      model.flush();
    };
    const QModelIndex rate = model.index(0, FleetModel::kMbps);
    auto background = [&] { return rate.data(Qt::BackgroundRole).value<QBrush>().color(); };
    sample(1, 2150, 2100);
    QCOMPARE(rate.data().toString(), QString("2150 / 2100"));
    QCOMPARE(background(), QColor(30, 120, 55));
    QCOMPARE(TileOf(model.row(0)).headline, QString("2150 / 2100 MB/s"));
    QCOMPARE(TileOf(model.row(0)).background, QColor(30, 120, 55));
    sample(2, 1995, 2100);  // exactly 95 %: holds
    QCOMPARE(background(), QColor(30, 120, 55));
    sample(3, 1990, 2100);  // under 95 %: misses
    QCOMPARE(rate.data().toString(), QString("1990 / 2100"));
    QCOMPARE(background(), QColor(180, 30, 30));
    QCOMPARE(TileOf(model.row(0)).background, QColor(180, 30, 30));
    sample(4, 2650, 0);  // unpaced: no target, no verdict on the rate
    QCOMPARE(rate.data().toString(), QString("2650"));
    QVERIFY(!rate.data(Qt::BackgroundRole).isValid());
    QCOMPARE(TileOf(model.row(0)).headline, QString("2650 MB/s (no target)"));
    AgentSnapshot down;
    down.key = "a:1";
    down.online = false;
    down.error = "agent not running at 10.0.1.12:50551";
    model.onSnapshot(down);
    model.flush();
    QCOMPARE(rate.data().toString(), QString("—"));
    QVERIFY(!rate.data(Qt::BackgroundRole).isValid());
    const BoardTile off = TileOf(model.row(0));
    QCOMPARE(off.headline, QString("OFFLINE"));
    QCOMPARE(off.detail, down.error);
    QVERIFY(off.footer.isEmpty());  // no stale temperature either
  }

  // Issue 14, items 7 and 8: why a Mac is offline in plain words (gRPC's text
  // in the tooltip), who can start, and what Start all says afterwards.
  void offlineReasonsAndStartOutcomeInPlainWords() {
    FleetRow r;
    r.key = "10.0.1.12:50551";
    r.host = "showmac-5";
    r.error =
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.1.12:50551: Failed "
        "to connect to remote host: Connection refused (plaintext: if the agent serves TLS, give "
        "its CA certificate (--ca))";
    QCOMPARE(OfflineReason(r), QString("agent not running at 10.0.1.12:50551"));
    r.last_seen_s = QDateTime(QDate(2026, 12, 1), QTime(21, 4, 11)).toMSecsSinceEpoch() / 1000.0;
    QCOMPARE(OfflineReason(r),
             QString("agent not running at 10.0.1.12:50551 — last seen 21:04:11"));
    r.ever_online = true;
    QVERIFY(!FleetModel::CellText(r, FleetModel::kState).contains("TLS"));
    QCOMPARE(FleetModel::CellWhy(r, FleetModel::kState), r.error);  // nothing lost
    r.last_seen_s = 0;
    r.error = "wrong token: this agent expects its rig token";
    QCOMPARE(OfflineReason(r), QString("wrong rig token for the agent at 10.0.1.12:50551"));
    r.error = "Deadline Exceeded (plaintext: if the agent serves TLS, ...)";
    QVERIFY(OfflineReason(r).startsWith("no answer from 10.0.1.12:50551"));
    r.error = "Socket closed (TLS: the agent's certificate must be signed by the CA)";
    QCOMPARE(OfflineReason(r), r.error);  // not understood: gRPC's words and the TLS hint

    QVector<FleetRow> rows(4);
    rows[0].key = "a:1";
    rows[0].online = true;
    rows[1].key = "b:1";
    rows[1].name = "showmac-5";
    rows[1].error = "failed to connect ... Connection refused";
    rows[2].key = "c:1";
    rows[2].host = "showmac-6";
    rows[2].error = "wrong token: this agent expects its rig token";
    rows[3].key = "d:1";
    rows[3].online = true;
    rows[3].run_state = qdt::v1::RUN_STATE_RUNNING;
    const StartPlan plan = PlanStart(rows);
    QCOMPARE(plan.ready, QStringList{"a:1"});
    QCOMPARE(plan.missing.size(), 3);
    QCOMPARE(plan.missing[0], (std::pair<QString, QString>{"showmac-5", "offline"}));
    QCOMPARE(plan.missing[1], (std::pair<QString, QString>{"showmac-6", "wrong token"}));
    QCOMPARE(plan.missing[2].second, QString("busy: a run is going"));
    QCOMPARE(StartOutcomeText(6, 4, {{"showmac-5", "offline"}, {"showmac-6", "wrong token"}}),
             QString("4 of 6 started; showmac-5 offline, showmac-6 wrong token"));
    QCOMPARE(StartOutcomeText(2, 2, {}), QString("2 of 2 started"));
    QCOMPARE(ShortReason("QLab is running: quit it before the test"), QString("QLab is running"));
    QCOMPARE(ShortReason(QString(100, 'x')).size(), 60);
    QCOMPARE(DurationWords(30), QString("30 s"));
    QCOMPARE(DurationWords(12 * 60 + 10), QString("12 min"));
    QCOMPARE(DurationWords(9000), QString("2 h 30 min"));
    QCOMPARE(DurationWords(7200), QString("2 h"));
  }

  // Issue 14, item 14: each agent's clock against the console's, shown.
  void clockOffsetIsShownWithItsMeaning() {
    FleetRow r;
    r.key = "a:1";
    r.online = true;
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("n/a"));
    QVERIFY(FleetModel::CellWhy(r, FleetModel::kClock).contains("not measured yet"));
    r.clock_offset_ms = 3000.2;
    r.clock_rtt_ms = 0.8;
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("+3.0 s"));
    QVERIFY2(FleetModel::CellWhy(r, FleetModel::kClock).contains("3000.2 ms ahead of"),
             qPrintable(FleetModel::CellWhy(r, FleetModel::kClock)));
    r.clock_offset_ms = -2000;
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("-2.0 s"));
    QVERIFY(FleetModel::CellWhy(r, FleetModel::kClock).contains("behind"));
    r.clock_offset_ms = -42;
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("-42 ms"));
    r.clock_offset_ms = 0.3;  // within half the round trip: cannot be told from 0
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("in step"));
    r.online = false;
    QCOMPARE(FleetModel::CellText(r, FleetModel::kClock), QString("n/a"));
  }

  // Issue 14, items 8 and 11: the profile list shows durations; a derived
  // profile file joins it with its size and is what Start sends; a 2.5 h
  // test asks first (and a "no" starts nothing).
  void profileListDurationsFilesAndTheLongRunQuestion() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model(nullptr, 1000000);
    Fleet fleet(&store, &model);
    MainWindow window(&fleet);
    QComboBox* list = window.profileList();
    QStringList labels;
    for (int i = 0; i < list->count(); ++i) labels << list->itemText(i);
    QVERIFY2(labels.contains("setup-check — 30 s"), qPrintable(labels.join(" | ")));
    QVERIFY2(labels.contains("show-pattern — 2 h 30 min"), qPrintable(labels.join(" | ")));
    auto builtin = qdt::BuiltinProfile("setup-check");
    QVERIFY(builtin.ok());
    qdt::v1::Profile mine = *builtin;
    mine.set_name("stage-left-cue");
    const QString path = dir.filePath("stage-left.json");
    {
      QFile f(path);
      QVERIFY(f.open(QIODevice::WriteOnly));
      auto json = qdt::ProtoToJson(mine);
      QVERIFY(json.ok());
      f.write(QByteArray::fromStdString(*json));
    }
    QVERIFY2(window.addProfileFile(path, &error), qPrintable(error));
    QVERIFY2(list->currentText().startsWith("stage-left-cue — 30 s") &&
                 list->currentText().contains("stage-left.json"),
             qPrintable(list->currentText()));
    qdt::v1::StartRunRequest req = window.requestFromToolbar();
    QVERIFY(req.has_profile());
    QCOMPARE(req.profile().name(), std::string("stage-left-cue"));
    QVERIFY(!window.addProfileFile(dir.filePath("missing.json"), &error));
    QVERIFY2(error.contains("missing.json"), qPrintable(error));
    // A 2.5 h test on an online Mac: asked first; "no" sends nothing.
    model.addAgent("a:1");
    AgentSnapshot up;
    up.key = "a:1";
    up.online = true;
    model.onSnapshot(up);
    model.flush();
    list->setCurrentIndex(list->findData("show-pattern"));
    QStringList asked;
    window.setConfirm([&](const QString& title, const QString& text) {
      asked << title + ": " + text;
      return false;
    });
    window.startAll();
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked[0].contains("2 h 30 min"), qPrintable(asked[0]));
    QCOMPARE(window.progressText(), QString("idle"));  // nothing started, no countdown
  }

  // Issue 14, items 5 and 10: the target list names each volume's free
  // space and drive (the internal one as such); the selected drive's phase
  // table shows the dropped-frame risk the verdict found, escaped.
  void volumeChoicesAndThePhaseTable() {
    qdt::v1::Volume ext;
    ext.set_mount_point("/Volumes/Media");
    ext.set_model("Samsung PSSD T7");
    ext.set_protocol("USB");
    ext.set_free_bytes(812000000000ull);
    ext.set_total_bytes(1000000000000ull);
    QCOMPARE(VolumeChoiceText(ext),
             QString("Media (/Volumes/Media) — 812.0 GB free of 1000 GB — Samsung PSSD T7 (USB)"));
    QVERIFY(!IsInternalVolume(ext));
    qdt::v1::Volume data;
    data.set_mount_point("/System/Volumes/Data");
    data.set_protocol("Apple Fabric");
    data.set_free_bytes(200000000000ull);
    data.set_total_bytes(494000000000ull);
    QVERIFY(IsInternalVolume(data));
    QCOMPARE(VolumeChoiceText(data),
             QString("Data (/System/Volumes/Data) — 200.0 GB free of 494 GB — internal drive: "
                     "Apple Fabric"));

    qdt::v1::Verdict v;
    v.set_rating(qdt::v1::RATING_ACCEPTABLE);
    auto* p = v.add_phases();
    p->set_name("crossfade");
    p->set_ran(true);
    p->set_target_mb_s(2099.2);
    p->set_mean_mb_s(2050);
    p->set_device_mean_mb_s(2049);
    p->set_windows(10);
    p->set_missed_windows(3);
    auto* s1 = p->add_streams();
    s1->set_name("request 4K <a>");
    s1->set_clat_p99_ms(21.4);
    s1->set_frame_interval_ms(16.7);
    s1->set_dropped_frame_risk(true);
    auto* s2 = p->add_streams();
    s2->set_name("request HD #1");
    s2->set_clat_p99_ms(3.2);
    s2->set_frame_interval_ms(16.7);
    auto* q = v.add_phases();
    q->set_name("max-read");
    const QString html = PhaseTableHtml(v, false);
    QVERIFY(html.contains("<td>crossfade</td><td align=\"right\">2099</td>"));
    QVERIFY(html.contains(">2050<") && html.contains(">2049<") && html.contains(">3/10<"));
    QVERIFY2(html.contains("request 4K &lt;a&gt; 21.4/16.7 ms — dropped-frame risk"),
             qPrintable(html));
    QVERIFY(!html.contains("request HD #1 3.2/16.7 ms — dropped-frame risk"));
    QVERIFY(html.contains("request HD #1 3.2/16.7 ms"));
    QVERIFY(
        html.contains("<td>max-read</td><td align=\"right\">max</td><td colspan=\"4\">not run"));
  }

  // The board's grid keeps tiles as large as the screen allows: 30 Macs on
  // a 1080p screen stay readable.
  void boardGridKeepsTilesLarge() {
    QCOMPARE(BoardView::GridFor(0, 1920, 1080), QSize(0, 0));
    QCOMPARE(BoardView::GridFor(1, 1920, 1080), QSize(1, 1));
    QCOMPARE(BoardView::GridFor(4, 1600, 900), QSize(2, 2));
    for (int n : {6, 12, 20, 30}) {
      const QSize g = BoardView::GridFor(n, 1920, 1080);
      QVERIFY(g.width() * g.height() >= n);
      QVERIFY(g.width() * (g.height() - 1) < n);  // no empty row
      QVERIFY2(1920 / g.width() >= 250 && 1080 / g.height() >= 150,
               qPrintable(QString("%1 Macs: %2 x %3").arg(n).arg(g.width()).arg(g.height())));
    }
  }

  // Issue 14, items 3 and 9: a console that starts again shows each Mac's
  // name, target folder and last verdict from its store (the agents here are
  // not running: everything shown comes from the store); a name edited in
  // the table is checked, stored and shown in the summary; an interrupted
  // run is TEST LOST (grey, "rerun"), counted as no rating.
  void aRestartedConsoleKeepsNamesTargetsAndVerdicts() {
    QTemporaryDir dir;
    const QString path = dir.filePath("console.sqlite");
    const QString k1 = "127.0.0.1:1", k2 = "127.0.0.1:2";
    QString error;
    {
      SampleStore store;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      FleetModel model(nullptr, 1000000);
      Fleet fleet(&store, &model);
      // A token the agent could never accept is refused here, naming the rule.
      QVERIFY(!fleet.addAgent(k1, "tok", &error));
      QVERIFY2(error.contains("16 to 1024 bytes"), qPrintable(error));
      QVERIFY(!fleet.addAgent(k1, "rig-token-with\x01control", &error));
      QVERIFY2(error.contains("printable ASCII"), qPrintable(error));
      QVERIFY(fleet.addAgent(k1, "rig-token-0123456789", &error));
      QVERIFY(fleet.addAgent(k2, "rig-token-0123456789", &error));
      QVERIFY2(fleet.setName(k1, "  Stage L main ", &error), qPrintable(error));
      QVERIFY(!fleet.setName(k2, QString("bad\nname"), &error));
      QVERIFY2(error.contains("control character"), qPrintable(error));
      QVERIFY(!fleet.setName(k2, QString(65, 'x'), &error));
      QVERIFY2(error.contains("1 to 64"), qPrintable(error));
      QVERIFY(!fleet.setTarget(k1, "relative/dir", &error));
      QVERIFY2(error.contains("relative/dir"), qPrintable(error));
      QVERIFY2(fleet.setTarget(k1, "/Volumes/Media", &error), qPrintable(error));
      // An edit in the table goes through the same check and store.
      QVERIFY(model.setData(model.index(model.rowOf(k2), FleetModel::kHost), "Stage R backup"));
      QCOMPARE(model.find(k2)->name, QString("Stage R backup"));
      // A finished run with its verdict, and an interrupted one.
      QVector<AgentEvent> events;
      AgentEvent v;
      v.key = k1;
      v.run_id = "run-a";
      v.event.set_seq(5);
      v.event.mutable_time()->set_seconds(1700000000);
      *v.event.mutable_verdict() = NotCrossCheckedVerdict();
      events << v;
      AgentEvent st = v;
      st.event.set_seq(6);
      st.event.mutable_state()->set_state(qdt::v1::RUN_STATE_DONE);
      events << st;
      AgentEvent lost;
      lost.key = k2;
      lost.run_id = "run-b";
      lost.event.set_seq(3);
      lost.event.mutable_time()->set_seconds(1700000000);
      lost.event.mutable_state()->set_state(qdt::v1::RUN_STATE_INTERRUPTED);
      events << lost;
      for (const AgentEvent& e : events) model.onEvent(e);
      model.flush();
      QCOMPARE(FleetModel::CellText(*model.find(k2), FleetModel::kVerdict).left(9),
               QString("TEST LOST"));
    }
    SampleStore store;
    QVERIFY2(store.open(path, &error), qPrintable(error));
    FleetModel model(nullptr, 1000000);
    Fleet fleet(&store, &model);
    QCOMPARE(fleet.restoreAgents(), 2);
    const FleetRow* r1 = model.find(k1);
    const FleetRow* r2 = model.find(k2);
    QVERIFY(r1 != nullptr && r2 != nullptr);
    QCOMPARE(r1->name, QString("Stage L main"));
    QCOMPARE(r1->target_dir, QString("/Volumes/Media"));
    QCOMPARE(r1->run_id, QString("run-a"));
    QCOMPARE(r1->run_state, qdt::v1::RUN_STATE_DONE);
    QVERIFY(r1->verdict.has_value());
    QCOMPARE(FleetModel::CellText(*r1, FleetModel::kHost), QString("Stage L main — 127.0.0.1:1"));
    QVERIFY2(FleetModel::CellText(*r1, FleetModel::kVerdict).startsWith("EXCELLENT — 2650"),
             qPrintable(FleetModel::CellText(*r1, FleetModel::kVerdict)));
    QCOMPARE(r2->name, QString("Stage R backup"));
    const QString lost = FleetModel::CellText(*r2, FleetModel::kVerdict);
    QVERIFY2(lost.startsWith("TEST LOST — ") && lost.contains("rerun"), qPrintable(lost));
    QCOMPARE(model.data(model.index(model.rowOf(k2), FleetModel::kVerdict), Qt::BackgroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(110, 110, 110));  // grey, like NO RATING
    const RigSummary s = model.summary();
    QCOMPARE(s.excellent, 1);
    QCOMPARE(s.unrated, 1);  // the lost test is no rating, not a fail
    QCOMPARE(s.failed, 0);
    QCOMPARE(s.slowest_key, QString("Stage L main"));  // names in the summary too
  }

  // Issue 14, item 4: a run at a time scale other than 1 is a rehearsal in
  // the table, the tooltip, the summary and the report; its rating never
  // reads like a real one and is not counted as one.
  void aRehearsalNeverReadsLikeARating() {
    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    model.addAgent("b:1");
    qdt::v1::Verdict rehearsal;
    rehearsal.set_rating(qdt::v1::RATING_EXCELLENT);
    rehearsal.set_sustained_mb_s(2650);
    rehearsal.set_summary("EXCELLENT: sustains 2650 MB/s and met every paced target");
    rehearsal.set_time_scale(0.1);
    model.onEvent(VerdictEvent("a:1", "r", 1, rehearsal));
    qdt::v1::Verdict real = rehearsal;
    real.set_time_scale(1);
    real.set_sustained_mb_s(1900);
    model.onEvent(VerdictEvent("b:1", "r", 1, real));
    model.flush();
    const QString cell = model.data(model.index(0, FleetModel::kVerdict)).toString();
    QCOMPARE(cell, QString("REHEARSAL ×0.1 — not a show rating (EXCELLENT: 2650 MB/s sustained)"));
    QVERIFY(!cell.startsWith("EXCELLENT"));
    QCOMPARE(model.data(model.index(0, FleetModel::kVerdict), Qt::BackgroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(60, 80, 140));
    QCOMPARE(model.data(model.index(1, FleetModel::kVerdict)).toString(),
             QString("EXCELLENT — 1900 MB/s sustained"));  // scale 1: a real test
    const QString tip =
        model.data(model.index(0, FleetModel::kVerdict), Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains("REHEARSAL ×0.1 (not a show rating): EXCELLENT: sustains 2650 MB/s"),
             qPrintable(tip));
    const RigSummary s = model.summary();
    QCOMPARE(s.excellent, 1);  // only the real one
    QCOMPARE(s.rehearsals, 1);
    QCOMPARE(s.slowest_mb_s, 1900.0);  // a rehearsal's figure is nobody's speed
    QVERIFY2(s.Text().contains("1 EXCELLENT, 0 ACCEPTABLE, 0 FAIL, 1 REHEARSAL"),
             qPrintable(s.Text()));
    // An older agent's verdict (no scale recorded) is a real test.
    qdt::v1::Verdict old = real;
    old.clear_time_scale();
    QCOMPARE(ViewOf(old).kind, RatingKind::kExcellent);

    // The report: the rehearsal's own cell and count, its phases not "pass".
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("c.sqlite"), &error));
    auto* p = rehearsal.add_phases();
    p->set_name("crossfade");
    p->set_ran(true);
    p->set_passed(true);
    p->set_target_mb_s(2100);
    p->set_mean_mb_s(2650);
    store.storeEvents(
        {SampleEvent("a:1", "reh", 1, 2650, 1e9), VerdictEvent("a:1", "reh", 2, rehearsal)});
    const QString html = BuildReportHtml(store, {{"a:1", "show-mac-1", "reh"}}, "Rig");
    QVERIFY2(html.contains("<td class=\"rehearsal\">REHEARSAL ×0.1</td><td>not a show rating "
                           "(EXCELLENT: 2650 MB/s sustained)</td>"),
             qPrintable(html));
    QVERIFY(html.contains("1 REHEARSAL (shortened phases: not rated for the show)"));
    QVERIFY(html.contains("<td>pass (rehearsal)</td>"));
    QVERIFY(html.contains("Of 1 drives: 0 EXCELLENT"));
  }

  // Issue 14, item 17 (and 7): no "?" cells — "n/a" with a tooltip saying
  // why; a temperature's tooltip names its drive; an offline agent shows no
  // stale rate or temperature.
  void notAvailableCellsSayWhy() {
    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    AgentSnapshot snap;
    snap.key = "a:1";
    snap.online = true;
    model.onSnapshot(snap);
    AgentTelemetry t;
    t.key = "a:1";
    t.temperature_source = "no sensor over USB: disk5";
    model.onTelemetry(t);
    model.flush();
    auto text = [&](int c) { return model.data(model.index(0, c)).toString(); };
    auto tip = [&](int c) { return model.data(model.index(0, c), Qt::ToolTipRole).toString(); };
    QCOMPARE(text(FleetModel::kTemperature), QString("n/a"));
    QCOMPARE(tip(FleetModel::kTemperature), QString("no sensor over USB: disk5"));
    QCOMPARE(text(FleetModel::kDrive), QString("n/a"));
    QVERIFY2(tip(FleetModel::kDrive).contains("names no drive model"),
             qPrintable(tip(FleetModel::kDrive)));
    QCOMPARE(text(FleetModel::kFree), QString("n/a"));
    QCOMPARE(text(FleetModel::kPressure), QString("n/a"));
    QVERIFY(tip(FleetModel::kPressure).contains("only macOS has one"));
    for (int c = 0; c < FleetModel::kColumnCount; ++c)
      QVERIFY2(text(c) != "?", qPrintable(QString::number(c)));
    // A reading names the drive it came from.
    t.temperature_c = 38;
    t.temperature_source = "smartctl /dev/disk4 (Samsung SSD 990 PRO 2TB)";
    model.onTelemetry(t);
    model.flush();
    QCOMPARE(text(FleetModel::kTemperature), QString("38.0 °C"));
    QCOMPARE(tip(FleetModel::kTemperature),
             QString("from smartctl /dev/disk4 (Samsung SSD 990 PRO 2TB)"));
    // Samples during a run carry it too.
    model.onEvent(SampleEvent("a:1", "run-1", 1, 2000, 1e9));
    model.flush();
    QCOMPARE(text(FleetModel::kMbps), QString("2000"));
    // Offline: no stale rate, no stale temperature, and why.
    snap.online = false;
    snap.error = "agent not running at 127.0.0.1:1";
    model.onSnapshot(snap);
    model.flush();
    QCOMPARE(text(FleetModel::kMbps), QString("—"));
    QCOMPARE(text(FleetModel::kTemperature), QString("n/a"));
    QVERIFY(tip(FleetModel::kTemperature).contains("not connected"));
  }

  void summaryNamesNoRatingOnlyWhenThereIsOne() {
    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    AgentEvent e;
    e.key = "a:1";
    e.run_id = "r";
    e.event.set_seq(1);
    e.event.mutable_verdict()->set_rating(qdt::v1::RATING_EXCELLENT);
    e.event.mutable_verdict()->set_sustained_mb_s(2650);
    model.onEvent(e);
    model.flush();
    const QString text = model.summary().Text();
    QVERIFY2(text.contains("1 EXCELLENT, 0 ACCEPTABLE, 0 FAIL"), qPrintable(text));
    QVERIFY(!text.contains("NO RATING"));
  }

  void decimationKeepsPeaksAndBoundsPoints() {
    QVector<QPointF> pts;
    for (int i = 0; i < 100000; ++i) pts.push_back({double(i), 2000.0});
    pts[31337].setY(50);    // a dip
    pts[77777].setY(5000);  // a spike
    QVector<QPointF> d = DecimateMinMax(pts, 2000);
    QVERIFY(d.size() <= 2000);
    bool dip = false, spike = false;
    for (int i = 0; i < d.size(); ++i) {
      dip |= d[i].y() == 50;
      spike |= d[i].y() == 5000;
      if (i > 0) QVERIFY(d[i].x() > d[i - 1].x());
    }
    QVERIFY(dip);
    QVERIFY(spike);
    QCOMPARE(DecimateMinMax(pts.mid(0, 10), 2000).size(), 10);
  }

  void drawnSeriesStaysBoundedOverALongRun() {
    RunSeries s;
    // 2.5 hours at 10 Hz: 90,000 samples, one 4 s dip to 300 MB/s an hour in.
    // The drive's counter dips on its own (the cache answered) at 2 hours.
    for (uint64_t i = 1; i <= 90000; ++i) {
      double mb_s = (i >= 36000 && i < 36040) ? 300 : 2100 + (i % 7);
      double drive = (i >= 72000 && i < 72020) ? 12 : 2090 + (i % 5);
      s.add(i, 1e9 + i / 10.0, mb_s, 40.0, drive);
    }
    QVERIFY(s.mbps.size() <= 2 * kMaxDrawnPoints);
    QVERIFY(s.temp.size() <= 2 * kMaxDrawnPoints);
    QVERIFY(s.device.size() <= 2 * kMaxDrawnPoints);
    QVERIFY(s.device.size() >= kMaxDrawnPoints);
    bool dip = false, drive_dip = false;
    for (const QPointF& p : s.mbps) dip |= p.y() == 300;
    for (const QPointF& p : s.device) drive_dip |= p.y() == 12;
    QVERIFY(dip);
    QVERIFY(drive_dip);
    QVERIFY(s.device.back().x() > 8999.0);
    QVERIFY(s.mbps.back().x() > 8999.0);  // the newest point is kept
    s.add(5, 1e9, 0, std::nullopt);       // a repeated seq is ignored
    QVERIFY(s.mbps.back().y() != 0);
  }

  // The rig chart loads every run into the cache before it takes pointers:
  // loading inserts into a hash that moves its entries (it crashed the
  // 100-agent benchmark once).
  void rigChartOfManyRunsDrawsEveryLine() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("c.sqlite"), &error));
    QVector<std::pair<QString, QString>> runs;
    QVector<AgentEvent> batch;
    for (int a = 0; a < 150; ++a) {
      QString key = QString("10.0.0.%1:50551").arg(a);
      for (int i = 1; i <= 3; ++i) batch.push_back(SampleEvent(key, "r", i, 1000 + a, 1e9 + i));
      runs.push_back({key, "r"});
    }
    store.storeEvents(batch);
    ChartCache cache(&store);
    LiveChartView view(&cache, nullptr, /*redraw_ms=*/0);
    view.showRig(runs);
    QChart* chart = view.chart();
    QCOMPARE(chart->series().size(), 150 + 2);  // a line per run + the 656 / 2100 lines
    for (int a = 0; a < 150; ++a) {
      auto* line = qobject_cast<QLineSeries*>(chart->series()[a]);
      QVERIFY(line != nullptr);
      QCOMPARE(line->count(), 3);
      QCOMPARE(line->at(2).y(), 1000.0 + a);
    }
  }

  void storeKeepsEverySampleOnceAndRemembersAgents() {
    QTemporaryDir dir;
    const QString path = dir.filePath("console.sqlite");
    {
      SampleStore store;
      QString error;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      QVERIFY(store.addAgent("10.0.0.5:50551", "tok-a"));
      QVERIFY(store.addAgent("127.0.0.1:50551", "tok-b"));
      QVERIFY(store.addAgent("10.0.0.5:50551", "tok-c"));  // token replaced, order kept
      QVector<AgentEvent> batch;
      for (int i = 1; i <= 50; ++i) batch.push_back(SampleEvent("a:1", "run-1", i, i, 1e9 + i, 40));
      QCOMPARE(store.storeEvents(batch), 50);
      QCOMPARE(store.storeEvents(batch.mid(40)), 0);  // back-filled again: stored once
      QCOMPARE(store.sampleCount("a:1", "run-1"), 50);
      QString csv = dir.filePath("s.csv");
      QVERIFY2(store.exportCsv(csv, {}, &error), qPrintable(error));
      QFile f(csv);
      QVERIFY(f.open(QIODevice::ReadOnly));
      QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
      QCOMPARE(lines.size(), 51);
      QVERIFY(lines[0].startsWith("agent,run_id,serial,seq"));
      QVERIFY(!store.exportCsv("/nonexistent/dir/s.csv", {}, &error));
      QVERIFY(error.contains("/nonexistent/dir/s.csv"));
    }
    SampleStore again;
    QString error;
    QVERIFY(again.open(path, &error));
    auto agents = again.agents();
    QCOMPARE(agents.size(), 2);
    QCOMPARE(agents[0].first, QString("10.0.0.5:50551"));
    QCOMPARE(agents[0].second, QString("tok-c"));
    QCOMPARE(again.samples("a:1", "run-1").back().temperature_c.value_or(0), 40.0);
  }

  // Issue 15, item 17: an agent's runs each number their events from 1, so
  // the store keys samples by (agent, run, seq): two runs of one agent (and
  // a run of another agent with the same id) are each kept whole and read
  // back apart, from a real SQLite file, also after it is opened again.
  void storeKeepsEachRunOfAnAgentApart() {
    QTemporaryDir dir;
    const QString path = dir.filePath("console.sqlite");
    // read rate per sample: run-1 100+seq, run-2 200+seq, the other agent 300+seq
    const QVector<std::tuple<QString, QString, int, double>> runs = {
        {"a:1", "run-1", 20, 100}, {"a:1", "run-2", 15, 200}, {"b:1", "run-1", 10, 300}};
    auto check = [&](const SampleStore& store) {
      for (const auto& [agent, run, n, base] : runs) {
        const QString what = agent + " " + run;
        QCOMPARE(store.sampleCount(agent, run), n);
        QCOMPARE(store.lastSampleSeq(agent, run), uint64_t(n));
        const QVector<StoredSample> got = store.samples(agent, run);
        QCOMPARE(got.size(), n);
        for (int i = 0; i < n; ++i) {
          QCOMPARE(got[i].seq, uint64_t(i + 1));
          QVERIFY2(
              got[i].read_mb_s == base + i + 1,
              qPrintable(QString("%1 seq %2: %3 MB/s").arg(what).arg(i + 1).arg(got[i].read_mb_s)));
        }
      }
      QCOMPARE(store.sampleCount("a:1", "run-3"), 0);
    };
    {
      SampleStore store;
      QString error;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      // run-1 first, whole; then run-2 and the other agent's run-1 interleaved
      // in one batch, as the fleet hands them over.
      QVector<AgentEvent> first, mixed;
      for (int i = 1; i <= 20; ++i) first << SampleEvent("a:1", "run-1", i, 100 + i, 1e9 + i);
      for (int i = 1; i <= 15; ++i) {
        mixed << SampleEvent("a:1", "run-2", i, 200 + i, 1e9 + 100 + i);
        if (i <= 10) mixed << SampleEvent("b:1", "run-1", i, 300 + i, 1e9 + 100 + i);
      }
      QCOMPARE(store.storeEvents(first), 20);
      QCOMPARE(store.storeEvents(mixed), 25);
      QCOMPARE(store.storeEvents(mixed), 0);  // back-filled again: stored once
      check(store);
      const QString csv = dir.filePath("run-2.csv");
      QVERIFY2(store.exportCsv(csv, {{"a:1", "run-2"}}, &error), qPrintable(error));
      QFile f(csv);
      QVERIFY(f.open(QIODevice::ReadOnly));
      const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
      QCOMPARE(lines.size(), 1 + 15);
      QVERIFY2(lines[1].startsWith("a:1,run-2,,1,") && lines[1].contains(",201.000,"),
               qPrintable(lines[1]));
    }
    SampleStore again;
    QString error;
    QVERIFY2(again.open(path, &error), qPrintable(error));
    check(again);
  }

  // A Mac's name and target folder survive a restart; clearing one clears
  // only it; an agent that is not in the store takes none.
  void storeKeepsNamesAndTargetsAcrossARestart() {
    QTemporaryDir dir;
    const QString path = dir.filePath("console.sqlite");
    QString error;
    {
      SampleStore store;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      QVERIFY(store.addAgent("10.0.1.12:50551", "tok"));
      QVERIFY(store.setAgentName("10.0.1.12:50551", "Stage L main"));
      QVERIFY(store.setAgentTarget("10.0.1.12:50551", "/Volumes/Media"));
      QVERIFY(!store.setAgentName("10.0.1.99:50551", "nobody"));
      QVERIFY(store.addAgent("10.0.1.12:50551", "tok-2"));  // a new token keeps the name
    }
    SampleStore again;
    QVERIFY2(again.open(path, &error), qPrintable(error));
    QCOMPARE(again.agentName("10.0.1.12:50551"), QString("Stage L main"));
    QCOMPARE(again.agentTarget("10.0.1.12:50551"), QString("/Volumes/Media"));
    QVERIFY(again.setAgentName("10.0.1.12:50551", ""));
    QCOMPARE(again.agentName("10.0.1.12:50551"), QString());
    QCOMPARE(again.agentTarget("10.0.1.12:50551"), QString("/Volumes/Media"));
    QCOMPARE(again.agentName("10.0.1.99:50551"), QString());
  }

  // The drive's own rate is kept per sample beside fio's; a sample without a
  // counter keeps NULL (never 0), in the store and in both exports.
  void storeKeepsTheDriveRateAndItsAbsence() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath("c.sqlite"), &error), qPrintable(error));
    QVector<AgentEvent> batch = {
        SampleEvent("a:1", "r", 1, 700, 1e9 + 1, std::nullopt, 695.5),
        SampleEvent("a:1", "r", 2, 2300, 1e9 + 2, std::nullopt, 150.25),
        SampleEvent("a:1", "r", 3, 2400, 1e9 + 3),                     // no counter
        SampleEvent("a:1", "r", 4, 2450, 1e9 + 4, std::nullopt, 0.0),  // a counter that saw 0
    };
    QCOMPARE(store.storeEvents(batch), 4);
    const QVector<StoredSample> got = store.samples("a:1", "r");
    QCOMPARE(got.size(), 4);
    QCOMPARE(got[0].device_mb_s.value_or(-1), 695.5);
    QCOMPARE(got[1].device_mb_s.value_or(-1), 150.25);
    QCOMPARE(got[1].read_mb_s, 2300.0);
    QVERIFY(!got[2].device_mb_s.has_value());
    QVERIFY(got[3].device_mb_s.has_value());
    QCOMPARE(*got[3].device_mb_s, 0.0);

    const QString csv = dir.filePath("s.csv");
    QVERIFY2(store.exportCsv(csv, {}, &error), qPrintable(error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 5);
    QVERIFY2(lines[0].endsWith(",temperature_c,device_mb_s,stalled,silent_s"),
             qPrintable(lines[0]));
    QVERIFY2(lines[2].endsWith(",150.250,0,"), qPrintable(lines[2]));
    QVERIFY2(lines[3].endsWith(",2400.000,0.000,,,0,"), qPrintable(lines[3]));  // NULL stays empty
    const QString json = dir.filePath("s.json");
    QVERIFY2(store.exportJson(json, {}, &error), qPrintable(error));
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    QJsonArray samples =
        QJsonDocument::fromJson(j.readAll()).array()[0].toObject()["samples"].toArray();
    QCOMPARE(samples.size(), 4);
    QCOMPARE(samples[1].toObject()["device_mb_s"].toDouble(), 150.25);
    QVERIFY(samples[2].toObject()["device_mb_s"].isNull());
  }

  // A store written by the console before it kept the drive's rate: opened,
  // it gains the column, keeps every old row (which reads as "no counter"),
  // and stores the rate of new samples; opening it again changes nothing.
  void storeFromBeforeTheDriveRateIsMigrated() {
    QTemporaryDir dir;
    const QString path = dir.filePath("old.sqlite");
    {
      QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "old-store");
      db.setDatabaseName(path);
      QVERIFY(db.open());
      QSqlQuery q(db);
      // The schema as the previous console wrote it.
      for (const char* sql : {
               "CREATE TABLE agents (address TEXT PRIMARY KEY, token TEXT NOT NULL, "
               "added INTEGER NOT NULL)",
               "CREATE TABLE runs (agent TEXT NOT NULL, run_id TEXT NOT NULL, serial TEXT, "
               "model TEXT, volume TEXT, profile TEXT, started_s REAL, state TEXT, "
               "verdict_json TEXT, PRIMARY KEY (agent, run_id))",
               "CREATE INDEX runs_serial ON runs (serial)",
               "CREATE TABLE samples (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
               "seq INTEGER NOT NULL, wall_s REAL, phase INTEGER, read_mb_s REAL, "
               "target_mb_s REAL, temperature_c REAL, PRIMARY KEY (agent, run_id, seq)) "
               "WITHOUT ROWID",
               "CREATE TABLE phases (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
               "phase INTEGER NOT NULL, name TEXT, start_wall_s REAL, duration_s REAL, "
               "target_mb_s REAL, PRIMARY KEY (agent, run_id, phase))",
               "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
               "INSERT INTO agents VALUES ('a:1', 'tok', 1)",
               "INSERT INTO runs VALUES ('a:1', 'old-run', 'S123', 'T7', '/Volumes/Show', "
               "'setup-check', 1000000001, 'DONE', NULL)",
               "INSERT INTO samples VALUES ('a:1', 'old-run', 1, 1000000001, 0, 650.5, 656, 41)",
               "INSERT INTO samples VALUES ('a:1', 'old-run', 2, 1000000002, 0, 660.25, 656, "
               "NULL)",
               "INSERT INTO settings VALUES ('ca', 'PEM')",
           }) {
        QVERIFY2(q.exec(sql), qPrintable(sql + (": " + q.lastError().text())));
      }
      db.close();
    }
    QSqlDatabase::removeDatabase("old-store");

    for (int open = 1; open <= 2; ++open) {  // the second open finds the column there
      SampleStore store;
      QString error;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      QCOMPARE(store.agents().size(), 1);
      QCOMPARE(store.setting("ca"), QString("PEM"));
      auto run = store.run("a:1", "old-run");
      QVERIFY(run.has_value());
      QCOMPARE(run->serial, QString("S123"));
      QVector<StoredSample> old = store.samples("a:1", "old-run");
      QCOMPARE(old.size(), 2);
      QCOMPARE(old[0].read_mb_s, 650.5);
      QCOMPARE(old[0].temperature_c.value_or(0), 41.0);
      QCOMPARE(old[1].read_mb_s, 660.25);
      QVERIFY(!old[0].device_mb_s.has_value());
      QVERIFY(!old[1].device_mb_s.has_value());
      if (open == 1) {
        QCOMPARE(store.storeEvents({SampleEvent("a:1", "new-run", 1, 2300, 1e9 + 1, 40, 180),
                                    SampleEvent("a:1", "new-run", 2, 2310, 1e9 + 2)}),
                 2);
      }
      QVector<StoredSample> fresh = store.samples("a:1", "new-run");
      QCOMPARE(fresh.size(), 2);
      QCOMPARE(fresh[0].device_mb_s.value_or(-1), 180.0);
      QVERIFY(!fresh[1].device_mb_s.has_value());
      // The old run still charts: fio's line, no drive line.
      std::unique_ptr<QChart> chart(BuildRunChart(store, "a:1", "old-run", "old"));
      QVERIFY(SeriesNamed(chart.get(), kFioSeriesName) != nullptr);
      QCOMPARE(SeriesNamed(chart.get(), kFioSeriesName)->count(), 2);
      QVERIFY(SeriesNamed(chart.get(), kDeviceSeriesName) == nullptr);
    }
    // Exactly one new column, named as the store reads it.
    {
      QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "old-store-check");
      db.setDatabaseName(path);
      QVERIFY(db.open());
      QSqlQuery q(db);
      QVERIFY(q.exec("PRAGMA table_info(samples)"));
      QStringList columns;
      while (q.next()) columns << q.value(1).toString();
      QCOMPARE(columns,
               QStringList({"agent", "run_id", "seq", "wall_s", "phase", "read_mb_s", "target_mb_s",
                            "temperature_c", "device_mb_s", "stalled", "silent_s"}));
      db.close();
    }
    QSqlDatabase::removeDatabase("old-store-check");
  }

  // The run chart draws the drive's own rate as a thin second line with
  // exactly the stored points, and no such line for a run without a counter;
  // the live cache (events as they arrive) draws the same.
  void runChartHasTheDriveLineOnlyWithACounter() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("c.sqlite"), &error));
    QVector<AgentEvent> batch;
    for (int i = 1; i <= 20; ++i) {
      // The counter falls away in the middle (the cache answered); sample 7 has none.
      std::optional<double> drive;
      if (i != 7) drive = i >= 10 && i < 15 ? 150.0 + i : 690.0 + i;
      batch.push_back(SampleEvent("a:1", "with", i, 700 + i, 1e9 + i * 0.5, std::nullopt, drive));
      batch.push_back(SampleEvent("b:1", "without", i, 700 + i, 1e9 + i * 0.5));
    }
    QCOMPARE(store.storeEvents(batch), 40);

    std::unique_ptr<QChart> with(BuildRunChart(store, "a:1", "with", "with"));
    QLineSeries* fio = SeriesNamed(with.get(), kFioSeriesName);
    QLineSeries* drive = SeriesNamed(with.get(), kDeviceSeriesName);
    QVERIFY(fio != nullptr);
    QVERIFY(drive != nullptr);
    QVector<QPointF> expected;
    const QVector<StoredSample> stored = store.samples("a:1", "with");
    for (const StoredSample& x : stored) {
      if (x.device_mb_s) expected.push_back({x.wall_s - stored.front().wall_s, *x.device_mb_s});
    }
    QCOMPARE(expected.size(), 19);
    QCOMPARE(drive->points().size(), expected.size());
    for (int i = 0; i < expected.size(); ++i) {
      QVERIFY2(qFuzzyCompare(drive->at(i).x() + 1, expected[i].x() + 1) &&
                   drive->at(i).y() == expected[i].y(),
               qPrintable(
                   QString("point %1: %2,%3").arg(i).arg(drive->at(i).x()).arg(drive->at(i).y())));
    }
    QCOMPARE(drive->at(9).y(), 161.0);  // seq 11 (seq 7 had none): in the dip
    // Secondary: thinner than fio's line and another colour.
    QVERIFY(drive->pen().widthF() < fio->pen().widthF());
    QVERIFY(drive->pen().color() != fio->pen().color());

    std::unique_ptr<QChart> without(BuildRunChart(store, "b:1", "without", "without"));
    QVERIFY(SeriesNamed(without.get(), kFioSeriesName) != nullptr);
    QCOMPARE(SeriesNamed(without.get(), kFioSeriesName)->count(), 20);
    QVERIFY(SeriesNamed(without.get(), kDeviceSeriesName) == nullptr);
    for (QAbstractSeries* s : without->series()) {
      QVERIFY2(!s->name().contains("drive counter"), qPrintable(s->name()));
    }

    // Live: the first half stored and shown, the rest arrives as events.
    SampleStore live_store;
    QVERIFY(live_store.open(dir.filePath("live.sqlite"), &error));
    QVector<AgentEvent> first, rest;
    for (const AgentEvent& e : batch) {
      if (e.key != "a:1") continue;
      (e.event.seq() <= 10 ? first : rest).push_back(e);
    }
    live_store.storeEvents(first);
    ChartCache cache(&live_store);
    QCOMPARE(cache.series("a:1", "with").device.size(), 9);
    live_store.storeEvents(rest);
    cache.add(rest);
    const RunSeries& s = cache.series("a:1", "with");
    QCOMPARE(s.device.size(), expected.size());
    for (int i = 0; i < expected.size(); ++i) QCOMPARE(s.device[i].y(), expected[i].y());
  }

  // The verdict's words: NO RATING says why, the flag that only repeats the
  // reason is not said twice, a rated drive with a caveat shows it in its
  // cell, and the tooltip escapes the agent's text.
  void verdictWordsSayNoRatingWhyAndEveryFlag() {
    const qdt::v1::Verdict cache = ServedFromCacheVerdict();
    QCOMPARE(VerdictHeadline(cache), QString("NO RATING: ") + kCacheReason);
    QCOMPARE(VerdictFlags(cache),
             QStringList({"rested before crossfade: the drive read nothing for 450 ms <b>at</b> "
                          "the handover"}));
    qdt::v1::Verdict bare;  // an older agent's record: no rating, no reason, no summary
    QCOMPARE(VerdictHeadline(bare),
             QString("NO RATING: no reason recorded (a verdict from an older agent)"));
    qdt::v1::Verdict reason_only;
    reason_only.set_rating(qdt::v1::RATING_NO_RATING);
    reason_only.set_no_rating_reason("the run did not finish (phase crossfade)");
    QCOMPARE(VerdictHeadline(reason_only),
             QString("NO RATING: the run did not finish (phase crossfade)"));

    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    model.addAgent("b:1");
    model.onEvent(VerdictEvent("a:1", "r", 1, cache));
    model.onEvent(VerdictEvent("b:1", "r", 1, NotCrossCheckedVerdict()));
    model.flush();
    // Never a pass and never a fail: its own words and its own colour.
    QCOMPARE(model.data(model.index(0, FleetModel::kVerdict)).toString(),
             QString("NO RATING — ") + kCacheReason);
    QCOMPARE(model.data(model.index(0, FleetModel::kVerdict), Qt::BackgroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(110, 110, 110));
    QCOMPARE(model.data(model.index(1, FleetModel::kVerdict)).toString(),
             QString("EXCELLENT — 2650 MB/s sustained — ⚠ not cross-checked"));
    const QString tip =
        model.data(model.index(1, FleetModel::kVerdict), Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains("&quot;/mnt/x&quot;: &lt;b&gt;nfs&lt;/b&gt; has no diskstats"),
             qPrintable(tip));
    QVERIFY(!tip.contains("<b>nfs</b>"));
    // No rating: not counted as a pass, and the cache's 11500 MB/s is nobody's slowest.
    RigSummary sum = model.summary();
    QCOMPARE(sum.failed, 0);
    QCOMPARE(sum.unrated, 1);
    QCOMPARE(sum.excellent, 1);
    QCOMPARE(sum.slowest_mb_s, 2650.0);
    QVERIFY2(sum.Text().contains("1 EXCELLENT, 0 ACCEPTABLE, 0 FAIL, 1 NO RATING"),
             qPrintable(sum.Text()));
  }

  // The report says NO RATING with its reason and lists every flag ("not
  // cross-checked" included) per run, in the table and on the drive's page,
  // escaped; the phase table puts the drive's own counter beside fio's mean.
  void reportShowsNoRatingReasonAndFlagsEscaped() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("c.sqlite"), &error));
    QVector<AgentEvent> batch;
    for (int i = 1; i <= 10; ++i) {
      batch.push_back(SampleEvent("a:1", "cached", i, 11500, 1e9 + i, std::nullopt, 187));
      batch.push_back(SampleEvent("b:1", "nocounter", i, 2650, 1e9 + i));
    }
    batch.push_back(VerdictEvent("a:1", "cached", 11, ServedFromCacheVerdict()));
    batch.push_back(VerdictEvent("b:1", "nocounter", 11, NotCrossCheckedVerdict()));
    store.storeEvents(batch);
    const QVector<ReportRun> runs = {{"a:1", "show-mac-1", "cached"},
                                     {"b:1", "show-mac-2", "nocounter"}};
    const QString html = BuildReportHtml(store, runs, "Rig <report>");
    QVERIFY(html.contains("<title>Rig &lt;report&gt;</title>"));
    // NO RATING with its reason: the reason in the table's Why column, the
    // headline on the drive's page.
    const QString no_rating = QString("NO RATING: ") + kCacheReason;
    QVERIFY2(html.count(no_rating) == 1, qPrintable(QString::number(html.count(no_rating))));
    QVERIFY(html.contains(QString("<td class=\"norating\">NO RATING</td><td>") + kCacheReason +
                          "</td>"));
    // No sustained figure without a rating (the cache's 11500 MB/s is nobody's speed).
    QVERIFY(html.contains("<td>—</td><td class=\"norating\">NO RATING</td>"));
    QVERIFY(html.contains("<td>2650</td><td class=\"excellent\">EXCELLENT</td>"));
    // The flags, escaped, each in the table and on the drive's page.
    const QString not_checked =
        "not cross-checked: no device counter for &quot;/mnt/x&quot;: &lt;b&gt;nfs&lt;/b&gt; has "
        "no diskstats";
    QCOMPARE(html.count(not_checked), 2);
    QCOMPARE(html.count("the drive read nothing for 450 ms &lt;b&gt;at&lt;/b&gt; the handover"), 2);
    QVERIFY(!html.contains("<b>nfs</b>"));
    QVERIFY(!html.contains("<b>at</b>"));
    // The reason is not repeated as a flag.
    QCOMPARE(html.count(kCacheReason), 2);
    // The phase table: fio's mean and the drive's own.
    QVERIFY(html.contains("<th>Drive counter MB/s</th>"));
    // fio's numbers were not proven: the phase is "not rated", never "pass".
    QVERIFY(
        html.contains("<td>11500</td><td>187</td><td>12.10</td><td>0.20</td><td>not rated</td>"));
    // The rig table says NO RATING, neither PASS nor FAIL, and counts each rating apart.
    QVERIFY(!html.contains(">PASS<") && !html.contains(">FAIL<"));
    QVERIFY2(
        html.contains("Of 2 drives: 1 EXCELLENT, 0 ACCEPTABLE (below the 2100 MB/s crossfade), "
                      "0 FAIL (below 656 MB/s normal playback), 1 NO RATING"),
        qPrintable(html));
    QVERIFY(html.contains("<td>2650</td><td>not counted</td>"));

    // The same document as PDF (left in the build folder to look at).
    const QString pdf = QString(QDT_BINARY_DIR) + "/console-report-flags.pdf";
    QFile::remove(pdf);
    QVERIFY2(WriteReport(store, runs, "Rig report", QString(), pdf, &error), qPrintable(error));
    QVERIFY(QFile(pdf).size() > 10000);
  }

  // Names from DNS-SD are external input: length, UTF-8 and control
  // characters are checked, and the error names the field and the value.
  void dnsSdNamesAreCheckedAndNamed() {
    QString out, error;
    QVERIFY(CheckDnsSdText("service name", "qdt-agent on show-mac-1", 63, &out, &error));
    QCOMPARE(out, QString("qdt-agent on show-mac-1"));
    QVERIFY(CheckDnsSdText("service name", "B\xc3\xbchne links", 63, &out, &error));
    QCOMPARE(out, QString::fromUtf8("Bühne links"));
    const std::string sixty_four(64, 'x');
    QVERIFY(CheckDnsSdText("service name", sixty_four.c_str(), 64, &out, &error));
    QVERIFY(!CheckDnsSdText("service name", sixty_four.c_str(), 63, &out, &error));
    QCOMPARE(error, QString("service name \"%1\" is longer than 63 bytes")
                        .arg(QString::fromStdString(sixty_four)));
    // Longer values are shown shortened.
    const std::string long_host(2000, 'h');
    QVERIFY(!CheckDnsSdText("host name", long_host.c_str(), 1004, &out, &error));
    QCOMPARE(error,
             QString("host name \"%1…\" is longer than 1004 bytes").arg(QString(80, QChar('h'))));
    QVERIFY(!CheckDnsSdText("service name", "stage\xff\xfeleft", 63, &out, &error));
    QCOMPARE(error, QString("service name \"stage\\xff\\xfeleft\" is not UTF-8"));
    // A truncated sequence at the end is not UTF-8 either.
    QVERIFY(!CheckDnsSdText("service name", "B\xc3", 63, &out, &error));
    QCOMPARE(error, QString("service name \"B\\xc3\" is not UTF-8"));
    QVERIFY(!CheckDnsSdText("host name", "mac\t1.local.", 1004, &out, &error));
    QCOMPARE(error, QString("host name \"mac\\x091.local.\" contains a control character"));
    QVERIFY(!CheckDnsSdText("host name", "", 1004, &out, &error));
    QCOMPARE(error, QString("host name is empty"));
    QVERIFY(!CheckDnsSdText("host name", nullptr, 1004, &out, &error));
  }

  // A and AAAA rdata become the agent's "IP:port"; anything else is refused
  // with the reason.
  void dnsRecordsGiveAgentAddresses() {
    QString address, error;
    const unsigned char v4[] = {10, 0, 1, 12};
    QVERIFY2(AddressFromRecord(1, v4, sizeof(v4), 50551, &address, &error), qPrintable(error));
    QCOMPARE(address, QString("10.0.1.12:50551"));
    unsigned char v6[16] = {};
    v6[15] = 1;  // ::1
    QVERIFY2(AddressFromRecord(28, v6, sizeof(v6), 50551, &address, &error), qPrintable(error));
    QCOMPARE(address, QString("[::1]:50551"));
    QVERIFY(!AddressFromRecord(1, v4, 3, 50551, &address, &error));
    QCOMPARE(error, QString("A record of 3 bytes is not an IPv4 address (4 bytes)"));
    QVERIFY(!AddressFromRecord(28, v4, sizeof(v4), 50551, &address, &error));
    QCOMPARE(error, QString("AAAA record of 4 bytes is not an IPv6 address (16 bytes)"));
    unsigned char link_local[16] = {0xfe, 0x80};
    link_local[15] = 7;
    QVERIFY(!AddressFromRecord(28, link_local, sizeof(link_local), 50551, &address, &error));
    QCOMPARE(error, QString("IPv6 address fe80::7 is link-local: it needs an interface scope"));
    QVERIFY(!AddressFromRecord(1, v4, sizeof(v4), 0, &address, &error));
    QCOMPARE(error, QString("port 0 is not an agent's port"));
    QVERIFY(!AddressFromRecord(16, v4, sizeof(v4), 50551, &address, &error));
    QCOMPARE(error, QString("DNS record type 16 is not A (1) or AAAA (28)"));
  }

  // Live discovery through dns_sd.h: two real agents announced by Avahi are
  // both listed with their ports; one that stops is dropped while the other
  // stays; a daemon that stops is said once and empties the list. Needs the
  // network namespace and avahi-daemon of tests/discovery/discovery_test.sh,
  // which runs this function there (QDT_DISCOVERY_AGENT: the qdt-agent).
  void discoveryFollowsAgentsComingAndGoing() {
    const QString agent_bin = qEnvironmentVariable("QDT_DISCOVERY_AGENT");
    if (agent_bin.isEmpty()) QSKIP("run by tests/discovery/discovery_test.sh in its namespace");
    QTemporaryDir dir;
    struct Agent {
      QString name;
      QProcess process;
      QString port;
    } agents[2];
    agents[0].name = "QDT stage left";
    agents[1].name = QString::fromUtf8("QDT Bühne rechts");
    for (int i = 0; i < 2; ++i) {
      const QString state = dir.filePath(QString("state%1").arg(i));
      QVERIFY(QDir().mkpath(state));
      agents[i].process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
      agents[i].process.start(
          agent_bin, {"--listen", "127.0.0.1:0", "--port-file", state + "/port", "--state-dir",
                      state, "--advertise-name", agents[i].name});
      QVERIFY(agents[i].process.waitForStarted());
      QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(state + "/port").size() > 0, 20000);
      QFile port(state + "/port");
      QVERIFY(port.open(QIODevice::ReadOnly));
      agents[i].port = QString::fromUtf8(port.readAll()).trimmed();
    }
    auto listed = [](const QVector<DiscoveredAgent>& found, const Agent& a) {
      for (const auto& d : found) {
        if (d.name == a.name && d.address == "127.0.0.1:" + a.port) return true;
      }
      return false;
    };
    Discovery discovery(nullptr, 1000);
    QSignalSpy problems(&discovery, &Discovery::unavailable);
    discovery.start();
    QTRY_VERIFY_WITH_TIMEOUT(
        listed(discovery.agents(), agents[0]) && listed(discovery.agents(), agents[1]), 30000);
    for (const auto& d : discovery.agents()) {
      QVERIFY2(!d.host.isEmpty() && !d.host.endsWith('.'), qPrintable(d.host));
      QCOMPARE(d.interface, QString("lo"));
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.value(0).value(0).toString()));
    // The first agent stops: its announcement is withdrawn (Add unset).
    QSignalSpy changes(&discovery, &Discovery::agentsChanged);
    agents[0].process.terminate();
    QVERIFY(agents[0].process.waitForFinished(10000));
    QTRY_VERIFY_WITH_TIMEOUT(!listed(discovery.agents(), agents[0]), 30000);
    QVERIFY(listed(discovery.agents(), agents[1]));
    QVERIFY(!changes.isEmpty());
    QVERIFY(listed(changes.last().value(0).value<QVector<DiscoveredAgent>>(), agents[1]));
    // The daemon stops: the list empties and the reason is said once, even
    // though the browse is retried every second.
    QVERIFY(QProcess::execute("avahi-daemon", {"-k"}) == 0);
    QTRY_VERIFY_WITH_TIMEOUT(discovery.agents().isEmpty(), 30000);
    QTest::qWait(3000);
    QCOMPARE(problems.size(), 1);
    QVERIFY2(problems[0][0].toString().startsWith("Avahi daemon not running: "),
             qPrintable(problems[0][0].toString()));
    agents[1].process.terminate();
    QVERIFY(agents[1].process.waitForFinished(10000));
  }

  void badAgentAddressesNameTheValue() {
    QString error;
    QVERIFY(ValidAgentAddress("show-mac-1.local:50551", &error));
    QVERIFY(!ValidAgentAddress("show-mac-1.local", &error));
    QCOMPARE(
        error,
        QString("agent address \"show-mac-1.local\" is not HOST:PORT with a port in 1..65535"));
    QVERIFY(!ValidAgentAddress("host:0", &error));
    QVERIFY(!ValidAgentAddress("host:70000", &error));
    QVERIFY(!ValidAgentAddress(":50551", &error));
  }
};

QTEST_MAIN(ConsoleUnitTest)
#include "console_unit_test.moc"
