// The rig report (issue 14, items 5 and 12) from a real SQLite store whose
// verdicts the real verdict engine (common/verdict.h) computed from the same
// samples: the latest-rig-test rule, the header (show, venue, operator, time
// zone, profile, time scale), each Mac by its name with its rating, flags,
// phases and paced streams, rehearsals marked, "nothing to report" as an
// error, the default file name, and the report dialog (fields remembered,
// written on accept without exec()).
//
// `report_test --write-store DIR` writes the same two-drive store to
// DIR/console.sqlite and prints what the report must show as JSON (for
// tests/console/report_cli_test.py, which runs `qdt-console --report`).
#include "console/app/report.h"

#include <QApplication>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimeZone>
#include <QtTest>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/verdict.h"
#include "console/app/fleet_model.h"
#include "console/app/report_dialog.h"
#include "console/app/sample_store.h"

using namespace qdt::console;

namespace {

// 2026-12-02 20:00:00 UTC: 21:00 in Berlin (UTC+01:00 in December).
constexpr double kRigStart = 1796241600;

struct PhaseSpec {
  std::string name;
  double target_mb;  // 0 = unpaced
  std::vector<double> windows_mb;
  std::vector<qdt::StreamLatency> streams;
};

struct RunSpec {
  QString address, run_id, model, serial, volume, profile;
  double start_s = 0;
  double time_scale = 1;
  std::vector<PhaseSpec> phases;
  bool finished = true;  // false: stopped early, no verdict
};

// `n` windows around `mb` (+-3 %, deterministic), with `low` of them at `low_mb`.
std::vector<double> Windows(int n, double mb, int low = 0, double low_mb = 0) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(mb * (1 + 0.03 * std::sin(i * 1.7)));
  for (int i = 0; i < low; ++i) out[n / 2 + i] = low_mb;
  return out;
}

AgentEvent Event(const QString& key, const QString& run, uint64_t seq, double wall_s) {
  AgentEvent e;
  e.key = key;
  e.run_id = run;
  e.event.set_seq(seq);
  e.event.mutable_time()->set_seconds(static_cast<int64_t>(wall_s));
  e.event.mutable_time()->set_nanos(static_cast<int32_t>((wall_s - std::floor(wall_s)) * 1e9));
  return e;
}

// Stores one run: its row, a phase change and 1-second samples per phase
// (with the drive's own counter), then the state and the verdict the engine
// computes from those very windows.
std::optional<qdt::v1::Verdict> StoreRun(SampleStore* store, const RunSpec& spec) {
  StoredRun row;
  row.agent = spec.address;
  row.run_id = spec.run_id;
  row.serial = spec.serial;
  row.model = spec.model;
  row.volume = spec.volume;
  row.profile = spec.profile;
  row.started_s = spec.start_s;
  row.state = spec.finished ? "DONE" : "STOPPED";
  store->upsertRun(row);
  QVector<AgentEvent> events;
  qdt::VerdictInput input;
  input.device_counter = "disk4";
  uint64_t seq = 0;
  double t = spec.start_s;
  for (size_t p = 0; p < spec.phases.size(); ++p) {
    const PhaseSpec& ps = spec.phases[p];
    AgentEvent change = Event(spec.address, spec.run_id, ++seq, t);
    auto* pc = change.event.mutable_phase();
    pc->set_phase_index(static_cast<int>(p));
    pc->set_phase_name(ps.name);
    pc->set_duration_s(static_cast<double>(ps.windows_mb.size()));
    pc->set_target_bytes_per_s(ps.target_mb * 1e6);
    events.push_back(change);
    qdt::PhaseSeries series;
    series.phase_index = static_cast<int>(p);
    series.name = ps.name;
    series.target_bytes_per_s = ps.target_mb * 1e6;
    series.ran = series.completed = true;
    series.streams = ps.streams;
    double bytes = 0;
    for (double mb : ps.windows_mb) {
      t += 1;
      AgentEvent s = Event(spec.address, spec.run_id, ++seq, t);
      auto* sample = s.event.mutable_sample();
      *sample->mutable_wall_time() = s.event.time();
      sample->set_phase_index(static_cast<int>(p));
      sample->set_interval_s(1);
      sample->set_read_bytes_per_s(mb * 1e6);
      sample->set_device_read_bytes_per_s(mb * 1e6);
      sample->set_target_bytes_per_s(ps.target_mb * 1e6);
      sample->set_temperature_c(41 + 0.1 * static_cast<double>(seq % 30));
      events.push_back(s);
      series.window_bytes_per_s.push_back(mb * 1e6);
      series.window_s.push_back(1);
      bytes += mb * 1e6;
    }
    series.fio_read_bytes = static_cast<uint64_t>(bytes);
    series.device_bytes = static_cast<uint64_t>(bytes);
    series.fio_runtime_s = static_cast<double>(ps.windows_mb.size());
    series.fio_mean_bytes_per_s = bytes / series.fio_runtime_s;
    input.phases.push_back(series);
  }
  AgentEvent state = Event(spec.address, spec.run_id, ++seq, t);
  state.event.mutable_state()->set_state(spec.finished ? qdt::v1::RUN_STATE_DONE
                                                       : qdt::v1::RUN_STATE_STOPPED);
  events.push_back(state);
  std::optional<qdt::v1::Verdict> verdict;
  if (spec.finished) {
    verdict = qdt::ComputeVerdict(input);
    verdict->set_time_scale(spec.time_scale);
    AgentEvent v = Event(spec.address, spec.run_id, ++seq, t);
    *v.event.mutable_verdict() = *verdict;
    events.push_back(v);
  }
  store->storeEvents(events);
  return verdict;
}

