// qdt-console: the FOH app. Remembers its agents (and their tokens) in a
// SQLite file in the state folder; agents given on the command line are
// added (and remembered) too.
//
//   qdt-console [--state-dir DIR] [--agent HOST:PORT --token-file FILE]...
//               [--ca PEM [--tls-name NAME] | --no-tls]
//               [--screenshot PNG --screenshot-after SECONDS] [--quit-after SECONDS]
//   qdt-console --report FILE.pdf|FILE.html [--state-dir DIR]
//               [--show S] [--venue V] [--operator O] [--paper a4|letter]
//   qdt-console --discover [--discover-seconds S] | --help | --version
//
// --report writes the report of the latest rig test in the store
// (LatestRigRuns, console/app/report.h) without opening a window; exit 0
// written, 1 nothing to report or cannot write, 2 bad arguments.
// --report, --discover, --help and --version need no display: without one
// (no DISPLAY or WAYLAND_DISPLAY, no QT_QPA_PLATFORM) they run on Qt's
// offscreen platform instead of aborting in the xcb plugin.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTimer>
#include <iostream>
#include <string>

#include "common/pem.h"
#include "console/app/discovery.h"
#include "console/app/fleet.h"
#include "console/app/main_window.h"
#include "console/app/report.h"

#ifndef QDT_VERSION
#define QDT_VERSION "0.1.0 (version not set by the build)"
#endif

namespace {

// True when the command line asks for something that opens no window (the
// report's own options are refused without --report).
bool OpensNoWindow(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    for (const char* flag : {"--help", "--help-all", "-h", "-?", "--version", "-v", "--discover"}) {
      if (a == flag) return true;
    }
    for (const char* option : {"--report", "--show", "--venue", "--operator", "--paper"}) {
      if (a == option || a.rfind(std::string(option) + "=", 0) == 0) return true;
    }
  }
  return false;
}

// Qt picks xcb on Linux and aborts when there is no X server ("could not
// connect to display"), before the command line is even read. A run that
// opens no window (a report on a headless FOH box, --help over ssh) takes the
// offscreen platform instead; a user's QT_QPA_PLATFORM always wins. macOS
// (cocoa) and Windows need no display variable. A command line the parser
// refuses exits 2 with the reason, display or not.
void NoDisplayNeeded(int argc, char** argv, QCommandLineParser* cli) {
#if !defined(__APPLE__) && !defined(_WIN32)
  QStringList args;
  for (int i = 0; i < argc; ++i) args << QString::fromLocal8Bit(argv[i]);
  if (!OpensNoWindow(argc, argv) && cli->parse(args)) return;
  if (!qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) return;
  if (!qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")) {
    return;
  }
  qputenv("QT_QPA_PLATFORM", "offscreen");
#endif
}

