// ReportDialog asks what the report needs from the designer before it is
// written: the show, venue and operator (remembered in the console store's
// settings "report.show", "report.venue", "report.operator", and the paper in
// "report.paper", so the next report starts from them), the paper (A4 or US
// Letter) and where to save. The PDF goes where the designer says; an HTML
// copy (for a browser, charts embedded) beside it unless unticked. The file
// name defaults to "QDT rig report <show> <date>.pdf" in the folder used last.
//
// accept() writes the report; when that fails the dialog stays open with the
// error shown in it (no message box), so a test fills the fields and calls
// accept() without exec(). RunReportDialog is what the main window calls.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_REPORT_DIALOG_H_
#define QDT_CONSOLE_APP_REPORT_DIALOG_H_

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QLabel>
#include <QLineEdit>
#include <QVector>

#include "console/app/report.h"
#include "console/app/sample_store.h"

namespace qdt::console {

class ReportDialog : public QDialog {
  Q_OBJECT

 public:
  ReportDialog(SampleStore* store, QVector<ReportRun> runs, QWidget* parent = nullptr);

  QLineEdit* showEdit() const { return show_; }
  QLineEdit* venueEdit() const { return venue_; }
  QLineEdit* operatorEdit() const { return operator_; }
  QComboBox* paperBox() const { return paper_; }  // items "A4", "Letter"
  QLineEdit* pathEdit() const { return path_; }   // the PDF's path
  QCheckBox* htmlBox() const { return html_; }    // also an HTML copy beside it
  QLabel* errorLabel() const { return error_; }

  ReportInfo info() const;
  // What was written, for the status line: "/x/QDT rig report.pdf and .html".
  QString written() const { return written_; }
  // The HTML copy's path for a PDF path ("a.pdf" -> "a.html").
  static QString HtmlPathFor(const QString& pdf_path);

 public slots:
  // Remembers the fields, writes the report; closes only when it is written.
  void accept() override;

 private:
  void browse();
  void updateDefaultName();

  SampleStore* store_;
  QVector<ReportRun> runs_;
  QLineEdit *show_, *venue_, *operator_, *path_;
  QComboBox* paper_;
  QCheckBox* html_;
  QLabel* error_;
  QString written_;
  bool path_edited_ = false;  // the designer chose a path: the show no longer renames it
};

// Asks, writes, and returns true when the report was written (`written` says
// where). With no runs it says "nothing to report" and asks nothing.
bool RunReportDialog(QWidget* parent, SampleStore* store, const QVector<ReportRun>& runs,
                     QString* written);

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_REPORT_DIALOG_H_
