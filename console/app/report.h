// The rig report a production manager can take away: one document, as a
// single HTML file (charts embedded as PNG data URLs, no scripts) and as a PDF
// (A4 or US Letter) of the same text.
//
// What it holds (docs/REPORT.md):
// - a header: the show, venue and operator (each omitted when empty), when it
//   was written and the time zone (every time is local with its UTC offset),
//   when the rig test started, the profile(s) and the time scale (a rehearsal,
//   time scale != 1, is marked "REHEARSAL ×0.1 — not a show rating" wherever
//   its rating appears), the targets;
// - the ratings counted apart, and a table with one row per drive: the Mac's
//   name (SampleStore::agentName, else the host, else the agent's address),
//   its drive, sustained MB/s, the rating word in its colour and why, and
//   every flag of the verdict on a full-width line under the row;
// - the rig chart (one line per Mac);
// - per drive, on its own page: the run's facts, the rating and the verdict's
//   sentence in the rating's colour, every flag (dropped-frame risk included),
//   the per-phase table (target, windows missed / judged, worst window, fio's
//   mean beside the drive's own counter, result), the paced streams' frame
//   interval and completion latency (p50 / p99, "dropped-frame risk"), and the
//   run's chart (drawn from a copy decimated to the page's pixel width; every
//   sample stays in the store: CSV / JSON through SampleStore::export*).
// Everything that came from an agent or a user (names, paths, flags, phase
// and stream names) is HTML-escaped.
//
// Thread-safety: GUI thread only (charts are rendered with Qt Charts, which
// needs a QApplication; the offscreen platform is enough).
#ifndef QDT_CONSOLE_APP_REPORT_H_
#define QDT_CONSOLE_APP_REPORT_H_

#include <QDateTime>
#include <QString>
#include <QVector>
#include <utility>

#include "console/app/charts.h"
#include "console/app/sample_store.h"

namespace qdt::console {

struct ReportRun {
  QString agent, host, run_id;  // host may be empty (a report from the store alone)
};

enum class ReportPaper { kA4, kLetter };

// What the designer types in once (remembered by the report dialog) and how
// the report is laid out. Empty text fields are left out of the report.
struct ReportInfo {
  QString show, venue, operator_name;
  ReportPaper paper = ReportPaper::kA4;
  // The document's title; empty = "QDT rig report" (" — <show>" when given).
  QString title;
  // When the report was written; invalid = now. Times are shown in this
  // value's time zone (the console's local zone unless a test sets another).
  QDateTime written;
};

// "a4" / "letter" (any case) for the command line; false for anything else.
bool ParseReportPaper(const QString& text, ReportPaper* paper);

// "the latest rig test": for each agent, its newest run whose start is within
// kRigTestWindowS (10 minutes) of the newest start of any run in the store.
// Fleet starts every Mac of a rig with one start time, so one rig test's runs
// start together; a Mac that was not part of it (its newest run is older)
// is left out rather than shown with an old result. Ordered as the agents
// were added to the store, then agents no longer in its list by address;
// host is left empty (the report names each Mac by SampleStore::agentName,
// else by its address). Empty when the store holds no run.
inline constexpr double kRigTestWindowS = 600;
QVector<ReportRun> LatestRigRuns(const SampleStore& store);

// "QDT rig report 2026-12-02.pdf", "QDT rig report Hamlet 2026-12-02.pdf":
// the date the report is written (info.written, else today) and the show
// when given, with the characters file systems refuse replaced by "-".
QString DefaultReportFileName(const ReportInfo& info, const QString& suffix);

// A run's samples as the report's chart draws them, decimated for a chart
// `width_px` wide (a minimum and a maximum per pixel column survive): in
// time order (the samples that end a stall come after it in seq but cover
// the time before), a stall as a span where fio was silent and never as a
// rate point.
RunSeries ReportSeries(const QVector<StoredSample>& samples, int width_px);

// The report's HTML with every chart embedded.
QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const ReportInfo& info);
QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const QString& title);

// Writes `html_path` and/or `pdf_path` (either may be empty; with both, the
// charts are rendered once). Fails without writing anything when there is
// nothing to report (no runs given, or none of them in the store): the error
// begins "nothing to report: " and says what was looked for. Any other error
// names the path.
bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const ReportInfo& info,
                 const QString& html_path, const QString& pdf_path, QString* error);
bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                 const QString& html_path, const QString& pdf_path, QString* error);

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_REPORT_H_
