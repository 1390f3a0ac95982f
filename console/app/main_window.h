// The FOH window: the fleet table (sortable, the crossfade FAIL flag in the
// verdict column, a rated drive's first flag beside its rating), the rig
// summary with a progress bar and time left, the live chart of the selected
// drive (fio's rate and the drive's own counter) with its verdict above it —
// the rating or NO RATING with its reason, then every flag, large enough to
// read across the room — and the rig chart, and the actions: add / remove
// agents, pick each agent's target folder, start a profile on the selected or
// all agents with one start time, abort one or all, history of a drive by
// serial, the rig report and CSV / JSON exports.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_MAIN_WINDOW_H_
#define QDT_CONSOLE_APP_MAIN_WINDOW_H_

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMainWindow>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <functional>

#include "console/app/board_view.h"
#include "console/app/charts.h"
#include "console/app/discovery.h"
#include "console/app/fleet.h"
#include "console/app/theme.h"

namespace qdt::console {

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  MainWindow(Fleet* fleet, QWidget* parent = nullptr);

  QTableView* table() const { return table_; }
  // The selected drive's verdict and flags (hidden while it has none).
  QLabel* runDetail() const { return detail_; }
  // The rig summary line as shown (tests). It sits in its own bar above the
  // table, never in the status bar: a transient message cannot cover it.
  QString summaryText() const;
  QLabel* summaryLabel() const { return summary_; }
  // Every transient message with its time ("Messages" tab); the status bar
  // shows the latest for a while.
  QPlainTextEdit* messages() const { return messages_; }
  Discovery* discovery() const { return discovery_; }
  // A transient message: the status bar for `ms`, and the Messages log.
  void note(const QString& text, int ms);
  LiveChartView* driveChart() const { return drive_chart_; }
  // What the last Start said once every agent answered: "4 of 6 started;
  // showmac-5 offline, showmac-6 wrong token" (also in the Messages log).
  QString lastStartOutcome() const { return last_start_outcome_; }
  // The progress bar's text ("starting together in 3 s", "42 % — 1:10 left").
  QString progressText() const { return progress_->format(); }
  // Selected agents (keys), in table order.
  QStringList selectedKeys() const;
  // A profile from a file (`qdtctl profile derive`): checked, added to the
  // profile list with its duration and size, and chosen. False with why.
  bool addProfileFile(const QString& path, QString* error);
  QComboBox* profileList() const { return profile_; }
  // The request the toolbar describes (profile, time scale, file size).
  qdt::v1::StartRunRequest requestFromToolbar() const;
  void setTimeScale(double scale) { scale_->setValue(scale); }
  void setFileSizeMiB(int mib) { file_size_mib_ = mib; }
  // The board: one big tile per Mac instead of the table and charts
  // (View ▸ Board, Ctrl+B / F11 full screen, Esc back).
  void showBoard(bool on);
  bool boardShown() const;
  BoardView* board() const { return board_; }
  // Light, dark or the system's look; kept in the store for the next start.
  void setTheme(Theme theme);
  // How the window asks "are you sure?" (a question box; tests answer it).
  using Confirm = std::function<bool(const QString& title, const QString& text)>;
  void setConfirm(Confirm confirm) { confirm_ = std::move(confirm); }

 public slots:
  void startSelected();
  void startAll();
  void abortSelected();
  void abortAll();
  void addAgentDialog();
  void discoverDialog();
  void removeSelected();
  void renameSelected();
  void changeTokenSelected();
  void chooseTarget(const QModelIndex& index);
  void showHistory();
  void writeReport();
  void exportSamples();

 private:
  void onSummary(const RigSummary& s);
  void startRows(const QVector<FleetRow>& rows);
  void onCommandAnswered(const CommandResult& c);
  void finishRound();
  void tickCountdown();
  void buildViewMenu();
  void onSelectionChanged();
  void followNewestRun();
  void updateRunDetail();
  QVector<std::pair<QString, QString>> rigRuns() const;

  Fleet* fleet_;
  QTableView* table_;
  QSortFilterProxyModel* proxy_;
  QComboBox* profile_;
  QDoubleSpinBox* scale_;
  QDoubleSpinBox* delay_;
  QLabel* summary_;
  QProgressBar* progress_;
  QLabel* detail_;
  ChartCache chart_cache_;
  LiveChartView* drive_chart_;
  LiveChartView* rig_chart_;
  QPlainTextEdit* messages_;
  QStackedWidget* stack_;
  BoardView* board_;
  QAction* board_action_ = nullptr;
  Discovery* discovery_;
  QString last_discovery_problem_;  // said once, not at every browse
  Confirm confirm_;
  QHash<QString, qdt::v1::Profile> profile_files_;  // "file:<path>" -> the profile
  // The start in flight: who was asked, who answered, who could not start.
  struct StartRound {
    int asked = 0, started = 0;
    QStringList pending;
    QVector<std::pair<QString, QString>> not_started;  // (name, why)
    qint64 start_at_ms = 0;
  };
  StartRound round_;
  QString last_start_outcome_;
  QTimer* countdown_;
  int file_size_mib_ = 0;  // 0 = the agent's default
  double longest_planned_s_ = 0;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_MAIN_WINDOW_H_
