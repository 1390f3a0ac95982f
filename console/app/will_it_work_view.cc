#include "console/app/will_it_work_view.h"

#include <QComboBox>
#include <QCryptographicHash>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QSpinBox>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace qdt::console {
namespace {

constexpr int kStreamColumn = 0;
constexpr int kRateColumn = 1;
constexpr int kFirstMacColumn = 2;
// The cell's small second line ("7 without crossfade", the why of an n/a).
constexpr int kDetailRole = Qt::UserRole + 1;
// Marks group header rows (frame size), which span the table.
constexpr int kGroupRole = Qt::UserRole + 2;

const QColor kNotMeasured(110, 110, 110);
// "22 streams" in the large font, readable; narrower and the table scrolls.
constexpr int kMinMacColumnPx = 150;
constexpr int kMaxMacColumnPx = 320;

// One decimal as qdtctl prints it (printf: 147.25 -> "147.2"), so that the
// console and `qdtctl streams` never disagree on a rate.
QString OneDecimal(double v) { return QString::fromStdString(absl::StrFormat("%.1f", v)); }

QString Streams(int n) { return QString("%1 %2").arg(n).arg(n == 1 ? "stream" : "streams"); }

QString GroupOf(const qdt::StreamKind& k) {
  if (k.format == "request") return "The request's figures (rates, no codec)";
  if (k.format.find("UHD") != std::string::npos) return "UHD (3840 × 2160)";
  return "1080p (1920 × 1080)";
}

// The short why of a Mac without numbers, for the cell's second line.
QString ShortWhy(const std::string& basis) {
  const QString b = QString::fromStdString(basis);
  if (b.contains("REHEARSAL")) return "rehearsal";
  if (b.contains("TEST LOST")) return "test lost: rerun";
  if (b.contains("no finished test")) return "no test yet";
  if (b.contains("NO RATING")) return "no rating";
  return "not proven";
}

// Draws a cell's count large and its detail small beneath it, on the cell's
// own background: readable from the back of a dark room.
class CellDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  void paint(QPainter* p, const QStyleOptionViewItem& option,
             const QModelIndex& index) const override {
    const QString detail = index.data(kDetailRole).toString();
    if (index.column() < kFirstMacColumn || index.data(kGroupRole).toBool()) {
      QStyledItemDelegate::paint(p, option, index);
      return;
    }
    p->save();
    const QVariant bg = index.data(Qt::BackgroundRole);
    p->fillRect(option.rect, bg.isValid() ? bg.value<QBrush>() : option.palette.base());
    if (option.state & QStyle::State_Selected) {
      p->setPen(QPen(option.palette.highlight().color(), 3));
      p->drawRect(option.rect.adjusted(1, 1, -2, -2));
    }
    const QVariant fg = index.data(Qt::ForegroundRole);
    p->setPen(fg.isValid() ? fg.value<QBrush>().color() : option.palette.text().color());
    QFont big = option.font;
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.35);
    QRect r = option.rect.adjusted(4, 2, -4, -2);
    const int split = detail.isEmpty() ? r.bottom() : r.top() + r.height() * 3 / 5;
    p->setFont(big);
    p->drawText(QRect(r.left(), r.top(), r.width(), split - r.top()),
                Qt::AlignHCenter | (detail.isEmpty() ? Qt::AlignVCenter : Qt::AlignBottom),
                index.data(Qt::DisplayRole).toString());
    if (!detail.isEmpty()) {
      QFont small = option.font;
      small.setPointSizeF(small.pointSizeF() * 0.85);
      p->setFont(small);
      p->drawText(QRect(r.left(), split, r.width(), r.bottom() - split),
                  Qt::AlignHCenter | Qt::AlignTop, detail);
    }
    p->restore();
  }
};

}  // namespace

qdt::WillItWork WillItWorkOf(const FleetRow& row) {
  qdt::WillItWork w;
  if (row.run_state == qdt::v1::RUN_STATE_INTERRUPTED) {
    w.proven.basis =
        "not measured: TEST LOST — the agent stopped mid-run, so nothing was proven; rerun";
    return w;
  }
  if (!row.verdict) {
    w.proven.basis = "not measured: no finished test yet on this Mac";
    return w;
  }
  return qdt::ComputeWillItWork(*row.verdict);
}

