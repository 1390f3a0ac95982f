#include "console/app/report_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace qdt::console {
namespace {

constexpr char kShowKey[] = "report.show";
constexpr char kVenueKey[] = "report.venue";
constexpr char kOperatorKey[] = "report.operator";
constexpr char kPaperKey[] = "report.paper";
constexpr char kFolderKey[] = "report.folder";

}  // namespace

ReportDialog::ReportDialog(SampleStore* store, QVector<ReportRun> runs, QWidget* parent)
    : QDialog(parent), store_(store), runs_(std::move(runs)) {
  setWindowTitle("Rig report");
  auto* form = new QFormLayout;
  show_ = new QLineEdit(store_->setting(kShowKey));
  show_->setPlaceholderText("e.g. Hamlet (left out of the report when empty)");
  venue_ = new QLineEdit(store_->setting(kVenueKey));
  venue_->setPlaceholderText("e.g. Lyric Theatre");
  operator_ = new QLineEdit(store_->setting(kOperatorKey));
  operator_->setPlaceholderText("who ran the test");
  paper_ = new QComboBox;
  paper_->addItems({"A4", "Letter"});
  ReportPaper paper = ReportPaper::kA4;
  if (ParseReportPaper(store_->setting(kPaperKey), &paper)) {
    paper_->setCurrentIndex(paper == ReportPaper::kLetter ? 1 : 0);
  }
  path_ = new QLineEdit;
  auto* choose = new QPushButton("Choose…");
  auto* where = new QHBoxLayout;
  where->addWidget(path_, 1);
  where->addWidget(choose);
  html_ = new QCheckBox("Also an HTML copy beside it (for a browser)");
  html_->setChecked(true);
  form->addRow("Show", show_);
  form->addRow("Venue", venue_);
  form->addRow("Operator", operator_);
  form->addRow("Paper", paper_);
  form->addRow("Save as (PDF)", where);
  form->addRow("", html_);
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #c81e1e");
  error_->hide();
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(QString("The report of %1 drive(s).").arg(runs_.size())));
  layout->addLayout(form);
  layout->addWidget(error_);
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &ReportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(choose, &QPushButton::clicked, this, &ReportDialog::browse);
  connect(show_, &QLineEdit::textChanged, this, &ReportDialog::updateDefaultName);
  connect(path_, &QLineEdit::textEdited, this, [this] { path_edited_ = true; });
  updateDefaultName();
  resize(560, sizeHint().height());
}

void ReportDialog::updateDefaultName() {
  if (path_edited_) return;
  QString folder = store_->setting(kFolderKey);
  if (folder.isEmpty() || !QFileInfo(folder).isDir()) {
    folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
  }
  path_->setText(QDir(folder).filePath(DefaultReportFileName(info(), "pdf")));
}

void ReportDialog::browse() {
  const QString chosen =
      QFileDialog::getSaveFileName(this, "Save the rig report", path_->text(), "PDF (*.pdf)");
  if (chosen.isEmpty()) return;
  path_->setText(chosen);
  path_edited_ = true;
}

ReportInfo ReportDialog::info() const {
  ReportInfo info;
  info.show = show_->text().trimmed();
  info.venue = venue_->text().trimmed();
  info.operator_name = operator_->text().trimmed();
  info.paper = paper_->currentIndex() == 1 ? ReportPaper::kLetter : ReportPaper::kA4;
  return info;
}

QString ReportDialog::HtmlPathFor(const QString& pdf_path) {
  QString base = pdf_path;
  if (base.endsWith(".pdf", Qt::CaseInsensitive)) base.chop(4);
  return base + ".html";
}

void ReportDialog::accept() {
  const ReportInfo report = info();
  store_->setSetting(kShowKey, report.show);
  store_->setSetting(kVenueKey, report.venue);
  store_->setSetting(kOperatorKey, report.operator_name);
  store_->setSetting(kPaperKey, report.paper == ReportPaper::kLetter ? "letter" : "a4");
  QString pdf = path_->text().trimmed();
  QString error;
  if (pdf.isEmpty()) {
    error = "Save as: choose where the PDF goes";
  } else {
    if (!pdf.endsWith(".pdf", Qt::CaseInsensitive)) pdf += ".pdf";
    const QString html = html_->isChecked() ? HtmlPathFor(pdf) : QString();
    if (WriteReport(*store_, runs_, report, html, pdf, &error)) {
      store_->setSetting(kFolderKey, QFileInfo(pdf).absolutePath());
      written_ = html.isEmpty() ? pdf : pdf + " and " + html;
      error_->hide();
      QDialog::accept();
      return;
    }
  }
  error_->setText(error);
  error_->show();
}

bool RunReportDialog(QWidget* parent, SampleStore* store, const QVector<ReportRun>& runs,
                     QString* written) {
  if (runs.isEmpty()) {
    QMessageBox::warning(parent, "Rig report",
                         "Nothing to report: no Mac has a run yet. Start a test first; the report "
                         "covers each Mac's latest run.");
    return false;
  }
  ReportDialog dialog(store, runs, parent);
  if (dialog.exec() != QDialog::Accepted) return false;
  if (written != nullptr) *written = dialog.written();
  return true;
}

}  // namespace qdt::console
