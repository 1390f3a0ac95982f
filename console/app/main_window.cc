#include "console/app/main_window.h"

#include <QAbstractItemView>
#include <QAction>
#include <QActionGroup>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QKeySequence>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include "common/profiles.h"
#include "common/verdict.h"
#include "console/app/profile_files.h"
#include "console/app/report.h"
#include "console/app/report_dialog.h"
#include "console/app/theme.h"
#include "console/app/will_it_work_view.h"

namespace qdt::console {
namespace {

// The selected drive's verdict as rich text: the headline in the verdict
// column's colour, then one line per flag. Everything from the agent escaped.
QString RunDetailHtml(const qdt::v1::Verdict& v) {
  // The rating's own colour: darker amber and grey, readable on white; on a
  // dark theme lighter ones, readable on near-black.
  const RatingKind kind = ViewOf(v).kind;
  const bool dark = AppIsDark();
  const char* colour = kind == RatingKind::kExcellent    ? (dark ? "#5fd07f" : "#1e8c3c")
                       : kind == RatingKind::kAcceptable ? (dark ? "#ffbf3f" : "#a05a00")
                       : kind == RatingKind::kFail       ? (dark ? "#ff6b6b" : "#c81e1e")
                       : kind == RatingKind::kRehearsal  ? (dark ? "#9fb3f0" : "#3c508c")
                                                         : (dark ? "#b8b8b8" : "#555555");
  const char* flag_colour = dark ? "#e6b860" : "#6b4200";
  QString html = QString("<div style=\"font-size:15pt; font-weight:bold; color:%1\">%2</div>")
                     .arg(colour, VerdictHeadline(v).toHtmlEscaped());
  for (const QString& f : VerdictFlags(v)) {
    html += QString("<div style=\"font-size:12pt; color:%1\">⚠ ").arg(flag_colour) +
            f.toHtmlEscaped() + "</div>";
  }
  html += PhaseTableHtml(v, dark);
  return html;
}

}  // namespace

QString MainWindow::summaryText() const { return summary_->text(); }

void MainWindow::note(const QString& text, int ms) {
  statusBar()->showMessage(text, ms);
  messages_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + text);
}