WillItWorkCell CellOf(const qdt::StreamKind& kind, const qdt::WillItWork& work, int needed) {
  WillItWorkCell c;
  needed = std::max(needed, 1);
  if (!work.proven.measured) {
    c.text = "n/a";
    c.detail = ShortWhy(work.proven.basis);
    c.tooltip = QString::fromStdString(work.proven.basis);
    c.background = kNotMeasured;
    c.foreground = Qt::white;
    return c;
  }
  const qdt::StreamsCarried carried =
      qdt::CarriedStreams(work.proven.mb_s, kind.mb_per_s, qdt::kCrossfadeSafety);
  c.with_crossfade = carried.with_crossfade;
  c.normal = carried.normal;
  c.text = Streams(carried.with_crossfade);
  c.detail = QString("%1 without crossfade").arg(carried.normal);
  const double peak = 2 * carried.with_crossfade * kind.mb_per_s * qdt::kCrossfadeSafety;
  const QString name = QString::fromStdString(kind.name);
  c.tooltip = carried.with_crossfade > 0
                  ? QString(
                        "%1 streams of %2 (%3 MB/s each) with crossfades: peak 2 × %1 × %3 × %4 = "
                        "%5 MB/s of the proven %6 MB/s")
                        .arg(carried.with_crossfade)
                        .arg(name)
                        .arg(OneDecimal(kind.mb_per_s))
                        .arg(qdt::kCrossfadeSafety, 0, 'f', 1)
                        .arg(peak, 0, 'f', 1)
                        .arg(work.proven.mb_s, 0, 'f', 0)
                  : QString(
                        "Not one %1 (%2 MB/s) through a crossfade: 2 × %2 × %3 = %4 MB/s is more "
                        "than the proven %5 MB/s")
                        .arg(name)
                        .arg(OneDecimal(kind.mb_per_s))
                        .arg(qdt::kCrossfadeSafety, 0, 'f', 1)
                        .arg(2 * kind.mb_per_s * qdt::kCrossfadeSafety, 0, 'f', 1)
                        .arg(work.proven.mb_s, 0, 'f', 0);
  c.tooltip += QString("\n%1 without crossfade (normal playback, %2 × %3 MB/s)")
                   .arg(carried.normal)
                   .arg(carried.normal)
                   .arg(OneDecimal(kind.mb_per_s));
  c.tooltip += "\nProven read rate: " + QString::fromStdString(work.proven.basis);
  const RatingKind colour = carried.with_crossfade == 0        ? RatingKind::kFail
                            : carried.with_crossfade >= needed ? RatingKind::kExcellent
                                                               : RatingKind::kAcceptable;
  if (colour == RatingKind::kAcceptable) {
    c.tooltip += QString("\nFewer than the %1 streams per cue asked for").arg(needed);
  }
  c.background = RatingBackground(colour);
  c.foreground = RatingForeground(colour);
  return c;
}

