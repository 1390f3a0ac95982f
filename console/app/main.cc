// qdt-console: the FOH app. Remembers its agents (and their tokens) in a
// SQLite file in the state folder; agents given on the command line are
// added (and remembered) too.
//
//   qdt-console [--state-dir DIR] [--agent HOST:PORT --token-file FILE]...
//               [--ca PEM [--tls-name NAME] | --no-tls]
//               [--screenshot PNG --screenshot-after SECONDS] [--quit-after SECONDS]
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTimer>
#include <iostream>

#include "common/pem.h"
#include "console/app/discovery.h"
#include "console/app/fleet.h"
#include "console/app/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("qdt-console");
  QApplication::setOrganizationName("QDT");
  QCommandLineParser cli;
  cli.setApplicationDescription("QDT console: test every playback Mac's drive at once");
  cli.addHelpOption();
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
  cli.addOptions({state_dir, agent, token_file, ca, tls_name, no_tls, screenshot, screenshot_after,
                  quit_after, discover, discover_seconds});
  cli.process(app);

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
