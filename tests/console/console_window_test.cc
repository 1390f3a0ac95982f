// The main window with three real agents mid-run (offscreen): start on all
// from the toolbar, the table and charts while they run (the drive's own
// counter drawn beside fio's rate when the samples carry it), a screenshot
// left in the build folder (build/console-screenshot.png, shown in the
// README), then abort all and the selected drive's NO RATING with its reason.
// Then a finished rig fed to the window without agents: the selected drive's
// two lines, its verdict and flags above the chart (escaped), and a second
// screenshot (build/console-screenshot-verdict.png).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QAction>
#include <QDir>
#include <QImage>
#include <QKeySequence>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtCharts/QLineSeries>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <functional>

#include "console/app/board_view.h"
#include "console/app/fleet.h"
#include "console/app/main_window.h"
#include "console/app/report.h"
#include "console/app/theme.h"
#include "tests/integration/harness.h"

using namespace qdt::console;
using qdt::testing::InProcessAgent;
using qdt::testing::TempDir;

namespace {

// The line of a chart with this legend name; null when there is none.
QLineSeries* SeriesNamed(QChart* chart, const QString& name) {
  if (chart == nullptr) return nullptr;
  for (QAbstractSeries* s : chart->series()) {
    if (s->name() == name) return qobject_cast<QLineSeries*>(s);
  }
  return nullptr;
}

// Where a run chart's x = 0 is: the earliest sample, or the start of a
// stall (fio silent) before it.
double ChartOrigin(const QVector<StoredSample>& samples) {
  double t0 = samples.isEmpty() ? 0 : samples.front().wall_s;
  for (const StoredSample& s : samples) {
    t0 = std::min(t0, s.wall_s - (s.stalled ? s.silent_s.value_or(0) : 0.0));
  }
  return t0;
}

// The stored drive-counter points of a run as the chart draws them (x =
// seconds since ChartOrigin, in time order); empty when no sample had a
// counter.
QVector<QPointF> StoredDrivePoints(const SampleStore& store, const QString& agent,
                                   const QString& run) {
  QVector<QPointF> out;
  const QVector<StoredSample> samples = store.samples(agent, run);
  const double t0 = ChartOrigin(samples);
  for (const StoredSample& s : samples) {
    if (s.device_mb_s) out.push_back({s.wall_s - t0, *s.device_mb_s});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
  return out;
}

// The table row (as the view sorts it) whose host cell names `key`.
int ViewRowOf(MainWindow& window, const QString& key) {
  auto* m = window.table()->model();
  for (int r = 0; r < m->rowCount(); ++r) {
    if (m->index(r, FleetModel::kHost).data().toString().contains(key)) return r;
  }
  return -1;
}

// A loopback port nobody listens on (bound, then released): connecting is refused.
int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

google::protobuf::Timestamp At(double wall_s) {
  google::protobuf::Timestamp t;
  t.set_seconds(static_cast<int64_t>(wall_s));
  t.set_nanos(static_cast<int32_t>((wall_s - std::floor(wall_s)) * 1e9));
  return t;
}

// One finished setup-check run (normal, crossfade, max-read; 10 s each, one
// sample a second) as an agent sends it, then its verdict. `fio` and `drive`
// give each second's MB/s; a drive of < 0 = no counter in that sample.
void FeedRun(FleetModel& model, const QString& key, const QString& run, double t0,
             const std::function<double(int)>& fio, const std::function<double(int)>& drive,
             const qdt::v1::Verdict& verdict) {
  uint64_t seq = 0;
  auto event = [&](double wall_s) {
    AgentEvent e;
    e.key = key;
    e.run_id = run;
    e.event.set_seq(++seq);
    *e.event.mutable_time() = At(wall_s);
    return e;
  };
  const char* names[] = {"normal", "crossfade", "max-read"};
  const double targets[] = {656e6, 2100e6, 0};
  for (int i = 0; i < 30; ++i) {
    if (i % 10 == 0) {
      AgentEvent e = event(t0 + i);
      auto* p = e.event.mutable_phase();
      p->set_phase_index(i / 10);
      p->set_phase_name(names[i / 10]);
      p->set_duration_s(10);
      p->set_target_bytes_per_s(targets[i / 10]);
      model.onEvent(e);
    }
    AgentEvent e = event(t0 + i + 1);
    auto* s = e.event.mutable_sample();
    *s->mutable_wall_time() = e.event.time();
    s->set_phase_index(i / 10);
    s->set_interval_s(1);
    s->set_read_bytes_per_s(fio(i) * 1e6);
    s->set_target_bytes_per_s(targets[i / 10]);
    s->set_temperature_c(41 + i * 0.15);
    if (drive(i) >= 0) s->set_device_read_bytes_per_s(drive(i) * 1e6);
    model.onEvent(e);
  }
  AgentEvent v = event(t0 + 31);
  *v.event.mutable_verdict() = verdict;
  model.onEvent(v);
  AgentEvent done = event(t0 + 31);
  done.event.mutable_state()->set_state(qdt::v1::RUN_STATE_DONE);
  model.onEvent(done);
}

}  // namespace

class ConsoleWindowTest : public QObject {
  Q_OBJECT

