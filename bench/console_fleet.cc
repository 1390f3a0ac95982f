// Benchmark: the console's fleet path with N agents streaming at R Hz.
//
// A child process serves N agents, each a real gRPC server on its own
// loopback port speaking the Agent API: GetInfo reports an active run,
// ListVolumes one volume, and WatchRun streams that run's samples at R Hz
// (synthetic values, real messages; no fio: 100 fio processes would measure
// the disk, not the console). This process is the console: Fleet (one
// AgentLink per agent, gRPC on their threads), FleetModel (queued signals,
// rate-limited dataChanged), SampleStore (every sample into SQLite) and a
// QTableView on the model, offscreen.
//
// Measured over the window after a warm-up: the console's CPU (user + sys of
// this process) as % of one core, its RSS, the event-to-model latency p50 /
// p99 (sample wall time at the agent -> the model's flush; same clock: one
// machine) and whether every sample reached the store. Then, with the agents
// stopped (a report is written after the test), what the store holds costs
// at the end: the SQLite file's size (with its WAL), the time to write the
// report of the latest rig test (PDF and HTML through WriteReport, as
// `qdt-console --report` does) and the CSV of those runs
// (SampleStore::exportCsv), and the RSS after both. 100 agents x 10 Hz for
// 900 s is the sample count of a 2.5-hour show at 1 Hz (900,000 samples).
// Output: one JSON line; exit 1 when a sample is missing or a file could not
// be written.
//
//   console_fleet [--agents 100] [--rate 1] [--seconds 60] [--warmup 10] [--window 0|1]
//
// --window 1 shows the whole MainWindow (table, the selected drive's chart
// and the rig chart redrawn every 2 s) instead of a bare table view.
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "console/app/fleet.h"
#include "console/app/main_window.h"
#include "console/app/report.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

extern char** environ;

namespace {

constexpr char kToken[] = "bench-token-0123456789";

class FakeAgent final : public qdt::v1::Agent::Service {
 public:
  FakeAgent(int index, double rate_hz) : index_(index), rate_hz_(rate_hz) {}

  grpc::Status GetInfo(grpc::ServerContext*, const qdt::v1::GetInfoRequest*,
                       qdt::v1::AgentInfo* info) override {
    info->set_hostname("bench-" + std::to_string(index_));
    info->set_platform("linux");
    info->set_active_run_id("bench-run");
    return grpc::Status::OK;
  }
  grpc::Status ListVolumes(grpc::ServerContext*, const qdt::v1::ListVolumesRequest*,
                           qdt::v1::ListVolumesResponse* resp) override {
    auto* v = resp->add_volumes();
    v->set_mount_point("/Volumes/Media");
    v->set_model("APPLE SSD AP2048Z");
    v->set_serial("BENCH" + std::to_string(index_));
    v->set_free_bytes(1000000000000ull);
    v->set_total_bytes(2000000000000ull);
    return grpc::Status::OK;
  }
  grpc::Status WatchRun(grpc::ServerContext* ctx, const qdt::v1::WatchRunRequest* req,
                        grpc::ServerWriter<qdt::v1::RunEvent>* writer) override {
    // Seq n is produced at start + n / rate: a resumed stream first sends
    // what it missed, then keeps time.
    const auto period = std::chrono::duration<double>(1.0 / rate_hz_);
    uint64_t seq = std::max<uint64_t>(1, req->from_seq());
    while (!ctx->IsCancelled()) {
      auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              period * static_cast<double>(seq));
      std::this_thread::sleep_until(due);
      qdt::v1::RunEvent ev;
      ev.set_seq(seq);
      auto now = std::chrono::system_clock::now().time_since_epoch();
      int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
      ev.mutable_time()->set_seconds(ns / 1000000000);
      ev.mutable_time()->set_nanos(static_cast<int32_t>(ns % 1000000000));
      auto* s = ev.mutable_sample();
      *s->mutable_wall_time() = ev.time();
      s->set_phase_index(0);
      s->set_interval_s(1.0 / rate_hz_);
      s->set_read_bytes_per_s(2.0e9 + 1.0e8 * ((seq * 7 + index_) % 10));
      s->set_target_bytes_per_s(2.0992e9);
      s->set_temperature_c(40.0 + (seq % 20) / 10.0);
      s->set_thermal_pressure(qdt::v1::THERMAL_PRESSURE_NOMINAL);
      if (!writer->Write(ev)) break;
      ++seq;
    }
    return grpc::Status::OK;
  }

