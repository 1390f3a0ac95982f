// Console pieces without agents: the model's cell-precise dataChanged, the
// decimation of what is drawn, the store (real SQLite file) and address checks.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtCharts/QLineSeries>
#include <QtTest>
#include <cmath>

#include "console/app/charts.h"
#include "console/app/discovery.h"
#include "console/app/fleet.h"
#include "console/app/fleet_model.h"
#include "console/app/sample_store.h"

using namespace qdt::console;

namespace {

AgentEvent SampleEvent(const QString& key, const QString& run, uint64_t seq, double mb_s,
                       double wall_s, std::optional<double> temp = std::nullopt) {
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
  return e;
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
    // A missing temperature is shown as unknown, never 0.
    QCOMPARE(model.data(model.index(0, FleetModel::kTemperature)).toString(), QString("?"));
  }

  void failFlagAndRigSummary() {
    FleetModel model(nullptr, 1000000);
    model.addAgent("a:1");
    model.addAgent("b:1");
    model.addAgent("c:1");
    auto verdict = [&](const QString& key, qdt::v1::Rating rating, double sustained) {
      AgentEvent e;
      e.key = key;
      e.run_id = "r";
      e.event.set_seq(1);
      auto* v = e.event.mutable_verdict();
      v->set_rating(rating);
      v->set_sustained_mb_s(sustained);
      v->set_crossfade_target_mb_s(2100);
      v->set_fails_crossfade_target(rating != qdt::v1::RATING_EXCELLENT);
      model.onEvent(e);
    };
    verdict("a:1", qdt::v1::RATING_EXCELLENT, 2650);
    verdict("b:1", qdt::v1::RATING_ACCEPTABLE, 1200);
    verdict("c:1", qdt::v1::RATING_FAIL, 420);
    model.flush();
    QCOMPARE(model.data(model.index(0, FleetModel::kVerdict)).toString(),
             QString("✓ EXCELLENT — 2650 MB/s"));
    QCOMPARE(model.data(model.index(1, FleetModel::kVerdict)).toString(),
             QString("✗ FAIL < 2100 MB/s — ACCEPTABLE, 1200 MB/s"));
    QCOMPARE(model.data(model.index(1, FleetModel::kVerdict), Qt::BackgroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(200, 30, 30));
    RigSummary s = model.summary();
    QCOMPARE(s.passed, 1);
    QCOMPARE(s.failed, 2);
    QCOMPARE(s.slowest_key, QString("c:1"));
    QCOMPARE(s.slowest_mb_s, 420.0);
    QVERIFY(s.Text().contains("1 pass, 2 FAIL the 2100 MB/s crossfade"));
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
    for (uint64_t i = 1; i <= 90000; ++i) {
      double mb_s = (i >= 36000 && i < 36040) ? 300 : 2100 + (i % 7);
      s.add(i, 1e9 + i / 10.0, mb_s, 40.0);
    }
    QVERIFY(s.mbps.size() <= 2 * kMaxDrawnPoints);
    QVERIFY(s.temp.size() <= 2 * kMaxDrawnPoints);
    bool dip = false;
    for (const QPointF& p : s.mbps) dip |= p.y() == 300;
    QVERIFY(dip);
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

  void avahiBrowseOutputGivesNameAndAddress() {
    QFile f(QString(QDT_FIXTURE_DIR) + "/avahi/local_avahi-browse_rpt_qdt_tcp_lo_netns.txt");
    QVERIFY(f.open(QIODevice::ReadOnly));
    auto found = ParseAvahiBrowse(QString::fromUtf8(f.readAll()));
    QCOMPARE(found.size(), 1);  // the "+" (not yet resolved) line is not an agent
    QCOMPARE(found[0].name, QString("qdt-agent test"));  // \032 is a space
    QCOMPARE(found[0].address, QString("127.0.0.1:50551"));
    QCOMPARE(found[0].host, QString("vm.local"));
    QCOMPARE(found[0].interface, QString("lo"));
    auto v6 = ParseAvahiBrowse(
        "=;lo;IPv6;x;_qdt._tcp;local;h.local;::1;50551;\n"
        "=;lo;IPv4;other;_http._tcp;local;h.local;127.0.0.1;80;\n"
        "=;lo;IPv4;broken;_qdt._tcp;local;h.local;127.0.0.1;notaport;\n");
    QCOMPARE(v6.size(), 1);
    QCOMPARE(v6[0].address, QString("[::1]:50551"));
    QVERIFY(ParseAvahiBrowse("").isEmpty());
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
