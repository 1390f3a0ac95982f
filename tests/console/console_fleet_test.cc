// The console against real agents on loopback (real gRPC, real fio): the
// fleet model under QAbstractItemModelTester, start on all with one start
// time, reconnection that back-fills every sample after the network drops,
// and the rig report (PDF pages, CSV with every sample).
#include <google/protobuf/util/message_differencer.h>

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <set>

#include "common/pem.h"
#include "common/verdict.h"
#include "console/app/fleet.h"
#include "console/app/report.h"
#include "tests/console/tcp_proxy.h"
#include "tests/integration/harness.h"

using namespace qdt::console;
using qdt::testing::InProcessAgent;
using qdt::testing::TempDir;

namespace {

qdt::v1::StartRunRequest ShortSetupCheck(double scale) {
  qdt::v1::StartRunRequest req;
  req.set_profile_name("setup-check");
  req.set_time_scale(scale);
  req.set_file_size_bytes(64ull << 20);
  return req;
}

qdt::v1::RunRecord Record(InProcessAgent& agent, const QString& run_id) {
  grpc::ClientContext ctx;
  agent.Auth(&ctx);
  qdt::v1::GetRunRequest req;
  req.set_run_id(run_id.toStdString());
  qdt::v1::RunRecord rec;
  auto st = agent.stub().GetRun(&ctx, req, &rec);
  if (!st.ok()) qWarning("GetRun: %s", st.error_message().c_str());
  return rec;
}

std::set<uint64_t> SampleSeqs(const qdt::v1::RunRecord& rec) {
  std::set<uint64_t> out;
  for (const auto& e : rec.events()) {
    if (e.has_sample()) out.insert(e.seq());
  }
  return out;
}

// The rating of an agent's verdict as the table words it inside a
// rehearsal's parentheses, from the agent's record alone: "EXCELLENT: 2650
// MB/s sustained", "NO RATING: <the agent's reason>", ...
QString ExpectedRating(const qdt::v1::Verdict& v) {
  const QString word = QString::fromStdString(qdt::RatingWord(v.rating()));
  const QString mb = QString::number(v.sustained_mb_s(), 'f', 0);
  switch (v.rating()) {
    case qdt::v1::RATING_EXCELLENT:
      return word + ": " + mb + " MB/s sustained";
    case qdt::v1::RATING_NO_RATING: {
      // The agent's sentence when it already says the reason, else the reason.
      const QString summary = QString::fromStdString(v.summary());
      const QString reason = QString::fromStdString(v.no_rating_reason());
      if (summary.startsWith(word + ": ") && summary.contains(reason)) return summary;
      return word + ": " + reason;
    }
    default: {
      // ACCEPTABLE / FAIL: the first paced phase that missed, else the figure.
      for (const auto& p : v.phases()) {
        if (p.ran() && p.target_mb_s() > 0 && p.missed_windows() > 0) {
          const QString missed = QString("%1 %2/%3 low")
                                     .arg(QString::fromStdString(p.name()))
                                     .arg(p.missed_windows())
                                     .arg(p.windows());
          const bool crossfade_level = p.target_mb_s() > v.normal_target_mb_s() * (1 + 1e-9);
          if (v.rating() == qdt::v1::RATING_ACCEPTABLE && crossfade_level) {
            return word + ": " + missed;
          }
          if (v.rating() == qdt::v1::RATING_FAIL && !crossfade_level) {
            return word + ": normal playback missed (" + missed + ")";
          }
        }
      }
      return v.rating() == qdt::v1::RATING_ACCEPTABLE
                 ? QString("%1: sustained %2 < %3 MB/s crossfade")
                       .arg(word, mb)
                       .arg(v.crossfade_target_mb_s(), 0, 'f', 0)
                 : QString("%1: sustained %2 < %3 MB/s normal playback")
                       .arg(word, mb)
                       .arg(v.normal_target_mb_s(), 0, 'f', 0);
    }
  }
}

int PdfPages(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return -1;
  const QByteArray pdf = f.readAll();
  // Page objects are "/Type /Page" not followed by "s" (that is /Pages).
  int pages = 0;
  for (int at = pdf.indexOf("/Type /Page"); at >= 0; at = pdf.indexOf("/Type /Page", at + 1)) {
    if (pdf.mid(at + 11, 1) != "s") ++pages;
  }
  return pages;
}

}  // namespace

class ConsoleFleetTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { RegisterFleetTypes(); }

  void fleetAgainstRealAgentsStartOnAllAndReport() {
    InProcessAgent a, b;
    TempDir ta("console-a"), tb("console-b");
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY2(store.open(dir.filePath("console.sqlite"), &error), qPrintable(error));
    FleetModel model(nullptr, 100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    Fleet fleet(&store, &model);
    const QString ka = QString::fromStdString(a.address()),
                  kb = QString::fromStdString(b.address());
    QVERIFY2(fleet.addAgent(ka, QString::fromStdString(a.token()), &error), qPrintable(error));
    QVERIFY2(fleet.addAgent(kb, QString::fromStdString(b.token()), &error), qPrintable(error));
    QVERIFY(!fleet.addAgent(ka, "another-token-0123456789", &error));
    QVERIFY(error.contains("already in the rig"));
    QTRY_VERIFY_WITH_TIMEOUT(model.find(ka)->online && model.find(kb)->online, 15000);
    QVERIFY(model.data(model.index(0, FleetModel::kHost)).toString().contains(ka));
    QVERIFY(!model.find(ka)->volumes.isEmpty());  // ListVolumes of this machine

    model.setTargetDir(ka, QString::fromStdString(ta.path()));
    model.setTargetDir(kb, QString::fromStdString(tb.path()));
    model.flush();
    const double sent_s = QDateTime::currentMSecsSinceEpoch() / 1000.0;
    QCOMPARE(fleet.startRuns({}, ShortSetupCheck(0.1), 2.0), 2);
    auto done = [&](const QString& k) {
      const FleetRow* r = model.find(k);
      return r->verdict.has_value() && r->run_state == qdt::v1::RUN_STATE_DONE;
    };
    QTRY_VERIFY_WITH_TIMEOUT(done(ka) && done(kb), 120000);
    model.flush();

    // One synchronised start time, in the future when it was sent.
    const QString ra = model.find(ka)->run_id, rb = model.find(kb)->run_id;
    qdt::v1::RunRecord rec_a = Record(a, ra), rec_b = Record(b, rb);
    QVERIFY(rec_a.request().has_start_at());
    QCOMPARE(rec_a.request().start_at().seconds(), rec_b.request().start_at().seconds());
    QCOMPARE(rec_a.request().start_at().nanos(), rec_b.request().start_at().nanos());
    const double start_at_s =
        rec_a.request().start_at().seconds() + rec_a.request().start_at().nanos() / 1e9;
    QVERIFY2(start_at_s >= sent_s + 1.9 && start_at_s <= sent_s + 5,
             qPrintable(QString("start_at %1 s after sending").arg(start_at_s - sent_s)));
    QCOMPARE(rec_a.run().state(), qdt::v1::RUN_STATE_DONE);

    // Every sample the agents produced is in the console's store.
    QTRY_COMPARE_WITH_TIMEOUT(store.sampleCount(ka, ra), int(SampleSeqs(rec_a).size()), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(store.sampleCount(kb, rb), int(SampleSeqs(rec_b).size()), 5000);
    QVERIFY(SampleSeqs(rec_a).size() >= 3);  // about one per second of a 3 s run

    // Each row shows what its own agent recorded for its run (GetRun), not
    // what the model thinks of itself: the same verdict, and the cell's exact
    // text and colours worked out here from that record. The runs are
    // rehearsals (time scale 0.1): never shown as a rating.
    for (const auto& [k, rec] : {std::pair{ka, rec_a}, std::pair{kb, rec_b}}) {
      const FleetRow* r = model.find(k);
      QVERIFY(rec.run().has_verdict());
      const qdt::v1::Verdict& agent_verdict = rec.run().verdict();
      QVERIFY2(google::protobuf::util::MessageDifferencer::Equals(*r->verdict, agent_verdict),
               qPrintable(k));
      QCOMPARE(agent_verdict.time_scale(), 0.1);
      const QString cell = model.data(model.index(model.rowOf(k), FleetModel::kVerdict)).toString();
      QString expected =
          "REHEARSAL ×0.1 — not a show rating (" + ExpectedRating(agent_verdict) + ")";
      QStringList flags;  // every flag but the one the NO RATING reason already says
      for (const std::string& f : agent_verdict.flags()) {
        if (qdt::HasRating(agent_verdict) || f != agent_verdict.no_rating_reason()) {
          flags << QString::fromStdString(f);
        }
      }
      if (!flags.isEmpty()) {
        expected += " — ⚠ " + flags.front().section(':', 0, 0);
        if (flags.size() > 1) expected += QString(" +%1").arg(flags.size() - 1);
      }
      QCOMPARE(cell, expected);
      const QModelIndex at = model.index(model.rowOf(k), FleetModel::kVerdict);
      QCOMPARE(at.data(Qt::BackgroundRole).value<QBrush>().color(), QColor(60, 80, 140));
      QCOMPARE(at.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(Qt::white));
      QCOMPARE(FleetModel::CellText(*r, FleetModel::kState), QString("done"));
      QCOMPARE(FleetModel::CellText(*r, FleetModel::kMbps), QString("—"));  // no live rate after
    }
    RigSummary sum = model.summary();
    QCOMPARE(sum.agents, 2);
    QCOMPARE(sum.online, 2);
    QCOMPARE(sum.running, 0);
    QCOMPARE(sum.rehearsals, 2);
    QCOMPARE(sum.excellent + sum.acceptable + sum.failed + sum.unrated, 0);
    QCOMPARE(sum.Text(), QString("2 agents, 2 online, 0 running — 0 EXCELLENT, 0 ACCEPTABLE, "
                                 "0 FAIL, 2 REHEARSAL"));

    // The report: HTML and a PDF with the table page and a page per drive;
    // CSV and JSON with every sample.
    QVector<ReportRun> runs = {{ka, "", ra}, {kb, "", rb}};
    const QString html = dir.filePath("rig.html"), pdf = dir.filePath("rig.pdf");
    QVERIFY2(WriteReport(store, runs, "Rig report", html, pdf, &error), qPrintable(error));
    QVERIFY(QFile(pdf).size() > 10000);
    QVERIFY2(PdfPages(pdf) >= 3, qPrintable(QString("pages: %1").arg(PdfPages(pdf))));
    QFile h(html);
    QVERIFY(h.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(h.readAll());
    QVERIFY(text.contains(ra) && text.contains(rb));
    QVERIFY(text.contains("data:image/png;base64,"));
    // One rating cell per drive in the verdict table, in the rating's own class.
    int rating_cells = 0;
    for (const char* cls : {"excellent", "acceptable", "fail", "norating", "rehearsal"}) {
      rating_cells += text.count(QString("<td class=\"%1\">").arg(cls));
    }
    QCOMPARE(rating_cells, 2);
    const QString csv = dir.filePath("samples.csv");
    QVERIFY2(store.exportCsv(csv, {}, &error), qPrintable(error));
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const int lines = QString::fromUtf8(c.readAll()).split('\n', Qt::SkipEmptyParts).size();
    QCOMPARE(lines, 1 + int(SampleSeqs(rec_a).size() + SampleSeqs(rec_b).size()));
    const QString json = dir.filePath("samples.json");
    QVERIFY2(store.exportJson(json, {}, &error), qPrintable(error));
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    QJsonArray arr = QJsonDocument::fromJson(j.readAll()).array();
    QCOMPARE(arr.size(), 2);
    int json_samples = 0;
    for (const auto& run : arr) json_samples += run.toObject()["samples"].toArray().size();
    QCOMPARE(json_samples, lines - 1);

    // The console remembers its agents between starts.
    SampleStore again;
    QVERIFY(again.open(dir.filePath("console.sqlite"), &error));
    QCOMPARE(again.agents().size(), 2);
  }

  void reconnectionBackFillsEverySample() {
    InProcessAgent agent;
    TempDir target("console-reconnect");
    const QString real = QString::fromStdString(agent.address());
    qdt::testing::TcpProxy proxy(real.mid(real.lastIndexOf(':') + 1).toInt());
    QTemporaryDir dir;
    SampleStore store;
    QString error;
    QVERIFY(store.open(dir.filePath("console.sqlite"), &error));
    FleetModel model(nullptr, 100);
    Fleet fleet(&store, &model);
    const QString key = QString::fromStdString(proxy.address());
    QVERIFY2(fleet.addAgent(key, QString::fromStdString(agent.token()), &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(model.find(key)->online, 15000);
    model.setTargetDir(key, QString::fromStdString(target.path()));
    model.flush();
    QCOMPARE(fleet.startRuns({key}, ShortSetupCheck(0.5), 0), 1);  // 15 s of phases
    // Wait for a few samples, then drop the network for 4 s.
    QTRY_VERIFY_WITH_TIMEOUT(
        !model.find(key)->run_id.isEmpty() && store.sampleCount(key, model.find(key)->run_id) >= 3,
        60000);
    const QString run = model.find(key)->run_id;
    const int before = store.sampleCount(key, run);
    const double cut_s = QDateTime::currentMSecsSinceEpoch() / 1000.0;
    proxy.Cut();
    QTRY_VERIFY_WITH_TIMEOUT(!model.find(key)->online, 10000);
    QVERIFY(FleetModel::CellText(*model.find(key), FleetModel::kState).startsWith("OFFLINE"));
    QTest::qWait(4000);
    const double restore_s = QDateTime::currentMSecsSinceEpoch() / 1000.0;
    proxy.Restore();
    QTRY_VERIFY_WITH_TIMEOUT(model.find(key)->verdict.has_value(), 120000);
    QVERIFY(proxy.connections() >= 2);  // it really reconnected

    qdt::v1::RunRecord rec = Record(agent, run);
    const std::set<uint64_t> agent_seqs = SampleSeqs(rec);
    QTRY_COMPARE_WITH_TIMEOUT(store.sampleCount(key, run), int(agent_seqs.size()), 5000);
    std::set<uint64_t> stored;
    int during_cut = 0;
    for (const StoredSample& s : store.samples(key, run)) {
      stored.insert(s.seq);
      if (s.wall_s > cut_s && s.wall_s < restore_s) ++during_cut;
    }
    QVERIFY(stored == agent_seqs);  // nothing missing, nothing extra
    QVERIFY2(during_cut >= 2, qPrintable(QString("samples during the cut: %1").arg(during_cut)));
    QVERIFY(before < int(agent_seqs.size()));
  }

  // TLS: with the rig's CA (and the name on the agent's certificate, since it
  // is dialled at 127.0.0.1) the console reaches an agent that serves TLS;
  // plaintext, or the CA without the name, leaves the row offline with an
  // error that says what to check. The CA is remembered: a console started
  // again on the same store reaches the agent without being told.
  void tlsAgentReachedWithTheRigCaOnly() {
    TempDir pki("pki");
    QCOMPARE(QString::fromStdString(qdt::testing::MakeTestPki(pki.path())), QString());
    TempDir state("tls-agent");
    const std::string token_file = state.path() + "/token";
    qdt::testing::AgentProcess agent(state.path(), token_file);
    agent.Start({"--tls-cert", pki.path() + "/agent.pem", "--tls-key", pki.path() + "/agent.key"});
    auto token = qdt::client::ReadTokenFile(token_file);
    QVERIFY(token.ok());
    auto ca = qdt::ReadPemFile("--ca", pki.path() + "/ca.pem");
    QVERIFY(ca.ok());
    const QString key = QString::fromStdString(agent.address());

    struct Console {
      QTemporaryDir dir;
      SampleStore store;
      FleetModel model{nullptr, 100};
      Fleet fleet{&store, &model};
      explicit Console(const qdt::client::TlsOptions& tls) {
        QString error;
        if (!store.open(dir.filePath("console.sqlite"), &error)) qFatal("%s", qPrintable(error));
        fleet.setTls(tls, /*remember=*/true);
      }
    };
    Console with_ca({*ca, "showmac-1.local"}), plaintext({}), wrong_name({*ca, ""});
    QString error;
    for (Console* c : {&with_ca, &plaintext, &wrong_name}) {
      QVERIFY2(c->fleet.addAgent(key, QString::fromStdString(*token), &error), qPrintable(error));
    }
    QTRY_VERIFY_WITH_TIMEOUT(with_ca.model.find(key)->online, 15000);
    QVERIFY(!with_ca.model.find(key)->volumes.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!plaintext.model.find(key)->error.isEmpty(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!wrong_name.model.find(key)->error.isEmpty(), 15000);
    QVERIFY(!plaintext.model.find(key)->ever_online);
    QVERIFY(!wrong_name.model.find(key)->ever_online);
    QVERIFY2(plaintext.model.find(key)->error.contains("if the agent serves TLS, give its CA"),
             qPrintable(plaintext.model.find(key)->error));
    QVERIFY2(wrong_name.model.find(key)->error.contains("must be signed by the CA"),
             qPrintable(wrong_name.model.find(key)->error));

    FleetModel again_model(nullptr, 100);
    Fleet again(&with_ca.store, &again_model);
    QCOMPARE(again.restoreAgents(), 1);
    QCOMPARE(again.tls().server_name, std::string("showmac-1.local"));
    QTRY_VERIFY_WITH_TIMEOUT(again_model.find(key)->online, 15000);
    // Forgetting it (--no-tls) leaves the next start in plaintext.
    again.setTls({}, /*remember=*/true);
    FleetModel plain_model(nullptr, 100);
    Fleet plain_again(&with_ca.store, &plain_model);
    plain_again.restoreAgents();
    QVERIFY(plain_again.tls().ca_pem.empty());
    QTRY_VERIFY_WITH_TIMEOUT(plain_model.find(key)->error.contains("if the agent serves TLS"),
                             15000);
    agent.Signal(SIGTERM);
    QCOMPARE(agent.Wait(), 0);
  }
};

QTEST_MAIN(ConsoleFleetTest)
#include "console_fleet_test.moc"