// --report: the latest rig test of the store in `state_dir`, as PDF or HTML
// (by the file's suffix). The show, venue and operator default to those the
// report dialog remembered. Returns the process's exit code.
int HeadlessReport(const QCommandLineParser& cli, const QString& state_dir) {
  const QString path = cli.value("report");
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix != "pdf" && suffix != "html" && suffix != "htm") {
    std::cerr << "qdt-console: --report: \"" << path.toStdString()
              << "\" must end in .pdf or .html\n";
    return 2;
  }
  qdt::console::ReportInfo info;
  if (cli.isSet("paper") && !qdt::console::ParseReportPaper(cli.value("paper"), &info.paper)) {
    std::cerr << "qdt-console: --paper: \"" << cli.value("paper").toStdString()
              << "\" is not a4 or letter\n";
    return 2;
  }
  // Opening would create an empty store: a mistyped --state-dir says so instead.
  const QString store_path = QDir(state_dir).filePath("console.sqlite");
  if (!QFileInfo::exists(store_path)) {
    std::cerr << "qdt-console: nothing to report: no console store at \""
              << store_path.toStdString() << "\" (--state-dir)\n";
    return 1;
  }
  qdt::console::SampleStore store;
  QString error;
  if (!store.open(store_path, &error)) {
    std::cerr << "qdt-console: " << error.toStdString() << "\n";
    return 1;
  }
  info.show = cli.isSet("show") ? cli.value("show") : store.setting("report.show");
  info.venue = cli.isSet("venue") ? cli.value("venue") : store.setting("report.venue");
  info.operator_name =
      cli.isSet("operator") ? cli.value("operator") : store.setting("report.operator");
  const QVector<qdt::console::ReportRun> runs = qdt::console::LatestRigRuns(store);
  if (runs.isEmpty()) {
    std::cerr << "qdt-console: nothing to report: the console store \"" << store_path.toStdString()
              << "\" holds no run\n";
    return 1;
  }
  const bool pdf = suffix == "pdf";
  if (!qdt::console::WriteReport(store, runs, info, pdf ? QString() : path, pdf ? path : QString(),
                                 &error)) {
    std::cerr << "qdt-console: " << error.toStdString() << "\n";
    return 1;
  }
  std::cout << "qdt-console: wrote " << path.toStdString() << " (" << runs.size()
            << " drive(s) of the latest rig test)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication::setApplicationName("qdt-console");
  QApplication::setOrganizationName("QDT");
  QApplication::setApplicationVersion(QDT_VERSION);
  QCommandLineParser cli;
  cli.setApplicationDescription("QDT console: test every playback Mac's drive at once");
  const QCommandLineOption help = cli.addHelpOption();
  const QCommandLineOption version = cli.addVersionOption();
  QCommandLineOption state_dir("state-dir", "where the console keeps its SQLite file", "DIR",
                               QStandardPaths::writableLocation(QStandardPaths::AppDataLocation));
  QCommandLineOption agent("agent", "an agent to add (repeatable)", "HOST:PORT");
  QCommandLineOption token_file("token-file", "the rig token for the --agent options", "FILE");
  QCommandLineOption screenshot("screenshot", "save a picture of the window here", "PNG");
  QCommandLineOption screenshot_after("screenshot-after", "seconds before the picture", "S", "5");
  QCommandLineOption quit_after("quit-after", "quit after this many seconds", "S");
  QCommandLineOption discover("discover",
                              "print the agents announced as _qdt._tcp (name, address) and exit");
  QCommandLineOption discover_seconds("discover-seconds", "how long --discover looks", "S", "5");
  QCommandLineOption ca("ca",
                        "the rig's CA certificate (PEM): reach every agent by TLS; remembered "
                        "for the next starts",
                        "PEM");
  QCommandLineOption no_tls("no-tls", "forget the remembered CA: reach the agents in plaintext");
  QCommandLineOption tls_name("tls-name",
                              "the name the agents' certificates must carry, when it is not the "
                              "host in their address (with --ca)",
                              "NAME");
  QCommandLineOption report("report",
                            "write the report of the latest rig test in the store to FILE (.pdf or "
                            ".html) and exit, without opening a window",
                            "FILE");
  QCommandLineOption show("show", "the show named in the report (default: the last one given)",
                          "S");
  QCommandLineOption venue("venue", "the venue named in the report (default: the last one given)",
                           "V");
  QCommandLineOption operator_name(
      "operator", "who ran the test, named in the report (default: the last one given)", "O");
  QCommandLineOption paper("paper", "the report's paper: a4 or letter", "a4|letter", "a4");
  cli.addOptions({state_dir, agent, token_file, ca, tls_name, no_tls, screenshot, screenshot_after,
                  quit_after, discover, discover_seconds, report, show, venue, operator_name,
                  paper});
  // Before QApplication, which loads the platform plugin: a command line
  // that opens no window, or that will be refused, needs no display.
  NoDisplayNeeded(argc, argv, &cli);
  QApplication app(argc, argv);
#ifndef __APPLE__
  // The windows' icon (console/resources, scripts/make_icns.py). Not on macOS, where
  // QApplication::setWindowIcon would replace the Dock icon: there the app's icon is the
  // bundle's qdt.icns, named by CFBundleIconFile (Qt's "Setting the Application Icon").
  QIcon icon;
  for (int size : {16, 32, 64, 128, 256}) icon.addFile(QString(":/qdt/qdt-%1.png").arg(size));
  QApplication::setWindowIcon(icon);
