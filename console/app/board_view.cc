#include "console/app/board_view.h"

#include <QFontMetrics>
#include <QPaintEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "common/run_state.h"

namespace qdt::console {

BoardTile TileOf(const FleetRow& r) {
  BoardTile t;
  t.name = DisplayName(r);
  t.foreground = Qt::white;
  if (r.temperature_c && r.online) {
    t.footer = QString("%1 °C").arg(*r.temperature_c, 0, 'f', 1);
  } else if (r.online && !r.temperature_source.isEmpty()) {
    t.footer = r.temperature_source;  // why there is none
  }
  if (!r.online) {
    t.background = QColor(55, 55, 60);
    t.headline = r.ever_online ? "OFFLINE" : "CONNECTING";
    t.detail = r.error;
    t.footer.clear();
    return t;
  }
  if (const std::optional<RatingView> rated = RowRating(r); rated && !RunActive(r.run_state)) {
    t.background = RatingBackground(rated->kind);
    t.foreground = RatingForeground(rated->kind);
    t.headline = rated->word;
    t.detail = rated->reason;
    return t;
  }
  if (RunActive(r.run_state)) {
    const QString live = LiveAgainstTarget(r);
    const QString stall = StallText(r);
    t.headline = !stall.isEmpty() ? stall
                 : live.isEmpty() ? FleetModel::CellText(r, FleetModel::kState)
                                  : live;
    QString phase =
        r.phase_count > 0 && r.phase_index >= 0
            ? QString("phase %1/%2 %3").arg(r.phase_index + 1).arg(r.phase_count).arg(r.phase_name)
            : FleetModel::CellText(r, FleetModel::kState);
    if (r.planned_s > 0) phase += " — " + MinutesSeconds(r.planned_s - r.elapsed_s) + " left";
    t.detail = phase;
    if (!stall.isEmpty()) {
      t.stalled = true;
      t.background = QColor(kStallRgb);
      t.foreground = Qt::black;
      return t;
    }
    const std::optional<bool> holds = LiveHoldsTarget(r);
    t.background = !holds   ? QColor(40, 70, 120)
                   : *holds ? QColor(30, 120, 55)
                            : QColor(180, 30, 30);
    return t;
  }
  t.background = QColor(70, 75, 85);
  t.headline = "idle";
  t.detail = r.target_dir.isEmpty() ? QString("no target folder") : "target " + r.target_dir;
  return t;
}

BoardView::BoardView(FleetModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  setAutoFillBackground(true);
  QPalette p = palette();
  p.setColor(QPalette::Window, QColor(18, 18, 22));
  setPalette(p);
  auto repaint = [this] { update(); };
  connect(model_, &QAbstractItemModel::dataChanged, this, repaint);
  connect(model_, &QAbstractItemModel::rowsInserted, this, repaint);
  connect(model_, &QAbstractItemModel::rowsRemoved, this, repaint);
  connect(model_, &QAbstractItemModel::modelReset, this, repaint);
}

QSize BoardView::GridFor(int n, int w, int h) {
  if (n <= 0 || w <= 0 || h <= 0) return {0, 0};
  // The column count whose tiles are largest when kept at most 2:1 wide.
  int best_cols = 1;
  double best_area = -1;
  for (int cols = 1; cols <= n; ++cols) {
    const int rows = (n + cols - 1) / cols;
    double tw = static_cast<double>(w) / cols, th = static_cast<double>(h) / rows;
    tw = std::min(tw, 2.0 * th);
    th = std::min(th, tw);
    const double area = tw * th;
    if (area > best_area) {
      best_area = area;
      best_cols = cols;
    }
  }
  return {best_cols, (n + best_cols - 1) / best_cols};
}

void BoardView::paintEvent(QPaintEvent* event) {
  QWidget::paintEvent(event);
  const int n = model_->rowCount();
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  if (n == 0) {
    QFont f = font();
    f.setPixelSize(std::max(16, height() / 20));
    p.setFont(f);
    p.setPen(QColor(200, 200, 200));
    p.drawText(rect(), Qt::AlignCenter, "No agents: add them in the table view (Esc)");
    return;
  }
  const QSize grid = GridFor(n, width(), height());
  const int gap = std::max(6, width() / 200);
  const double tw = static_cast<double>(width() - gap) / grid.width() - gap;
  const double th = static_cast<double>(height() - gap) / grid.height() - gap;
  for (int i = 0; i < n; ++i) {
    const BoardTile t = TileOf(model_->row(i));
    const QRectF box(gap + (i % grid.width()) * (tw + gap), gap + (i / grid.width()) * (th + gap),
                     tw, th);
    p.setPen(Qt::NoPen);
    p.setBrush(t.stalled ? StallBrush(std::max(8.0, th * 0.08)) : QBrush(t.background));
    p.drawRoundedRect(box, th * 0.05, th * 0.05);
    const double pad = std::max(6.0, th * 0.06);
    QRectF inner = box.adjusted(pad, pad * 0.6, -pad, -pad * 0.6);
    // Name, headline, detail, footer: a band each, fonts sized to the tile.
    struct Band {
      const QString& text;
      double share;  // of the tile's height
      bool bold;
    } bands[] = {{t.name, 0.20, true},
                 {t.headline, 0.34, true},
                 {t.detail, 0.24, false},
                 {t.footer, 0.22, false}};
    double y = inner.top();
    p.setPen(t.foreground);
    for (const Band& b : bands) {
      const double bh = inner.height() * b.share;
      QFont f = font();
      f.setBold(b.bold);
      f.setPixelSize(std::max(9, static_cast<int>(bh * (b.share > 0.3 ? 0.7 : 0.62))));
      // Shrink a long headline until it fits the width rather than eliding a number.
      QFontMetrics fm(f);
      while (&b.text == &t.headline && f.pixelSize() > 12 &&
             fm.horizontalAdvance(b.text) > inner.width()) {
        f.setPixelSize(f.pixelSize() - 1);
        fm = QFontMetrics(f);
      }
      p.setFont(f);
      const QString shown = fm.elidedText(b.text, Qt::ElideRight, static_cast<int>(inner.width()));
      p.drawText(QRectF(inner.left(), y, inner.width(), bh), Qt::AlignLeft | Qt::AlignVCenter,
                 shown);
      y += bh;
    }
  }
}

}  // namespace qdt::console
