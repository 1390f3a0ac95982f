// "Will it work?" (console/app/will_it_work_view.h), offscreen: a FleetModel
// fed verdicts as the agents send them (onEvent, flush), the cells each Mac
// gets per format, their colours, the frame-rate filter, the designer's
// streams per cue, and the table following the model. Leaves
// build/screenshots/console-will-it-work.png for a person to look at.
#include <QDir>
#include <QHeaderView>
#include <QTableWidget>
#include <QtTest>

#include "common/cue_stack.h"
#include "console/app/fleet_model.h"
#include "console/app/will_it_work_view.h"

using namespace qdt::console;

namespace {

AgentEvent VerdictEvent(const QString& key, const qdt::v1::Verdict& v) {
  AgentEvent e;
  e.key = key;
  e.run_id = "run-" + key;
  e.event.set_seq(1);
  e.event.mutable_time()->set_seconds(1700000000);
  *e.event.mutable_verdict() = v;
  return e;
}

qdt::v1::PhaseVerdict* AddPhase(qdt::v1::Verdict* v, const char* name, double target, double mean,
                                bool passed) {
  auto* p = v->add_phases();
  p->set_phase_index(v->phases_size() - 1);
  p->set_name(name);
  p->set_target_mb_s(target);
  p->set_mean_mb_s(mean);
  p->set_windows(10);
  p->set_missed_windows(passed ? 0 : 2);
  p->set_passed(passed);
  p->set_ran(true);
  return p;
}

// A Setup Check's verdict: normal 656, crossfade 2099.2 (held or not), max-read.
qdt::v1::Verdict SetupCheck(qdt::v1::Rating rating, double max_read, double crossfade_mean) {
  qdt::v1::Verdict v;
  v.set_rating(rating);
  v.set_time_scale(1);
  AddPhase(&v, "normal", 656, std::min(655.9, max_read), max_read >= 656);
  AddPhase(&v, "crossfade", 2099.2, crossfade_mean, crossfade_mean >= 2099.2 * 0.95);
  AddPhase(&v, "max-read", 0, max_read, true);
  v.set_sustained_mb_s(max_read);
  return v;
}

}  // namespace

class WillItWorkTest : public QObject {
  Q_OBJECT

 private:
  // Four Macs as a rig shows them after a Setup Check each: an EXCELLENT
  // drive (2650 MB/s), an ACCEPTABLE one whose crossfade delivered only
  // 1980 MB/s, a FAIL at 420 MB/s, and a rehearsal (×0.1).
  void feedRig(FleetModel* model) {
    for (const char* key :
         {"10.0.1.11:50551", "10.0.1.12:50551", "10.0.1.13:50551", "10.0.1.14:50551"}) {
      model->addAgent(key);
    }
    model->setName("10.0.1.11:50551", "Stage L main");
    model->setName("10.0.1.12:50551", "Stage R main");
    model->setName("10.0.1.13:50551", "Backup USB");
    model->setName("10.0.1.14:50551", "Lobby");
    model->onEvent(
        VerdictEvent("10.0.1.11:50551", SetupCheck(qdt::v1::RATING_EXCELLENT, 2650, 2099)));
    model->onEvent(
        VerdictEvent("10.0.1.12:50551", SetupCheck(qdt::v1::RATING_ACCEPTABLE, 2650, 1980)));
    model->onEvent(VerdictEvent("10.0.1.13:50551", SetupCheck(qdt::v1::RATING_FAIL, 420, 410)));
    qdt::v1::Verdict rehearsal = SetupCheck(qdt::v1::RATING_EXCELLENT, 2700, 2099);
    rehearsal.set_time_scale(0.1);
    model->onEvent(VerdictEvent("10.0.1.14:50551", rehearsal));
    model->flush();
  }

  static QString Cell(const WillItWorkView& view, const QString& stream, const QString& key) {
    const int r = view.rowOfStream(stream), c = view.columnOfMac(key);
    if (r < 0 || c < 0 || view.table()->item(r, c) == nullptr) return "<no cell>";
    return view.table()->item(r, c)->text();
  }
  static QColor Background(const WillItWorkView& view, const QString& stream, const QString& key) {
    return view.table()
        ->item(view.rowOfStream(stream), view.columnOfMac(key))
        ->background()
        .color();
  }
  static QString Detail(const WillItWorkView& view, const QString& stream, const QString& key) {
    return view.table()
        ->item(view.rowOfStream(stream), view.columnOfMac(key))
        ->data(Qt::UserRole + 1)
        .toString();
  }