#endif
  // Parsed here rather than by process(): a bad argument exits 2, as the
  // other argument errors below do. (QApplication has taken its own
  // arguments, such as -platform, out of the list by now.)
  if (!cli.parse(QCoreApplication::arguments())) {
    std::cerr << "qdt-console: " << cli.errorText().toStdString() << "\n";
    return 2;
  }
  if (cli.isSet(help) || cli.isSet("help-all")) cli.showHelp(0);
  if (cli.isSet(version)) cli.showVersion();
  if (cli.isSet(report)) return HeadlessReport(cli, cli.value(state_dir));
  for (const QCommandLineOption* o : {&show, &venue, &operator_name, &paper}) {
    if (cli.isSet(*o)) {
      std::cerr << "qdt-console: --" << o->names().front().toStdString()
                << ": only with --report\n";
      return 2;
    }
  }

  if (cli.isSet(discover)) {
    qdt::console::Discovery discovery(nullptr, 1000);
    QObject::connect(&discovery, &qdt::console::Discovery::agentsChanged,
                     [&](const QVector<qdt::console::DiscoveredAgent>& found) {
                       if (found.isEmpty()) return;
                       for (const auto& a : found) {
                         std::cout << a.name.toStdString() << "\t" << a.address.toStdString()
                                   << "\t" << a.host.toStdString() << "\n";
                       }
                       app.exit(0);
                     });
    QObject::connect(&discovery, &qdt::console::Discovery::unavailable, [&](const QString& why) {
      std::cerr << "qdt-console: " << why.toStdString() << "\n";
    });
    QTimer::singleShot(static_cast<int>(cli.value(discover_seconds).toDouble() * 1000), &app, [&] {
      std::cerr << "qdt-console: no agent announced itself as _qdt._tcp\n";
      app.exit(1);
    });
    discovery.start();
    return app.exec();
  }

  QDir().mkpath(cli.value(state_dir));
  qdt::console::SampleStore store;
  QString error;
  if (!store.open(QDir(cli.value(state_dir)).filePath("console.sqlite"), &error)) {
    std::cerr << "qdt-console: " << error.toStdString() << "\n";
    return 1;
  }
  qdt::console::FleetModel model;
  qdt::console::Fleet fleet(&store, &model);
  if (cli.isSet(ca)) {
    auto pem = qdt::ReadPemFile("--ca", cli.value(ca).toStdString());
    if (!pem.ok()) {
      std::cerr << "qdt-console: " << pem.status().message() << "\n";
      return 2;
    }
    if (cli.isSet(no_tls)) {
      std::cerr << "qdt-console: --no-tls and --ca exclude each other\n";
      return 2;
    }
    fleet.setTls({*pem, cli.value(tls_name).toStdString()}, /*remember=*/true);
  } else if (cli.isSet(no_tls)) {
    fleet.setTls({}, /*remember=*/true);
  } else if (cli.isSet(tls_name)) {
    std::cerr << "qdt-console: --tls-name: needs --ca\n";
    return 2;
  }
  fleet.restoreAgents();
  if (!cli.values(agent).isEmpty()) {
    QFile f(cli.value(token_file));
    if (cli.value(token_file).isEmpty() || !f.open(QIODevice::ReadOnly)) {
      std::cerr << "qdt-console: --token-file: cannot read \""
                << cli.value(token_file).toStdString() << "\"\n";
      return 2;
    }
    const QString token = QString::fromUtf8(f.readAll()).trimmed();
    for (const QString& a : cli.values(agent)) {
      if (fleet.link(a) != nullptr) continue;  // remembered from an earlier start
      if (!fleet.addAgent(a, token, &error)) {
        std::cerr << "qdt-console: " << error.toStdString() << "\n";
        return 2;
      }
    }
  }
  qdt::console::MainWindow window(&fleet);
  window.show();
  if (cli.isSet(screenshot)) {
    const QString path = cli.value(screenshot);
    QTimer::singleShot(static_cast<int>(cli.value(screenshot_after).toDouble() * 1000), &window,
                       [&window, path] {
                         if (!window.grab().save(path)) {
                           std::cerr << "qdt-console: cannot write " << path.toStdString() << "\n";
                         }
                       });
  }
  if (cli.isSet(quit_after)) {
    QTimer::singleShot(static_cast<int>(cli.value(quit_after).toDouble() * 1000), &app,
                       &QApplication::quit);
  }
  return app.exec();
}