 private slots:
  void threeAgentsMidRunScreenshotThenAbortAll() {
    InProcessAgent a1, a2, a3;
    TempDir t1("win-1"), t2("win-2"), t3("win-3");
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model;
    Fleet fleet(&store, &model);
    QStringList keys;
    for (InProcessAgent* a : {&a1, &a2, &a3}) {
      QString key = QString::fromStdString(a->address());
      QVERIFY2(fleet.addAgent(key, QString::fromStdString(a->token()), &error), qPrintable(error));
      keys << key;
    }
    MainWindow window(&fleet);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(model.summary().online == 3, 15000);
    model.setTargetDir(keys[0], QString::fromStdString(t1.path()));
    model.setTargetDir(keys[1], QString::fromStdString(t2.path()));
    model.setTargetDir(keys[2], QString::fromStdString(t3.path()));
    model.flush();             // the rows Start all reads; unflushed, each agent tested "/"
    window.setTimeScale(0.5);  // 15 s of phases
    window.setFileSizeMiB(64);
    window.startAll();  // one start time, 3 s from now
    auto mid_run = [&] {
      for (const QString& k : keys) {
        const FleetRow* r = model.find(k);
        if (r->run_state != qdt::v1::RUN_STATE_RUNNING || r->run_id.isEmpty() ||
            store.sampleCount(k, r->run_id) < 4) {
          return false;
        }
      }
      return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(mid_run(), 60000);
    window.table()->selectRow(0);
    QTest::qWait(1500);  // the charts redraw at most once a second
    QCOMPARE(window.table()->model()->rowCount(), 3);
    // What the window shows, read from its widgets: each agent's row on
    // screen with its own address, target folder, phase, a live rate and no
    // verdict yet; the summary bar says 3 running with the time left.
    const QStringList targets = {QString::fromStdString(t1.path()),
                                 QString::fromStdString(t2.path()),
                                 QString::fromStdString(t3.path())};
    const QRect viewport = window.table()->viewport()->rect();
    QVERIFY(window.table()->isVisible());
    for (int i = 0; i < 3; ++i) {
      const int row = ViewRowOf(window, keys[i]);
      QVERIFY2(row >= 0, qPrintable(keys[i]));
      auto cell = [&](int column) { return window.table()->model()->index(row, column); };
      QVERIFY2(viewport.contains(window.table()->visualRect(cell(FleetModel::kHost))),
               qPrintable(keys[i] + ": its row is not on screen"));
      QCOMPARE(cell(FleetModel::kVolume).data().toString(), targets[i]);
      const QString state = cell(FleetModel::kState).data().toString();
      QVERIFY2(QRegularExpression("^running [1-3]/3 (normal|crossfade|max-read)$")
                   .match(state)
                   .hasMatch(),
               qPrintable(state));
      const QString rate = cell(FleetModel::kMbps).data().toString();
      QVERIFY2(QRegularExpression("^[0-9]+( / [0-9]+)?$").match(rate).hasMatch(),
               qPrintable(keys[i] + ": rate " + rate));
      QCOMPARE(cell(FleetModel::kVerdict).data().toString(), QString("…"));
      QVERIFY(!cell(FleetModel::kVerdict).data(Qt::BackgroundRole).isValid());  // no rating colour
    }
    QVERIFY(window.summaryLabel()->isVisible());
    const QString summary = window.summaryText();
    QVERIFY2(QRegularExpression("^3 agents, 3 online, 3 running — 0 EXCELLENT, 0 ACCEPTABLE, 0 "
                                "FAIL — [0-9]+:[0-9]{2} left$")
                 .match(summary)
                 .hasMatch(),
             qPrintable(summary));
    QVERIFY2(QRegularExpression("^[0-9]+ % — [0-9]+:[0-9]{2} left$")
                 .match(window.progressText())
                 .hasMatch(),
             qPrintable(window.progressText()));
    // The selected drive's chart: the drive's own counter as a second line
    // exactly when its stored samples carry it (this machine's disk has a
    // /proc/diskstats counter; a machine without one draws no such line).
    {
      QCOMPARE(window.selectedKeys().size(), 1);
      const FleetRow* r0 = model.find(window.selectedKeys().front());
      QVERIFY(r0 != nullptr);
      QLineSeries* fio = SeriesNamed(window.driveChart()->chart(), kFioSeriesName);
      QVERIFY(fio != nullptr);
      // fio's line is the selected run's stored samples, point for point, in
      // time order; a stall (fio silent on this busy machine) is no point,
      // and x = 0 is the earliest sample or the start of a stall before it.
      const QVector<StoredSample> all = store.samples(r0->key, r0->run_id);
      const double t0 = ChartOrigin(all);
      QVector<StoredSample> samples;
      for (const StoredSample& s : all) {
        if (!s.stalled) samples.push_back(s);
      }
      std::stable_sort(
          samples.begin(), samples.end(),
          [](const StoredSample& a, const StoredSample& b) { return a.wall_s < b.wall_s; });
      QVERIFY2(
          fio->count() >= 3 && fio->count() <= samples.size(),
          qPrintable(QString("%1 points of %2 samples").arg(fio->count()).arg(samples.size())));
      for (int i = 0; i < fio->count(); ++i) {
        QCOMPARE(fio->at(i).y(), samples[i].read_mb_s);
        QCOMPARE(fio->at(i).x(), samples[i].wall_s - t0);
      }
      QLineSeries* drive = SeriesNamed(window.driveChart()->chart(), kDeviceSeriesName);
      const QVector<QPointF> stored = StoredDrivePoints(store, r0->key, r0->run_id);
      if (stored.isEmpty()) {
        QVERIFY(drive == nullptr);
      } else {
        QVERIFY(drive != nullptr);
        QVERIFY(drive->count() > 0);
        QVERIFY(drive->count() <= stored.size());  // drawn at the last redraw
        for (int i = 0; i < drive->count(); ++i) QCOMPARE(drive->at(i).y(), stored[i].y());
      }
    }
    const QString path = QString(QDT_BINARY_DIR) + "/console-screenshot.png";
    QImage shot = window.grab().toImage();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.width() >= 1000);
    QVERIFY(shot.save(path));
    QVERIFY(QImage(path).size() == shot.size());

    QCOMPARE(fleet.stopRuns({}), 3);
    auto stopped = [&] {
      for (const QString& k : keys) {
        const FleetRow* r = model.find(k);
        if (r->run_state != qdt::v1::RUN_STATE_STOPPED || !r->verdict) return false;
      }
      return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(stopped(), 30000);
    for (const QString& k : keys) {
      const QModelIndex state =
          window.table()->model()->index(ViewRowOf(window, k), FleetModel::kState);
      QCOMPARE(state.data().toString(), QString("stopped"));
    }
    QTRY_VERIFY_WITH_TIMEOUT(window.summaryText().startsWith("3 agents, 3 online, 0 running"),
                             5000);
    QCOMPARE(window.progressText(), QString("idle"));
    // An aborted test proves nothing about the crossfade: no rating, not a fail.
    // (The runs here are rehearsals: the mark first, the NO RATING inside.)
    const QString aborted = FleetModel::CellText(*model.find(keys[0]), FleetModel::kVerdict);
    QVERIFY2(aborted.startsWith("REHEARSAL ×") &&
                 aborted.contains("not a show rating (NO RATING: the run did not finish"),
             qPrintable(aborted));
    // The selected drive says so above its chart, with the reason.
    QTRY_VERIFY_WITH_TIMEOUT(window.runDetail()->isVisible(), 5000);
    QVERIFY2(window.runDetail()->text().contains("NO RATING: the run did not finish"),
             qPrintable(window.runDetail()->text()));
  }

  void finishedRigShowsBothLinesAndTheVerdictFlags() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model(nullptr, /*flush_ms=*/1000000);  // flushed by hand
    Fleet fleet(&store, &model);
    const QString k1 = "show-mac-1.local:50551", k2 = "show-mac-2.local:50551",
                  k3 = "foh-backup.local:50551", k4 = "show-mac-3.local:50551";
    const char* hosts[] = {"show-mac-1", "show-mac-2", "foh-backup", "show-mac-3"};
    const char* models[] = {"Samsung PSSD T7 Shield", "SanDisk Extreme Pro", "WD My Passport",
                            "Generic USB 2.0 stick"};
    const char* serials[] = {"S6XENL0T401234", "32104G801987", "WX52A10P7654", "0019283746"};
    int n = 0;
    for (const QString& k : {k1, k2, k3, k4}) {
      model.addAgent(k);  // no link: the window is fed by hand
      AgentSnapshot snap;
      snap.key = k;
      snap.online = true;
      snap.hostname = hosts[n];
      qdt::v1::Volume v;
      v.set_mount_point("/Volumes/Show");
      v.set_model(models[n]);
      v.set_serial(serials[n]);
      v.set_free_bytes(812000000000ull);
      v.set_total_bytes(1000000000000ull);
      snap.volumes = {v};
      model.onSnapshot(snap);
      ++n;
    }
    auto wobble = [](int i, double amp) {
      return amp * std::sin(i * 1.7) + amp * 0.5 * std::cos(i * 0.9);
    };
    // show-mac-1: the drive delivers what fio reads (the two lines lie together).
    qdt::v1::Verdict excellent;
    excellent.set_rating(qdt::v1::RATING_EXCELLENT);
    excellent.set_sustained_mb_s(2712);
    excellent.set_crossfade_target_mb_s(2100);
    excellent.set_summary("EXCELLENT: sustains 2712 MB/s and met every paced target");
    auto fio1 = [&](int i) {
      return (i < 10 ? 662 : i < 20 ? 2118 : 2712) + wobble(i, i < 20 ? 6 : 25);
    };
    FeedRun(
        model, k1, "run-1", 1.7e9, fio1, [&](int i) { return fio1(i) * 1.004 + 2; }, excellent);
    // show-mac-2: in the crossfade fio read from the page cache; the drive
    // delivered a fraction. NO RATING, with a flag beside it.
    const std::string reason =
        "served from cache: fio read 24.1 GB in crossfade, the drive delivered 1.9 GB";
    qdt::v1::Verdict cached;
    cached.set_rating(qdt::v1::RATING_NO_RATING);
    cached.set_no_rating_reason(reason);
    cached.set_summary("NO RATING: " + reason);
    cached.set_fails_crossfade_target(true);
    cached.set_sustained_mb_s(1490);
    cached.set_crossfade_target_mb_s(2100);
    cached.add_flags(reason);
    cached.add_flags(
        "rested before crossfade: the drive read nothing for 450 ms at the handover (more than "
        "100 ms): crossfade began on a rested drive");
    auto fio2 = [&](int i) {
      return (i < 10 ? 659 : i < 20 ? 2410 : 1490) + wobble(i, i < 20 ? 8 : 30);
    };
    auto drive2 = [&](int i) {
      return i < 10 ? fio2(i) + 3 : i < 20 ? 190 + wobble(i, 40) : fio2(i) + 5;
    };
    FeedRun(model, k2, "run-2", 1.7e9, fio2, drive2, cached);
    // foh-backup: a network volume without a counter: rated, not cross-checked;
    // the agent's text tries to be markup.
    qdt::v1::Verdict unchecked;
    unchecked.set_rating(qdt::v1::RATING_ACCEPTABLE);
    unchecked.set_fails_crossfade_target(true);
    unchecked.set_sustained_mb_s(1180);
    unchecked.set_crossfade_target_mb_s(2100);
    unchecked.set_summary("ACCEPTABLE: fails the 2100 MB/s crossfade target (sustained 1180 MB/s)");
    unchecked.add_flags(
        "not cross-checked: no device counter for \"/Volumes/Show <b>B</b>\": smbfs has no "
        "disk behind it");
    FeedRun(
        model, k3, "run-3", 1.7e9, [&](int i) { return (i < 10 ? 660 : 1180) + wobble(i, 20); },
        [](int) { return -1.0; }, unchecked);
    // show-mac-3: a slow stick that misses normal playback: FAIL, in red.
    qdt::v1::Verdict fail;
    fail.set_rating(qdt::v1::RATING_FAIL);
    fail.set_fails_crossfade_target(true);
    fail.set_sustained_mb_s(41);
    fail.set_crossfade_target_mb_s(2100);
    fail.set_normal_target_mb_s(656);
    fail.set_summary("FAIL: normal playback missed its target (normal: 10/10 windows low)");
    for (const auto& [name, target] :
         {std::pair<const char*, double>{"normal", 656}, {"crossfade", 2100}}) {
      auto* p = fail.add_phases();
      p->set_name(name);
      p->set_ran(true);
      p->set_target_mb_s(target);
      p->set_windows(10);
      p->set_missed_windows(10);
    }
    FeedRun(
        model, k4, "run-4", 1.7e9, [&](int i) { return 41 + wobble(i, 3); },
        [&](int i) { return 41 + wobble(i, 3); }, fail);
    MainWindow window(&fleet);
    window.show();
    model.flush();  // the rows, then the store and the charts
    QCOMPARE(store.sampleCount(k2, "run-2"), 30);
    // Four drives, four ratings: each its own word first and its own colour.
    const QHash<QString, QPair<QString, QColor>> expected = {
        {k1, {"EXCELLENT — 2712 MB/s sustained", QColor(30, 140, 60)}},
        {k2, {"NO RATING — ", QColor(110, 110, 110)}},
        {k3, {"ACCEPTABLE — sustained 1180 < 2100 MB/s crossfade", QColor(240, 170, 0)}},
        {k4, {"FAIL — normal playback missed (normal 10/10 low)", QColor(200, 30, 30)}}};
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      const QModelIndex at =
          window.table()->model()->index(ViewRowOf(window, it.key()), FleetModel::kVerdict);
      QVERIFY2(at.data().toString().startsWith(it.value().first), qPrintable(at.data().toString()));
      QCOMPARE(at.data(Qt::BackgroundRole).value<QBrush>().color(), it.value().second);
    }
    QVERIFY2(window.summaryText().contains("1 EXCELLENT, 1 ACCEPTABLE, 1 FAIL, 1 NO RATING"),
             qPrintable(window.summaryText()));

