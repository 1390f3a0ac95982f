#include "console/app/report.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QFile>
#include <QHash>
#include <QMap>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QTextDocument>
#include <QTimeZone>
#include <QtCharts/QChartView>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/units.h"
#include "common/verdict.h"
#include "console/app/charts.h"
#include "console/app/fleet_model.h"

namespace qdt::console {
namespace {

// The PDF is laid out at 96 dots per inch (CSS pixels): what the charts and
// the HTML's widths are measured in.
constexpr int kDpi = 96;
constexpr double kMarginMm = 15, kFooterMm = 8;  // footer: in the bottom margin
// Charts are drawn at 1.5 times the size they are shown: sharp when printed
// (144 dpi) and on a screen up to that width; twice would cost a 100-drive
// report 80 % more time in drawing and PNG encoding for little to see.
constexpr double kChartScale = 1.5;
// A rig chart with more lines than this has no legend (it would cover the
// chart): the table names every Mac.
constexpr int kMaxLegendLines = 12;

double MmToPx(double mm) { return mm / 25.4 * kDpi; }

QPageSize PageSizeOf(ReportPaper paper) {
  return QPageSize(paper == ReportPaper::kLetter ? QPageSize::Letter : QPageSize::A4);
}

// The printable width and height of a page, in 96-dpi pixels.
QSizeF ContentSize(ReportPaper paper) {
  const QSizeF page = PageSizeOf(paper).sizePixels(kDpi);
  return {page.width() - 2 * MmToPx(kMarginMm), page.height() - 2 * MmToPx(kMarginMm)};
}

QString Escape(const QString& s) { return s.toHtmlEscaped(); }
QString Mb(double v) { return QString::number(v, 'f', 0); }
QString Gb(double bytes) { return QString::number(bytes / 1e9, 'f', 2); }
QString Ms(double v) { return QString::number(v, 'f', 1); }

// "UTC+01:00", "UTC-05:00", "UTC+00:00".
QString UtcOffset(const QDateTime& t) {
  const int s = t.offsetFromUtc();
  const int a = std::abs(s);
  return QString("UTC%1%2:%3")
      .arg(s < 0 ? '-' : '+')
      .arg(a / 3600, 2, 10, QChar('0'))
      .arg(a % 3600 / 60, 2, 10, QChar('0'));
}

// A moment as local time in `zone` with its offset: "2026-12-02 21:04:11 UTC+01:00".
QString TimeText(const QDateTime& t) {
  return t.toString("yyyy-MM-dd HH:mm:ss") + " " + UtcOffset(t);
}
QString TimeText(double unix_s, const QTimeZone& zone) {
  return TimeText(
      QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::llround(unix_s * 1000)), zone));
}

// The time scale in words: a rehearsal's mark says it is not a show rating.
QString ScaleText(double time_scale) {
  const QString mark = QString::fromStdString(RehearsalMark(time_scale));
  if (!mark.isEmpty()) return mark + " — not a show rating";
  return "×1 (real time: show ratings)";
}

// One run of the report with everything read from the store once.
struct RunData {
  ReportRun run;
  QString name;  // the Mac's name, else the host, else the address
  std::optional<StoredRun> info;
  QVector<StoredPhase> phases;
  RunSeries series;  // decimated to the chart's pixel width
  int samples = 0;
  int stalled = 0;  // of them, stalls (no rate measured)
};

}  // namespace

RunSeries ReportSeries(const QVector<StoredSample>& samples, int width_px) {
  // Placed as the console's charts place them (x = 0 at the earliest sample or
  // stall start, time order, stall spans merged), then decimated to the width.
  RunSeries s = SeriesOf(samples);
  const int points = 2 * std::max(width_px, 100);
  s.mbps = DecimateMinMax(s.mbps, points);
  s.temp = DecimateMinMax(s.temp, points);
  s.device = DecimateMinMax(s.device, points);
  return s;
}