qdt::StreamLatency Stream(const std::string& name, double fps, double p50, double p99) {
  qdt::StreamLatency s;
  s.name = name;
  s.frame_rate = fps;
  s.clat_p50_ms = p50;
  s.clat_p99_ms = p99;
  return s;
}

// A Setup Check shaped run: normal playback, crossfade, max read.
std::vector<PhaseSpec> SetupCheck(double normal, double crossfade, int crossfade_low,
                                  double max_read, double xq_p99_ms) {
  return {
      {"normal", 656, Windows(20, normal), {Stream("4K ProRes 4444 XQ 59.94", 59.94, 4.2, 9.8)}},
      {"crossfade",
       2099.2,
       Windows(20, crossfade, crossfade_low, 1700),
       {Stream("4K ProRes 4444 XQ 59.94 (crossfade 1)", 59.94, 6.5, xq_p99_ms),
        Stream("HD ProRes 59.94 #1", 59.94, 2.1, 5.5)}},
      {"max-read", 0, Windows(20, max_read), {}},
  };
}

// The rig's store: two named Macs in the latest rig test (Stage R backup's
// first attempt stopped and was rerun 5 minutes later), Stage L main's
// rehearsal two hours before, and a spare Mac that was not part of the test.
struct RigStore {
  QString path;
  QJsonObject facts;  // what the report must show, from the engine's verdicts
};

RigStore WriteRigStore(const QString& dir, double time_scale) {
  RigStore out;
  out.path = QDir(dir).filePath("console.sqlite");
  SampleStore store;
  QString error;
  if (!store.open(out.path, &error)) qFatal("%s", qPrintable(error));
  const QString a = "127.0.0.1:50551", b = "127.0.0.1:50552", spare = "127.0.0.1:50553";
  store.addAgent(a, "t");
  store.addAgent(b, "t");
  store.addAgent(spare, "t");
  store.setAgentName(a, "Stage L main");
  store.setAgentName(b, "Stage R backup");
  store.setAgentName(spare, "Spare Mac");
  RunSpec old{a,
              "r-a-rehearsal",
              "APPLE SSD AP2048Z",
              "C02A1",
              "/Volumes/Show Media",
              "setup-check",
              kRigStart - 7200,
              0.1,
              SetupCheck(700, 2300, 0, 2800, 12)};
  StoreRun(&store, old);
  RunSpec spare_run{spare,
                    "r-spare",
                    "Samsung T7",
                    "S5X9",
                    "/Volumes/T7",
                    "setup-check",
                    kRigStart - 86400,
                    1,
                    SetupCheck(700, 2300, 0, 2800, 12)};
  StoreRun(&store, spare_run);
  RunSpec first{b,          "r-b-1",          "Samsung SSD 990 PRO 2TB",
                "S7DNNJ0W", "/Volumes/Media", "setup-check",
                kRigStart,  time_scale,       SetupCheck(700, 2150, 0, 1900, 52)};
  first.finished = false;
  first.phases.resize(1);
  StoreRun(&store, first);
  const std::vector<RunSpec> rig = {
      {a, "r-a-7", "APPLE SSD AP2048Z", "C02A1", "/Volumes/Show Media", "setup-check", kRigStart,
       time_scale, SetupCheck(700, 2300, 0, 2800, 12)},
      {b, "r-b-2", "Samsung SSD 990 PRO 2TB", "S7DNNJ0W", "/Volumes/Media", "setup-check",
       kRigStart + 300, time_scale, SetupCheck(700, 2150, 3, 1900, 52)},
  };
  QJsonArray macs;
  for (const RunSpec& spec : rig) {
    const qdt::v1::Verdict v = *StoreRun(&store, spec);
    const RatingView view = ViewOf(v);
    QJsonObject mac;
    mac["address"] = spec.address;
    mac["name"] = store.agentName(spec.address);
    mac["run_id"] = spec.run_id;
    mac["started_s"] = spec.start_s;
    mac["profile"] = spec.profile;
    mac["rating_word"] = view.word;
    mac["rating_reason"] = view.reason;
    mac["sustained"] = QString::number(v.sustained_mb_s(), 'f', 0);
    QJsonArray phases, risks;
    for (const auto& p : v.phases()) {
      QJsonObject ph;
      ph["name"] = QString::fromStdString(p.name());
      ph["mean"] = QString::number(p.mean_mb_s(), 'f', 0);
      ph["worst"] = QString::number(p.worst_mb_s(), 'f', 0);
      ph["target"] = p.target_mb_s();
      ph["missed"] = static_cast<int>(p.missed_windows());
      ph["windows"] = static_cast<int>(p.windows());
      phases.append(ph);
      for (const auto& s : p.streams()) {
        if (s.dropped_frame_risk()) risks.append(QString::fromStdString(s.name()));
      }
    }
    mac["phases"] = phases;
    mac["dropped_frame_risk_streams"] = risks;
    macs.append(mac);
  }
  out.facts["macs"] = macs;
  out.facts["not_in_rig_test"] = QJsonArray{"Spare Mac", "r-a-rehearsal", "r-b-1"};
  out.facts["time_scale"] = time_scale;
  out.facts["store"] = out.path;
  return out;
}

