// FleetModel is the rig table: one row per agent with host, drive, volume,
// free space, state, live MB/s, temperature, thermal pressure and verdict.
// Updates arrive as plain values through queued signals (onSnapshot,
// onEvent, onTelemetry, onCommand) and change a pending copy of the row; a
// timer (default every 100 ms) compares each changed row with what the view
// shows and emits dataChanged only for the cells whose text changed, so 100
// agents at 10 Hz cost the view a few repaints per flush, not a thousand.
// Every event of the flush is then handed on (eventsFlushed) for the store
// and the charts.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_FLEET_MODEL_H_
#define QDT_CONSOLE_APP_FLEET_MODEL_H_

#include <QAbstractTableModel>
#include <QBrush>
#include <QColor>
#include <QElapsedTimer>
#include <QHash>
#include <QStringList>
#include <QTimer>
#include <QVector>
#include <cmath>
#include <limits>
#include <optional>

#include "console/app/fleet_types.h"

namespace qdt::console {

struct FleetRow {
  QString key;  // host:port
  QString host;
  QString name;  // the designer's name for this Mac ("Stage L main"); "" = none
  bool online = false;
  bool ever_online = false;
  QString error;
  double last_seen_s = 0;  // wall time of the last answer; 0 = never
  // The agent's clock against this console's (AgentLink, docs/CLOCKS.md).
  std::optional<double> clock_offset_ms;
  double clock_rtt_ms = 0;
  QString model, serial;
  QString target_dir;      // folder the next run tests; a volume's mount point by default
  QString target_problem;  // why the agent would refuse target_dir; "" = fine or not asked
  double free_gb = -1;
  QVector<qdt::v1::Volume> volumes;
  // The run this console follows on the agent.
  QString run_id;
  qdt::v1::RunState run_state = qdt::v1::RUN_STATE_UNSPECIFIED;
  int phase_index = -1, phase_count = 0;
  QString phase_name;
  double run_started_wall_s = 0, planned_s = 0, elapsed_s = 0;
  double live_mb_s = std::numeric_limits<double>::quiet_NaN();
  double live_target_mb_s = 0;  // the newest sample's target; 0 = unpaced (no target)
  // A stall (Sample.stalled): fio has said nothing for this many seconds
  // while the phase runs; no rate is measured (live_mb_s is NaN) until the
  // next sample that is not a stall. NaN = silent for an unusable time
  // (Sample.interval_s out of range). Unset = not stalled.
  std::optional<double> stalled_s;
  std::optional<double> temperature_c;
  QString
      temperature_source;  // "smartctl /dev/disk4 (...)", or why none ("no sensor over USB: disk5")
  qdt::v1::ThermalPressure pressure = qdt::v1::THERMAL_PRESSURE_UNKNOWN;
  std::optional<qdt::v1::Verdict> verdict;
  QString last_error;  // the last command's refusal, e.g. "QLab is running"
  QString profile;     // of the followed run, when known
};

// The live rate against the target of the phase now running: "2150 / 2100
// MB/s"; "2650 MB/s (no target)" in an unpaced phase; empty without a rate.
// During a stall there is no rate: "fio silent 4 s" instead (StallText).
QString LiveAgainstTarget(const FleetRow& row);
// "fio silent 4 s" while the row's run is stalled (online, run active);
// empty otherwise. StallWhy is the longer sentence for a tooltip.
QString StallText(const FleetRow& row);
QString StallWhy(const FleetRow& row);
// The colour of a stall, in the table and on the board: amber, never the
// green / red of a rate against its target (nor the unpaced blue), striped
// (diagonal bands `stripe_px` wide) so it does not read as ACCEPTABLE's
// flat amber either; black text on it.
inline constexpr QRgb kStallRgb = 0xFFE6A000;        // amber
inline constexpr QRgb kStallStripeRgb = 0xFFC88200;  // its darker stripe
QBrush StallBrush(double stripe_px);
// Sample.interval_s of a stalled sample when in (0, kMaxStallS]; NaN (with
// a warning naming the field and value) otherwise (kMaxStallS:
// sample_store.h).
double StallSeconds(double interval_s);
// Whether the live rate holds the target (>= 95 %, the verdict's window
// rule); nullopt when there is no rate or no target.
std::optional<bool> LiveHoldsTarget(const FleetRow& row);

// Why a Mac is offline, in plain words (issue 14, item 7): "agent not
// running at 10.0.1.12:50551 — last seen 21:04:11", "wrong rig token for
// the agent at …", "no answer from … (network, firewall or the Mac is off)";
// gRPC's own text (with the TLS hint) only when none of these fits. The raw
// error stays in the cell's tooltip.
QString OfflineReason(const FleetRow& row);

// Start all, planned (issue 14, item 8): the Macs that can start now and
// the ones that cannot, each with why ("offline", "wrong token", "busy").
struct StartPlan {
  QStringList ready;
  QVector<std::pair<QString, QString>> missing;  // (display name, why)
};
StartPlan PlanStart(const QVector<FleetRow>& rows);
// "4 of 6 started; showmac-5 offline, showmac-6 wrong token": how many of
// `asked` started, then every one that did not, by name, with why.
QString StartOutcomeText(int asked, int started,
                         const QVector<std::pair<QString, QString>>& not_started);
// A short why for a refused start: the agent's first clause ("wrong token",
// "QLab is running"), at most 60 characters.
QString ShortReason(const QString& message);

// "45 s", "12 min", "2 h 30 min": a duration as the profile list and the
// long-run question say it (rounded to the second below a minute, to the
// minute above).
QString DurationWords(double seconds);
// "12:05": time left as the summary, the progress bar and the board say it
// (whole minutes may pass 60: "150:00"); negative reads as 0:00.
QString MinutesSeconds(double seconds);
// The agent refused the console's rig token (its UNAUTHENTICATED words).
bool IsWrongToken(const QString& error);
// Start asks first when a test runs at least this long.
inline constexpr double kLongRunS = 3600;

// A volume as the target list offers it (issue 14, item 10): "Media
// (/Volumes/Media) — 812.0 GB free of 1000 GB — Samsung T7 (USB)"; the
// Mac's own drive says "internal drive". IsInternalVolume: the system volume
// ("/", macOS's "/System/Volumes/Data") or Apple's internal SSD fabric.
bool IsInternalVolume(const qdt::v1::Volume& volume);
QString VolumeChoiceText(const qdt::v1::Volume& volume);

// The selected drive's phases as a small table (issue 14, item 5), the same
// numbers as the report and `qdtctl get`: target, fio's mean, the drive's
// own, missed windows, and each paced stream's p99 completion latency
// against its frame interval with "dropped-frame risk" when above it.
// Rich text; everything from the agent escaped.
QString PhaseTableHtml(const qdt::v1::Verdict& verdict, bool dark);

// What the table, the charts, the summary and the report call a Mac: its
// name, else the host name it reports, else its address.
QString DisplayName(const FleetRow& row);

// A Mac's name as typed by the designer: trimmed, 1..64 characters, no
// control characters. False with the reason (naming the value) otherwise.
bool ValidMacName(const QString& name, QString* error);

// The verdict in words, one rule for the window and the report. The headline
// is the verdict's sentence; for a run without a rating it begins "NO RATING:"
// and says why (no_rating_reason, else the summary). The flags are every flag
// of the verdict except the one that only repeats the NO RATING reason.
// Both are the agent's text, unescaped: escape them for rich text.
QString VerdictHeadline(const qdt::v1::Verdict& verdict);
QStringList VerdictFlags(const qdt::v1::Verdict& verdict);

// A verdict as the rig table, the drive's detail and the report show it:
// the rating word first, then why, each rating in its own colour —
// EXCELLENT green, ACCEPTABLE amber ("crossfade 9/10 low"), FAIL red
// ("normal playback missed"), NO RATING grey with its reason. An ACCEPTABLE
// drive is never drawn as a FAIL, and a run that measured nothing is never
// either.
// A rehearsal (time scale != 1) is never shown as a rating: its own kind,
// slate blue, "REHEARSAL ×0.1 — not a show rating (EXCELLENT: ...)".
enum class RatingKind { kExcellent, kAcceptable, kFail, kNoRating, kRehearsal };
struct RatingView {
  RatingKind kind = RatingKind::kNoRating;
  QString word;    // "EXCELLENT", "ACCEPTABLE", "FAIL", "NO RATING"
  QString reason;  // "2650 MB/s sustained", "crossfade 9/10 low", ...
  QString Text() const { return reason.isEmpty() ? word : word + " — " + reason; }
};
RatingView ViewOf(const qdt::v1::Verdict& verdict);
// A row's rating: its verdict's, except that a run the agent lost (it
// stopped or restarted mid-run: INTERRUPTED) reads "TEST LOST" (grey, with
// "rerun"), with or without a verdict. Empty while there is nothing to rate.
std::optional<RatingView> RowRating(const FleetRow& row);
// The cell colour of a rating and the colour of text on it.
QColor RatingBackground(RatingKind kind);
QColor RatingForeground(RatingKind kind);
// The report's CSS class: "excellent", "acceptable", "fail", "norating", "rehearsal".
const char* RatingCssClass(RatingKind kind);

struct RigSummary {
  int agents = 0, online = 0, running = 0;
  // Each rating counted apart; unrated = NO RATING (measured nothing that can be trusted).
  int excellent = 0, acceptable = 0, failed = 0, unrated = 0;
  int rehearsals = 0;  // time scale != 1: not counted as any rating
  QString slowest_key;
  double slowest_mb_s = -1;  // sustained read of the slowest drive with a verdict
  double seconds_left = 0;   // of the longest running run
  QString Text() const;
};

class FleetModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    kHost,
    kDrive,
    kVolume,
    kFree,
    kState,
    kMbps,
    kTemperature,
    kPressure,
    kClock,
    kVerdict,
    kColumnCount
  };
  // Role carrying the numeric value of a cell, for sorting.
  static constexpr int kSortRole = Qt::UserRole + 1;

  explicit FleetModel(QObject* parent = nullptr, int flush_ms = 100);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

  void addAgent(const QString& key);
  void removeAgent(const QString& key);
  int rowOf(const QString& key) const;  // -1 when unknown
  const FleetRow& row(int r) const { return rows_[r]; }
  const QVector<FleetRow>& rows() const { return rows_; }
  const FleetRow* find(const QString& key) const;
  void setTargetDir(const QString& key, const QString& dir);
  void setName(const QString& key, const QString& name);
  // A run the store remembers (a console that starts again): its id, state,
  // profile and verdict, until the agent says more.
  void restoreRun(const QString& key, const QString& run_id, qdt::v1::RunState state,
                  const QString& profile, const std::optional<qdt::v1::Verdict>& verdict);

  // The Mac column is editable: an edit asks for the new name (nameEdited);
  // the fleet checks and stores it, then calls setName.
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  RigSummary summary() const;
  // The text of a cell as the view shows it (also what the tests compare).
  static QString CellText(const FleetRow& row, int column);
  // The tooltip of a cell: for an "n/a" why there is no value (agent
  // offline, no sensor over USB, a VM disk without a model, ...), for a
  // temperature the drive it came from. Empty when there is nothing to add.
  static QString CellWhy(const FleetRow& row, int column);

  // Event-to-model latency of the samples applied so far, in ms: from the
  // sample's wall time on the agent to the flush that put it in the table.
  const QVector<double>& sampleLatenciesMs() const { return latencies_ms_; }
  void clearLatencies() { latencies_ms_.clear(); }
  qint64 dataChangedCells() const { return changed_cells_; }

 public slots:
  void onSnapshot(qdt::console::AgentSnapshot snapshot);
  void onEvent(qdt::console::AgentEvent event);
  void onTelemetry(qdt::console::AgentTelemetry telemetry);
  void onCommand(qdt::console::CommandResult result);
  void flush();

 signals:
  void eventsFlushed(QVector<qdt::console::AgentEvent> events);
  void summaryChanged(qdt::console::RigSummary summary);
  void commandFailed(QString key, QString message);
  void nameEdited(QString key, QString name);

 private:
  FleetRow* pending(const QString& key);

  QVector<FleetRow> rows_;          // what the view shows
  QHash<QString, FleetRow> dirty_;  // changed since the last flush
  QVector<AgentEvent> batch_;
  QVector<double> latencies_ms_;
  QTimer timer_;
  qint64 changed_cells_ = 0;
};

}  // namespace qdt::console

Q_DECLARE_METATYPE(qdt::console::RigSummary)

#endif  // QDT_CONSOLE_APP_FLEET_MODEL_H_
