#include "console/app/charts.h"

#include <QDateTime>
#include <QPen>
#include <QTimer>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "common/units.h"
#include "console/app/fleet_model.h"
#include "console/app/theme.h"

namespace qdt::console {

QVector<QPointF> DecimateMinMax(const QVector<QPointF>& points, int max_points) {
  max_points = std::max(max_points, 4);
  if (points.size() <= max_points) return points;
  const int buckets = max_points / 2;
  QVector<QPointF> out;
  out.reserve(max_points);
  const double per_bucket = static_cast<double>(points.size()) / buckets;
  for (int b = 0; b < buckets; ++b) {
    int from = static_cast<int>(b * per_bucket);
    int to = std::min(static_cast<int>((b + 1) * per_bucket), static_cast<int>(points.size()));
    if (from >= to) continue;
    int lo = from, hi = from;
    for (int i = from; i < to; ++i) {
      if (points[i].y() < points[lo].y()) lo = i;
      if (points[i].y() > points[hi].y()) hi = i;
    }
    out.push_back(points[std::min(lo, hi)]);
    if (lo != hi) out.push_back(points[std::max(lo, hi)]);
  }
  return out;
}

void InsertByX(QVector<QPointF>* points, QPointF p) {
  if (points->isEmpty() || points->back().x() <= p.x()) {
    points->push_back(p);
    return;
  }
  auto at = std::upper_bound(points->begin(), points->end(), p.x(),
                             [](double x, const QPointF& q) { return x < q.x(); });
  points->insert(at, p);
}

void RunSeries::place(double wall_s) {
  if (t0 < 0) {
    t0 = wall_s;
    return;
  }
  if (wall_s >= t0) return;
  const double shift = t0 - wall_s;  // every x moves right by it
  for (QVector<QPointF>* line : {&mbps, &temp, &device}) {
    for (QPointF& p : *line) p.rx() += shift;
  }
  for (auto& [from, to] : stalls) {
    from += shift;
    to += shift;
  }
  t0 = wall_s;
}

void RunSeries::bound() {
  if (mbps.size() > 2 * kMaxDrawnPoints) mbps = DecimateMinMax(mbps, kMaxDrawnPoints);
  if (temp.size() > 2 * kMaxDrawnPoints) temp = DecimateMinMax(temp, kMaxDrawnPoints);
  if (device.size() > 2 * kMaxDrawnPoints) device = DecimateMinMax(device, kMaxDrawnPoints);
}

void RunSeries::add(uint64_t seq, double wall_s, double mb_s, std::optional<double> temp_c,
                    std::optional<double> device_mb_s) {
  if (seq <= last_seq) return;  // already drawn (loaded from the store, then delivered)
  last_seq = seq;
  place(wall_s);
  const double x = wall_s - t0;
  InsertByX(&mbps, {x, mb_s});
  if (temp_c) InsertByX(&temp, {x, *temp_c});
  if (device_mb_s) InsertByX(&device, {x, *device_mb_s});
  bound();
}

void RunSeries::addStall(uint64_t seq, double wall_s, double silent_s,
                         std::optional<double> temp_c) {
  if (seq <= last_seq) return;
  last_seq = seq;
  const double silent = UsableSilence(silent_s) ? silent_s : 0;
  place(wall_s - silent);
  const double from = wall_s - silent - t0, to = wall_s - t0;
  if (temp_c) InsertByX(&temp, {to, *temp_c});
  // Sorted by start; a span that overlaps or touches its neighbours joins them.
  auto at = std::upper_bound(
      stalls.begin(), stalls.end(), from,
      [](double x, const std::pair<double, double>& span) { return x < span.first; });
  at = stalls.insert(at, {from, to});
  int i = static_cast<int>(at - stalls.begin());
  if (i > 0 && stalls[i - 1].second >= from) {
    stalls[i - 1].second = std::max(stalls[i - 1].second, to);
    stalls.remove(i);
    --i;
  }
  while (i + 1 < stalls.size() && stalls[i + 1].first <= stalls[i].second) {
    stalls[i].second = std::max(stalls[i].second, stalls[i + 1].second);
    stalls.remove(i + 1);
  }
  bound();
}

RunSeries LoadSeries(const SampleStore& store, const QString& agent, const QString& run_id) {
  return SeriesOf(store.samples(agent, run_id));
}

RunSeries SeriesOf(const QVector<StoredSample>& samples) {
  RunSeries s;
  for (const StoredSample& x : samples) {  // in seq order
    if (x.stalled) {
      s.addStall(x.seq, x.wall_s, x.silent_s.value_or(0), x.temperature_c);
    } else {
      s.add(x.seq, x.wall_s, x.read_mb_s, x.temperature_c, x.device_mb_s);
    }
  }
  return s;
}

void ChartCache::add(const QVector<AgentEvent>& events) {
  for (const AgentEvent& e : events) {
    if (!e.event.has_sample()) continue;
    auto it = runs_.find(e.key + '\n' + e.run_id);
    if (it == runs_.end()) continue;  // loaded from the store when first shown
    const auto& s = e.event.sample();
    const auto& t = s.has_wall_time() ? s.wall_time() : e.event.time();
    if (s.stalled()) {  // no rate: a span where fio was silent
      it->addStall(e.event.seq(), t.seconds() + t.nanos() / 1e9, s.interval_s(),
                   s.has_temperature_c() ? std::optional<double>(s.temperature_c()) : std::nullopt);
      continue;
    }
    it->add(e.event.seq(), t.seconds() + t.nanos() / 1e9, s.read_bytes_per_s() / 1e6,
            s.has_temperature_c() ? std::optional<double>(s.temperature_c()) : std::nullopt,
            s.has_device_read_bytes_per_s()
                ? std::optional<double>(s.device_read_bytes_per_s() / 1e6)
                : std::nullopt);
  }
}

const RunSeries& ChartCache::series(const QString& agent, const QString& run_id) {
  const QString key = agent + '\n' + run_id;
  auto it = runs_.find(key);
  if (it == runs_.end()) it = runs_.insert(key, LoadSeries(*store_, agent, run_id));
  return it.value();
}

double NiceStep(double span, int max_ticks, const QVector<double>& steps) {
  for (double step : steps) {
    if (span / step <= max_ticks) return step;
  }
  return steps.back() * std::ceil(span / (steps.back() * max_ticks));
}

void SetNiceMbpsAxis(QValueAxis* axis, double max_mb_s) {
  // 0 / 500 / 1000 / 1500 / 2000 / 2500 ...: at most 8 intervals.
  const double step = NiceStep(max_mb_s, 8, {100, 250, 500, 1000, 2500, 5000, 10000});
  axis->setRange(0, std::ceil(max_mb_s / step) * step);
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
  axis->setLabelFormat("%.0f");
}

void SetNiceSecondsAxis(QValueAxis* axis, double max_s) {
  // Whole seconds at 1, 2, 5, 10, 15, 30 s or whole minutes: at most 10 intervals.
  const double step =
      NiceStep(max_s, 10, {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600});
  axis->setRange(0, std::max(step, std::ceil(max_s / step) * step));
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
  axis->setLabelFormat("%.0f");
}

QColor RigLineColour(int i) {
  // Blues, greens, purples, teals, browns: never the orange and red of the
  // target lines nor the phase bands' tints.
  static const QColor kColours[] = {
      QColor(31, 119, 180), QColor(44, 160, 44),   QColor(148, 103, 189), QColor(23, 190, 207),
      QColor(140, 86, 75),  QColor(127, 127, 127), QColor(188, 189, 34),  QColor(0, 90, 140),
      QColor(80, 60, 160),  QColor(0, 128, 96),    QColor(110, 150, 210), QColor(90, 170, 120)};
  return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
}

namespace {

QLineSeries* ConstantLine(double y, double x_max, const QString& name, const QColor& color) {
  auto* s = new QLineSeries;
  s->setName(name);
  s->append(0, y);
  s->append(std::max(x_max, 1.0), y);
  QPen pen(color);
  pen.setStyle(Qt::DashLine);
  pen.setWidth(2);
  s->setPen(pen);
  return s;
}

}  // namespace

QChart* BuildRunChart(const RunSeries& series, const QVector<StoredPhase>& phases,
                      const QString& title, bool dark) {
  auto* chart = new QChart;
  chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  chart->setTitle(title);
  const double t0 = series.t0 < 0 ? 0 : series.t0;
  double y_max = kCrossfadeTargetMBps * 1.15, x_max = 1;
  for (const QVector<QPointF>* line : {&series.mbps, &series.device}) {
    for (const QPointF& p : *line) {
      y_max = std::max(y_max, p.y() * 1.1);
      x_max = std::max(x_max, p.x());
    }
  }
  for (const auto& span : series.stalls) x_max = std::max(x_max, span.second);
  auto* axis_x = new QValueAxis;
  axis_x->setTitleText("seconds");
  SetNiceSecondsAxis(axis_x, x_max);
  x_max = axis_x->max();
  auto* axis_y = new QValueAxis;
  axis_y->setTitleText("read MB/s");
  SetNiceMbpsAxis(axis_y, y_max);
  y_max = axis_y->max();
  chart->addAxis(axis_x, Qt::AlignBottom);
  chart->addAxis(axis_y, Qt::AlignLeft);

  // Phase bands, alternately shaded (grey tints: no line is grey-blue or
  // sand), from the phase changes.
  for (int i = 0; i < phases.size(); ++i) {
    double from = std::max(0.0, phases[i].start_wall_s - t0);
    double to = i + 1 < phases.size() ? phases[i + 1].start_wall_s - t0 : x_max;
    auto* upper = new QLineSeries;
    upper->append(from, y_max);
    upper->append(std::max(to, from), y_max);
    auto* band = new QAreaSeries(upper);
    upper->setParent(band);  // the area series does not own its boundary line
    band->setName(phases[i].name);
    QColor c =
        i % 2 == 0 ? QColor(120, 140, 170, dark ? 50 : 35) : QColor(170, 150, 120, dark ? 50 : 35);
    band->setBrush(c);
    band->setPen(Qt::NoPen);
    chart->addSeries(band);
    band->attachAxis(axis_x);
    band->attachAxis(axis_y);
  }
  // Where fio was silent: one hatched amber band series (one legend entry)
  // over the whole height; no rate point is drawn there until fio's report
  // that ended the stall fills it with that report's mean.
  if (!series.stalls.isEmpty()) {
    auto* upper = new QLineSeries;
    for (const auto& [from, to] : series.stalls) {
      // A stall of no width (its length unknown) is still shown: 0.5 s wide.
      const double end = std::max(to, from + 0.5);
      upper->append(from, 0);
      upper->append(from, y_max);
      upper->append(end, y_max);
      upper->append(end, 0);
    }
    auto* band = new QAreaSeries(upper);
    upper->setParent(band);
    band->setName(kStallSeriesName);
    const QColor amber(kStallRgb);
    band->setBrush(QBrush(amber, Qt::BDiagPattern));
    QPen edge(amber);
    edge.setWidthF(1);
    band->setPen(edge);
    chart->addSeries(band);
    band->attachAxis(axis_x);
    band->attachAxis(axis_y);
  }
  auto add_line = [&](const char* name, const auto& points, const QColor& colour, double width) {
    auto* line = new QLineSeries;
    line->setName(name);
    line->replace(points);
    QPen pen(colour);
    pen.setWidthF(width);
    line->setPen(pen);
    chart->addSeries(line);
    line->attachAxis(axis_x);
    line->attachAxis(axis_y);
  };
  add_line(kFioSeriesName, series.mbps, dark ? QColor(110, 170, 255) : QColor(20, 60, 160), 2);
  // The drive's own counter: thin and muted, secondary to fio's line; far
  // below it means the page cache answered, above it someone else read too.
  if (!series.device.isEmpty()) {
    add_line(kDeviceSeriesName, series.device, dark ? QColor(60, 200, 170) : QColor(0, 140, 120),
             1);
  }
  for (auto* c : {ConstantLine(kNormalTargetMBps, x_max, "656 MB/s normal", QColor(230, 150, 0)),
                  ConstantLine(kCrossfadeTargetMBps, x_max, "2100 MB/s crossfade", Qt::red)}) {
    chart->addSeries(c);
    c->attachAxis(axis_x);
    c->attachAxis(axis_y);
  }
  if (!series.temp.isEmpty()) {
    auto* axis_t = new QValueAxis;
    axis_t->setTitleText("°C");
    axis_t->setRange(0, 100);
    axis_t->setLabelFormat("%.0f");
    chart->addAxis(axis_t, Qt::AlignRight);
    auto* t = new QLineSeries;
    t->setName("drive °C");
    t->replace(series.temp);
    // Purple and dotted: not the red of the crossfade line.
    QPen pen(dark ? QColor(200, 150, 255) : QColor(130, 60, 170));
    pen.setStyle(Qt::DotLine);
    pen.setWidthF(1.5);
    t->setPen(pen);
    chart->addSeries(t);
    t->attachAxis(axis_x);
    t->attachAxis(axis_t);
  }
  return chart;
}

QChart* BuildRunChart(const SampleStore& store, const QString& agent, const QString& run_id,
                      const QString& title, bool dark) {
  return BuildRunChart(LoadSeries(store, agent, run_id), store.phases(agent, run_id), title, dark);
}

QChart* BuildRigChart(const QVector<std::pair<QString, const RunSeries*>>& lines,
                      const QString& title, bool dark) {
  auto* chart = new QChart;
  chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  chart->setTitle(title);
  auto* axis_x = new QValueAxis;
  axis_x->setTitleText("seconds since each run's start");
  auto* axis_y = new QValueAxis;
  axis_y->setTitleText("read MB/s");
  chart->addAxis(axis_x, Qt::AlignBottom);
  chart->addAxis(axis_y, Qt::AlignLeft);
  double y_max = kCrossfadeTargetMBps * 1.15, x_max = 1;
  // With many agents each line gets fewer points: the whole chart stays bounded.
  const int per_line = std::max(200, kMaxDrawnPoints * 4 / std::max<int>(1, lines.size()));
  // A run that began well before the newest (an earlier test of that Mac)
  // is marked in the legend and drawn dashed and thin.
  double newest_t0 = -1;
  for (const auto& [name, series] : lines) newest_t0 = std::max(newest_t0, series->t0);
  int n = 0;
  for (const auto& [name, series] : lines) {
    if (series->mbps.isEmpty()) continue;
    for (const QPointF& p : series->mbps) {
      y_max = std::max(y_max, p.y() * 1.1);
      x_max = std::max(x_max, p.x());
    }
    auto* line = new QLineSeries;
    const bool earlier = series->t0 >= 0 && newest_t0 - series->t0 > kEarlierRunS;
    line->setName(
        earlier ? QString("%1 (earlier run, %2)")
                      .arg(name, QDateTime::fromSecsSinceEpoch(static_cast<qint64>(series->t0))
                                     .toString("dd MMM HH:mm"))
                : name);
    QPen pen(RigLineColour(n++));
    pen.setWidthF(earlier ? 1 : 2);
    if (earlier) pen.setStyle(Qt::DashDotLine);
    line->setPen(pen);
    line->replace(DecimateMinMax(series->mbps, per_line));
    chart->addSeries(line);
    line->attachAxis(axis_x);
    line->attachAxis(axis_y);
  }
  SetNiceSecondsAxis(axis_x, x_max);
  SetNiceMbpsAxis(axis_y, y_max);
  for (auto* c : {ConstantLine(kNormalTargetMBps, axis_x->max(), "656 target", QColor(230, 150, 0)),
                  ConstantLine(kCrossfadeTargetMBps, axis_x->max(), "2100 target", Qt::red)}) {
    chart->addSeries(c);
    c->attachAxis(axis_x);
    c->attachAxis(axis_y);
  }
  return chart;
}

QChart* BuildRigChart(const SampleStore& store, const QVector<std::pair<QString, QString>>& runs,
                      const QString& title, bool dark) {
  QVector<RunSeries> loaded;
  loaded.reserve(runs.size());
  for (const auto& [agent, run_id] : runs) loaded.push_back(LoadSeries(store, agent, run_id));
  QVector<std::pair<QString, const RunSeries*>> lines;
  for (int i = 0; i < runs.size(); ++i) {
    // The Mac's name when the designer gave one.
    const QString name = store.agentName(runs[i].first);
    lines.push_back({name.isEmpty() ? runs[i].first : name, &loaded[i]});
  }
  return BuildRigChart(lines, title, dark);
}

LiveChartView::LiveChartView(ChartCache* cache, QWidget* parent, int redraw_ms)
    : QChartView(parent), cache_(cache), redraw_ms_(redraw_ms) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumHeight(220);
}