    // show-mac-2 selected: fio's line and the drive's thin line, NO RATING
    // with its reason once, and the other flag.
    window.table()->selectRow(ViewRowOf(window, k2));
    QChart* chart = window.driveChart()->chart();
    QLineSeries* fio = SeriesNamed(chart, kFioSeriesName);
    QLineSeries* drive = SeriesNamed(chart, kDeviceSeriesName);
    QVERIFY(fio != nullptr);
    QVERIFY(drive != nullptr);
    const QVector<QPointF> stored = StoredDrivePoints(store, k2, "run-2");
    QCOMPARE(stored.size(), 30);
    QCOMPARE(drive->points(), stored);
    QVERIFY(drive->pen().widthF() < fio->pen().widthF());
    QVERIFY(window.runDetail()->isVisible());
    const QString detail = window.runDetail()->text();
    QCOMPARE(detail.count(QString::fromStdString(reason)), 1);
    QVERIFY(detail.contains(QString::fromStdString("NO RATING: " + reason)));
    QVERIFY(detail.contains("⚠ rested before crossfade: the drive read nothing for 450 ms"));
    const QString cell = window.table()
                             ->model()
                             ->index(ViewRowOf(window, k2), FleetModel::kVerdict)
                             .data()
                             .toString();
    QCOMPARE(cell, QString::fromStdString("NO RATING — " + reason));
    // Neither a pass nor a fail: grey, never the fail's red nor the amber of ACCEPTABLE.
    QVERIFY(detail.contains("#555555"));
    QVERIFY(!detail.contains("#c81e1e"));
    QVERIFY(!detail.contains("#a05a00"));
    QTest::qWait(200);
    const QString path = QString(QDT_BINARY_DIR) + "/console-screenshot-verdict.png";
    QImage shot = window.grab().toImage();
    QVERIFY(shot.save(path));
    // The table with all four ratings, for a person to look at (build/screenshots/).
    // Nothing selected, so every row shows its rating's colour.
    window.table()->clearSelection();
    QTest::qWait(100);
    QDir().mkpath(QString(QDT_BINARY_DIR) + "/screenshots");
    QVERIFY(window.grab().toImage().save(QString(QDT_BINARY_DIR) +
                                         "/screenshots/console-four-ratings.png"));
    window.table()->selectRow(ViewRowOf(window, k2));