 private:
  int index_;
  double rate_hz_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int Serve(int agents, double rate, const std::string& port_file) {
  // The agents go with the console process, even when it crashes.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  std::vector<std::unique_ptr<FakeAgent>> services;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::ostringstream ports;
  for (int i = 0; i < agents; ++i) {
    services.push_back(std::make_unique<FakeAgent>(i, rate));
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(services.back().get());
    servers.push_back(b.BuildAndStart());
    if (port == 0) return 1;
    ports << port << "\n";
  }
  std::ofstream(port_file + ".tmp") << ports.str();
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  pause();  // until SIGTERM
  return 0;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

double FileMb(const QString& path) {
  QFileInfo f(path);
  return f.exists() ? static_cast<double>(f.size()) / 1e6 : 0;
}

// What writing the report and the CSV of the store costs, after the test.
struct AfterTest {
  int drives = 0;
  double sqlite_mb = 0, report_s = -1, pdf_mb = 0, html_mb = 0, csv_s = -1, csv_mb = 0;
  double rss_mb = 0;
  bool ok = false;
  std::string error;
};

AfterTest MeasureAfterTest(const qdt::console::SampleStore& store, const QTemporaryDir& dir) {
  AfterTest a;
  const QString db = dir.filePath("console.sqlite");
  a.sqlite_mb = FileMb(db) + FileMb(db + "-wal");
  const QVector<qdt::console::ReportRun> runs = qdt::console::LatestRigRuns(store);
  a.drives = runs.size();
  QString error;
  QElapsedTimer t;
  t.start();
  qdt::console::ReportInfo info;
  info.show = "console_fleet";
  const QString pdf = dir.filePath("report.pdf"), html = dir.filePath("report.html");
  bool ok = qdt::console::WriteReport(store, runs, info, html, pdf, &error);
  a.report_s = t.elapsed() / 1000.0;
  a.pdf_mb = FileMb(pdf);
  a.html_mb = FileMb(html);
  QVector<std::pair<QString, QString>> pairs;
  for (const auto& r : runs) pairs.push_back({r.agent, r.run_id});
  const QString csv = dir.filePath("samples.csv");
  t.restart();
  if (ok) ok = store.exportCsv(csv, pairs, &error);
  a.csv_s = t.elapsed() / 1000.0;
  a.csv_mb = FileMb(csv);
  a.rss_mb = RssMb();
  a.ok = ok;
  a.error = error.toStdString();
  return a;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 100;
  double rate = 1, seconds = 60, warmup = 10;
  std::string serve_ports;
  bool with_window = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--agents") agents = std::stoi(v);
    if (a == "--rate") rate = std::stod(v);
    if (a == "--seconds") seconds = std::stod(v);
    if (a == "--warmup") warmup = std::stod(v);
    if (a == "--serve") serve_ports = v;
    if (a == "--window") with_window = v == "1";
  }
  if (!serve_ports.empty()) return Serve(agents, rate, serve_ports);

  // The agents in a child process, so this process's CPU is the console's.
  QTemporaryDir dir;
  const std::string port_file = dir.filePath("ports").toStdString();
  std::string self = argv[0];
  std::vector<std::string> args = {self,     "--agents",           std::to_string(agents),
                                   "--rate", std::to_string(rate), "--serve",
                                   port_file};
  std::vector<char*> cargs;
  for (auto& s : args) cargs.push_back(s.data());
  cargs.push_back(nullptr);
  pid_t child = 0;
  if (posix_spawn(&child, self.c_str(), nullptr, nullptr, cargs.data(), environ) != 0) {
    std::cerr << "cannot start the agents\n";
    return 1;
  }
  std::vector<int> ports;
  for (int i = 0; i < 600 && ports.empty(); ++i) {
    std::ifstream in(port_file);
    int p;
    while (in >> p) ports.push_back(p);
    if (ports.empty()) usleep(100000);
  }
  if (static_cast<int>(ports.size()) != agents) {
    std::cerr << "the agents did not start\n";
    kill(child, SIGTERM);
    return 1;
  }

  qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  qdt::console::SampleStore store;
  QString error;
  if (!store.open(dir.filePath("console.sqlite"), &error)) {
    std::cerr << error.toStdString() << "\n";
    return 1;
  }
  qdt::console::FleetModel model;
  qdt::console::Fleet fleet(&store, &model);
  QTableView view;
  std::unique_ptr<qdt::console::MainWindow> window;
  if (with_window) {
    window = std::make_unique<qdt::console::MainWindow>(&fleet);
    window->show();
  } else {
    view.setModel(&model);
    view.resize(1400, 900);
    view.show();
  }
  QStringList keys;
  for (int p : ports) {
    QString key = QString("127.0.0.1:%1").arg(p);
    fleet.addAgent(key, kToken, &error, /*remember=*/false);
    keys << key;
  }
  double cpu0 = 0, t0 = 0;
  QElapsedTimer clock;
  clock.start();
  if (window) {
    QTimer::singleShot(2000, [&] { window->table()->selectRow(0); });
  }
  QTimer::singleShot(static_cast<int>(warmup * 1000), [&] {
    model.clearLatencies();
    cpu0 = CpuSeconds();
    t0 = clock.elapsed() / 1000.0;
  });
  double rss_at_warmup = 0;
  QTimer::singleShot(static_cast<int>(warmup * 1000) + 1, [&] { rss_at_warmup = RssMb(); });
  // RSS every 10 s of the window: the growth of its second half is the
  // steady-state rate (the first includes caches filling up).
  std::vector<std::pair<double, double>> rss_series;  // (s since window start, MB)
  QTimer rss_timer;
  QObject::connect(&rss_timer, &QTimer::timeout, [&] {
    if (t0 > 0) rss_series.push_back({clock.elapsed() / 1000.0 - t0, RssMb()});
  });
  rss_timer.start(10000);
  QTimer::singleShot(static_cast<int>((warmup + seconds) * 1000), &app, &QApplication::quit);
  app.exec();
  const double cpu = CpuSeconds() - cpu0, wall = clock.elapsed() / 1000.0 - t0;
  const double rss = RssMb();
  const std::vector<double> lat(model.sampleLatenciesMs().begin(), model.sampleLatenciesMs().end());
  // Every sample seq 1..last of every agent is in the store (nothing lost).
  int64_t stored = 0, expected = 0;
  for (const QString& k : keys) {
    auto samples = store.samples(k, "bench-run");
    stored += samples.size();
    expected += samples.isEmpty() ? 0 : static_cast<int64_t>(samples.back().seq);
  }
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  const AfterTest after = MeasureAfterTest(store, dir);
  if (!after.ok) std::cerr << "console_fleet: " << after.error << "\n";
  double growth_mb_per_h = (rss - rss_at_warmup) / wall * 3600.0;
  double late_growth_mb_per_h = growth_mb_per_h;
  if (rss_series.size() >= 4) {
    const auto& mid = rss_series[rss_series.size() / 2];
    const auto& last = rss_series.back();
    if (last.first > mid.first)
      late_growth_mb_per_h = (last.second - mid.second) / (last.first - mid.first) * 3600.0;
  }
  std::string series_json = "[";
  for (size_t i = 0; i < rss_series.size(); ++i) {
    series_json += (i ? ", " : "") + std::to_string(static_cast<int>(rss_series[i].first)) + ":" +
                   std::to_string(rss_series[i].second).substr(0, 5);
  }
  series_json += "]";
  std::printf(
      "{\"window\": %s, \"agents\": %d, \"rate_hz\": %.0f, \"window_s\": %.1f, "
      "\"samples_in_window\": %zu, "
      "\"cpu_pct_of_one_core\": %.1f, \"rss_mb\": %.1f, \"rss_growth_mb_per_h\": %.1f, "
      "\"rss_late_growth_mb_per_h\": %.1f, \"rss_projected_2h30_mb\": %.1f, \"rss_every_10s\": "
      "\"%s\", \"latency_p50_ms\": %.1f, \"latency_p99_ms\": %.1f, "
      "\"stored_samples\": %lld, \"expected_samples\": %lld, \"cells_changed\": %lld, "
      "\"sqlite_mb\": %.1f, \"report_drives\": %d, \"report_s\": %.2f, \"report_pdf_mb\": %.1f, "
      "\"report_html_mb\": %.1f, \"csv_s\": %.2f, \"csv_mb\": %.1f, \"rss_after_report_mb\": "
      "%.1f}\n",
      with_window ? "true" : "false", agents, rate, wall, lat.size(), 100.0 * cpu / wall, rss,
      growth_mb_per_h, late_growth_mb_per_h, rss + late_growth_mb_per_h * 2.5, series_json.c_str(),
      Percentile(lat, 50), Percentile(lat, 99), static_cast<long long>(stored),
      static_cast<long long>(expected), static_cast<long long>(model.dataChangedCells()),
      after.sqlite_mb, after.drives, after.report_s, after.pdf_mb, after.html_mb, after.csv_s,
      after.csv_mb, after.rss_mb);
  return stored == expected && after.ok && after.drives == agents ? 0 : 1;
}