 private slots:
  void eachMacGetsTheStreamsItsDriveCarries() {
    FleetModel model(nullptr, 1'000'000);  // flushed by hand
    feedRig(&model);
    WillItWorkView view(&model);
    view.setFrameRate("all");
    // Columns are the Macs by name.
    QCOMPARE(view.table()->horizontalHeaderItem(view.columnOfMac("10.0.1.11:50551"))->text(),
             QString("Stage L main"));
    // EXCELLENT, proven 2650 MB/s. ProRes 422 HQ UHD 29.97 = 884 / 8 = 110.5 MB/s:
    // crossfade 2650 / (2 x 110.5 x 1.6 = 353.6) = 7.49 -> 7; normal 2650 / 110.5 -> 23.
    const QString l = "10.0.1.11:50551", r = "10.0.1.12:50551", usb = "10.0.1.13:50551",
                  lobby = "10.0.1.14:50551";
    QCOMPARE(Cell(view, "ProRes 422 HQ UHD 29.97", l), QString("7 streams"));
    QCOMPARE(Detail(view, "ProRes 422 HQ UHD 29.97", l), QString("23 without crossfade"));
    // request 4K (440): 2650 / 1408 = 1.88 -> 1 stream.
    QCOMPARE(Cell(view, "request 4K", l), QString("1 stream"));
    // ACCEPTABLE: its crossfade delivered 1980, which caps it: 1980 / 353.6 = 5.6 -> 5.
    QCOMPARE(Cell(view, "ProRes 422 HQ UHD 29.97", r), QString("5 streams"));
    // ProRes 4444 XQ UHD 59.94 = 497.125 MB/s: 1980 / 1590.8 = 1.24 -> 1.
    QCOMPARE(Cell(view, "ProRes 4444 XQ UHD 59.94", r), QString("1 stream"));
    // FAIL: max-read 420, and its crossfade delivered only 410, which caps it.
    // Not one UHD 4444 XQ (1590.8), but HAP 1080p25 (0.5 x 1920 x 1080 x 25 =
    // 25.9 MB/s): 410 / 82.88 = 4.95 -> 4.
    QCOMPARE(Cell(view, "ProRes 4444 XQ UHD 59.94", usb), QString("0 streams"));
    QCOMPARE(Cell(view, "HAP 1080p25", usb), QString("4 streams"));
    // The rehearsal proves nothing: n/a, with why.
    QCOMPARE(Cell(view, "HAP 1080p25", lobby), QString("n/a"));
    QCOMPARE(Detail(view, "HAP 1080p25", lobby), QString("rehearsal"));
    const int proven = 0;
    QCOMPARE(view.table()->item(proven, view.columnOfMac(l))->text(), QString("2650 MB/s"));
    QCOMPARE(view.table()->item(proven, view.columnOfMac(r))->text(), QString("1980 MB/s"));
    QVERIFY(view.table()->item(proven, view.columnOfMac(lobby))->toolTip().contains("REHEARSAL"));
    // Colours: none red, enough green, n/a grey.
    QCOMPARE(Background(view, "ProRes 4444 XQ UHD 59.94", usb),
             RatingBackground(RatingKind::kFail));
    QCOMPARE(Background(view, "HAP 1080p25", usb), RatingBackground(RatingKind::kExcellent));
    QCOMPARE(Background(view, "HAP 1080p25", lobby), RatingBackground(RatingKind::kNoRating));
    // The tooltip shows the arithmetic.
    const QString tip = view.table()
                            ->item(view.rowOfStream("ProRes 422 HQ UHD 29.97"), view.columnOfMac(l))
                            ->toolTip();
    QVERIFY2(tip.contains("2 × 7 × 110.5 × 1.6 = 2475.2 MB/s of the proven 2650"), qPrintable(tip));
  }

