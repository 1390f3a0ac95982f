// The one-file rig report: a verdict table (one row per drive, the crossfade
// FAIL flag spelled out, NO RATING with its reason, every flag of the verdict
// such as "not cross-checked" or "served from cache"), the rig chart, and per
// drive its verdict and flags, a phase table of fio's mean beside the drive's
// own counter, and its chart (both rates), as a single HTML file with the
// charts embedded (PNG, base64) and as a PDF of the same document. Everything
// the agent wrote is escaped. CSV / JSON of every sample come from
// SampleStore::export*.
//
// Thread-safety: GUI thread only (charts are rendered with widgets).
#ifndef QDT_CONSOLE_APP_REPORT_H_
#define QDT_CONSOLE_APP_REPORT_H_

#include <QString>
#include <QVector>
#include <utility>

#include "console/app/sample_store.h"

namespace qdt::console {

struct ReportRun {
  QString agent, host, run_id;
};

// The report's HTML with every chart embedded.
QString BuildReportHtml(const SampleStore& store, const QVector<ReportRun>& runs,
                        const QString& title);
// Writes `html_path` and/or `pdf_path` (either may be empty); the error names the path.
bool WriteReport(const SampleStore& store, const QVector<ReportRun>& runs, const QString& title,
                 const QString& html_path, const QString& pdf_path, QString* error);

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_REPORT_H_