    // foh-backup: no counter, so no drive line (not a line at 0); its flag escaped.
    window.table()->selectRow(ViewRowOf(window, k3));
    chart = window.driveChart()->chart();
    QVERIFY(SeriesNamed(chart, kFioSeriesName) != nullptr);
    QVERIFY(SeriesNamed(chart, kDeviceSeriesName) == nullptr);
    QVERIFY(window.runDetail()->isVisible());
    const QString escaped = window.runDetail()->text();
    QVERIFY2(escaped.contains("⚠ not cross-checked: no device counter for &quot;/Volumes/Show "
                              "&lt;b&gt;B&lt;/b&gt;&quot;"),
             qPrintable(escaped));
    QVERIFY(!escaped.contains("<b>B</b>"));
    QVERIFY(window.table()
                ->model()
                ->index(ViewRowOf(window, k3), FleetModel::kVerdict)
                .data()
                .toString()
                .endsWith("— ⚠ not cross-checked"));

    // show-mac-1: rated, no flag; both lines.
    window.table()->selectRow(ViewRowOf(window, k1));
    QVERIFY(SeriesNamed(window.driveChart()->chart(), kDeviceSeriesName) != nullptr);
    QVERIFY(window.runDetail()->text().contains("EXCELLENT: sustains 2712 MB/s"));
    QVERIFY(!window.runDetail()->text().contains("⚠"));