namespace {

QVector<RunData> LoadRuns(const SampleStore& store, const QVector<ReportRun>& runs, int width_px) {
  QVector<RunData> out;
  out.reserve(runs.size());
  for (const ReportRun& r : runs) {
    RunData d;
    d.run = r;
    d.name = store.agentName(r.agent);
    if (d.name.isEmpty()) d.name = r.host.isEmpty() ? r.agent : r.host;
    d.info = store.run(r.agent, r.run_id);
    d.phases = store.phases(r.agent, r.run_id);
    const QVector<StoredSample> samples = store.samples(r.agent, r.run_id);
    d.samples = samples.size();
    d.stalled = static_cast<int>(std::count_if(samples.begin(), samples.end(),
                                               [](const StoredSample& x) { return x.stalled; }));
    d.series = ReportSeries(samples, width_px);
    out.push_back(std::move(d));
  }
  return out;
}

// Nothing to report: no runs, or none the store knows. The reason says what
// was looked for.
bool NothingToReport(const QVector<RunData>& runs, QString* why) {
  if (runs.isEmpty()) {
    *why =
        "nothing to report: no run was given (the report covers the latest rig test: each Mac's "
        "newest run started within 10 minutes of the newest start in the console store)";
    return true;
  }
  for (const RunData& d : runs) {
    if (d.info || d.samples > 0) return false;
  }
  *why = QString(
             "nothing to report: none of the %1 run(s) asked for is in the console store "
             "(looked for run \"%2\" of %3%4)")
             .arg(runs.size())
             .arg(runs.front().run.run_id, runs.front().run.agent,
                  runs.size() > 1 ? QString(" and %1 more").arg(runs.size() - 1) : QString());
  return true;
}

// A chart as printed: on white, round tick values, and a legend short
// enough to be read whole at the page's width (the phase bands are named
// under the chart instead).
void PrepareForPaper(QChart* chart) {
  chart->setBackgroundRoundness(0);
  chart->setDropShadowEnabled(false);
  chart->setMargins(QMargins(4, 4, 4, 4));
  for (QAbstractAxis* axis : chart->axes()) {
    if (auto* value = qobject_cast<QValueAxis*>(axis)) {
      value->applyNiceNumbers();
      value->setLabelFormat("%.0f");
    }
  }
  for (QAbstractSeries* series : chart->series()) {
    if (series->type() != QAbstractSeries::SeriesTypeArea) continue;
    for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
  }
  QFont small = chart->legend()->font();
  small.setPointSizeF(7.5);
  chart->legend()->setFont(small);
}

// A chart drawn to an image `kChartScale` times its shown size.
QImage RenderChart(QChart* chart, QSize shown) {
  QChartView view(chart);  // owns the chart
  view.setRenderHint(QPainter::Antialiasing);
  view.setFrameShape(QFrame::NoFrame);
  view.setBackgroundBrush(Qt::white);
  QPalette white = view.palette();
  white.setColor(QPalette::Window, Qt::white);
  view.setPalette(white);
  view.resize(shown);
  PrepareForPaper(chart);
  view.grab();  // lays the chart out (a view never shown has not been)
  QImage image((QSizeF(shown) * kChartScale).toSize(), QImage::Format_RGB32);
  image.setDevicePixelRatio(kChartScale);
  image.fill(Qt::white);
  view.QWidget::render(&image);  // QGraphicsView::render takes a painter
  return image;
}

QString ChartName(int chart) { return QString("chart-%1.png").arg(chart); }
// Chart 0 is the rig's; chart i + 1 is run i's.
int RunChart(int run_index) { return run_index + 1; }

// Draws the report's charts one at a time, when asked: all of a 100-drive
// report's at once would hold 100 MB of images (and a console's RSS keeps
// what malloc got back).
class ChartPainter {
 public:
  ChartPainter(const QVector<RunData>& runs, QSize shown) : runs_(runs), shown_(shown) {}
  int count() const { return runs_.size() + 1; }
  QSize shown() const { return shown_; }
  QImage draw(int chart) const {
    if (chart == 0) {
      QVector<std::pair<QString, const RunSeries*>> lines;
      for (const RunData& d : runs_) lines.push_back({d.name, &d.series});
      QChart* rig = BuildRigChart(lines, "Rig: read MB/s of every Mac");
      if (lines.size() > kMaxLegendLines) rig->legend()->hide();
      return RenderChart(rig, shown_);
    }
    const RunData& d = runs_[chart - 1];
    return RenderChart(BuildRunChart(d.series, d.phases, d.name + ": read MB/s"), shown_);
  }

 private:
  const QVector<RunData>& runs_;
  QSize shown_;
};

// PNG encoding (base64) on worker threads: it is most of the HTML's cost
// (tens of ms a chart), so it runs beside the drawing and the PDF. QImage is
// reentrant and the images are only read. At most kMaxQueued images wait:
// add() blocks beyond that, which bounds the memory too.
class PngEncoder {
 public:
  static constexpr size_t kMaxQueued = 4;

  explicit PngEncoder(int charts) : done_(charts) {
    const unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }
  ~PngEncoder() { finish(); }
  bool has(int chart) const { return sent_.count(chart) > 0; }
  void add(int chart, const QImage& image) {
    if (!sent_.insert(chart).second) return;
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
    queue_.push_back({chart, image});
    ready_.notify_one();
  }
  // Waits for every image added; chart -> base64 PNG.
  const QVector<QByteArray>& finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    return done_;
  }

 private:
  void work() {
    for (;;) {
      std::pair<int, QImage> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      room_.notify_one();
      QByteArray png;
      QBuffer buf(&png);
      buf.open(QIODevice::WriteOnly);
      // 80: zlib level 1, several times faster than the default for a few
      // per cent more bytes.
      job.second.save(&buf, "PNG", 80);
      std::lock_guard<std::mutex> lock(mu_);
      done_[job.first] = png.toBase64();
    }
  }