WillItWorkView::WillItWorkView(FleetModel* model, QWidget* parent)
    : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  auto* title = new QLabel("<b>Will it work?</b>");
  QFont tf = title->font();
  tf.setPointSizeF(tf.pointSizeF() * 1.3);
  title->setFont(tf);
  bar->addWidget(title);
  bar->addSpacing(16);
  bar->addWidget(new QLabel("Frame rate:"));
  fps_ = new QComboBox;
  fps_->addItem("all", "all");
  for (const std::string& r : qdt::StreamTableFrameRates()) {
    fps_->addItem(QString::fromStdString(r) + " fps", QString::fromStdString(r));
  }
  fps_->setToolTip("Show the formats at one frame rate, or at all five");
  bar->addWidget(fps_);
  bar->addSpacing(16);
  bar->addWidget(new QLabel("Streams per cue:"));
  needed_ = new QSpinBox;
  needed_->setRange(1, 64);
  needed_->setValue(1);
  needed_->setToolTip(
      "How many streams of one format your cue plays at once: cells that carry at least this "
      "many with crossfades are green, fewer amber, none red");
  bar->addWidget(needed_);
  bar->addStretch(1);
  layout->addLayout(bar);
  note_ = new QLabel(
      QString("Streams each Mac's drive carries with crossfades: the largest N whose crossfade "
              "peak, 2 × N × MB/s × %1 safety, fits the read rate its last test proved (the "
              "unpaced read, capped by any paced phase that missed). Small: N without "
              "crossfade. Hover a cell for the arithmetic.")
          .arg(qdt::kCrossfadeSafety, 0, 'f', 1));
  note_->setWordWrap(true);
  layout->addWidget(note_);
  table_ = new QTableWidget(this);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setItemDelegate(new CellDelegate(table_));
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() * 3);
  table_->horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  // The Macs' names are what a designer looks for across the room.
  QFont header = table_->horizontalHeader()->font();
  header.setBold(true);
  header.setPointSizeF(header.pointSizeF() * 1.2);
  table_->horizontalHeader()->setFont(header);
  layout->addWidget(table_, 1);
  table_->viewport()->installEventFilter(this);

  connect(fps_, &QComboBox::currentIndexChanged, this, &WillItWorkView::refresh);
  connect(needed_, &QSpinBox::valueChanged, this, &WillItWorkView::refresh);
  auto later = [this] { scheduleRefresh(); };
  connect(model_, &QAbstractItemModel::dataChanged, this, later);
  connect(model_, &QAbstractItemModel::rowsInserted, this, later);
  connect(model_, &QAbstractItemModel::rowsRemoved, this, later);
  connect(model_, &QAbstractItemModel::modelReset, this, later);
  rebuild();
}

void WillItWorkView::setFrameRate(const QString& fps) {
  const int i = fps_->findData(fps);
  if (i >= 0) fps_->setCurrentIndex(i);
}

QString WillItWorkView::frameRate() const { return fps_->currentData().toString(); }

void WillItWorkView::setStreamsNeeded(int n) { needed_->setValue(n); }

int WillItWorkView::rowOfStream(const QString& name) const {
  for (int r = 0; r < table_->rowCount(); ++r) {
    const QTableWidgetItem* it = table_->item(r, kStreamColumn);
    if (it != nullptr && !it->data(kGroupRole).toBool() && it->text() == name) return r;
  }
  return -1;
}

int WillItWorkView::columnOfMac(const QString& key) const {
  for (int c = kFirstMacColumn; c < table_->columnCount(); ++c) {
    const QTableWidgetItem* h = table_->horizontalHeaderItem(c);
    if (h != nullptr && h->data(Qt::UserRole).toString() == key) return c;
  }
  return -1;
}

void WillItWorkView::scheduleRefresh() {
  if (refresh_pending_) return;
  refresh_pending_ = true;
  QTimer::singleShot(0, this, [this] {
    refresh_pending_ = false;
    rebuild();
  });
}

void WillItWorkView::refresh() { rebuild(); }