QString ReadAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// The HTML without its embedded images (a data URL could contain anything).
QString WithoutImages(QString html) {
  return html.replace(QRegularExpression("data:image/png;base64,[A-Za-z0-9+/=]+"), "data:");
}

QDateTime BerlinEvening() {
  return QDateTime(QDate(2026, 12, 2), QTime(21, 30, 5), QTimeZone("Europe/Berlin"));
}

}  // namespace

class ReportTest : public QObject {
  Q_OBJECT

 private slots:
  // "The latest rig test": each Mac's newest run within 10 minutes of the
  // newest start; older runs and Macs not in that test are left out.
  void latestRigRunsAreEachMacsNewestRunOfTheNewestTest() {
    QTemporaryDir dir;
    const RigStore rig = WriteRigStore(dir.path(), 1);
    SampleStore store;
    QString error;
    QVERIFY(store.open(rig.path, &error));
    const QVector<ReportRun> runs = LatestRigRuns(store);
    QCOMPARE(runs.size(), 2);
    QCOMPARE(runs[0].agent, QString("127.0.0.1:50551"));  // in the order the agents were added
    QCOMPARE(runs[0].run_id, QString("r-a-7"));           // not its rehearsal 2 h before
    QCOMPARE(runs[1].agent, QString("127.0.0.1:50552"));
    QCOMPARE(runs[1].run_id, QString("r-b-2"));  // the rerun, not the stopped first attempt

    // A Mac whose newest run is just over the window is not part of the test.
    StoredRun late;
    late.agent = "127.0.0.1:50553";
    late.run_id = "r-late";
    late.started_s = kRigStart + 300 + kRigTestWindowS + 1;
    store.upsertRun(late);
    const QVector<ReportRun> after = LatestRigRuns(store);
    QCOMPARE(after.size(), 1);  // r-late alone is now the newest test
    QCOMPARE(after[0].run_id, QString("r-late"));

    // A removed agent's run still belongs to the test.
    QVERIFY(store.removeAgent("127.0.0.1:50553"));
    QCOMPARE(LatestRigRuns(store).size(), 1);

    SampleStore empty;
    QVERIFY(empty.open(dir.filePath("empty.sqlite"), &error));
    QVERIFY(LatestRigRuns(empty).isEmpty());
  }