MainWindow::MainWindow(Fleet* fleet, QWidget* parent)
    : QMainWindow(parent), fleet_(fleet), chart_cache_(fleet->store()) {
  confirm_ = [this](const QString& title, const QString& text) {
    return QMessageBox::question(this, title, text) == QMessageBox::Yes;
  };
  setWindowTitle("QDT console — rig disk test");
  auto* tools = addToolBar("Rig");
  tools->setMovable(false);
  tools->addAction("Add agent…", this, &MainWindow::addAgentDialog);
  tools->addAction("Discover…", this, &MainWindow::discoverDialog);
  tools->addAction("Rename…", this, &MainWindow::renameSelected)
      ->setToolTip("Give the selected Mac a name (\"Stage L main\"), kept between starts (F2)");
  tools->addAction("Token…", this, &MainWindow::changeTokenSelected)
      ->setToolTip("Change the rig token of the selected agents");
  tools->addAction("Remove", this, &MainWindow::removeSelected);
  tools->addSeparator();
  tools->addWidget(new QLabel(" Profile "));
  profile_ = new QComboBox;
  // Each profile with how long it runs at time scale 1 ("show-pattern — 2 h 30 min").
  for (const std::string& name : BuiltinProfileNames()) {
    auto profile = BuiltinProfile(name);
    const QString label = profile.ok()
                              ? QString("%1 — %2").arg(QString::fromStdString(name),
                                                       DurationWords(ProfileDurationS(*profile)))
                              : QString::fromStdString(name);
    profile_->addItem(label, QString::fromStdString(name));
  }
  // Narrow in the toolbar (a file's line is long): the whole line in the popup.
  profile_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  profile_->setMinimumContentsLength(22);
  profile_->view()->setMinimumWidth(420);
  // Profiles derived with `qdtctl profile derive` (files), with their size.
  profile_->addItem("Profile file…", QString());
  connect(profile_, QOverload<int>::of(&QComboBox::activated), this, [this](int index) {
    if (!profile_->itemData(index).toString().isEmpty()) return;
    const QString path = QFileDialog::getOpenFileName(this, "Profile file", QString(),
                                                      "Profiles (*.json *.txtpb);;All files (*)");
    QString error;
    if (!path.isEmpty() && !addProfileFile(path, &error)) {
      QMessageBox::warning(this, "Profile file", error);
    }
    if (profile_->currentData().toString().isEmpty()) profile_->setCurrentIndex(0);
  });
  tools->addWidget(profile_);
  tools->addWidget(new QLabel(" Time scale "));
  scale_ = new QDoubleSpinBox;
  scale_->setRange(0.001, 1.0);
  scale_->setDecimals(3);
  scale_->setSingleStep(0.1);
  scale_->setValue(1.0);
  scale_->setToolTip("1 = the real test; less for a rehearsal");
  tools->addWidget(scale_);
  tools->addWidget(new QLabel(" Start in (s) "));
  delay_ = new QDoubleSpinBox;
  delay_->setRange(0, 3600);
  delay_->setValue(3);
  delay_->setToolTip("One start time for every agent, this far from now");
  tools->addWidget(delay_);
  tools->addAction("Start selected", this, &MainWindow::startSelected);
  // Keyboard: the rig's three big actions (issue 14, item 17); the key is in the tooltip.
  auto shortcut = [](QAction* a, const QKeySequence& keys) {
    a->setShortcut(keys);
    a->setToolTip(QString("%1 (%2)").arg(a->text(), keys.toString(QKeySequence::NativeText)));
  };
  shortcut(tools->addAction("Start all", this, &MainWindow::startAll),
           QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
  tools->addSeparator();
  tools->addAction("Abort selected", this, &MainWindow::abortSelected);
  shortcut(tools->addAction("Abort all", this, &MainWindow::abortAll),
           QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_X));
  // Results on their own bar: at 1400 px one bar cannot hold every action.
  addToolBarBreak();
  auto* results = addToolBar("Results");
  results->setMovable(false);
  shortcut(results->addAction("Report…", this, &MainWindow::writeReport),
           QKeySequence(Qt::CTRL | Qt::Key_R));
  results->addAction("History", this, &MainWindow::showHistory);
  results->addAction("Export samples…", this, &MainWindow::exportSamples);

  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(fleet_->model());
  proxy_->setSortRole(FleetModel::kSortRole);
  table_ = new QTableView;
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  // F2 renames the Mac in place (the name column is the only editable one);
  // a double click chooses the target folder.
  table_->setEditTriggers(QAbstractItemView::EditKeyPressed);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setWordWrap(false);
  // Narrow enough that the verdict (the last column, stretched) keeps room
  // for "⚠ NO RATING: served from cache: fio read…" at 1400 px.
  const int widths[] = {190, 170, 120, 75, 130, 110, 65, 70, 70};
  for (int c = 0; c < 9; ++c) table_->setColumnWidth(c, widths[c]);
  table_->verticalHeader()->hide();
  table_->setAlternatingRowColors(true);
  connect(table_, &QTableView::doubleClicked, this, &MainWindow::chooseTarget);
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &MainWindow::onSelectionChanged);

  drive_chart_ = new LiveChartView(&chart_cache_);
  rig_chart_ = new LiveChartView(&chart_cache_, nullptr, 2000);
  detail_ = new QLabel;
  detail_->setTextFormat(Qt::RichText);
  detail_->setWordWrap(true);
  detail_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  detail_->setContentsMargins(10, 6, 10, 6);
  detail_->hide();
  auto* drive_page = new QWidget;
  auto* drive_layout = new QVBoxLayout(drive_page);
  drive_layout->setContentsMargins(0, 0, 0, 0);
  drive_layout->setSpacing(0);
  drive_layout->addWidget(detail_);
  drive_layout->addWidget(drive_chart_, 1);
  messages_ = new QPlainTextEdit;
  messages_->setReadOnly(true);
  messages_->setMaximumBlockCount(1000);
  auto* tabs = new QTabWidget;
  tabs->addTab(drive_page, "Selected drive");
  tabs->addTab(rig_chart_, "Rig");
  tabs->addTab(messages_, "Messages");
  // How many streams of each ProRes / HAP format every drive carries.
  tabs->addTab(new WillItWorkView(fleet_->model()), "Will it work?");
  // The cache first, then the views redraw from it (rate-limited).
  connect(fleet_, &Fleet::eventsStored, this,
          [this](const QVector<AgentEvent>& events) { chart_cache_.add(events); });
  connect(fleet_, &Fleet::eventsStored, this, &MainWindow::followNewestRun);
  connect(fleet_, &Fleet::eventsStored, drive_chart_, &LiveChartView::onEventsStored);
  rig_chart_->setNamer([this](const QString& agent) {
    const FleetRow* r = fleet_->model()->find(agent);
    return r != nullptr ? DisplayName(*r) : agent;
  });
  connect(fleet_, &Fleet::eventsStored, this, [this] {
    rig_chart_->showRig(rigRuns());  // rate-limited by the view
  });

  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(tabs);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  split->setSizes({260, 520});

  // The rig summary and the progress in their own bar above the table: the
  // status bar's transient messages never cover them (issue 14, item 2).
  summary_ = new QLabel;
  QFont big = summary_->font();
  big.setPointSizeF(big.pointSizeF() * 1.25);
  big.setBold(true);
  summary_->setFont(big);
  summary_->setContentsMargins(8, 4, 8, 4);
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setMinimumWidth(260);
  progress_->setFormat("idle");
  auto* rig_bar = new QWidget;
  auto* rig_layout = new QHBoxLayout(rig_bar);
  rig_layout->setContentsMargins(0, 2, 6, 2);
  rig_layout->addWidget(summary_, 1);
  rig_layout->addWidget(progress_);
  auto* central = new QWidget;
  auto* central_layout = new QVBoxLayout(central);
  central_layout->setContentsMargins(0, 0, 0, 0);
  central_layout->setSpacing(0);
  central_layout->addWidget(rig_bar);
  central_layout->addWidget(split, 1);
  // The table view and the board (one big tile per Mac), one at a time.
  board_ = new BoardView(fleet_->model());
  stack_ = new QStackedWidget;
  stack_->addWidget(central);
  stack_->addWidget(board_);
  setCentralWidget(stack_);
  buildViewMenu();
  connect(fleet_->model(), &FleetModel::summaryChanged, this, &MainWindow::onSummary);
  connect(fleet_, &Fleet::commandAnswered, this, &MainWindow::onCommandAnswered);
  countdown_ = new QTimer(this);
  countdown_->setInterval(250);
  connect(countdown_, &QTimer::timeout, this, &MainWindow::tickCountdown);
  connect(fleet_->model(), &FleetModel::commandFailed, this,
          [this](QString key, QString msg) { note(QString("%1: %2").arg(key, msg), 15000); });
  onSummary(fleet_->model()->summary());
  discovery_ = new Discovery(this);
  // Discovery retries every few seconds: a problem is said once, and again
  // only when it changes.
  connect(discovery_, &Discovery::unavailable, this, [this](QString why) {
    if (why == last_discovery_problem_) return;
    last_discovery_problem_ = why;
    note(why, 10000);
  });
  discovery_->start();
  // Compact rows: 30 Macs fit the table on a 1080p screen.
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
  split->setSizes({430, 350});
  resize(1400, 860);
}

