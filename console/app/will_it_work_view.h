// "Will it work?" (issue 14, item 11): like Blackmagic Disk Speed Test's
// table, for the whole rig. Rows are the stream table's formats (grouped by
// frame size: 1080p, UHD, the request's figures), columns the Macs (by
// DisplayName); each cell says how many streams of that format the Mac's
// drive carries with crossfades, from its last verdict (common/will_it_work.h:
// the proven read rate, 2 x N x rate x 1.6 within it), with the count in
// normal playback in smaller text and the arithmetic in the tooltip.
// Colours: 0 streams red; at least the designer's "streams per cue" green;
// fewer amber; no numbers (no test yet, NO RATING, a rehearsal, TEST LOST)
// grey with why. A frame-rate filter shows one rate (23.98 / 25 / 29.97 /
// 50 / 59.94) or all. The table follows the FleetModel (dataChanged, rows
// added and removed) and is rebuilt only when a name or a verdict changed.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_WILL_IT_WORK_VIEW_H_
#define QDT_CONSOLE_APP_WILL_IT_WORK_VIEW_H_

#include <QColor>
#include <QString>
#include <QWidget>
#include <optional>

#include "common/cue_stack.h"
#include "common/will_it_work.h"
#include "console/app/fleet_model.h"

class QComboBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace qdt::console {

// What a Mac's drive proved, from its row (pure: the tests compare it).
// Not measured without a verdict ("no finished test yet"), for a test the
// agent lost ("TEST LOST — rerun"), and where ProvenReadRate gives none.
qdt::WillItWork WillItWorkOf(const FleetRow& row);

// One cell of the table (pure).
struct WillItWorkCell {
  QString text;    // "3 streams", "1 stream", "0 streams", "n/a"
  QString detail;  // "7 without crossfade"; the short why for "n/a"
  QString tooltip;
  QColor background, foreground;
  int with_crossfade = -1;  // -1 = not measured
  int normal = -1;
};
// `needed`: the streams the designer's cue plays of one format (>= 1).
WillItWorkCell CellOf(const qdt::StreamKind& kind, const qdt::WillItWork& work, int needed);

class WillItWorkView : public QWidget {
  Q_OBJECT

 public:
  explicit WillItWorkView(FleetModel* model, QWidget* parent = nullptr);

  // "all" or one of qdt::StreamTableFrameRates() ("29.97").
  void setFrameRate(const QString& fps);
  QString frameRate() const;
  // Cells with at least this many streams with crossfades are green (1..64).
  void setStreamsNeeded(int n);

  // For tests and the screenshot: the table, the row of a stream (-1 when
  // filtered out) and the column of a Mac (-1 when unknown).
  QTableWidget* table() const { return table_; }
  int rowOfStream(const QString& name) const;
  int columnOfMac(const QString& key) const;

 public slots:
  // Rebuilds the table now (the model's signals call it through a
  // zero-delay timer, so a flush of many rows rebuilds it once).
  void refresh();

 protected:
  // The table's viewport resized: the Mac columns share the new width.
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void scheduleRefresh();
  void rebuild();
  // The Macs share the width left by the stream and MB/s columns, each at
  // least kMinMacColumnPx wide (the table scrolls beyond that).
  void fitMacColumns();

  FleetModel* model_;
  QComboBox* fps_ = nullptr;
  QSpinBox* needed_ = nullptr;
  QLabel* note_ = nullptr;
  QTableWidget* table_ = nullptr;
  bool refresh_pending_ = false;
  QString shown_;  // what the table was built from: names, verdicts, filter
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_WILL_IT_WORK_VIEW_H_