  // Issue 14, items 5 and 12: the header, each Mac by its name, ratings,
  // flags, phases and streams as the engine judged them; everything escaped.
  void reportHoldsWhatAProductionManagerNeeds() {
    QTemporaryDir dir;
    const RigStore rig = WriteRigStore(dir.path(), 1);
    SampleStore store;
    QString error;
    QVERIFY(store.open(rig.path, &error));
    ReportInfo info;
    info.show = "Hamlet <Act 1> & 2";
    info.operator_name = "Sam";
    info.written = BerlinEvening();
    const QString html = WithoutImages(BuildReportHtml(store, LatestRigRuns(store), info));
    QVERIFY(html.contains("<title>QDT rig report — Hamlet &lt;Act 1&gt; &amp; 2</title>"));
    QVERIFY(!html.contains("<Act 1>"));
    QVERIFY(!html.contains("<script", Qt::CaseInsensitive));
    QVERIFY(html.contains("<b>Operator:</b> Sam"));
    QVERIFY2(!html.contains("Venue"), "an empty field is left out");
    // Every time with its offset; the zone named.
    QVERIFY2(html.contains("2026-12-02 21:30:05 UTC+01:00"), qPrintable(html.left(3000)));
    QVERIFY(html.contains("Europe/Berlin"));
    QVERIFY(html.contains("<b>Rig test started:</b> 2026-12-02 21:00:00 UTC+01:00"));
    QVERIFY(html.contains("started 2026-12-02 21:05:00 UTC+01:00"));  // the rerun
    QVERIFY(html.contains("<b>Profile:</b> setup-check"));
    QVERIFY(html.contains("<b>Time scale:</b> ×1 (real time: show ratings)"));
    QVERIFY(!html.contains("REHEARSAL"));
    for (const auto& m : rig.facts["macs"].toArray()) {
      const QJsonObject mac = m.toObject();
      const QString name = mac["name"].toString();
      // The name in the table, its page's heading (with the rating word) and its chart.
      QVERIFY2(html.contains("<td>" + name + "<br><span class=\"small\">" +
                             mac["address"].toString() + "</span></td>"),
               qPrintable(name));
      QVERIFY(html.contains(QString("page-break-before:always\">%1 — %2</h2>")
                                .arg(name, mac["rating_word"].toString())));
      QVERIFY(html.contains("alt=\"" + name + ": read MB/s over the run\""));
      QVERIFY(html.contains(QString("\">%1</td><td>%2</td>")
                                .arg(mac["rating_word"].toString(),
                                     mac["rating_reason"].toString().toHtmlEscaped())));
      for (const auto& p : mac["phases"].toArray()) {
        const QJsonObject ph = p.toObject();
        // Unpaced (max read): no target to miss.
        const QString missed =
            ph["target"].toDouble() > 0 ? QString::number(ph["missed"].toInt()) : QString("—");
        QVERIFY2(html.contains(QString("<td>%1 / %2</td><td>%3</td><td>%4</td>")
                                   .arg(missed)
                                   .arg(ph["windows"].toInt())
                                   .arg(ph["worst"].toString(), ph["mean"].toString())),
                 qPrintable(name + " " + ph["name"].toString()));
      }
    }
    // The engine's verdicts: one EXCELLENT, one ACCEPTABLE (3 crossfade
    // windows low) whose XQ stream risks dropped frames, and the report says
    // so in the table's flags, on its page and in its stream table.
    const QJsonObject backup = rig.facts["macs"].toArray()[1].toObject();
    QCOMPARE(backup["rating_word"].toString(), QString("ACCEPTABLE"));
    QCOMPARE(backup["rating_reason"].toString(), QString("crossfade 3/20 low"));
    QCOMPARE(backup["dropped_frame_risk_streams"].toArray().size(), 1);
    const QString risk_flag = "⚠ dropped-frame risk: 4K ProRes 4444 XQ 59.94 (crossfade 1)";
    QCOMPARE(html.count(risk_flag), 2);
    QVERIFY(
        html.contains("<td>4K ProRes 4444 XQ 59.94 (crossfade 1)</td><td>16.7</td><td>6.5</td>"
                      "<td>52.0</td><td><span class=\"risk\">dropped-frame risk</span></td>"));
    QCOMPARE(html.count("<span class=\"risk\">dropped-frame risk</span>"), 1);
    QCOMPARE(html.count("<td>on time</td>"), 5);  // every other stream of both runs
    QVERIFY(html.contains("<td>MISSED 3 of 20 windows</td>"));
    QVERIFY(html.contains("Of 2 drives: 1 EXCELLENT, 1 ACCEPTABLE"));
    // Not part of the latest rig test.
    for (const auto& x : rig.facts["not_in_rig_test"].toArray()) {
      QVERIFY2(!html.contains(x.toString()), qPrintable(x.toString()));
    }
  }