void MainWindow::buildViewMenu() {
  QMenu* view = menuBar()->addMenu("&View");
  board_action_ = view->addAction("Board (one big tile per Mac)");
  board_action_->setCheckable(true);
  board_action_->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_B), QKeySequence(Qt::Key_F11)});
  board_action_->setToolTip("Board view, full screen (Ctrl+B or F11; Esc leaves it)");
  connect(board_action_, &QAction::toggled, this, [this](bool on) {
    showBoard(on);
    if (on) {
      showFullScreen();
    } else {
      showNormal();
    }
  });
  auto* leave = new QAction(this);
  leave->setShortcut(Qt::Key_Escape);
  connect(leave, &QAction::triggered, this, [this] { board_action_->setChecked(false); });
  addAction(leave);
  QMenu* theme = view->addMenu("Theme");
  auto* group = new QActionGroup(this);
  const Theme stored = ThemeFromName(fleet_->store()->setting("theme")).value_or(Theme::kSystem);
  for (Theme t : {Theme::kSystem, Theme::kLight, Theme::kDark}) {
    QAction* a = theme->addAction(t == Theme::kSystem  ? "Follow the system"
                                  : t == Theme::kLight ? "Light"
                                                       : "Dark (for a dark FOH)");
    a->setCheckable(true);
    a->setChecked(t == stored);
    group->addAction(a);
    connect(a, &QAction::triggered, this, [this, t] { setTheme(t); });
  }
  ApplyTheme(stored);
}