  std::set<int> sent_;  // GUI thread only
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::pair<int, QImage>> queue_;
  bool closed_ = false;
  QVector<QByteArray> done_;
  std::vector<std::thread> threads_;
};

// The PDF's document draws a chart when QTextDocument paints it, hands it to
// the HTML's encoder, and keeps only the last one (a paint asks for it
// several times). Laying out asks for every image once too, before any
// paint: it gets a blank one of the same size (the <img> tags carry the
// size), so no chart is drawn twice.
class ReportDocument : public QTextDocument {
 public:
  ReportDocument(const ChartPainter* charts, PngEncoder* encoder)
      : charts_(charts), encoder_(encoder) {}
  // From here on QTextDocument asks in order to paint.
  void startPainting() { painting_ = true; }

 protected:
  QVariant loadResource(int type, const QUrl& name) override {
    bool ok = false;
    const int chart = name.toString().section('-', 1).section('.', 0, 0).toInt(&ok);
    if (type != QTextDocument::ImageResource || !ok || chart < 0 || chart >= charts_->count()) {
      return QTextDocument::loadResource(type, name);
    }
    if (!painting_) {
      if (blank_.isNull()) {
        blank_ = QImage((QSizeF(charts_->shown()) * kChartScale).toSize(), QImage::Format_RGB32);
        blank_.setDevicePixelRatio(kChartScale);
        blank_.fill(Qt::white);
      }
      return blank_;
    }
    if (chart != last_chart_) {
      last_ = charts_->draw(chart);
      last_chart_ = chart;
      if (encoder_ != nullptr) encoder_->add(chart, last_);
    }
    return last_;
  }

 private:
  const ChartPainter* charts_;
  PngEncoder* encoder_;
  bool painting_ = false;
  int last_chart_ = -1;
  QImage last_, blank_;
};

// How the HTML refers to a chart: a data URL in the HTML file, a resource
// name in the PDF's QTextDocument (ReportDocument draws it).
struct ImageRefs {
  bool embed = true;
  QVector<QByteArray> png_base64;  // by chart, when embed
  QString Tag(int chart, QSize shown, const QString& alt) const {
    if (!embed) {
      // In a paragraph of its own: after a heading QTextDocument would put
      // it in the heading's block and give that twice the image's height.
      return QString("<p><img src=\"%1\" width=\"%2\" height=\"%3\" alt=\"%4\"></p>")
          .arg(ChartName(chart))
          .arg(shown.width())
          .arg(shown.height())
          .arg(Escape(alt));
    }
    // Drawn at the page's width in print and a little wider on a screen
    // (the image has the pixels): never wider than the window.
    return QString(
               "<p><img class=\"chart\" src=\"data:image/png;base64,%1\" width=\"%2\" "
               "height=\"%3\" alt=\"%4\"></p>")
        .arg(QString::fromLatin1(png_base64.value(chart)))
        .arg(shown.width())
        .arg(shown.height())
        .arg(Escape(alt));
  }
};

// Every chart the PDF did not already draw, drawn for the HTML; waits for
// the encoder.
QVector<QByteArray> EncodeRest(const ChartPainter& charts, PngEncoder* encoder) {
  for (int i = 0; i < charts.count(); ++i) {
    if (!encoder->has(i)) encoder->add(i, charts.draw(i));
  }
  return encoder->finish();
}

// Every flag of the verdict; a paced stream at risk of dropping frames is
// flagged even when the agent (an older one) did not say so itself, so the
// flags never contradict the stream table.
QStringList AllFlags(const qdt::v1::Verdict& v) {
  QStringList flags = VerdictFlags(v);
  const bool said = std::any_of(flags.begin(), flags.end(), [](const QString& f) {
    return f.startsWith("dropped-frame risk");
  });
  if (said) return flags;
  for (const auto& p : v.phases()) {
    for (const auto& s : p.streams()) {
      if (!s.dropped_frame_risk()) continue;
      flags << QString(
                   "dropped-frame risk: %1 in %2: p99 completion latency %3 ms is above one "
                   "frame (%4 ms)")
                   .arg(QString::fromStdString(s.name()), QString::fromStdString(p.name()),
                        Ms(s.clat_p99_ms()), Ms(s.frame_interval_ms()));
    }
  }
  return flags;
}

// The verdict's sentence in the rating's colour; a rehearsal's says first
// that it is not a show rating.
QString Headline(const qdt::v1::Verdict& v) {
  const QString mark = QString::fromStdString(RehearsalMark(v.time_scale()));
  if (mark.isEmpty()) return VerdictHeadline(v);
  qdt::v1::Verdict real = v;
  real.set_time_scale(1);
  return mark + " — not a show rating (" + VerdictHeadline(real) + ")";
}

