#include "console/app/report.h"

#include <QBuffer>
#include <QDateTime>
#include <QFile>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>
#include <QtCharts/QChartView>

#include "common/units.h"
#include "common/verdict.h"
#include "console/app/charts.h"

namespace qdt::console {
namespace {

// Charts rendered for one report: the HTML file embeds them as data URLs;
// the PDF's QTextDocument gets them as resources under the same names.
struct Images {
  QVector<std::pair<QString, QImage>> list;
  bool embed = true;
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
  return QString("<img src=\"%1\" width=\"%2\" height=\"%3\">").arg(src).arg(w).arg(h);
}

QString Escape(const QString& s) { return s.toHtmlEscaped(); }

QString BuildHtml(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                  Images* images) {
  QString h;
  h += "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + Escape(title) +
       "</title><style>body{font-family:sans-serif} table{border-collapse:collapse}"
       "td,th{border:1px solid #888;padding:4px 8px} .fail{background:#c81e1e;color:#fff;"
       "font-weight:bold} .pass{background:#1e8c3c;color:#fff}</style></head><body>";
  h += "<h1>" + Escape(title) + "</h1>";
  h += "<p>Generated " + QDateTime::currentDateTime().toString(Qt::ISODate) +
       QString(". Targets: normal playback %1 MB/s, crossfade %2 MB/s (MB = 10^6 bytes).</p>")
           .arg(kNormalTargetMBps, 0, 'f', 0)
           .arg(kCrossfadeTargetMBps, 0, 'f', 0);
  int failed = 0;
  h += "<table><tr><th>Host</th><th>Drive</th><th>Serial</th><th>Volume</th><th>Run</th>"
       "<th>State</th><th>Sustained MB/s</th><th>Rating</th><th>Crossfade 2100 MB/s</th>"
       "<th>Summary</th></tr>";
  for (const ReportRun& r : runs) {
    auto info = store.run(r.agent, r.run_id);
    QString rating = "—", flag = "—", sustained = "—", summary;
    bool fails = true;
    if (info && info->verdict) {
      const auto& v = *info->verdict;
      rating = QString::fromStdString(RatingWord(v.rating()));
      fails = v.fails_crossfade_target();
      sustained = QString::number(v.sustained_mb_s(), 'f', 0);
      summary = QString::fromStdString(v.summary());
    }
    failed += fails ? 1 : 0;
    flag = fails ? "<td class=\"fail\">FAIL</td>" : "<td class=\"pass\">PASS</td>";
    h += "<tr><td>" + Escape(r.host.isEmpty() ? r.agent : r.host) + "</td><td>" +
         Escape(info ? info->model : QString()) + "</td><td>" +
         Escape(info ? info->serial : QString()) + "</td><td>" +
         Escape(info ? info->volume : QString()) + "</td><td>" + Escape(r.run_id) + "</td><td>" +
         Escape(info ? info->state : QString()) + "</td><td>" + sustained + "</td><td>" + rating +
         "</td>" + flag + "<td>" + Escape(summary) + "</td></tr>";
  }
  h += "</table>";
  h += QString("<p><b>%1 of %2 drives fail the %3 MB/s crossfade target.</b></p>")
           .arg(failed)
           .arg(runs.size())
           .arg(kCrossfadeTargetMBps, 0, 'f', 0);
  QVector<std::pair<QString, QString>> pairs;
  for (const ReportRun& r : runs) pairs.push_back({r.agent, r.run_id});
  h += "<h2>Rig</h2>" +
       ChartPng(BuildRigChart(store, pairs, "Rig: read MB/s of every drive"), images);
  for (const ReportRun& r : runs) {
    QString name = r.host.isEmpty() ? r.agent : r.host;
    // Each drive on its own page in the PDF.
    h += "<h2 style=\"page-break-before:always\">" + Escape(name) + "</h2>";
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
    Images images;
    images.embed = false;
    const QString html = BuildHtml(store, runs, title, &images);
    QTextDocument doc;
    for (const auto& [name, image] : images.list) {
      doc.addResource(QTextDocument::ImageResource, QUrl(name), image);
    }
    doc.setHtml(html);
    doc.setPageSize(pdf.pageLayout().paintRectPixels(pdf.resolution()).size());
    doc.print(&pdf);
    if (!QFile::exists(pdf_path) || QFile(pdf_path).size() == 0) {
      *error = QString("cannot write \"%1\"").arg(pdf_path);
      return false;
    }
  }
  return true;
}

}  // namespace qdt::console