void MainWindow::showBoard(bool on) {
  stack_->setCurrentWidget(on ? static_cast<QWidget*>(board_) : stack_->widget(0));
  for (QToolBar* bar : findChildren<QToolBar*>()) bar->setVisible(!on);
  if (board_action_->isChecked() != on) {
    const QSignalBlocker quiet(board_action_);
    board_action_->setChecked(on);
  }
}

bool MainWindow::boardShown() const { return stack_->currentWidget() == board_; }

void MainWindow::setTheme(Theme theme) {
  fleet_->store()->setSetting("theme", ThemeName(theme));
  ApplyTheme(theme);
  updateRunDetail();  // its colours follow the theme, and the charts'
  drive_chart_->refresh();
  if (!rigRuns().isEmpty()) rig_chart_->showRig(rigRuns());
}

bool MainWindow::addProfileFile(const QString& path, QString* error) {
  std::optional<qdt::v1::Profile> profile = LoadProfileFile(path, error);
  if (!profile) return false;
  const QString key = "file:" + path;
  profile_files_.insert(key, *profile);
  const QString label = DescribeProfile(*profile, static_cast<uint64_t>(file_size_mib_) << 20) +
                        " (" + QFileInfo(path).fileName() + ")";
  int at = profile_->findData(key);
  if (at < 0) {
    at = profile_->count() - 1;  // before "Profile file…"
    profile_->insertItem(at, label, key);
  } else {
    profile_->setItemText(at, label);
  }
  profile_->setCurrentIndex(at);
  return true;
}

QStringList MainWindow::selectedKeys() const {
  QStringList keys;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows()) {
    int row = proxy_->mapToSource(i).row();
    if (row >= 0) keys << fleet_->model()->row(row).key;
  }
  return keys;
}

qdt::v1::StartRunRequest MainWindow::requestFromToolbar() const {
  qdt::v1::StartRunRequest req;
  const QString choice = profile_->currentData().toString();
  if (choice.startsWith("file:") && profile_files_.contains(choice)) {
    *req.mutable_profile() = profile_files_.value(choice);
  } else {
    req.set_profile_name(choice.toStdString());
  }
  if (scale_->value() < 1.0) req.set_time_scale(scale_->value());
  if (file_size_mib_ > 0) req.set_file_size_bytes(static_cast<uint64_t>(file_size_mib_) << 20);
  return req;
}

void MainWindow::startSelected() {
  QStringList keys = selectedKeys();
  if (keys.isEmpty()) {
    note("Select the agents to start first (or use Start all)", 8000);
    return;
  }
  QVector<FleetRow> rows;
  for (const QString& key : keys) {
    if (const FleetRow* r = fleet_->model()->find(key)) rows.push_back(*r);
  }
  startRows(rows);
}

void MainWindow::startAll() { startRows(fleet_->model()->rows()); }

void MainWindow::startRows(const QVector<FleetRow>& rows) {
  const StartPlan plan = PlanStart(rows);
  QStringList missing;
  for (const auto& [name, why] : plan.missing) missing << QString("%1 (%2)").arg(name, why);
  if (plan.ready.isEmpty()) {
    note("No Mac can start: " + missing.join(", "), 15000);
    return;
  }
  if (!plan.missing.isEmpty() &&
      !confirm_("Start", QString("%1 of %2 Macs cannot start: %3.\n\nStart the other %4 now?")
                             .arg(plan.missing.size())
                             .arg(rows.size())
                             .arg(missing.join(", "))
                             .arg(plan.ready.size()))) {
    return;
  }
  const qdt::v1::StartRunRequest request = requestFromToolbar();
  if (auto profile = request.has_profile() ? absl::StatusOr<qdt::v1::Profile>(request.profile())
                                           : BuiltinProfile(request.profile_name());
      profile.ok()) {
    const double scale = request.time_scale() > 0 ? request.time_scale() : 1.0;
    const double seconds = ProfileDurationS(*profile) * scale;
    if (seconds >= kLongRunS &&
        !confirm_(
            "Long test",
            QString("This test runs %1 on every drive. Start it?").arg(DurationWords(seconds)))) {
      return;
    }
  }
  round_ = StartRound();
  round_.asked = rows.size();
  round_.pending = plan.ready;
  round_.not_started = plan.missing;
  round_.start_at_ms =
      QDateTime::currentMSecsSinceEpoch() + static_cast<qint64>(delay_->value() * 1000);
  fleet_->startRuns(plan.ready, request, delay_->value());
  note(QString("start sent to %1 of %2 Macs, together in %3 s")
           .arg(plan.ready.size())
           .arg(rows.size())
           .arg(delay_->value(), 0, 'f', 0),
       8000);
  // The StartRun deadline is 30 s: an agent silent longer did not start.
  QTimer::singleShot(35000, this, [this, at = round_.start_at_ms] {
    if (round_.start_at_ms != at || round_.pending.isEmpty()) return;
    for (const QString& key : round_.pending) {
      const FleetRow* r = fleet_->model()->find(key);
      round_.not_started.push_back({r != nullptr ? DisplayName(*r) : key, "no answer"});
    }
    round_.pending.clear();
    finishRound();
  });
  countdown_->start();
  tickCountdown();
}

