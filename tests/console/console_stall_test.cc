// A stall as the console shows it (agent.proto Sample.stalled): fio said
// nothing for interval_s while the phase ran, so nothing was measured. One
// stream, as the agent sends it (agent/run/phase_sampler.cc StallSample and
// AddSamples): measured samples, two stalled samples a second apart (each
// with the whole silence so far), then the report that ended the stall
// split into five samples whose wall times lie in the past (later seq,
// earlier wall time), then measured samples again. Offscreen, with a real
// SQLite file:
// - the rate cell and the board tile say "fio silent 3 s" on amber stripes
//   (never "0", never the green / red of a rate) until the backfill, then
//   the backfill's rate against the target;
// - the chart has no rate point for the stall, a hatched band where fio was
//   silent, and every line sorted by time (live cache, store load, the
//   report's copy, a long decimated run, a stall before the first sample);
// - the store keeps the stall's rows marked with no rate (NULL in the file:
//   an SQL average skips them), the CSV / JSON exports carry the mark, the
//   report says how many samples were stalls and where;
// - a store from before stalls were kept opens with every row, gains the
//   two columns, and reads its rows as measured.
// Leaves build/screenshots/console-board-stall.png and
// console-chart-stall.png for a person to look at.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QLineSeries>
#include <QtTest>
#include <cmath>
#include <memory>

#include "console/app/board_view.h"
#include "console/app/charts.h"
#include "console/app/fleet_model.h"
#include "console/app/report.h"
#include "console/app/sample_store.h"

using namespace qdt::console;