// Per phase: the target, how many windows missed it, the worst window, fio's
// mean beside what the drive's own counter delivered, and the result.
QString PhaseTable(const qdt::v1::Verdict& v) {
  if (v.phases().empty()) return {};
  QString h =
      "<h3>Phases</h3><table width=\"100%\"><tr><th width=\"13%\">Phase</th>"
      "<th width=\"9%\">Target MB/s</th><th width=\"11%\">Windows missed / judged</th>"
      "<th width=\"10%\">Worst window MB/s</th><th width=\"10%\">fio mean MB/s</th>"
      "<th>Drive counter MB/s</th><th width=\"8%\">fio GB</th>"
      "<th width=\"8%\">Drive GB</th><th width=\"19%\">Result</th></tr>";
  const bool rehearsal = !RehearsalMark(v.time_scale()).empty();
  for (const auto& p : v.phases()) {
    const bool paced = p.target_mb_s() > 0;
    const QString target = paced ? Mb(p.target_mb_s()) : "max";
    h += "<tr><td>" + Escape(QString::fromStdString(p.name())) + "</td><td>" + target + "</td>";
    if (!p.ran()) {
      h += "<td>—</td><td>—</td><td>—</td><td>—</td><td>—</td><td>—</td><td>not run</td></tr>";
      continue;
    }
    // A run without a rating rates none of its phases: fio's numbers were not proven.
    QString result =
        !HasRating(v) ? QString("not rated")
        : paced
            ? (p.passed()
                   ? QString("pass")
                   : QString("MISSED %1 of %2 windows").arg(p.missed_windows()).arg(p.windows()))
            : (p.passed() ? QString("done") : QString("incomplete"));
    // A rehearsal's phases were shortened: their result is not a show result.
    if (rehearsal) result += " (rehearsal)";
    const QString missed = paced ? QString("%1 / %2").arg(p.missed_windows()).arg(p.windows())
                                 : QString("— / %1").arg(p.windows());
    h += "<td>" + missed + "</td><td>" + (p.windows() > 0 ? Mb(p.worst_mb_s()) : QString("—")) +
         "</td><td>" + Mb(p.mean_mb_s()) + "</td><td>" +
         (p.has_device_mean_mb_s() ? Mb(p.device_mean_mb_s()) : QString("not counted")) +
         "</td><td>" +
         // 0 from agents older than the cross-check (a phase that ran read something).
         (p.fio_bytes() > 0 ? Gb(static_cast<double>(p.fio_bytes())) : QString("—")) + "</td><td>" +
         (p.has_device_bytes() ? Gb(static_cast<double>(p.device_bytes())) : QString("—")) +
         "</td><td>" + result + "</td></tr>";
  }
  return h + "</table>";
}

// Per paced stream with a frame rate: its frame interval against fio's
// completion latency; "dropped-frame risk" when p99 is above one frame.
QString StreamTable(const qdt::v1::Verdict& v) {
  QString rows;
  for (const auto& p : v.phases()) {
    for (const auto& s : p.streams()) {
      rows += "<tr><td>" + Escape(QString::fromStdString(p.name())) + "</td><td>" +
              Escape(QString::fromStdString(s.name())) + "</td><td>" + Ms(s.frame_interval_ms()) +
              "</td><td>" + Ms(s.clat_p50_ms()) + "</td><td>" + Ms(s.clat_p99_ms()) + "</td><td>" +
              (s.dropped_frame_risk() ? QString("<span class=\"risk\">dropped-frame risk</span>")
                                      : QString("on time")) +
              "</td></tr>";
    }
  }
  if (rows.isEmpty()) return {};
  return "<h3>Paced streams</h3><table width=\"100%\"><tr><th width=\"13%\">Phase</th>"
         "<th width=\"27%\">Stream</th><th width=\"12%\">Frame interval ms</th>"
         "<th width=\"12%\">Latency p50 ms</th><th width=\"12%\">Latency p99 ms</th>"
         "<th>Frames</th></tr>" +
         rows + "</table>";
}

// Distinct values in the order first seen, joined.
QString Distinct(const QStringList& values, const QString& none) {
  QStringList out;
  for (const QString& v : values) {
    if (!v.isEmpty() && !out.contains(v)) out << v;
  }
  return out.isEmpty() ? none : out.join(", ");
}

QString Title(const ReportInfo& info) {
  if (!info.title.isEmpty()) return info.title;
  return info.show.isEmpty() ? QString("QDT rig report") : "QDT rig report — " + info.show;
}

// The chart size for the paper: the page's printable width.
QSize ChartSize(ReportPaper paper) {
  const int w = static_cast<int>(ContentSize(paper).width());
  return {w, static_cast<int>(w * 0.45)};
}