void MainWindow::onCommandAnswered(const CommandResult& c) {
  if (c.command != "start" || !round_.pending.contains(c.key)) return;
  round_.pending.removeAll(c.key);
  if (c.ok) {
    ++round_.started;
  } else {
    const FleetRow* r = fleet_->model()->find(c.key);
    round_.not_started.push_back({r != nullptr ? DisplayName(*r) : c.key, ShortReason(c.message)});
  }
  if (round_.pending.isEmpty()) finishRound();
}

void MainWindow::finishRound() {
  last_start_outcome_ = StartOutcomeText(round_.asked, round_.started, round_.not_started);
  note(last_start_outcome_, 30000);
}

void MainWindow::tickCountdown() {
  const qint64 wait_ms = round_.start_at_ms - QDateTime::currentMSecsSinceEpoch();
  if (wait_ms <= 0) {
    countdown_->stop();
    onSummary(fleet_->model()->summary());
    return;
  }
  // The wait counts in the time left: the longest planned run starts after it.
  double planned = 0;
  for (const FleetRow& r : fleet_->model()->rows()) planned = std::max(planned, r.planned_s);
  progress_->setValue(0);
  QString text = QString("starting together in %1 s").arg((wait_ms + 999) / 1000);
  if (planned > 0) {
    text += " — " + MinutesSeconds(planned + wait_ms / 1000.0) + " left";
  }
  progress_->setFormat(text);
}

void MainWindow::abortSelected() { fleet_->stopRuns(selectedKeys()); }

void MainWindow::abortAll() {
  if (confirm_("Abort all", "Stop the test on every agent?")) fleet_->stopRuns({});
}

void MainWindow::addAgentDialog() {
  QDialog dialog(this);
  dialog.setWindowTitle("Add agent");
  auto* form = new QFormLayout(&dialog);
  auto* address = new QLineEdit;
  address->setPlaceholderText("show-mac-1.local:50551");
  auto* token = new QLineEdit;
  token->setEchoMode(QLineEdit::Password);
  form->addRow("Address (host:port)", address);
  form->addRow("Rig token", token);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QString error;
  if (!fleet_->addAgent(address->text().trimmed(), token->text(), &error)) {
    QMessageBox::warning(this, "Add agent", error);
  }
}

void MainWindow::discoverDialog() {
  QStringList items;
  for (const DiscoveredAgent& a : discovery_->agents()) {
    if (fleet_->link(a.address) == nullptr) items << QString("%1 — %2").arg(a.name, a.address);
  }
  if (items.isEmpty()) {
    QMessageBox::information(this, "Discover",
                             "No new agent announces itself as _qdt._tcp on this network.\n"
                             "Start agents with --advertise, or add them by address.");
    return;
  }
  bool ok = false;
  QString pick = QInputDialog::getItem(this, "Discovered agents", "Agent", items, 0, false, &ok);
  if (!ok) return;
  QString address = pick.section(" — ", -1);
  QString token = QInputDialog::getText(this, "Rig token", "Rig token for " + address,
                                        QLineEdit::Password, "", &ok);
  if (!ok) return;
  QString error;
  if (!fleet_->addAgent(address, token, &error)) QMessageBox::warning(this, "Add agent", error);
}

void MainWindow::removeSelected() {
  const QStringList keys = selectedKeys();
  if (keys.isEmpty()) return;
  QStringList names;
  for (const QString& key : keys) {
    const FleetRow* r = fleet_->model()->find(key);
    names << (r != nullptr ? DisplayName(*r) : key);
  }
  if (!confirm_("Remove",
                QString("Remove %1 from the rig? Its token is forgotten; its past runs stay in "
                        "the history.")
                    .arg(names.join(", ")))) {
    return;
  }
  for (const QString& key : keys) fleet_->removeAgent(key);
}

