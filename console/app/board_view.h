// The board: one big tile per Mac, readable from across a dark FOH (issue
// 14, item 13). Each tile shows the Mac's name, its state in one word, the
// live MB/s against the current phase's target (or the rating once the run
// has a verdict), the drive's temperature and the time left, on the colour
// that answers "will this Mac play the show?":
//   rating known  -> the rating's colour (green / amber / red / grey / slate);
//   running       -> green while the live rate holds 95 % of the target,
//                    red below it, blue for an unpaced phase (no target);
//   stalled       -> "fio silent 4 s" on amber stripes (StallBrush): no
//                    rate was measured, so neither the pass nor the fail
//                    colour, until the next sample that is not a stall;
//   offline       -> dark grey, "OFFLINE" and why;
//   idle          -> neutral.
// The tiles follow the FleetModel (dataChanged / rows added and removed);
// the grid picks the column count that makes the tiles largest for the
// widget's aspect ratio.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_BOARD_VIEW_H_
#define QDT_CONSOLE_APP_BOARD_VIEW_H_

#include <QColor>
#include <QString>
#include <QWidget>

#include "console/app/fleet_model.h"

namespace qdt::console {

// What one tile shows, derived from a row (pure: the tests compare it).
struct BoardTile {
  QString name;      // DisplayName
  QString headline;  // "EXCELLENT", "2150 / 2100 MB/s", "OFFLINE", "idle", ...
  QString detail;    // the rating's reason, the phase and time left, why offline
  QString footer;    // "41.2 °C", "no sensor over USB: disk5", ...
  QColor background, foreground;
  bool stalled = false;  // drawn with StallBrush (background is its base colour)
};
BoardTile TileOf(const FleetRow& row);

class BoardView : public QWidget {
  Q_OBJECT

 public:
  explicit BoardView(FleetModel* model, QWidget* parent = nullptr);
  // The grid the board draws for `n` tiles in a w x h area: columns, rows.
  static QSize GridFor(int n, int w, int h);

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  FleetModel* model_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_BOARD_VIEW_H_
