// Charts of runs (Qt Charts): per agent, fio's read MB/s over time with, as a
// thin second line, what the drive's own counter delivered (only when the
// samples carry it: no line rather than a line at 0), the normal-playback
// (656) and crossfade (2100) lines, the drive temperature on a second axis and
// a band per phase, and a hatched amber band (kStallSeriesName) where fio
// was silent (a stall, agent.proto Sample.stalled: no rate point is drawn
// for it, never a 0); for the rig, one MB/s line per agent (fio's). Points
// are kept in time order: the samples that end a stall arrive after it
// (later seq) but cover the time before it (earlier wall time).
// What is drawn is decimated (min/max per bucket, at most a few thousand
// points per line) so a 2.5-hour run on 100 agents stays smooth; every sample
// stays in the SampleStore.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_CHARTS_H_
#define QDT_CONSOLE_APP_CHARTS_H_

#include <QHash>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QValueAxis>
#include <functional>
#include <optional>
#include <utility>

#include "console/app/sample_store.h"

namespace qdt::console {

// At most `max_points` points (>= 4) that keep every bucket's minimum and
// maximum in time order, so dips and peaks survive. Input sorted by x.
QVector<QPointF> DecimateMinMax(const QVector<QPointF>& points, int max_points);

inline constexpr int kMaxDrawnPoints = 2000;

// What is drawn of one run: x = seconds since its earliest sample (or the
// start of a stall before it). Kept between kMaxDrawnPoints and twice that
// by re-decimating as points arrive, so a 2.5-hour run costs the same to
// draw as a 2-minute one. Every line stays sorted by x: a sample with an
// earlier wall time than the last (a stall's backfill) is inserted in its
// place, and one earlier than t0 moves t0 (every x shifts). Samples are
// taken once each, in seq order (a seq at or below the last is ignored).
struct RunSeries {
  double t0 = -1;  // wall time of x = 0; -1 = none yet
  uint64_t last_seq = 0;
  QVector<QPointF> mbps, temp;
  QVector<QPointF> device;  // the drive's own MB/s; empty = no sample had a counter
  // Where fio was silent (stalled samples): [from, to] in x, sorted,
  // overlapping spans merged (a stall is said once a second, each time
  // with the whole silence so far).
  QVector<std::pair<double, double>> stalls;
  void add(uint64_t seq, double wall_s, double mb_s, std::optional<double> temp_c,
           std::optional<double> device_mb_s = std::nullopt);
  // A stalled sample at `wall_s` after `silent_s` of silence: a span, and
  // its temperature (still measured); no rate. A silent_s that is not
  // UsableSilence gives a span of no width at wall_s.
  void addStall(uint64_t seq, double wall_s, double silent_s, std::optional<double> temp_c);

 private:
  void place(double wall_s);  // sets or moves t0 so that wall_s >= t0
  void bound();               // re-decimates the lines past 2 * kMaxDrawnPoints
};
// Inserts `p` after every point whose x is <= p.x() (amortized O(1) for
// points arriving in order).
void InsertByX(QVector<QPointF>* points, QPointF p);
RunSeries LoadSeries(const SampleStore& store, const QString& agent, const QString& run_id);
// The series of stored samples (in seq order) as RunSeries::add / addStall
// place them: in time order, stalls as merged spans. LoadSeries and the
// report's charts use it.
RunSeries SeriesOf(const QVector<StoredSample>& samples);

// The drawn copies of every run a view shows, fed from each stored batch, so
// a redraw reads no samples from the store. Shared by the window's views.
class ChartCache {
 public:
  explicit ChartCache(const SampleStore* store) : store_(store) {}
  void add(const QVector<AgentEvent>& events);  // only runs already cached
  // Loads on first use. The reference is valid until the next call that
  // loads another run (the hash may move its entries).
  const RunSeries& series(const QString& agent, const QString& run_id);
  const SampleStore* store() const { return store_; }

 private:
  const SampleStore* store_;
  QHash<QString, RunSeries> runs_;  // key: agent + '\n' + run id
};

// The legend names of a run chart's two rates.
inline constexpr char kFioSeriesName[] = "fio read MB/s";
inline constexpr char kDeviceSeriesName[] = "drive counter MB/s";
// The legend name of the stall band.
inline constexpr char kStallSeriesName[] = "fio silent (no rate measured)";

// Axes with round ticks (issue 14, item 6): MB/s at 0 / 500 / 1000 / ...
// (100 / 250 / 500 / 1000 / 2500 / ... apart, at most 8 intervals), time in
// whole seconds at 1 / 2 / 5 / 10 / 15 / 30 s or whole minutes (at most 10
// intervals). The range is rounded up to a whole tick.
double NiceStep(double span, int max_ticks, const QVector<double>& steps);
void SetNiceMbpsAxis(QValueAxis* axis, double max_mb_s);
void SetNiceSecondsAxis(QValueAxis* axis, double max_s);
// The rig chart's line colours: never the target lines' orange and red.
QColor RigLineColour(int i);
// A rig line whose run began this long before the newest is an earlier run:
// marked "(earlier run, 01 Dec 21:04)" and drawn dashed.
inline constexpr double kEarlierRunS = 600;

// A chart of one run (x = seconds since the first sample). `dark`: the dark
// chart theme and line colours readable on it.
QChart* BuildRunChart(const RunSeries& series, const QVector<StoredPhase>& phases,
                      const QString& title, bool dark = false);
QChart* BuildRunChart(const SampleStore& store, const QString& agent, const QString& run_id,
                      const QString& title, bool dark = false);
// One MB/s line per run, on a shared time axis (seconds since each run's
// start), each in its own colour; the store's overload names them by the
// Mac's name.
QChart* BuildRigChart(const QVector<std::pair<QString, const RunSeries*>>& lines,
                      const QString& title, bool dark = false);
QChart* BuildRigChart(const SampleStore& store, const QVector<std::pair<QString, QString>>& runs,
                      const QString& title, bool dark = false);

// A view that redraws its chart from the store at most every `redraw_ms`
// while events arrive (the store holds everything; the view only decimates).
class LiveChartView : public QChartView {
  Q_OBJECT

 public:
  LiveChartView(ChartCache* cache, QWidget* parent = nullptr, int redraw_ms = 1000);
  // Shows one agent's run; empty agent = the rig chart of `rig_runs`.
  void showRun(const QString& agent, const QString& run_id, const QString& title);
  void showRig(const QVector<std::pair<QString, QString>>& rig_runs);
  // Draws again now (the theme changed).
  void refresh() {
    if (rig_ || !agent_.isEmpty()) redraw();
  }
  // What the rig chart calls an agent's line (its Mac's name).
  void setNamer(std::function<QString(const QString& agent)> namer) { namer_ = std::move(namer); }
  const QString& runId() const { return run_id_; }
  const QString& agent() const { return agent_; }

 public slots:
  void onEventsStored();

 private:
  void redraw();

  ChartCache* cache_;
  QString agent_, run_id_, title_;
  QVector<std::pair<QString, QString>> rig_runs_;
  std::function<QString(const QString&)> namer_;
  bool rig_ = false, due_ = false;
  qint64 last_redraw_ms_ = 0;
  int redraw_ms_;
};

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_CHARTS_H_