void MainWindow::renameSelected() {
  const QStringList keys = selectedKeys();
  if (keys.size() != 1) {
    note("Select one Mac to rename", 6000);
    return;
  }
  const FleetRow* r = fleet_->model()->find(keys.front());
  if (r == nullptr) return;
  bool ok = false;
  const QString name = QInputDialog::getText(
      this, "Name this Mac", QString("Name for %1 (empty: use its host name)").arg(r->key),
      QLineEdit::Normal, r->name, &ok);
  if (!ok) return;
  QString error;
  if (!fleet_->setName(keys.front(), name, &error)) QMessageBox::warning(this, "Rename", error);
}

void MainWindow::changeTokenSelected() {
  const QStringList keys = selectedKeys();
  if (keys.isEmpty()) {
    note("Select the agents whose token changed", 6000);
    return;
  }
  bool ok = false;
  const QString token =
      QInputDialog::getText(this, "Rig token", QString("New rig token for %1").arg(keys.join(", ")),
                            QLineEdit::Password, "", &ok);
  if (!ok) return;
  for (const QString& key : keys) {
    QString error;
    if (!fleet_->setToken(key, token, &error)) {
      QMessageBox::warning(this, "Rig token", error);
      return;
    }
  }
  note(QString("token changed for %1: reconnecting").arg(keys.join(", ")), 8000);
}

void MainWindow::chooseTarget(const QModelIndex& index) {
  int row = proxy_->mapToSource(index).row();
  if (row < 0) return;
  const FleetRow& r = fleet_->model()->row(row);
  // The agent's writable volumes: name, free space, drive; the Mac's own
  // drive said as such. A folder on one can be typed instead.
  QStringList choices, mounts;
  for (const auto& v : r.volumes) {
    if (v.read_only()) continue;
    choices << VolumeChoiceText(v);
    mounts << QString::fromStdString(v.mount_point());
  }
  bool ok = false;
  QString dir = QInputDialog::getItem(
      this, "Target folder",
      QString("Folder to test on %1 (a volume, or type a folder on it)").arg(DisplayName(r)),
      choices, std::max<int>(0, mounts.indexOf(r.target_dir)),
      /*editable=*/true, &ok);
  if (const int at = choices.indexOf(dir); at >= 0) dir = mounts[at];
  QString error;
  if (ok && !dir.isEmpty() && !fleet_->setTarget(r.key, dir, &error)) {
    QMessageBox::warning(this, "Target folder", error);
  }
}

void MainWindow::showHistory() {
  QStringList keys = selectedKeys();
  if (keys.isEmpty()) return;
  const FleetRow* r = fleet_->model()->find(keys.front());
  if (r == nullptr || r->serial.isEmpty()) {
    note("This drive reports no serial: no history by serial", 8000);
    return;
  }
  QVector<StoredRun> runs = fleet_->store()->runsForSerial(r->serial);
  QDialog dialog(this);
  dialog.setWindowTitle(QString("History of %1 (%2)").arg(r->model, r->serial));
  auto* layout = new QVBoxLayout(&dialog);
  auto* t = new QTableWidget(runs.size(), 5);
  t->setHorizontalHeaderLabels({"When", "Agent", "Run", "Sustained MB/s", "Verdict"});
  for (int i = 0; i < runs.size(); ++i) {
    const StoredRun& run = runs[i];
    t->setItem(
        i, 0,
        new QTableWidgetItem(QDateTime::fromSecsSinceEpoch(static_cast<qint64>(run.started_s))
                                 .toString(Qt::ISODate)));
    t->setItem(i, 1, new QTableWidgetItem(run.agent));
    t->setItem(i, 2, new QTableWidgetItem(run.run_id));
    t->setItem(i, 3,
               new QTableWidgetItem(
                   run.verdict && HasRating(*run.verdict)  // unrated: the figure proves nothing
                       ? QString::number(run.verdict->sustained_mb_s(), 'f', 0)
                       : "—"));
    auto* verdict = new QTableWidgetItem(run.verdict ? VerdictHeadline(*run.verdict) : run.state);
    if (run.verdict && !VerdictFlags(*run.verdict).isEmpty()) {
      QStringList lines;
      for (const QString& f : VerdictFlags(*run.verdict)) lines << "⚠ " + f.toHtmlEscaped();
      verdict->setToolTip("<p>" + lines.join("<br>") + "</p>");
    }
    t->setItem(i, 4, verdict);
  }
  t->resizeColumnsToContents();
  layout->addWidget(t);
  dialog.resize(900, 400);
  dialog.exec();
}

