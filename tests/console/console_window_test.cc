// The main window with three real agents mid-run (offscreen): start on all
// from the toolbar, the table and charts while they run, a screenshot left in
// the build folder (build/console-screenshot.png, shown in the README), then
// abort all.
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "console/app/fleet.h"
#include "console/app/main_window.h"
#include "tests/integration/harness.h"

using namespace qdt::console;
using qdt::testing::InProcessAgent;
using qdt::testing::TempDir;

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
    for (int r = 0; r < 3; ++r) {
      QString state = window.table()->model()->index(r, FleetModel::kState).data().toString();
      QVERIFY2(state.startsWith("running"), qPrintable(state));
    }
    QVERIFY(model.summary().Text().contains("3 running"));
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
    // An aborted test proves nothing about the crossfade: flagged.
    QVERIFY(FleetModel::CellText(*model.find(keys[0]), FleetModel::kVerdict)
                .startsWith("✗ FAIL < 2100 MB/s — NO RATING"));
  }
};

QTEST_MAIN(ConsoleWindowTest)
#include "console_window_test.moc"