  // Issue 14, item 4: a rehearsal's rating is marked wherever it appears.
  void aRehearsalIsMarkedWhereverItsRatingAppears() {
    QTemporaryDir dir;
    const RigStore rig = WriteRigStore(dir.path(), 0.1);
    SampleStore store;
    QString error;
    QVERIFY(store.open(rig.path, &error));
    ReportInfo info;
    info.written = BerlinEvening();
    const QString html = WithoutImages(BuildReportHtml(store, LatestRigRuns(store), info));
    QVERIFY(html.contains("<b>Time scale:</b> REHEARSAL ×0.1 — not a show rating</p>"));
    QCOMPARE(html.count("<td class=\"rehearsal\">REHEARSAL ×0.1</td><td>not a show rating ("), 2);
    QCOMPARE(html.count("<b>REHEARSAL ×0.1 — not a show rating (EXCELLENT: "), 1);
    QCOMPARE(html.count("<b>REHEARSAL ×0.1 — not a show rating (ACCEPTABLE: "), 1);
    QCOMPARE(html.count("page-break-before:always\">Stage L main — REHEARSAL ×0.1</h2>"), 1);
    for (const char* cls : {"excellent", "acceptable", "fail"}) {
      QVERIFY2(!html.contains(QString("class=\"%1\"").arg(cls)), cls);  // never drawn as a rating
    }
    QVERIFY(html.contains("<td>pass (rehearsal)</td>"));
    QVERIFY(html.contains("2 REHEARSAL (shortened phases: not rated for the show)"));
  }