QVector<std::pair<QString, QString>> MainWindow::rigRuns() const {
  QVector<std::pair<QString, QString>> out;
  for (int i = 0; i < fleet_->model()->rowCount(); ++i) {
    const FleetRow& r = fleet_->model()->row(i);
    if (!r.run_id.isEmpty()) out.push_back({r.key, r.run_id});
  }
  return out;
}

void MainWindow::writeReport() {
  // The runs the table shows (each Mac's newest), by the Mac's name; the
  // dialog asks show, venue, operator and paper and says "nothing to report"
  // when no Mac has a run.
  QVector<ReportRun> runs;
  for (const FleetRow& r : fleet_->model()->rows()) {
    if (!r.run_id.isEmpty()) runs.push_back({r.key, DisplayName(r), r.run_id});
  }
  // Nothing in the table yet (a console that just started): the store's
  // latest rig test.
  if (runs.isEmpty()) runs = LatestRigRuns(*fleet_->store());
  QString written;
  if (RunReportDialog(this, fleet_->store(), runs, &written)) {
    note("report written: " + written, 15000);
  }
}

void MainWindow::exportSamples() {
  QString path = QFileDialog::getSaveFileName(this, "Export every sample", "samples.csv",
                                              "CSV (*.csv);;JSON (*.json)");
  if (path.isEmpty()) return;
  QString error;
  bool ok = path.endsWith(".json") ? fleet_->store()->exportJson(path, rigRuns(), &error)
                                   : fleet_->store()->exportCsv(path, rigRuns(), &error);
  if (!ok) QMessageBox::warning(this, "Export", error);
}

void MainWindow::onSummary(const RigSummary& s) {
  summary_->setText(s.Text());
  updateRunDetail();                   // a verdict may have arrived for the selected drive
  if (countdown_->isActive()) return;  // "starting together in 3 s" until the start
  if (s.running == 0) {
    progress_->setValue(0);
    progress_->setFormat(s.agents == 0 ? "add agents to start" : "idle");
    longest_planned_s_ = 0;
    return;
  }
  double planned = 0;
  for (int i = 0; i < fleet_->model()->rowCount(); ++i) {
    planned = std::max(planned, fleet_->model()->row(i).planned_s);
  }
  longest_planned_s_ = std::max(longest_planned_s_, planned);
  if (longest_planned_s_ > 0) {
    double done = std::clamp(1.0 - s.seconds_left / longest_planned_s_, 0.0, 1.0);
    progress_->setValue(static_cast<int>(done * 1000));
    progress_->setFormat(QString("%1 % — %2 left")
                             .arg(static_cast<int>(done * 100))
                             .arg(MinutesSeconds(s.seconds_left)));
  }
}

void MainWindow::updateRunDetail() {
  QStringList keys = selectedKeys();
  const FleetRow* r = keys.isEmpty() ? nullptr : fleet_->model()->find(keys.front());
  if (r == nullptr || !r->verdict) {
    detail_->hide();
    detail_->clear();
    return;
  }
  const QString html = RunDetailHtml(*r->verdict);
  if (detail_->text() != html) detail_->setText(html);
  detail_->show();
}

void MainWindow::onSelectionChanged() {
  updateRunDetail();
  QStringList keys = selectedKeys();
  if (keys.isEmpty()) return;
  const FleetRow* r = fleet_->model()->find(keys.front());
  if (r == nullptr) return;
  // The selected Mac's newest run; a Mac without one gets an empty chart
  // that says so, never the drive selected before it.
  drive_chart_->showRun(
      r->key, r->run_id,
      r->run_id.isEmpty()
          ? QString("%1 — no run yet").arg(DisplayName(*r))
          : QString("%1 — %2").arg(DisplayName(*r), r->model.isEmpty() ? r->key : r->model));
}

void MainWindow::followNewestRun() {
  // A new run on the selected Mac (started here, by qdtctl or another
  // console): the chart follows it.
  QStringList keys = selectedKeys();
  if (keys.isEmpty()) return;
  const FleetRow* r = fleet_->model()->find(keys.front());
  if (r != nullptr && (r->run_id != drive_chart_->runId() || r->key != drive_chart_->agent())) {
    onSelectionChanged();
  }
}

}  // namespace qdt::console