// The style sheet. The PDF's QTextDocument gets no body margins (the page's
// margins are drawn by WritePdf; QTextDocument would add a body's margin and
// padding to them and push the content off the page); a browser gets a
// centred column on a screen and the paper's own margins in print.
QString Css(ReportPaper paper, bool browser) {
  QString css =
      "body{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:9pt;color:#111}"
      "h1{font-size:16pt;margin:0 0 6px 0} h2{font-size:14pt;margin:0 0 6px 0}"
      "h3{font-size:10pt;margin:10px 0 4px 0}"
      "table{border-collapse:collapse}"
      "td,th{border:1px solid #888;padding:3px 5px;vertical-align:top;text-align:left}"
      "th{background:#eeeeee;font-weight:bold;font-size:8pt}"
      "td.fail{background:#c81e1e;color:#fff;font-weight:bold}"
      "td.excellent{background:#1e8c3c;color:#fff;font-weight:bold}"
      "td.acceptable{background:#f0aa00;color:#000;font-weight:bold}"
      "td.norating{background:#6e6e6e;color:#fff;font-weight:bold}"
      "td.rehearsal{background:#3c508c;color:#fff;font-weight:bold}"
      "p.rehearsal{color:#3c508c} p.excellent{color:#1e8c3c} p.acceptable{color:#a05a00}"
      "p.fail{color:#c81e1e} p.norating{color:#555} p.verdict{font-size:11pt}"
      ".flags{color:#6b4200} .risk{color:#c81e1e;font-weight:bold}"
      ".small{color:#555;font-size:7pt} p.meta{margin:2px 0}";
  if (!browser) return css;
  return css + QString(
                   "@page{size:%1;margin:%2mm}"
                   "body{max-width:1100px;margin:16px auto;padding:0 16px}"
                   "table{width:100%}"
                   // On a screen up to a third wider than printed: the fonts stay
                   // near the text's size and the image has the pixels.
                   "img.chart{width:100%;max-width:%3px;height:auto;display:block;"
                   "margin:8px auto 0 auto}"
                   "@media print{body{max-width:none;margin:0;padding:0}}")
                   .arg(paper == ReportPaper::kLetter ? "letter" : "A4")
                   .arg(kMarginMm, 0, 'f', 0)
                   .arg(ChartSize(paper).width() * 4 / 3);
}

// The header: who, where, when (with the time zone), what ran and at which scale.
QString Header(const ReportInfo& info, const QVector<RunData>& runs, const QDateTime& written) {
  QString h = "<h1>" + Escape(Title(info)) + "</h1>";
  QStringList who;
  if (!info.show.isEmpty()) who << "<b>Show:</b> " + Escape(info.show);
  if (!info.venue.isEmpty()) who << "<b>Venue:</b> " + Escape(info.venue);
  if (!info.operator_name.isEmpty()) who << "<b>Operator:</b> " + Escape(info.operator_name);
  if (!who.isEmpty()) h += "<p class=\"meta\">" + who.join(" &nbsp;·&nbsp; ") + "</p>";
  const QTimeZone zone = written.timeZone();
  h += "<p class=\"meta\"><b>Written:</b> " + TimeText(written) +
       " &nbsp;·&nbsp; <b>Time zone:</b> " + Escape(QString::fromUtf8(zone.id())) +
       " (every time in this report is local, with its offset from UTC)</p>";
  double first_start = 0;
  QStringList profiles, scales;
  int unfinished = 0;
  for (const RunData& d : runs) {
    if (!d.info) continue;
    if (d.info->started_s > 0 && (first_start == 0 || d.info->started_s < first_start)) {
      first_start = d.info->started_s;
    }
    profiles << d.info->profile;
    if (d.info->verdict) {
      scales << ScaleText(d.info->verdict->time_scale());
    } else {
      ++unfinished;
    }
  }
  if (first_start > 0) {
    h += "<p class=\"meta\"><b>Rig test started:</b> " + TimeText(first_start, zone) + "</p>";
  }
  QString scale = Distinct(scales, "not known yet (no run has finished)");
  if (unfinished > 0 && !scales.isEmpty()) {
    scale += QString("; %1 run(s) not finished").arg(unfinished);
  }
  h += "<p class=\"meta\"><b>Profile:</b> " + Escape(Distinct(profiles, "not recorded")) +
       " &nbsp;·&nbsp; <b>Time scale:</b> " + Escape(scale) + "</p>";
  h += QString(
           "<p class=\"meta\">Targets: normal playback %1 MB/s, crossfade %2 MB/s "
           "(MB = 10^6 bytes).</p>")
           .arg(kNormalTargetMBps, 0, 'f', 0)
           .arg(kCrossfadeTargetMBps, 0, 'f', 0);
  return h;
}