namespace {

constexpr double kW = 1.7e9;  // wall time of the stream's first sample
constexpr double kTarget = 2100;
const QColor kGreen(30, 120, 55), kRed(180, 30, 30), kBlue(40, 70, 120);

AgentEvent Sample(const QString& key, uint64_t seq, double wall_s, double mb_s, double temp_c) {
  AgentEvent e;
  e.key = key;
  e.run_id = "r";
  e.event.set_seq(seq);
  auto* s = e.event.mutable_sample();
  s->mutable_wall_time()->set_seconds(static_cast<int64_t>(std::floor(wall_s)));
  s->mutable_wall_time()->set_nanos(static_cast<int32_t>((wall_s - std::floor(wall_s)) * 1e9));
  *e.event.mutable_time() = s->wall_time();
  s->set_interval_s(1);
  s->set_read_bytes_per_s(mb_s * 1e6);
  s->set_device_read_bytes_per_s(mb_s * 0.99e6);
  s->set_target_bytes_per_s(kTarget * 1e6);
  s->set_temperature_c(temp_c);
  return e;
}

// A stalled sample as StallSample() makes it: rates 0, interval_s = the
// silence so far, the target and temperature still said.
AgentEvent Stall(const QString& key, uint64_t seq, double wall_s, double silent_s) {
  AgentEvent e = Sample(key, seq, wall_s, 0, 44);
  e.event.mutable_sample()->clear_device_read_bytes_per_s();
  e.event.mutable_sample()->set_stalled(true);
  e.event.mutable_sample()->set_interval_s(silent_s);
  return e;
}

// The stream: 2200 MB/s at kW+0..kW+4; fio silent from kW+4: stalls said
// at kW+7.5 (3.5 s) and kW+8.5 (4.5 s); fio's report at kW+9 covers
// kW+4..kW+9 at 1800 MB/s, split into five samples at kW+5..kW+9 (sent
// after the stalls: seq 8..12); then 2150 MB/s at kW+10..kW+12.
QVector<AgentEvent> Stream(const QString& key) {
  QVector<AgentEvent> out;
  uint64_t seq = 0;
  for (int i = 0; i < 5; ++i) out.push_back(Sample(key, ++seq, kW + i, 2200, 40));
  out.push_back(Stall(key, ++seq, kW + 7.5, 3.5));
  out.push_back(Stall(key, ++seq, kW + 8.5, 4.5));
  for (int i = 5; i <= 9; ++i) out.push_back(Sample(key, ++seq, kW + i, 1800, 41));
  for (int i = 10; i <= 12; ++i) out.push_back(Sample(key, ++seq, kW + i, 2150, 42));
  return out;
}
constexpr int kMeasured = 13, kStalls = 2;

QString Xs(const QVector<QPointF>& points) {
  QStringList xs;
  for (const QPointF& p : points) xs << QString("%1:%2").arg(p.x()).arg(p.y());
  return xs.join(' ');
}

// Sorted by x, no 0 rate, every point one of the stream's measured rates.
void CheckRateLine(const QVector<QPointF>& line, const char* what) {
  for (int i = 0; i < line.size(); ++i) {
    QVERIFY2(line[i].y() == 2200 || line[i].y() == 1800 || line[i].y() == 2150,
             qPrintable(QString("%1: point %2 is %3 MB/s (%4)")
                            .arg(what)
                            .arg(i)
                            .arg(line[i].y())
                            .arg(Xs(line))));
    if (i > 0) {
      QVERIFY2(
          line[i].x() >= line[i - 1].x(),
          qPrintable(QString("%1: out of time order at %2: %3").arg(what).arg(i).arg(Xs(line))));
    }
  }
}

// The measured points of the stream, x = seconds since kW, in time order.
QVector<QPointF> ExpectedRate() {
  QVector<QPointF> out;
  for (int i = 0; i <= 12; ++i)
    out.push_back({double(i), i < 5 ? 2200.0 : i < 10 ? 1800.0 : 2150.0});
  return out;
}

void CompareSeries(const RunSeries& s, const char* what) {
  CheckRateLine(s.mbps, what);
  const QVector<QPointF> want = ExpectedRate();
  QVERIFY2(s.mbps.size() == want.size(), qPrintable(QString("%1: %2").arg(what, Xs(s.mbps))));
  for (int i = 0; i < want.size(); ++i) {
    QVERIFY2(std::abs(s.mbps[i].x() - want[i].x()) < 1e-6 && s.mbps[i].y() == want[i].y(),
             qPrintable(QString("%1 point %2: %3").arg(what).arg(i).arg(Xs(s.mbps))));
  }
  for (int i = 1; i < s.device.size(); ++i) QVERIFY(s.device[i].x() >= s.device[i - 1].x());
  for (int i = 1; i < s.temp.size(); ++i) QVERIFY(s.temp[i].x() >= s.temp[i - 1].x());
  QCOMPARE(s.device.size(), kMeasured);  // the stall had no counter: none drawn at 0
  for (const QPointF& p : s.device) QVERIFY2(p.y() > 1000, qPrintable(Xs(s.device)));
  // One merged span where fio was silent: from kW+4 to the last stall, kW+8.5.
  QCOMPARE(s.stalls.size(), 1);
  QVERIFY2(std::abs(s.stalls[0].first - 4) < 1e-6 && std::abs(s.stalls[0].second - 8.5) < 1e-6,
           qPrintable(
               QString("%1: span %2-%3").arg(what).arg(s.stalls[0].first).arg(s.stalls[0].second)));
  QCOMPARE(s.t0, kW);
}

QAreaSeries* StallBand(QChart* chart) {
  for (QAbstractSeries* s : chart->series()) {
    if (s->name() == kStallSeriesName) return qobject_cast<QAreaSeries*>(s);
  }
  return nullptr;
}

QLineSeries* Line(QChart* chart, const QString& name) {
  for (QAbstractSeries* s : chart->series()) {
    if (s->name() == name) return qobject_cast<QLineSeries*>(s);
  }
  return nullptr;
}

QString ScreenshotPath(const QString& name) {
  QDir().mkpath(QString(QDT_BINARY_DIR) + "/screenshots");
  return QString(QDT_BINARY_DIR) + "/screenshots/" + name;
}

}  // namespace

class ConsoleStallTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { RegisterFleetTypes(); }

  // The table's rate cell, its colours and tooltip, and the board tile,
  // before, during and after the stall; the real table and board widgets
  // follow the model.
  void boardSaysFioSilentNeverZero() {
    FleetModel model(nullptr, 1'000'000);
    // Beside it, two Macs whose rates are measured: one holds its target, one misses it.
    for (const char* key : {"a:1", "b:1", "c:1"}) {
      model.addAgent(key);
      AgentSnapshot s;
      s.key = key;
      s.online = true;
      s.hostname = QString("show-mac-") + key[0];
      model.onSnapshot(s);
    }
    model.onEvent(Sample("b:1", 1, kW, 2240, 38));
    model.onEvent(Sample("c:1", 1, kW, 1460, 51));
    AgentSnapshot up;
    up.key = "a:1";
    up.online = true;
    up.hostname = "show-mac-a";
    model.flush();
    QTableView table;
    table.setModel(&model);
    table.resize(1000, 200);
    table.show();
    BoardView board(&model);
    board.resize(1200, 300);
    board.show();
    QVERIFY(QTest::qWaitForWindowExposed(&board));

    const QVector<AgentEvent> stream = Stream("a:1");
    const QModelIndex rate = model.index(0, FleetModel::kMbps);
    auto feed = [&](int from, int to) {  // events [from, to) in one flush
      for (int i = from; i < to; ++i) model.onEvent(stream[i]);
      model.flush();
    };
    auto background = [&] { return rate.data(Qt::BackgroundRole).value<QBrush>(); };

    feed(0, 5);
    QCOMPARE(rate.data().toString(), QString("2200 / 2100"));
    QCOMPARE(background().color(), kGreen);
    QCOMPARE(TileOf(model.row(0)).headline, QString("2200 / 2100 MB/s"));
    QVERIFY(rate.data(Qt::ToolTipRole).toString() == rate.data().toString());  // nothing to add

    feed(5, 6);  // the first stall: 3.5 s silent
    QCOMPARE(rate.data().toString(), QString("fio silent 3 s"));
    QCOMPARE(table.model()->data(rate).toString(), QString("fio silent 3 s"));
    const QBrush stall_brush = background();
    QVERIFY2(stall_brush.gradient() != nullptr, "a stall's cell is striped");
    for (const QGradientStop& stop : stall_brush.gradient()->stops()) {
      QVERIFY(stop.second != kGreen && stop.second != kRed && stop.second != kBlue);
      QVERIFY(stop.second == QColor(kStallRgb) || stop.second == QColor(kStallStripeRgb));
    }
    QCOMPARE(rate.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(Qt::black));
    const QString why = rate.data(Qt::ToolTipRole).toString();
    QVERIFY2(why.contains("fio has reported nothing for 3.5 s") && why.contains("not 0 MB/s"),
             qPrintable(why));
    BoardTile tile = TileOf(model.row(0));
    QCOMPARE(tile.headline, QString("fio silent 3 s"));
    QVERIFY(tile.stalled);
    QVERIFY(tile.background != kGreen && tile.background != kRed && tile.background != kBlue);
    QCOMPARE(tile.background, QColor(kStallRgb));
    QVERIFY(!LiveHoldsTarget(model.row(0)).has_value());  // no rate: neither holds nor misses
    QVERIFY(LiveAgainstTarget(model.row(0)).isEmpty());
    QCOMPARE(model.data(rate, FleetModel::kSortRole).toDouble(), -1.0);  // sorts as "no rate"
    // The painted board: amber and its stripe inside the tile, no rate colour.
    {
      const QImage shot = board.grab().toImage();
      QVERIFY(shot.save(ScreenshotPath("console-board-stall.png")));
      QCOMPARE(BoardView::GridFor(3, shot.width(), shot.height()), QSize(3, 1));
      // The first tile (a third of the width), away from its rounded edges.
      const int third = shot.width() / 3;
      int amber = 0, stripe = 0, rate_colour = 0;
      for (int y = shot.height() / 4; y < shot.height() * 3 / 4; y += 3) {
        for (int x = third / 4; x < third * 3 / 4; x += 3) {
          const QColor c = shot.pixelColor(x, y);
          amber += c == QColor(kStallRgb);
          stripe += c == QColor(kStallStripeRgb);
          rate_colour += c == kGreen || c == kRed || c == kBlue;
        }
      }
      QVERIFY2(amber > 100 && stripe > 100 && rate_colour == 0,
               qPrintable(QString("amber %1, stripe %2, rate colours %3")
                              .arg(amber)
                              .arg(stripe)
                              .arg(rate_colour)));
    }

    QCOMPARE(TileOf(model.row(1)).background, kGreen);  // the others keep theirs
    QCOMPARE(TileOf(model.row(2)).background, kRed);

    feed(6, 7);  // said again a second later: the silence grows
    QCOMPARE(rate.data().toString(), QString("fio silent 4 s"));
    QCOMPARE(TileOf(model.row(0)).headline, QString("fio silent 4 s"));
    for (int c = 0; c < FleetModel::kColumnCount; ++c) {
      QVERIFY2(!model.index(0, c).data().toString().contains(QRegularExpression("^0( |$)")),
               qPrintable(model.index(0, c).data().toString()));
    }

    feed(7, 12);  // fio spoke: the backfilled windows, the last one now
    QCOMPARE(rate.data().toString(), QString("1800 / 2100"));
    QCOMPARE(background().color(), kRed);
    QVERIFY(background().gradient() == nullptr);
    tile = TileOf(model.row(0));
    QCOMPARE(tile.headline, QString("1800 / 2100 MB/s"));
    QVERIFY(!tile.stalled);
    QCOMPARE(tile.background, kRed);

    // Stalled again, then the agent goes away: the last silence is not current.
    model.onEvent(Stall("a:1", 100, kW + 20, 2.6));
    model.flush();
    QCOMPARE(rate.data().toString(), QString("fio silent 2 s"));
    AgentSnapshot down = up;
    down.online = false;
    down.error = "agent not running at a:1";
    model.onSnapshot(down);
    model.flush();
    QCOMPARE(rate.data().toString(), QString("—"));
    QVERIFY(!TileOf(model.row(0)).stalled);
    model.onSnapshot(up);
    // The run ended while stalled: no silence shown once it is over.
    AgentEvent done;
    done.key = "a:1";
    done.run_id = "r";
    done.event.set_seq(101);
    done.event.mutable_state()->set_state(qdt::v1::RUN_STATE_FAILED);
    model.onEvent(done);
    model.flush();
    QVERIFY2(!rate.data().toString().contains("silent"), qPrintable(rate.data().toString()));
  }

  // A stalled sample whose silence is not a usable number still says the
  // stall, without a figure.
  void aStallWithoutAUsableLengthSaysSoWithoutAFigure() {
    for (double bad : {0.0, -3.0, std::nan(""), 1e12}) {
      FleetModel model(nullptr, 1'000'000);
      model.addAgent("a:1");
      AgentSnapshot up;
      up.key = "a:1";
      up.online = true;
      model.onSnapshot(up);
      model.onEvent(Stall("a:1", 1, kW, bad));
      model.flush();
      QCOMPARE(model.index(0, FleetModel::kMbps).data().toString(), QString("fio silent"));
      QCOMPARE(TileOf(model.row(0)).headline, QString("fio silent"));
      RunSeries s;
      s.addStall(1, kW, bad, std::nullopt);
      QCOMPARE(s.stalls.size(), 1);
      QCOMPARE(s.stalls[0].first, s.stalls[0].second);  // a mark, not a made-up length
      QCOMPARE(s.t0, kW);
      QVERIFY(s.mbps.isEmpty());
      QTemporaryDir dir;
      SampleStore store;
      QString error;
      QVERIFY2(store.open(dir.filePath("c.sqlite"), &error), qPrintable(error));
      QCOMPARE(store.storeEvents({Stall("a:1", 1, kW, bad)}), 1);
      const QVector<StoredSample> got = store.samples("a:1", "r");
      QVERIFY(got.size() == 1 && got[0].stalled && !got[0].silent_s.has_value());
    }
  }

  // The chart: live (the cache fed batch by batch after the store, as the
  // window does), from the store, and the report's copy all draw the same
  // sorted rates with no 0 and one band; the band series is in the chart.
  void chartHasNoRatePointForAStallAndStaysInTimeOrder() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath("c.sqlite"), &error), qPrintable(error));
    const QVector<AgentEvent> stream = Stream("a:1");
    // The first samples are stored and the chart is shown (loaded from the
    // store); the rest arrives in batches, the first of them re-delivering
    // two events the store already has (seq de-dup).
    store.storeEvents(stream.mid(0, 4));
    ChartCache cache(&store);
    QCOMPARE(cache.series("a:1", "r").mbps.size(), 4);
    for (const QVector<AgentEvent>& batch :
         {stream.mid(2, 4), stream.mid(6, 1), stream.mid(7, 5), stream.mid(12)}) {
      store.storeEvents(batch);
      cache.add(batch);
    }
    CompareSeries(cache.series("a:1", "r"), "live");
    CompareSeries(LoadSeries(store, "a:1", "r"), "loaded");
    // Delivered again (a reconnect re-sends the backfill): nothing changes.
    cache.add(stream.mid(7, 5));
    CompareSeries(cache.series("a:1", "r"), "re-delivered");
    const QVector<StoredSample> stored = store.samples("a:1", "r");
    QCOMPARE(stored.size(), kMeasured + kStalls);
    const RunSeries report = ReportSeries(stored, 600);
    CompareSeries(report, "report");

    // The widget the window shows: the band under the rates, named in the legend.
    LiveChartView view(&cache, nullptr, 0);
    view.resize(900, 420);
    view.showRun("a:1", "r", "show-mac-1: read MB/s");
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QLineSeries* fio = Line(view.chart(), kFioSeriesName);
    QVERIFY(fio != nullptr);
    CheckRateLine(fio->points(), "drawn");
    QCOMPARE(fio->count(), kMeasured);
    QAreaSeries* band = StallBand(view.chart());
    QVERIFY2(band != nullptr, "no stall band in the chart");
    const QVector<QPointF> edge = band->upperSeries()->points();
    QCOMPARE(edge.size(), 4);  // one rectangle: 4 s to 8.5 s, full height
    QCOMPARE(edge[0].x(), 4.0);
    QCOMPARE(edge[2].x(), 8.5);
    QVERIFY(edge[1].y() >= 2200);
    QVERIFY(view.chart()->legend()->markers(band).size() == 1);
    QVERIFY(view.grab().toImage().save(ScreenshotPath("console-chart-stall.png")));

    // A run without a stall has no band.
    std::unique_ptr<QChart> plain(BuildRunChart(LoadSeries(store, "none", "r"), {}, "none"));
    QVERIFY(StallBand(plain.get()) == nullptr);
  }

  // A long run (decimated as it grows), then a stall whose backfill lands
  // before the newest points: still sorted, bounded, no 0.
  void aLongRunStaysSortedAndBoundedAcrossAStall() {
    RunSeries s;
    uint64_t seq = 0;
    for (int i = 0; i < 4500; ++i) s.add(++seq, kW + i * 0.5, 2200, 40.0, 2190.0);
    const double last = kW + 4499 * 0.5;
    s.addStall(++seq, last + 3.5, 3.5, 41.0);
    s.addStall(++seq, last + 4.5, 4.5, 41.0);
    for (int k = 1; k <= 5; ++k) s.add(++seq, last + k, 1800, 41.0, 1790.0);  // earlier than 4.5
    s.add(++seq, last + 5.5, 2150, 41.0, 2140.0);
    QVERIFY(s.mbps.size() <= 2 * kMaxDrawnPoints);
    CheckRateLine(s.mbps, "long");
    for (int i = 1; i < s.device.size(); ++i) QVERIFY(s.device[i].x() >= s.device[i - 1].x());
    QCOMPARE(s.mbps.back().y(), 2150.0);
    QCOMPARE(s.stalls.size(), 1);
    QCOMPARE(s.stalls[0].second, last + 4.5 - kW);
  }

  // A stall before the first measured sample (fio silent from the phase's
  // start): x = 0 moves to where the silence began; nothing is negative.
  void aStallBeforeTheFirstSampleMovesTheOrigin() {
    RunSeries s;
    s.addStall(1, kW + 3, 3, std::nullopt);
    QCOMPARE(s.t0, kW);
    s.addStall(2, kW + 4, 4, std::nullopt);
    s.add(3, kW + 1, 900, std::nullopt);
    s.add(4, kW + 4.5, 950, std::nullopt);
    QCOMPARE(s.stalls.size(), 1);
    QCOMPARE(s.stalls[0], std::make_pair(0.0, 4.0));
    QCOMPARE(s.mbps, QVector<QPointF>({{1, 900}, {4.5, 950}}));
    // A backfill earlier than anything seen moves every x by the difference.
    RunSeries late;
    late.add(1, kW + 10, 1000, 40.0);
    late.addStall(2, kW + 13, 2.5, std::nullopt);  // silent from kW+10.5
    late.add(3, kW + 8, 700, 39.0);                // earlier than t0
    QCOMPARE(late.t0, kW + 8);
    QCOMPARE(late.mbps, QVector<QPointF>({{0, 700}, {2, 1000}}));
    QCOMPARE(late.temp, QVector<QPointF>({{0, 39}, {2, 40}}));
    QCOMPARE(late.stalls[0], std::make_pair(2.5, 5.0));
  }

  // The store keeps every row, the stall's marked with no rate; the file's
  // own average skips them; the exports carry the mark; the report counts
  // and places them.
  void storeExportsAndReportMarkTheStall() {
    QTemporaryDir dir;
    const QString path = dir.filePath("c.sqlite");
    SampleStore store;
    QString error;
    QVERIFY2(store.open(path, &error), qPrintable(error));
    QCOMPARE(store.storeEvents(Stream("a:1")), kMeasured + kStalls);
    const QVector<StoredSample> got = store.samples("a:1", "r");
    QCOMPARE(got.size(), kMeasured + kStalls);
    double measured_sum = 0;
    for (const StoredSample& x : got) {
      const bool stall = x.seq == 6 || x.seq == 7;
      QCOMPARE(x.stalled, stall);
      QCOMPARE(x.silent_s.has_value(), stall);
      if (stall) {
        QVERIFY(!x.device_mb_s.has_value());
        QCOMPARE(x.target_mb_s, kTarget);  // what was due is still known
        QCOMPARE(x.temperature_c.value_or(0), 44.0);
      } else {
        measured_sum += x.read_mb_s;
      }
    }
    QCOMPARE(got[5].silent_s.value_or(0), 3.5);
    QCOMPARE(got[6].silent_s.value_or(0), 4.5);
    {
      // The file itself: NULL rates for the stalls, so SQL's AVG is the measured mean.
      QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "stall-check");
      db.setDatabaseName(path);
      QVERIFY(db.open());
      QSqlQuery q(db);
      QVERIFY(
          q.exec("SELECT AVG(read_mb_s), AVG(device_mb_s), SUM(stalled), COUNT(*) FROM "
                 "samples WHERE agent = 'a:1' AND run_id = 'r'"));
      QVERIFY(q.next());
      QCOMPARE(q.value(0).toDouble(), measured_sum / kMeasured);
      QCOMPARE(q.value(1).toDouble(), measured_sum / kMeasured * 0.99);
      QCOMPARE(q.value(2).toInt(), kStalls);
      QCOMPARE(q.value(3).toInt(), kMeasured + kStalls);
      db.close();
    }
    QSqlDatabase::removeDatabase("stall-check");

    const QString csv = dir.filePath("s.csv");
    QVERIFY2(store.exportCsv(csv, {}, &error), qPrintable(error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + kMeasured + kStalls);
    const QStringList header = lines[0].split(',');
    const int rate_col = header.indexOf("read_mb_s"), stalled_col = header.indexOf("stalled"),
              silent_col = header.indexOf("silent_s"), device_col = header.indexOf("device_mb_s");
    QVERIFY2(rate_col >= 0 && stalled_col >= 0 && silent_col >= 0 && device_col >= 0,
             qPrintable(lines[0]));
    double csv_sum = 0;
    int csv_rates = 0;
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList cells = lines[i].split(',');
      QCOMPARE(cells.size(), header.size());
      const bool stall = cells[header.indexOf("seq")] == "6" || cells[header.indexOf("seq")] == "7";
      QCOMPARE(cells[stalled_col], QString(stall ? "1" : "0"));
      if (stall) {
        QVERIFY2(cells[rate_col].isEmpty() && cells[device_col].isEmpty(), qPrintable(lines[i]));
        QVERIFY2(cells[silent_col] == "3.500" || cells[silent_col] == "4.500",
                 qPrintable(lines[i]));
      } else {
        QVERIFY(cells[silent_col].isEmpty());
        csv_sum += cells[rate_col].toDouble();
        ++csv_rates;
      }
    }
    QCOMPARE(csv_rates, kMeasured);
    QCOMPARE(csv_sum / csv_rates, measured_sum / kMeasured);

    const QString json = dir.filePath("s.json");
    QVERIFY2(store.exportJson(json, {}, &error), qPrintable(error));
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    const QJsonArray samples =
        QJsonDocument::fromJson(j.readAll()).array()[0].toObject()["samples"].toArray();
    QCOMPARE(samples.size(), kMeasured + kStalls);
    int json_stalls = 0;
    for (const QJsonValue& v : samples) {
      const QJsonObject o = v.toObject();
      QVERIFY2(o.contains("stalled") && o["stalled"].isBool(),
               qPrintable(QJsonDocument(o).toJson()));
      if (o["stalled"].toBool()) {
        ++json_stalls;
        QVERIFY(o["read_mb_s"].isNull());
        QVERIFY(o["silent_s"].toDouble() >= 3.5);
      } else {
        QVERIFY(o["read_mb_s"].toDouble() >= 1800);
        QVERIFY(o["silent_s"].isNull());
      }
    }
    QCOMPARE(json_stalls, kStalls);

    // The report: how many samples were stalls, and where fio was silent.
    const QString html = BuildReportHtml(store, {{"a:1", "show-mac-1", "r"}}, "stall");
    QVERIFY2(html.contains(QString("%1 samples stored, %2 of them fio silent")
                               .arg(kMeasured + kStalls)
                               .arg(kStalls)),
             "the report does not count the stalls apart");
    QVERIFY2(html.contains("Hatched amber: fio silent 4–8.5 s"),
             "the report does not place the stall");
  }

  // A store written before stalls were kept (its schema exactly as that
  // console made it): it opens with every row, which reads as measured,
  // gains the two columns (once), and keeps a new stall marked.
  void storeFromBeforeStallsIsMigrated() {
    QTemporaryDir dir;
    const QString path = dir.filePath("old.sqlite");
    {
      QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "pre-stall");
      db.setDatabaseName(path);
      QVERIFY(db.open());
      QSqlQuery q(db);
      for (const char* sql : {
               "CREATE TABLE agents (address TEXT PRIMARY KEY, token TEXT NOT NULL, "
               "added INTEGER NOT NULL, name TEXT, target TEXT)",
               "CREATE TABLE runs (agent TEXT NOT NULL, run_id TEXT NOT NULL, serial TEXT, "
               "model TEXT, volume TEXT, profile TEXT, started_s REAL, state TEXT, "
               "verdict_json TEXT, PRIMARY KEY (agent, run_id))",
               "CREATE INDEX runs_serial ON runs (serial)",
               "CREATE TABLE samples (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
               "seq INTEGER NOT NULL, wall_s REAL, phase INTEGER, read_mb_s REAL, "
               "target_mb_s REAL, temperature_c REAL, device_mb_s REAL, "
               "PRIMARY KEY (agent, run_id, seq)) WITHOUT ROWID",
               "CREATE TABLE phases (agent TEXT NOT NULL, run_id TEXT NOT NULL, "
               "phase INTEGER NOT NULL, name TEXT, start_wall_s REAL, duration_s REAL, "
               "target_mb_s REAL, PRIMARY KEY (agent, run_id, phase))",
               "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
               "INSERT INTO agents VALUES ('a:1', 'tok', 1, 'Stage L', '/Volumes/Show')",
               "INSERT INTO runs VALUES ('a:1', 'old', 'S1', 'T7', '/Volumes/Show', 'p', "
               "1700000000, 'DONE', NULL)",
               "INSERT INTO samples VALUES ('a:1', 'old', 1, 1700000001, 0, 2200.5, 2100, 40, "
               "2190)",
               "INSERT INTO samples VALUES ('a:1', 'old', 2, 1700000002, 0, 0, 2100, NULL, NULL)",
               "INSERT INTO samples VALUES ('a:1', 'old', 3, 1700000003, 0, 2150.25, 2100, 41, "
               "NULL)",
           }) {
        QVERIFY2(q.exec(sql), qPrintable(sql + (": " + q.lastError().text())));
      }
      db.close();
    }
    QSqlDatabase::removeDatabase("pre-stall");

    for (int open = 1; open <= 2; ++open) {
      SampleStore store;
      QString error;
      QVERIFY2(store.open(path, &error), qPrintable(error));
      QCOMPARE(store.agentName("a:1"), QString("Stage L"));
      const QVector<StoredSample> old = store.samples("a:1", "old");
      QCOMPARE(old.size(), 3);
      QCOMPARE(old[0].read_mb_s, 2200.5);
      QCOMPARE(old[0].device_mb_s.value_or(0), 2190.0);
      QCOMPARE(old[1].read_mb_s, 0.0);  // what that console stored; it cannot be told apart now
      QCOMPARE(old[2].read_mb_s, 2150.25);
      for (const StoredSample& x : old) {
        QVERIFY(!x.stalled);
        QVERIFY(!x.silent_s.has_value());
      }
      if (open == 1) {
        QCOMPARE(
            store.storeEvents({Stall("a:1", 1, kW + 3, 3.25), Sample("a:1", 2, kW + 1, 900, 40)}),
            2);
      }
      const QVector<StoredSample> fresh = store.samples("a:1", "r");
      QCOMPARE(fresh.size(), 2);
      QVERIFY(fresh[0].stalled);
      QCOMPARE(fresh[0].silent_s.value_or(0), 3.25);
      QVERIFY(!fresh[1].stalled);
      QCOMPARE(fresh[1].read_mb_s, 900.0);
    }
    {
      QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "pre-stall-check");
      db.setDatabaseName(path);
      QVERIFY(db.open());
      QSqlQuery q(db);
      QVERIFY(q.exec("PRAGMA table_info(samples)"));
      QStringList columns;
      while (q.next()) columns << q.value(1).toString();
      QCOMPARE(columns,
               QStringList({"agent", "run_id", "seq", "wall_s", "phase", "read_mb_s", "target_mb_s",
                            "temperature_c", "device_mb_s", "stalled", "silent_s"}));
      QVERIFY(q.exec("SELECT COUNT(*) FROM samples WHERE stalled IS NULL"));
      QVERIFY(q.next());
      QCOMPARE(q.value(0).toInt(), 0);  // the old rows read 0, not NULL
      db.close();
    }
    QSqlDatabase::removeDatabase("pre-stall-check");
  }
};

QTEST_MAIN(ConsoleStallTest)
#include "console_stall_test.moc"