void LiveChartView::showRun(const QString& agent, const QString& run_id, const QString& title) {
  rig_ = false;
  agent_ = agent;
  run_id_ = run_id;
  title_ = title;
  redraw();
}

void LiveChartView::showRig(const QVector<std::pair<QString, QString>>& rig_runs) {
  rig_ = true;
  rig_runs_ = rig_runs;
  onEventsStored();  // rate-limited: the rig chart reads every agent's samples
}

void LiveChartView::onEventsStored() {
  qint64 now = QDateTime::currentMSecsSinceEpoch();
  if (now - last_redraw_ms_ >= redraw_ms_) {
    redraw();
  } else if (!due_) {
    due_ = true;
    QTimer::singleShot(redraw_ms_, this, [this] { redraw(); });
  }
}

void LiveChartView::redraw() {
  due_ = false;
  last_redraw_ms_ = QDateTime::currentMSecsSinceEpoch();
  QChart* old = chart();
  QChart* next = nullptr;
  if (rig_) {
    // Load every run first: a load inserts into the cache's hash, which
    // moves the series already there; pointers are taken afterwards.
    for (const auto& [agent, run_id] : rig_runs_) cache_->series(agent, run_id);
    QVector<std::pair<QString, const RunSeries*>> lines;
    for (const auto& [agent, run_id] : rig_runs_) {
      lines.push_back({namer_ ? namer_(agent) : agent, &cache_->series(agent, run_id)});
    }
    next = BuildRigChart(lines, "Rig: read MB/s of every drive", AppIsDark());
  } else if (run_id_.isEmpty()) {
    // A Mac without a run: an empty chart that says so, never another drive's.
    next = BuildRunChart(RunSeries(), {}, title_, AppIsDark());
  } else {
    next = BuildRunChart(cache_->series(agent_, run_id_), cache_->store()->phases(agent_, run_id_),
                         title_, AppIsDark());
  }
  setChart(next);
  delete old;
}

}  // namespace qdt::console