// The ratings counted apart and one row per drive.
QString RigTable(const QVector<RunData>& runs) {
  int counts[5] = {0, 0, 0, 0, 0};  // by RatingKind
  QString rows;
  for (const RunData& d : runs) {
    QString rating = "<td>—</td>", why, sustained = "—", flags;
    if (d.info && d.info->verdict) {
      const auto& v = *d.info->verdict;
      // The rating word in its own colour, then why: an ACCEPTABLE drive is
      // not a FAIL, and NO RATING is neither.
      const RatingView view = ViewOf(v);
      ++counts[static_cast<int>(view.kind)];
      rating = QString("<td class=\"%1\">%2</td>").arg(RatingCssClass(view.kind), view.word);
      why = Escape(view.reason);
      // Without a rating the figure proves nothing (it may be the page cache's).
      if (HasRating(v)) sustained = Mb(v.sustained_mb_s());
      // The flags on a full-width line under the drive's row, not squeezed into a cell.
      for (const QString& f : AllFlags(v)) {
        flags += QString(flags.isEmpty() ? "" : "<br>") + "⚠ " + Escape(f);
      }
    } else {
      why = d.info ? Escape(d.info->state.isEmpty() ? QString("no verdict yet")
                                                    : d.info->state + ": no verdict yet")
                   : QString("not in the console store");
    }
    QString mac = Escape(d.name);
    if (d.name != d.run.agent)
      mac += "<br><span class=\"small\">" + Escape(d.run.agent) + "</span>";
    QString drive = d.info ? Escape(d.info->model) : QString();
    QStringList drive_facts;
    if (d.info && !d.info->serial.isEmpty()) drive_facts << "serial " + Escape(d.info->serial);
    if (d.info && !d.info->volume.isEmpty()) drive_facts << Escape(d.info->volume);
    if (!drive_facts.isEmpty()) {
      drive += (drive.isEmpty() ? "" : "<br>") + QString("<span class=\"small\">") +
               drive_facts.join(", ") + "</span>";
    }
    rows += "<tr><td>" + mac + "</td><td>" + drive + "</td><td>" + sustained + "</td>" + rating +
            "<td>" + why + "</td></tr>";
    if (!flags.isEmpty()) rows += "<tr><td colspan=\"5\" class=\"flags\">" + flags + "</td></tr>";
  }
  QString h = QString(
                  "<p><b>Of %1 drives: %2 EXCELLENT, %3 ACCEPTABLE (below the %4 MB/s crossfade), "
                  "%5 FAIL (below %6 MB/s normal playback)")
                  .arg(runs.size())
                  .arg(counts[static_cast<int>(RatingKind::kExcellent)])
                  .arg(counts[static_cast<int>(RatingKind::kAcceptable)])
                  .arg(kCrossfadeTargetMBps, 0, 'f', 0)
                  .arg(counts[static_cast<int>(RatingKind::kFail)])
                  .arg(kNormalTargetMBps, 0, 'f', 0);
  if (const int unrated = counts[static_cast<int>(RatingKind::kNoRating)]; unrated > 0) {
    h += QString(", %1 NO RATING (why: in the table and under each drive)").arg(unrated);
  }
  if (const int rehearsals = counts[static_cast<int>(RatingKind::kRehearsal)]; rehearsals > 0) {
    h += QString(", %1 REHEARSAL (shortened phases: not rated for the show)").arg(rehearsals);
  }
  h += ".</b></p>";
  // Short header words: no column is ever narrower than its longest word.
  h += "<table width=\"100%\"><tr><th width=\"20%\">Mac</th><th width=\"22%\">Drive</th>"
       "<th width=\"13%\">Sustained MB/s</th><th width=\"15%\">Rating</th><th>Why</th></tr>" +
       rows + "</table>";
  return h;
}

// The chart's shaded phase bands in words (its legend leaves them out):
// "Shaded, left to right: normal 0–20 s, crossfade 20–40 s. "
QString PhaseBands(const RunData& d) {
  if (d.phases.isEmpty() || d.series.t0 < 0) return {};
  QStringList bands;
  for (int i = 0; i < d.phases.size(); ++i) {
    const double from = std::max(0.0, d.phases[i].start_wall_s - d.series.t0);
    const double to = i + 1 < d.phases.size() ? d.phases[i + 1].start_wall_s - d.series.t0
                                              : from + d.phases[i].duration_s;
    bands << QString("%1 %2–%3 s")
                 .arg(Escape(d.phases[i].name))
                 .arg(from, 0, 'f', 0)
                 .arg(std::max(from, to), 0, 'f', 0);
  }
  return "Shaded, left to right: " + bands.join(", ") + ". ";
}

// The chart's stall bands in words: "Hatched amber: fio silent 12–18 s,
// 40–44.5 s (no rate was measured there; ...). "
QString StallBands(const RunData& d) {
  if (d.series.stalls.isEmpty()) return {};
  QStringList spans;
  for (const auto& [from, to] : d.series.stalls) {
    // Whole seconds as such, else to a tenth: "4–8.5 s".
    auto sec = [](double v) {
      const QString t = QString::number(v, 'f', 1);
      return t.endsWith(".0") ? t.chopped(2) : t;
    };
    spans << sec(from) + "–" + sec(to) + " s";
  }
  return "Hatched amber: fio silent " + spans.join(", ") +
         " (no rate was measured there; the report that ended each silence covers it at that "
         "report's mean, drawn as the line). ";
}