    // Nothing selected: no verdict shown for nobody.
    window.table()->clearSelection();
    QVERIFY(!window.runDetail()->isVisible());

    // The board (issue 14, item 13): one tile per Mac in its rating's colour,
    // the rating word as the headline; Ctrl+B is its key.
    model.setName(k1, "Stage L main");  // no link here: straight into the model
    model.flush();
    window.showBoard(true);
    QVERIFY(window.boardShown());
    window.board()->resize(1600, 900);
    QTest::qWait(100);
    const QImage board = window.board()->grab().toImage();
    QVERIFY(board.save(QString(QDT_BINARY_DIR) + "/screenshots/console-board.png"));
    const QSize grid = BoardView::GridFor(4, board.width(), board.height());
    QCOMPARE(grid, QSize(2, 2));
    for (int i = 0; i < 4; ++i) {
      const FleetRow& r = model.row(i);
      const BoardTile tile = TileOf(r);
      QCOMPARE(tile.background, RatingBackground(RowRating(r)->kind));
      QCOMPARE(tile.headline, RowRating(r)->word);
      // A point inside the tile, clear of its text (its lower right corner).
      const int col = i % grid.width(), row = i / grid.width();
      const QPoint inside((col + 1) * board.width() / grid.width() - 40,
                          (row + 1) * board.height() / grid.height() - 30);
      QCOMPARE(board.pixelColor(inside), tile.background);
    }
    QCOMPARE(TileOf(*model.find(k1)).name, QString("Stage L main"));
    bool board_key = false;
    for (QAction* a : window.findChildren<QAction*>()) {
      board_key |= a->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_B));
    }
    QVERIFY(board_key);
    window.showBoard(false);
    QVERIFY(!window.boardShown());

    // The dark theme: a dark window, the rating colours unchanged, the
    // selected drive's verdict in a colour readable on it.
    window.setTheme(Theme::kDark);
    QVERIFY(AppIsDark());
    QCOMPARE(store.setting("theme"), QString("dark"));
    window.table()->clearSelection();
    QTest::qWait(100);
    const QImage dark = window.grab().toImage();
    QVERIFY(dark.save(QString(QDT_BINARY_DIR) + "/screenshots/console-dark.png"));
    // The table's empty area, under its four rows.
    const QPoint empty = window.table()->mapTo(
        &window, QPoint(window.table()->width() / 2, window.table()->height() - 10));
    QVERIFY(dark.pixelColor(empty).lightness() < 80);
    const QModelIndex fail_cell =
        window.table()->model()->index(ViewRowOf(window, k4), FleetModel::kVerdict);
    QCOMPARE(fail_cell.data(Qt::BackgroundRole).value<QBrush>().color(), QColor(200, 30, 30));
    window.table()->selectRow(ViewRowOf(window, k4));
    QVERIFY2(window.runDetail()->text().contains("#ff6b6b"),
             qPrintable(window.runDetail()->text()));
    window.setTheme(Theme::kLight);
    QVERIFY(!AppIsDark());
  }

  // Issue 14, item 3 (must show): a console that starts again — same store
  // file, real agents — shows the same names, targets and last verdicts, a
  // run that is still going with its phase and time left (from the agent's
  // own run record: this console never saw its start), and its report of
  // the rig is not empty.
  void aRestartedConsoleShowsTheRigAsItWas() {
    InProcessAgent a1, a2;
    TempDir t1("restart-1"), t2("restart-2");
    QTemporaryDir dir;
    const QString path = dir.filePath("console.sqlite");
    const QString k1 = QString::fromStdString(a1.address());
    const QString k2 = QString::fromStdString(a2.address());
    QString error, verdict_before;
    {
      SampleStore store;
      QVERIFY(store.open(path, &error));
      FleetModel model;
      Fleet fleet(&store, &model);
      QVERIFY(fleet.addAgent(k1, QString::fromStdString(a1.token()), &error));
      QVERIFY(fleet.addAgent(k2, QString::fromStdString(a2.token()), &error));
      QTRY_VERIFY_WITH_TIMEOUT(model.summary().online == 2, 15000);
      QVERIFY(fleet.setName(k1, "Stage L main", &error));
      QVERIFY(fleet.setName(k2, "Stage R main", &error));
      QVERIFY(fleet.setTarget(k1, QString::fromStdString(t1.path()), &error));
      QVERIFY(fleet.setTarget(k2, QString::fromStdString(t2.path()), &error));
      qdt::v1::StartRunRequest quick;
      quick.set_profile_name("setup-check");
      quick.set_time_scale(0.1);
      quick.set_file_size_bytes(64ull << 20);
      QCOMPARE(fleet.startRuns({k1}, quick, 0), 1);
      QTRY_VERIFY_WITH_TIMEOUT(model.find(k1)->verdict.has_value(), 60000);
      verdict_before = FleetModel::CellText(*model.find(k1), FleetModel::kVerdict);
      // The second Mac: a longer run, going when this console goes.
      qdt::v1::StartRunRequest longer = quick;
      longer.set_time_scale(1.0);
      QCOMPARE(fleet.startRuns({k2}, longer, 0), 1);
      QTRY_VERIFY_WITH_TIMEOUT(model.find(k2)->run_state == qdt::v1::RUN_STATE_RUNNING &&
                                   store.sampleCount(k2, model.find(k2)->run_id) >= 2,
                               60000);
    }
    SampleStore store;
    QVERIFY(store.open(path, &error));
    FleetModel model;
    Fleet fleet(&store, &model);
    QCOMPARE(fleet.restoreAgents(), 2);
    MainWindow window(&fleet);
    window.show();
    QCOMPARE(model.find(k1)->name, QString("Stage L main"));
    QCOMPARE(model.find(k2)->name, QString("Stage R main"));
    QCOMPARE(model.find(k1)->target_dir, QString::fromStdString(t1.path()));
    QCOMPARE(model.find(k2)->target_dir, QString::fromStdString(t2.path()));
    // The last verdict, before any agent has answered.
    QCOMPARE(FleetModel::CellText(*model.find(k1), FleetModel::kVerdict), verdict_before);
    // The running run: its phase and the time left, from the agent's record.
    auto shows_progress = [&] {
      const FleetRow* r = model.find(k2);
      return r->online && r->run_state == qdt::v1::RUN_STATE_RUNNING && r->phase_count == 3 &&
             r->phase_index >= 0 && r->planned_s > 0 && model.summary().seconds_left > 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(shows_progress(), 20000);
    const QString state = FleetModel::CellText(*model.find(k2), FleetModel::kState);
    QVERIFY2(state.startsWith("running ") && state.contains("/3 "), qPrintable(state));
    QVERIFY2(model.summary().Text().contains(" left"), qPrintable(model.summary().Text()));
    QTRY_VERIFY_WITH_TIMEOUT(window.progressText().contains("left"), 5000);
    // The report of the rig after the restart is not empty: both Macs by name.
    const QVector<ReportRun> runs = LatestRigRuns(store);
    QCOMPARE(runs.size(), 2);
    const QString html = BuildReportHtml(store, runs, "after restart");
    QVERIFY(html.contains("Stage L main"));
    QVERIFY(html.contains("Stage R main"));
    QCOMPARE(fleet.stopRuns({k2}), 1);
    QTRY_VERIFY_WITH_TIMEOUT(model.find(k2)->verdict.has_value(), 30000);
  }

  // Issue 14, item 8: Start all with one agent offline and one whose token
  // is wrong asks first, naming both and why; the one that can start starts
  // (with a countdown to the common start), and afterwards the window says
  // who did not start, by name.
  void startAllNamesWhoDidNotStart() {
    InProcessAgent good, wrong;
    TempDir target("start-all");
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model;
    Fleet fleet(&store, &model);
    const QString k_good = QString::fromStdString(good.address());
    const QString k_wrong = QString::fromStdString(wrong.address());
    const QString k_off = QString("127.0.0.1:%1").arg(UnusedLoopbackPort());
    QVERIFY(fleet.addAgent(k_good, QString::fromStdString(good.token()), &error));
    QVERIFY(fleet.addAgent(k_wrong, "not-the-rig-token", &error));
    QVERIFY(fleet.addAgent(k_off, "offline-agent-token-0123", &error));
    QVERIFY(fleet.setName(k_good, "Stage L main", &error));
    QVERIFY(fleet.setName(k_wrong, "showmac-6", &error));
    QVERIFY(fleet.setName(k_off, "showmac-5", &error));
    MainWindow window(&fleet);
    QStringList asked;
    window.setConfirm([&](const QString&, const QString& text) {
      asked << text;
      return true;
    });
    window.show();
    auto settled = [&] {
      return model.find(k_good)->online && !model.find(k_wrong)->error.isEmpty() &&
             !model.find(k_off)->error.isEmpty();
    };
    QTRY_VERIFY_WITH_TIMEOUT(settled(), 20000);
    // Each offline reason in plain words.
    QVERIFY2(FleetModel::CellText(*model.find(k_off), FleetModel::kState)
                 .contains("agent not running at " + k_off),
             qPrintable(FleetModel::CellText(*model.find(k_off), FleetModel::kState)));
    QVERIFY2(FleetModel::CellText(*model.find(k_wrong), FleetModel::kState)
                 .contains("wrong rig token for the agent at " + k_wrong),
             qPrintable(FleetModel::CellText(*model.find(k_wrong), FleetModel::kState)));
    // A target the agent would refuse is named before any start (item 10).
    QVERIFY(fleet.setTarget(k_good, "/nonexistent/qdt-target", &error));
    QTRY_VERIFY_WITH_TIMEOUT(model.find(k_good)->target_problem.contains("/nonexistent/qdt-target"),
                             10000);
    QVERIFY(FleetModel::CellText(*model.find(k_good), FleetModel::kVolume).startsWith("⚠ "));
    const StartPlan refused = PlanStart(model.rows());
    QVERIFY(refused.ready.isEmpty());
    QVERIFY(refused.missing.contains(
        {"Stage L main", "target refused: " + ShortReason(model.find(k_good)->target_problem)}));
    QVERIFY(fleet.setTarget(k_good, QString::fromStdString(target.path()), &error));
    QVERIFY(model.find(k_good)->target_problem.isEmpty());
    window.setTimeScale(0.1);
    window.setFileSizeMiB(64);
    window.startAll();
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked[0].contains("showmac-5 (offline)") &&
                 asked[0].contains("showmac-6 (wrong token)") &&
                 asked[0].contains("Start the other 1"),
             qPrintable(asked[0]));
    QVERIFY2(window.progressText().startsWith("starting together in"),
             qPrintable(window.progressText()));
    QTRY_COMPARE_WITH_TIMEOUT(window.lastStartOutcome(),
                              QString("1 of 3 started; showmac-6 wrong token, showmac-5 offline"),
                              40000);
    QVERIFY(window.messages()->toPlainText().contains(window.lastStartOutcome()));
    QTRY_VERIFY_WITH_TIMEOUT(model.find(k_good)->verdict.has_value(), 60000);
    QVERIFY(!model.find(k_wrong)->verdict.has_value());
  }

  // Issue 14, item 2: the rig summary has its own bar, which no transient
  // message covers; a discovery problem repeated at every browse is said
  // once; every message is kept in the Messages tab.
  void theSummaryStaysVisibleAndMessagesAreSaidOnce() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model(nullptr, 1000000);
    Fleet fleet(&store, &model);
    model.addAgent("show-mac-1.local:50551");
    qdt::v1::Verdict v;
    v.set_rating(qdt::v1::RATING_EXCELLENT);
    v.set_sustained_mb_s(2712);
    AgentEvent e;
    e.key = "show-mac-1.local:50551";
    e.run_id = "r";
    e.event.set_seq(1);
    *e.event.mutable_verdict() = v;
    model.onEvent(e);
    MainWindow window(&fleet);
    window.show();
    model.flush();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString problem = "avahi-browse: Failed to create client object: Daemon not running";
    for (int i = 0; i < 3; ++i) emit window.discovery()->unavailable(problem);
    window.note("show-mac-2.local:50551: QLab is running", 15000);
    QTest::qWait(50);
    // The summary is not in the status bar and is shown whole while messages are.
    QVERIFY(window.summaryLabel()->isVisible());
    QVERIFY(window.summaryLabel()->parentWidget() != window.statusBar());
    QVERIFY2(window.summaryText().contains("1 EXCELLENT"), qPrintable(window.summaryText()));
    const QRect summary_at(window.summaryLabel()->mapTo(&window, QPoint(0, 0)),
                           window.summaryLabel()->size());
    const QRect status_at(window.statusBar()->mapTo(&window, QPoint(0, 0)),
                          window.statusBar()->size());
    QVERIFY(!summary_at.intersects(status_at));
    QCOMPARE(window.statusBar()->currentMessage(),
             QString("show-mac-2.local:50551: QLab is running"));
    // Said once, kept in the log with the later message.
    const QString log = window.messages()->toPlainText();
    QCOMPARE(log.count(problem), 1);
    QVERIFY(log.contains("QLab is running"));
    // A different problem is said again.
    emit window.discovery()->unavailable("avahi-browse: Connection refused");
    QCOMPARE(window.messages()->toPlainText().count("avahi-browse:"), 2);
    // The rig's big actions have keys, named in their tooltips (item 17).
    QMap<QString, QKeySequence> keys;
    for (QAction* a : window.findChildren<QAction*>()) keys[a->text()] = a->shortcut();
    QCOMPARE(keys.value("Start all"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    QCOMPARE(keys.value("Abort all"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_X));
    QCOMPARE(keys.value("Report…"), QKeySequence(Qt::CTRL | Qt::Key_R));
    QDir().mkpath(QString(QDT_BINARY_DIR) + "/screenshots");
    QVERIFY(window.grab().toImage().save(QString(QDT_BINARY_DIR) +
                                         "/screenshots/console-summary-and-messages.png"));
  }
};

QTEST_MAIN(ConsoleWindowTest)
#include "console_window_test.moc"