void WillItWorkView::rebuild() {
  // The model flushes every 100 ms while runs stream samples; the table only
  // changes with a name, a verdict, a lost test or the filter.
  QCryptographicHash hash(QCryptographicHash::Sha1);
  hash.addData(frameRate().toUtf8());
  hash.addData(QByteArray::number(needed_->value()));
  for (const FleetRow& row : model_->rows()) {
    hash.addData(row.key.toUtf8());
    hash.addData(DisplayName(row).toUtf8());
    hash.addData(QByteArray::number(row.run_state == qdt::v1::RUN_STATE_INTERRUPTED));
    if (row.verdict) hash.addData(QByteArray::fromStdString(row.verdict->SerializeAsString()));
    hash.addData("|");
  }
  const QString shown = QString::fromLatin1(hash.result().toHex());
  if (shown == shown_) return;
  shown_ = shown;

  const QVector<FleetRow>& rows = model_->rows();
  std::vector<qdt::WillItWork> work;
  for (const FleetRow& row : rows) work.push_back(WillItWorkOf(row));
  const QString fps = frameRate();
  const int needed = needed_->value();

  table_->clear();
  table_->clearSpans();
  table_->setColumnCount(kFirstMacColumn + rows.size());
  QStringList headers = {"Stream", "MB/s each"};
  for (const FleetRow& row : rows) headers << DisplayName(row);
  table_->setHorizontalHeaderLabels(headers);
  for (int m = 0; m < rows.size(); ++m) {
    QTableWidgetItem* h = table_->horizontalHeaderItem(kFirstMacColumn + m);
    h->setData(Qt::UserRole, rows[m].key);
    h->setToolTip(
        QString("%1 (%2)\nProven read rate: %3")
            .arg(DisplayName(rows[m]), rows[m].key, QString::fromStdString(work[m].proven.basis)));
  }

  std::vector<const qdt::StreamKind*> kinds;
  for (const qdt::StreamKind& k : qdt::StreamTable()) {
    if (fps == "all" || QString::fromStdString(k.fps_label) == fps) kinds.push_back(&k);
  }
  // One row for the proven rates, then a header row per group.
  int n_rows = 1;
  QString group;
  for (const qdt::StreamKind* k : kinds) {
    if (GroupOf(*k) != group) ++n_rows;
    group = GroupOf(*k);
    ++n_rows;
  }
  table_->setRowCount(n_rows);

  QFont bold = table_->font();
  bold.setBold(true);
  int r = 0;
  auto* proven_label = new QTableWidgetItem("Proven read rate");
  proven_label->setFont(bold);
  table_->setItem(r, kStreamColumn, proven_label);
  for (int m = 0; m < rows.size(); ++m) {
    auto* it = new QTableWidgetItem;
    const qdt::ProvenRate& p = work[m].proven;
    it->setText(p.measured ? QString("%1 MB/s").arg(p.mb_s, 0, 'f', 0) : QString("n/a"));
    it->setData(kDetailRole, p.measured ? QString() : ShortWhy(p.basis));
    it->setToolTip(QString::fromStdString(p.basis));
    if (!p.measured) {
      it->setBackground(kNotMeasured);
      it->setForeground(QColor(Qt::white));
    }
    table_->setItem(r, kFirstMacColumn + m, it);
  }
  ++r;
  group.clear();
  for (const qdt::StreamKind* k : kinds) {
    if (GroupOf(*k) != group) {
      group = GroupOf(*k);
      auto* g = new QTableWidgetItem(group);
      g->setFont(bold);
      g->setData(kGroupRole, true);
      g->setBackground(palette().alternateBase());
      table_->setItem(r, 0, g);
      table_->setSpan(r, 0, 1, table_->columnCount());
      ++r;
    }
    const QString name = QString::fromStdString(k->name);
    auto* label = new QTableWidgetItem(name);
    label->setToolTip(
        QString("%1: %2 MB/s per stream at %3 fps (%4)")
            .arg(name)
            .arg(k->mb_per_s, 0, 'f', 1)
            .arg(QString::fromStdString(k->fps_label), QString::fromStdString(k->source)));
    table_->setItem(r, kStreamColumn, label);
    auto* rate = new QTableWidgetItem(OneDecimal(k->mb_per_s));
    rate->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table_->setItem(r, kRateColumn, rate);
    for (int m = 0; m < rows.size(); ++m) {
      const WillItWorkCell c = CellOf(*k, work[m], needed);
      auto* it = new QTableWidgetItem(c.text);
      it->setData(kDetailRole, c.detail);
      it->setToolTip(c.tooltip);
      it->setBackground(c.background);
      it->setForeground(c.foreground);
      table_->setItem(r, kFirstMacColumn + m, it);
    }
    ++r;
  }
  table_->resizeColumnToContents(kStreamColumn);
  table_->resizeColumnToContents(kRateColumn);
  fitMacColumns();
}

bool WillItWorkView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == table_->viewport() && event->type() == QEvent::Resize) fitMacColumns();
  return QWidget::eventFilter(watched, event);
}

void WillItWorkView::fitMacColumns() {
  const int macs = table_->columnCount() - kFirstMacColumn;
  if (macs <= 0) return;
  const int left = table_->viewport()->width() - table_->columnWidth(kStreamColumn) -
                   table_->columnWidth(kRateColumn);
  const int each = std::clamp(left / macs, kMinMacColumnPx, kMaxMacColumnPx);
  for (int c = kFirstMacColumn; c < table_->columnCount(); ++c) table_->setColumnWidth(c, each);
}

}  // namespace qdt::console