  // Issue 14, item 3: an empty report is an error, never an empty file.
  void nothingToReportIsAnErrorAndWritesNothing() {
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("c.sqlite"), &error));
    const QString pdf = dir.filePath("r.pdf"), html = dir.filePath("r.html");
    QVERIFY(!WriteReport(store, {}, ReportInfo(), html, pdf, &error));
    QVERIFY2(error.startsWith("nothing to report: no run was given"), qPrintable(error));
    QVERIFY(!QFile::exists(pdf) && !QFile::exists(html));
    QVERIFY(
        !WriteReport(store, {{"10.0.1.12:50551", "", "r-gone"}}, ReportInfo(), html, pdf, &error));
    QVERIFY2(error.startsWith("nothing to report: none of the 1 run(s)") &&
                 error.contains("\"r-gone\" of 10.0.1.12:50551"),
             qPrintable(error));
    QVERIFY(!QFile::exists(pdf) && !QFile::exists(html));
  }

  void aBadPathIsNamed() {
    QTemporaryDir dir;
    const RigStore rig = WriteRigStore(dir.path(), 1);
    SampleStore store;
    QString error;
    QVERIFY(store.open(rig.path, &error));
    const QString missing = dir.filePath("no/such/folder/r.html");
    QVERIFY(!WriteReport(store, LatestRigRuns(store), ReportInfo(), missing, QString(), &error));
    QVERIFY2(error.startsWith("cannot write \"" + missing + "\""), qPrintable(error));
    const QString pdf = dir.filePath("no/such/folder/r.pdf");
    QVERIFY(!WriteReport(store, LatestRigRuns(store), ReportInfo(), QString(), pdf, &error));
    QVERIFY2(error.startsWith("cannot write \"" + pdf + "\""), qPrintable(error));
  }

  void defaultFileNameCarriesTheDateAndTheShow() {
    ReportInfo info;
    info.written = BerlinEvening();
    QCOMPARE(DefaultReportFileName(info, "pdf"), QString("QDT rig report 2026-12-02.pdf"));
    info.show = " Hamlet: Act 1/2 ";
    QCOMPARE(DefaultReportFileName(info, ".html"),
             QString("QDT rig report Hamlet- Act 1-2 2026-12-02.html"));
    // Today's date when no time is given.
    QVERIFY(DefaultReportFileName(ReportInfo(), "pdf")
                .endsWith(QDate::currentDate().toString("yyyy-MM-dd") + ".pdf"));
  }

  void paperNamesAreParsed() {
    ReportPaper paper = ReportPaper::kA4;
    QVERIFY(ParseReportPaper("Letter", &paper));
    QCOMPARE(paper, ReportPaper::kLetter);
    QVERIFY(ParseReportPaper("a4", &paper));
    QCOMPARE(paper, ReportPaper::kA4);
    QVERIFY(!ParseReportPaper("a5", &paper));
    QVERIFY(!ParseReportPaper("", &paper));
  }

  // The dialog: remembered fields, the paper, the default name, written on
  // accept() without exec(); a failure keeps it open with the error in it.
  void reportDialogRemembersItsFieldsAndWrites() {
    QTemporaryDir dir;
    const RigStore rig = WriteRigStore(dir.path(), 1);
    SampleStore store;
    QString error;
    QVERIFY(store.open(rig.path, &error));
    const QVector<ReportRun> runs = LatestRigRuns(store);
    {
      ReportDialog dialog(&store, runs);
      QVERIFY(dialog.showEdit()->text().isEmpty());
      QVERIFY2(dialog.pathEdit()->text().endsWith(
                   "QDT rig report " + QDate::currentDate().toString("yyyy-MM-dd") + ".pdf"),
               qPrintable(dialog.pathEdit()->text()));
      dialog.showEdit()->setText("Hamlet");
      QVERIFY2(dialog.pathEdit()->text().endsWith(
                   "QDT rig report Hamlet " + QDate::currentDate().toString("yyyy-MM-dd") + ".pdf"),
               qPrintable(dialog.pathEdit()->text()));
      dialog.venueEdit()->setText("Lyric Theatre");
      dialog.operatorEdit()->setText("Sam");
      dialog.paperBox()->setCurrentText("Letter");
      // A folder that does not exist: the error is shown and the dialog stays.
      const QString bad = dir.filePath("missing/r.pdf");
      dialog.pathEdit()->setText(bad);
      dialog.accept();
      QVERIFY(dialog.result() != QDialog::Accepted);
      QVERIFY(!dialog.errorLabel()->isHidden());
      QVERIFY2(dialog.errorLabel()->text().contains(bad), qPrintable(dialog.errorLabel()->text()));
      const QString pdf = dir.filePath("Hamlet report.pdf");
      dialog.pathEdit()->setText(pdf);
      dialog.accept();
      QCOMPARE(dialog.result(), int(QDialog::Accepted));
      QCOMPARE(dialog.written(), pdf + " and " + dir.filePath("Hamlet report.html"));
      // Letter: 612 x 792 points.
      const QByteArray bytes = [&] {
        QFile f(pdf);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
      }();
      QVERIFY(bytes.startsWith("%PDF"));
      QVERIFY2(QString::fromLatin1(bytes).contains(
                   QRegularExpression("/MediaBox \\[0 0 612(\\.0+)? 792(\\.0+)?\\]")),
               "Letter page size");
      const QString html = WithoutImages(ReadAll(dir.filePath("Hamlet report.html")));
      QVERIFY(html.contains("<b>Show:</b> Hamlet"));
      QVERIFY(html.contains("<b>Venue:</b> Lyric Theatre"));
      QVERIFY(html.contains("@page{size:letter"));
    }
    QCOMPARE(store.setting("report.show"), QString("Hamlet"));
    QCOMPARE(store.setting("report.venue"), QString("Lyric Theatre"));
    QCOMPARE(store.setting("report.operator"), QString("Sam"));
    // The next report starts from what was typed, in the folder used last.
    ReportDialog again(&store, runs);
    QCOMPARE(again.showEdit()->text(), QString("Hamlet"));
    QCOMPARE(again.venueEdit()->text(), QString("Lyric Theatre"));
    QCOMPARE(again.operatorEdit()->text(), QString("Sam"));
    QCOMPARE(again.paperBox()->currentText(), QString("Letter"));
    QVERIFY2(again.pathEdit()->text().startsWith(QDir(dir.path()).absolutePath() +
                                                 "/QDT rig report Hamlet "),
             qPrintable(again.pathEdit()->text()));
    // Unticked: the PDF alone.
    const QString only = dir.filePath("only.pdf");
    again.pathEdit()->setText(only);
    again.htmlBox()->setChecked(false);
    again.accept();
    QCOMPARE(again.written(), only);
    QVERIFY(!QFile::exists(dir.filePath("only.html")));
  }
};

int main(int argc, char** argv) {
  // The store fixture for the process-level test (tests/console/report_cli_test.py).
  if (argc == 4 && std::strcmp(argv[1], "--write-store") == 0) {
    QCoreApplication app(argc, argv);
    const RigStore rig = WriteRigStore(QString::fromLocal8Bit(argv[2]), std::atof(argv[3]));
    std::fputs(QJsonDocument(rig.facts).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputs("\n", stdout);
    return 0;
  }
  QApplication app(argc, argv);
  ReportTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "report_test.moc"