// One drive's page: its facts, verdict, flags, phases, streams and chart.
QString DrivePage(const RunData& d, QSize shown, const QTimeZone& zone, int index,
                  const ImageRefs& refs) {
  const std::optional<qdt::v1::Verdict> verdict =
      d.info ? d.info->verdict : std::optional<qdt::v1::Verdict>();
  QString heading = Escape(d.name);
  if (verdict) heading += " — " + ViewOf(*verdict).word;
  QString h = "<h2 style=\"page-break-before:always\">" + heading + "</h2>";
  QStringList facts;
  facts << "<b>Mac:</b> " + Escape(d.name) +
               (d.name != d.run.agent ? " (" + Escape(d.run.agent) + ")" : QString());
  if (d.info) {
    QString drive = d.info->model.isEmpty() ? QString("model not reported") : d.info->model;
    if (!d.info->serial.isEmpty()) drive += ", serial " + d.info->serial;
    facts << "<b>Drive:</b> " + Escape(drive) +
                 (d.info->volume.isEmpty() ? QString() : ", volume " + Escape(d.info->volume));
    QString run = "<b>Run:</b> " + Escape(d.run.run_id);
    if (!d.info->state.isEmpty()) run += ", " + Escape(d.info->state);
    if (d.info->started_s > 0) run += ", started " + TimeText(d.info->started_s, zone);
    facts << run;
    facts << "<b>Profile:</b> " +
                 Escape(d.info->profile.isEmpty() ? QString("not recorded") : d.info->profile) +
                 " &nbsp;·&nbsp; <b>Time scale:</b> " +
                 Escape(verdict ? ScaleText(verdict->time_scale()) : QString("not known yet"));
  } else {
    facts << "<b>Run:</b> " + Escape(d.run.run_id) + " (not in the console store)";
  }
  h += "<p class=\"meta\">" + facts.join("<br>") + "</p>";
  if (verdict) {
    const char* cls = RatingCssClass(ViewOf(*verdict).kind);
    h += QString("<p class=\"verdict %1\"><b>%2</b></p>").arg(cls, Escape(Headline(*verdict)));
    for (const QString& f : AllFlags(*verdict)) h += "<p class=\"flags\">⚠ " + Escape(f) + "</p>";
    h += PhaseTable(*verdict) + StreamTable(*verdict);
  } else {
    h += "<p class=\"norating\"><b>No verdict yet</b> (the run has not finished).</p>";
  }
  h += refs.Tag(RunChart(index), shown, d.name + ": read MB/s over the run");
  h += "<p class=\"small\">" + PhaseBands(d) + StallBands(d) +
       QString("%1 samples stored").arg(d.samples) +
       (d.stalled > 0 ? QString(", %1 of them fio silent (kept, marked stalled, never counted as "
                                "a rate)")
                            .arg(d.stalled)
                      : QString()) +
       " (the CSV / JSON export has every one).</p>";
  return h;
}

QString BuildHtml(const QVector<RunData>& runs, QSize shown, const ReportInfo& info,
                  const QDateTime& written, const ImageRefs& refs) {
  QString h = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + Escape(Title(info)) +
              "</title><style>" + Css(info.paper, refs.embed) + "</style></head><body>";
  h += Header(info, runs, written);
  h += RigTable(runs);
  h += "<h3>Rig</h3>" + refs.Tag(0, shown, "read MB/s of every Mac over the test");
  for (int i = 0; i < runs.size(); ++i) {
    h += DrivePage(runs[i], shown, written.timeZone(), i, refs);
  }
  return h + "</body></html>";
}

bool WritePdf(const QString& path, const QString& html, const ChartPainter& charts,
              PngEncoder* encoder, const ReportInfo& info, const QDateTime& written,
              QString* error) {
  QPdfWriter pdf(path);
  pdf.setPageSize(PageSizeOf(info.paper));
  // The margins are drawn here (the footer lives in the bottom one).
  pdf.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout::Millimeter);
  pdf.setResolution(kDpi);
  pdf.setTitle(Title(info));
  pdf.setCreator("qdt-console");
  ReportDocument doc(&charts, encoder);
  doc.documentLayout()->setPaintDevice(&pdf);
  doc.setDefaultFont(QFont("DejaVu Sans", 9));
  doc.setDocumentMargin(0);
  const QSizeF content = ContentSize(info.paper);
  doc.setPageSize(content);
  doc.setHtml(html);
  QPainter painter;
  if (!painter.begin(&pdf)) {
    *error = QString("cannot write \"%1\": the PDF could not be opened for writing").arg(path);
    return false;
  }
  const double margin = MmToPx(kMarginMm);
  const QSizeF page = PageSizeOf(info.paper).sizePixels(kDpi);
  const int pages = doc.pageCount();  // lays the document out
  doc.startPainting();
  QFont footer_font("DejaVu Sans", 7);
  const QString footer = Title(info) + " — written " + TimeText(written);
  for (int i = 0; i < pages; ++i) {
    if (i > 0) pdf.newPage();
    painter.save();
    painter.translate(margin, margin - i * content.height());
    // Clipped to this page's band only vertically: anything wider than the
    // page would show in the margin (the tests look there), not be hidden.
    const QRectF band(-margin, i * content.height(), page.width(), content.height());
    painter.setClipRect(band);
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.clip = band;
    doc.documentLayout()->draw(&painter, ctx);
    painter.restore();
    painter.setFont(footer_font);
    painter.setPen(QColor(90, 90, 90));
    const QRectF foot(margin, page.height() - margin + MmToPx(kFooterMm) / 2, content.width(),
                      MmToPx(kFooterMm));
    painter.drawText(foot, Qt::AlignLeft | Qt::AlignTop, footer);
    painter.drawText(foot, Qt::AlignRight | Qt::AlignTop,
                     QString("page %1 of %2").arg(i + 1).arg(pages));
  }
  if (!painter.end() || QFile(path).size() == 0) {
    *error = QString("cannot write \"%1\"").arg(path);
    return false;
  }
  return true;
}