  void theDesignersStreamsPerCueTurnShortCellsAmber() {
    FleetModel model(nullptr, 1'000'000);
    feedRig(&model);
    WillItWorkView view(&model);
    const QString r = "10.0.1.12:50551";
    QCOMPARE(Background(view, "ProRes 422 HQ UHD 29.97", r),
             RatingBackground(RatingKind::kExcellent));
    view.setStreamsNeeded(6);  // 5 carried: not enough
    QCOMPARE(Cell(view, "ProRes 422 HQ UHD 29.97", r), QString("5 streams"));
    QCOMPARE(Background(view, "ProRes 422 HQ UHD 29.97", r),
             RatingBackground(RatingKind::kAcceptable));
    view.setStreamsNeeded(5);
    QCOMPARE(Background(view, "ProRes 422 HQ UHD 29.97", r),
             RatingBackground(RatingKind::kExcellent));
  }

  void theFrameRateFilterShowsOneRate() {
    FleetModel model(nullptr, 1'000'000);
    feedRig(&model);
    WillItWorkView view(&model);
    view.setFrameRate("all");
    for (const qdt::StreamKind& k : qdt::StreamTable()) {
      QVERIFY2(view.rowOfStream(QString::fromStdString(k.name)) >= 0, k.name.c_str());
    }
    view.setFrameRate("25");
    QCOMPARE(view.frameRate(), QString("25"));
    int shown = 0;
    for (const qdt::StreamKind& k : qdt::StreamTable()) {
      const bool visible = view.rowOfStream(QString::fromStdString(k.name)) >= 0;
      QCOMPARE(visible, k.fps_label == "25");
      shown += visible;
    }
    QCOMPARE(shown, 12);  // 6 formats x 1080p and UHD
    QVERIFY(view.rowOfStream("ProRes 422 HQ 1080p25") >= 0);
    QCOMPARE(view.rowOfStream("request 4K"), -1);  // 59.94 only
    view.setFrameRate("59.94");
    QVERIFY(view.rowOfStream("request 4K") >= 0);
  }

  void theTableFollowsTheModel() {
    FleetModel model(nullptr, 1'000'000);
    WillItWorkView view(&model);
    QCOMPARE(view.table()->columnCount(), 2);  // no Macs yet: stream and MB/s
    model.addAgent("10.0.1.20:50551");
    QTRY_COMPARE(view.columnOfMac("10.0.1.20:50551"), 2);
    QCOMPARE(Cell(view, "request HD", "10.0.1.20:50551"), QString("n/a"));
    QCOMPARE(Detail(view, "request HD", "10.0.1.20:50551"), QString("no test yet"));
    // A verdict arrives: the cell follows (request HD, 72 MB/s: 1000 / 230.4 = 4.3 -> 4).
    model.onEvent(
        VerdictEvent("10.0.1.20:50551", SetupCheck(qdt::v1::RATING_ACCEPTABLE, 1000, 1000)));
    model.flush();
    QTRY_COMPARE(Cell(view, "request HD", "10.0.1.20:50551"), QString("4 streams"));
    // A rename shows in the header.
    model.setName("10.0.1.20:50551", "FOH spare");
    model.flush();
    QTRY_COMPARE(view.table()->horizontalHeaderItem(2)->text(), QString("FOH spare"));
    model.removeAgent("10.0.1.20:50551");
    QTRY_COMPARE(view.table()->columnCount(), 2);
  }

  void aScreenshotForAPerson() {
    FleetModel model(nullptr, 1'000'000);
    feedRig(&model);
    WillItWorkView view(&model);
    view.setFrameRate("59.94");
    view.setStreamsNeeded(2);
    view.resize(1400, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QDir().mkpath(QString(QDT_BINARY_DIR) + "/screenshots");
    const QImage shot = view.grab().toImage();
    QCOMPARE(shot.size(), QSize(1400, 700));
    QVERIFY(shot.save(QString(QDT_BINARY_DIR) + "/screenshots/console-will-it-work.png"));
    // Every Mac column fits the width: the designer sees the whole rig.
    const int last = view.columnOfMac("10.0.1.14:50551");
    const QHeaderView* header = view.table()->horizontalHeader();
    QVERIFY2(header->sectionViewportPosition(last) + header->sectionSize(last) <=
                 view.table()->viewport()->width(),
             "the last Mac's column is cut off at 1400 px");
  }
};

QTEST_MAIN(WillItWorkTest)
#include "will_it_work_test.moc"
