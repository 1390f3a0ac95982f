#include "console/app/report.h"

#include <QBuffer>
#include <QDateTime>
#include <QFile>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>
#include <QtCharts/QChartView>
#include <algorithm>

#include "common/units.h"
#include "common/verdict.h"
#include "console/app/charts.h"
#include "console/app/fleet_model.h"

namespace qdt::console {
namespace {

// Charts rendered for one report: the HTML file embeds them as data URLs;
// the PDF's QTextDocument gets them as resources under the same names.
struct Images {
  QVector<std::pair<QString, QImage>> list;
  bool embed = true;
  double max_width = 0;  // widest an image may be drawn (the PDF's page); 0 = as rendered
};

QString ChartPng(QChart* chart, Images* images, int w = 900, int h = 380) {
  QChartView view(chart);  // owns the chart
  view.setRenderHint(QPainter::Antialiasing);
  view.resize(w, h);
  QImage image = view.grab().toImage();
  QString name = QString("chart-%1.png").arg(images->list.size());
  images->list.push_back({name, image});
  QString src = name;
  if (images->embed) {
    QByteArray png;
    QBuffer buf(&png);
    buf.open(QIODevice::WriteOnly);
    image.save(&buf, "PNG");
    src = "data:image/png;base64," + QString::fromLatin1(png.toBase64());
  }
  // The PDF's page is narrower than the chart: drawn scaled to fit, not cut off.
  const double shown = images->max_width > 0 ? std::min(1.0, images->max_width / w) : 1.0;
  return QString("<img src=\"%1\" width=\"%2\" height=\"%3\">")
      .arg(src)
      .arg(static_cast<int>(w * shown))
      .arg(static_cast<int>(h * shown));
}

QString Escape(const QString& s) { return s.toHtmlEscaped(); }

QString Mb(double v) { return QString::number(v, 'f', 0); }
QString Gb(double bytes) { return QString::number(bytes / 1e9, 'f', 2); }

// The verdict's headline (NO RATING with its reason) and one line per flag.
QString VerdictBlock(const qdt::v1::Verdict& v) {
  const char* cls = RatingCssClass(ViewOf(v).kind);
  QString h = QString("<p class=\"%1\"><b>%2</b></p>").arg(cls, Escape(VerdictHeadline(v)));
  for (const QString& f : VerdictFlags(v)) h += "<p class=\"flags\">⚠ " + Escape(f) + "</p>";
  return h;
}

// Per phase: fio's mean beside what the drive's own counter delivered.
QString PhaseTable(const qdt::v1::Verdict& v) {
  if (v.phases().empty()) return {};
  QString h =
      "<table><tr><th>Phase</th><th>Target MB/s</th><th>fio mean MB/s</th>"
      "<th>Drive counter MB/s</th><th>fio GB</th><th>Drive GB</th><th>Result</th></tr>";
  for (const auto& p : v.phases()) {
    const QString target = p.target_mb_s() > 0 ? Mb(p.target_mb_s()) : "max";
    h += "<tr><td>" + Escape(QString::fromStdString(p.name())) + "</td><td>" + target + "</td>";
    if (!p.ran()) {
      h += "<td>—</td><td>—</td><td>—</td><td>—</td><td>not run</td></tr>";
      continue;
    }
    // A run without a rating rates none of its phases: fio's numbers were not proven.
    QString result =
        !HasRating(v) ? QString("not rated")
        : p.target_mb_s() > 0
            ? (p.passed()
                   ? QString("pass")
                   : QString("MISSED %1 of %2 windows").arg(p.missed_windows()).arg(p.windows()))
            : (p.passed() ? QString("done") : QString("incomplete"));
    // A rehearsal's phases were shortened: their result is not a show result.
    if (!RehearsalMark(v.time_scale()).empty()) result += " (rehearsal)";
    h += "<td>" + Mb(p.mean_mb_s()) + "</td><td>" +
         (p.has_device_mean_mb_s() ? Mb(p.device_mean_mb_s()) : QString("not counted")) +
         "</td><td>" +
         // 0 from agents older than the cross-check (a phase that ran read something).
         (p.fio_bytes() > 0 ? Gb(static_cast<double>(p.fio_bytes())) : QString("—")) + "</td><td>" +
         (p.has_device_bytes() ? Gb(static_cast<double>(p.device_bytes())) : QString("—")) +
         "</td><td>" + result + "</td></tr>";
  }
  return h + "</table>";
}

QString BuildHtml(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                  Images* images) {
  QString h;
  h += "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + Escape(title) +
       "</title><style>body{font-family:sans-serif} table{border-collapse:collapse}"
       "td,th{border:1px solid #888;padding:4px 8px} td.fail{background:#c81e1e;color:#fff;"
       "font-weight:bold} td.excellent{background:#1e8c3c;color:#fff;font-weight:bold}"
       " td.acceptable{background:#f0aa00;color:#000;font-weight:bold}"
       " td.norating{background:#6e6e6e;color:#fff;font-weight:bold}"
       " td.rehearsal{background:#3c508c;color:#fff;font-weight:bold} p.rehearsal{color:#3c508c}"
       " p.excellent{color:#1e8c3c}"
       " p.acceptable{color:#a05a00} p.fail{color:#c81e1e} p.norating{color:#555}"
       " .flags{color:#6b4200}</style></head><body>";
  h += "<h1>" + Escape(title) + "</h1>";
  h += "<p>Generated " + QDateTime::currentDateTime().toString(Qt::ISODate) +
       QString(". Targets: normal playback %1 MB/s, crossfade %2 MB/s (MB = 10^6 bytes).</p>")
           .arg(kNormalTargetMBps, 0, 'f', 0)
           .arg(kCrossfadeTargetMBps, 0, 'f', 0);
  int counts[5] = {0, 0, 0, 0, 0};  // by RatingKind
  h += "<table><tr><th>Host</th><th>Drive</th><th>Serial</th><th>Volume</th><th>Run</th>"
       "<th>State</th><th>Sustained MB/s</th><th>Rating</th><th>Why</th></tr>";
  for (const ReportRun& r : runs) {
    auto info = store.run(r.agent, r.run_id);
    QString rating = "<td>—</td>", why = "—", sustained = "—", flags;
    if (info && info->verdict) {
      const auto& v = *info->verdict;
      // The rating word in its own colour, then why: an ACCEPTABLE drive is
      // not a FAIL, and NO RATING is neither.
      const RatingView view = ViewOf(v);
      ++counts[static_cast<int>(view.kind)];
      rating = QString("<td class=\"%1\">%2</td>").arg(RatingCssClass(view.kind), view.word);
      why = Escape(view.reason);
      // Without a rating the figure proves nothing (it may be the page cache's).
      if (HasRating(v)) sustained = Mb(v.sustained_mb_s());
      // The flags on a full-width line under the drive's row, not squeezed into a cell.
      for (const QString& f : VerdictFlags(v)) {
        flags += QString(flags.isEmpty() ? "" : "<br>") + "⚠ " + Escape(f);
      }
    }
    h += "<tr><td>" + Escape(r.host.isEmpty() ? r.agent : r.host) + "</td><td>" +
         Escape(info ? info->model : QString()) + "</td><td>" +
         Escape(info ? info->serial : QString()) + "</td><td>" +
         Escape(info ? info->volume : QString()) + "</td><td>" + Escape(r.run_id) + "</td><td>" +
         Escape(info ? info->state : QString()) + "</td><td>" + sustained + "</td>" + rating +
         "<td>" + why + "</td></tr>";
    if (!flags.isEmpty()) h += "<tr><td colspan=\"9\" class=\"flags\">" + flags + "</td></tr>";
  }
  h += "</table>";
  h += QString(
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
  QVector<std::pair<QString, QString>> pairs;
  for (const ReportRun& r : runs) pairs.push_back({r.agent, r.run_id});
  h += "<h2>Rig</h2>" +
       ChartPng(BuildRigChart(store, pairs, "Rig: read MB/s of every drive"), images);
  for (const ReportRun& r : runs) {
    QString name = r.host.isEmpty() ? r.agent : r.host;
    // Each drive on its own page in the PDF.
    h += "<h2 style=\"page-break-before:always\">" + Escape(name) + "</h2>";
    if (auto info = store.run(r.agent, r.run_id); info && info->verdict) {
      h += VerdictBlock(*info->verdict) + PhaseTable(*info->verdict);
    }
    h += ChartPng(BuildRunChart(store, r.agent, r.run_id, name + " — " + r.run_id), images);
    h += QString("<p>%1 samples kept.</p>").arg(store.sampleCount(r.agent, r.run_id));
  }
  h += "</body></html>";
  return h;
}

}  // namespace

QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const QString& title) {
  Images images;
  return BuildHtml(store, runs, title, &images);
}

bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                 const QString& html_path, const QString& pdf_path, QString* error) {
  if (!html_path.isEmpty()) {
    const QString html = BuildReportHtml(store, runs, title);
    QFile f(html_path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(html.toUtf8()) < 0) {
      *error = QString("cannot write \"%1\": %2").arg(html_path, f.errorString());
      return false;
    }
  }
  if (!pdf_path.isEmpty()) {
    QPdfWriter pdf(pdf_path);
    pdf.setPageSize(QPageSize(QPageSize::A4));
    pdf.setResolution(96);
    pdf.setTitle(title);
    QTextDocument doc;
    const QSizeF page = pdf.pageLayout().paintRectPixels(pdf.resolution()).size();
    Images images;
    images.embed = false;
    // Less the document's margins and a table cell's worth of slack.
    images.max_width = page.width() - 2 * doc.documentMargin() - 16;
    const QString html = BuildHtml(store, runs, title, &images);
    for (const auto& [name, image] : images.list) {
      doc.addResource(QTextDocument::ImageResource, QUrl(name), image);
    }
    doc.setHtml(html);
    doc.setPageSize(page);
    doc.print(&pdf);
    if (!QFile::exists(pdf_path) || QFile(pdf_path).size() == 0) {
      *error = QString("cannot write \"%1\"").arg(pdf_path);
      return false;
    }
  }
  return true;
}

}  // namespace qdt::console