bool WriteText(const QString& path, const QString& text, QString* error) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(text.toUtf8()) < 0 ||
      !f.flush()) {
    *error = QString("cannot write \"%1\": %2").arg(path, f.errorString());
    return false;
  }
  return true;
}

}  // namespace

bool ParseReportPaper(const QString& text, ReportPaper* paper) {
  const QString t = text.trimmed().toLower();
  if (t == "a4") {
    *paper = ReportPaper::kA4;
  } else if (t == "letter") {
    *paper = ReportPaper::kLetter;
  } else {
    return false;
  }
  return true;
}

QVector<ReportRun> LatestRigRuns(const SampleStore& store) {
  const QVector<StoredRun> all = store.runs();  // newest first
  double newest = 0;
  for (const StoredRun& r : all) newest = std::max(newest, r.started_s);
  // Per agent its newest run of the rig test.
  QMap<QString, StoredRun> latest;
  for (const StoredRun& r : all) {
    if (r.started_s < newest - kRigTestWindowS) continue;
    auto it = latest.find(r.agent);
    if (it == latest.end() || r.started_s > it->started_s) latest.insert(r.agent, r);
  }
  QVector<ReportRun> out;
  for (const auto& [address, token] : store.agents()) {
    auto it = latest.find(address);
    if (it == latest.end()) continue;
    out.push_back({address, QString(), it->run_id});
    latest.erase(it);
  }
  for (auto it = latest.begin(); it != latest.end(); ++it) {
    out.push_back({it.key(), QString(), it->run_id});  // QMap: by address
  }
  return out;
}

QString DefaultReportFileName(const ReportInfo& info, const QString& suffix) {
  const QDateTime when = info.written.isValid() ? info.written : QDateTime::currentDateTime();
  QString show = info.show.trimmed();
  show.replace(QRegularExpression("[/\\\\:*?\"<>|\\x00-\\x1f]"), "-");
  QString name = "QDT rig report ";
  if (!show.isEmpty()) name += show + " ";
  name += when.toString("yyyy-MM-dd");
  if (!suffix.isEmpty()) name += (suffix.startsWith('.') ? "" : ".") + suffix;
  return name;
}

QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const ReportInfo& info) {
  const QSize shown = ChartSize(info.paper);
  const QVector<RunData> data = LoadRuns(store, runs, shown.width());
  const QDateTime written = info.written.isValid() ? info.written : QDateTime::currentDateTime();
  const ChartPainter charts(data, shown);
  PngEncoder encoder(charts.count());
  ImageRefs refs;
  refs.png_base64 = EncodeRest(charts, &encoder);
  return BuildHtml(data, shown, info, written, refs);
}

QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const QString& title) {
  ReportInfo info;
  info.title = title;
  return BuildReportHtml(store, runs, info);
}

bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const ReportInfo& info,
                 const QString& html_path, const QString& pdf_path, QString* error) {
  const QSize shown = ChartSize(info.paper);
  const QVector<RunData> data = LoadRuns(store, runs, shown.width());
  if (NothingToReport(data, error)) return false;
  const QDateTime written = info.written.isValid() ? info.written : QDateTime::currentDateTime();
  const ChartPainter charts(data, shown);
  // The HTML's PNGs are encoded while the PDF is written, as it draws each chart.
  std::optional<PngEncoder> encoder;
  if (!html_path.isEmpty()) encoder.emplace(charts.count());
  if (!pdf_path.isEmpty()) {
    ImageRefs refs;
    refs.embed = false;
    const QString html = BuildHtml(data, shown, info, written, refs);
    if (!WritePdf(pdf_path, html, charts, encoder ? &*encoder : nullptr, info, written, error)) {
      return false;
    }
  }
  if (!html_path.isEmpty()) {
    ImageRefs refs;
    refs.png_base64 = EncodeRest(charts, &*encoder);
    if (!WriteText(html_path, BuildHtml(data, shown, info, written, refs), error)) return false;
  }
  return true;
}

bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                 const QString& html_path, const QString& pdf_path, QString* error) {
  ReportInfo info;
  info.title = title;
  return WriteReport(store, runs, info, html_path, pdf_path, error);
}

}  // namespace qdt::console
