#include "console/app/fleet_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QFont>
#include <QLinearGradient>
#include <algorithm>

#include "common/run_state.h"
#include "common/units.h"
#include "common/verdict.h"
#include "console/app/sample_store.h"

namespace qdt::console {
namespace {

double WallSeconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + t.nanos() / 1e9;
}

double NowWallSeconds() { return QDateTime::currentMSecsSinceEpoch() / 1000.0; }

QString StateWord(qdt::v1::RunState s) {
  switch (s) {
    case qdt::v1::RUN_STATE_PENDING:
      return "waiting to start";
    case qdt::v1::RUN_STATE_PREPARING:
      return "preparing";
    case qdt::v1::RUN_STATE_RUNNING:
      return "running";
    case qdt::v1::RUN_STATE_DONE:
      return "done";
    case qdt::v1::RUN_STATE_FAILED:
      return "failed";
    case qdt::v1::RUN_STATE_STOPPED:
      return "stopped";
    case qdt::v1::RUN_STATE_INTERRUPTED:
      return "interrupted";
    default:
      return "idle";
  }
}

// The volume whose mount point is the longest prefix of `dir`.
const qdt::v1::Volume* VolumeOf(const FleetRow& r, const QString& dir) {
  const qdt::v1::Volume* best = nullptr;
  for (const auto& v : r.volumes) {
    QString m = QString::fromStdString(v.mount_point());
    bool inside = dir == m || dir.startsWith(m.endsWith('/') ? m : m + "/");
    if (inside && (best == nullptr || m.size() > static_cast<int>(best->mount_point().size()))) {
      best = &v;
    }
  }
  return best;
}

// A testable default: the writable volume with the most free space.
QString DefaultTarget(const FleetRow& r) {
  const qdt::v1::Volume* best = nullptr;
  for (const auto& v : r.volumes) {
    if (v.read_only()) continue;
    if (best == nullptr || v.free_bytes() > best->free_bytes()) best = &v;
  }
  return best != nullptr ? QString::fromStdString(best->mount_point()) : QString();
}

}  // namespace

QString MinutesSeconds(double s) {
  const int left = std::max(0, static_cast<int>(s));
  return QString("%1:%2").arg(left / 60).arg(left % 60, 2, 10, QChar('0'));
}

bool IsWrongToken(const QString& e) {
  return e.contains("wrong token") || e.contains("authorization: Bearer");
}

QString LiveAgainstTarget(const FleetRow& r) {
  if (!r.online || std::isnan(r.live_mb_s) || !RunActive(r.run_state)) return {};
  if (r.live_target_mb_s <= 0) {
    return QString("%1 MB/s (no target)").arg(r.live_mb_s, 0, 'f', 0);
  }
  return QString("%1 / %2 MB/s").arg(r.live_mb_s, 0, 'f', 0).arg(r.live_target_mb_s, 0, 'f', 0);
}

double StallSeconds(double interval_s) {
  if (UsableSilence(interval_s)) return interval_s;
  qWarning("stalled sample: Sample.interval_s = %g is not in (0, %g] s: no silence shown",
           interval_s, kMaxStallS);
  return std::numeric_limits<double>::quiet_NaN();
}

QString StallText(const FleetRow& r) {
  if (!r.online || !r.stalled_s || !RunActive(r.run_state)) return {};
  if (std::isnan(*r.stalled_s)) return "fio silent";
  return QString("fio silent %1 s").arg(std::floor(*r.stalled_s), 0, 'f', 0);
}

QString StallWhy(const FleetRow& r) {
  if (StallText(r).isEmpty()) return {};
  const QString how_long = std::isnan(*r.stalled_s)
                               ? QString("for an unknown time")
                               : QString("for %1 s").arg(*r.stalled_s, 0, 'f', 1);
  return QString(
             "a stall: fio has reported nothing %1 while the phase runs, so no rate is measured "
             "(not 0 MB/s). The report that ends it covers this time at its mean rate, and the "
             "verdict judges those windows.")
      .arg(how_long);
}

QBrush StallBrush(double stripe_px) {
  // Diagonal stripes: a gradient repeated every two stripes, hard-edged.
  const double w = std::max(2.0, stripe_px);
  QLinearGradient g(0, 0, w * 2, w * 2);
  g.setSpread(QGradient::RepeatSpread);
  g.setColorAt(0, QColor(kStallRgb));
  g.setColorAt(0.5, QColor(kStallRgb));
  g.setColorAt(0.5001, QColor(kStallStripeRgb));
  g.setColorAt(1, QColor(kStallStripeRgb));
  return QBrush(g);
}

std::optional<bool> LiveHoldsTarget(const FleetRow& r) {
  if (!r.online || std::isnan(r.live_mb_s) || !RunActive(r.run_state) || r.live_target_mb_s <= 0) {
    return std::nullopt;
  }
  return r.live_mb_s >= kWindowPassFraction * r.live_target_mb_s;  // the verdict's window rule
}

QString OfflineReason(const FleetRow& r) {
  const QString& e = r.error;
  QString what;
  if (IsWrongToken(e)) {
    what = QString("wrong rig token for the agent at %1").arg(r.key);
  } else if (e.contains("Connection refused")) {
    what = QString("agent not running at %1").arg(r.key);
  } else if (e.contains("DNS resolution failed") || e.contains("Name or service not known") ||
             e.contains("nodename nor servname")) {
    what = QString("cannot find %1 on the network (name not known)").arg(r.key);
  } else if (e.contains("Deadline Exceeded") || e.contains("Deadline exceeded") ||
             e.contains("timed out") || e.contains("No route to host") ||
             e.contains("Network is unreachable")) {
    what = QString("no answer from %1 (network, firewall or the Mac is off)").arg(r.key);
  } else {
    what = e.isEmpty() ? QString("not reached yet") : e;  // gRPC's words, with the TLS hint
  }
  if (r.last_seen_s > 0) {
    what +=
        " — last seen " + QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(r.last_seen_s * 1000))
                              .toString("HH:mm:ss");
  }
  return what;
}

StartPlan PlanStart(const QVector<FleetRow>& rows) {
  StartPlan plan;
  for (const FleetRow& r : rows) {
    if (r.online && !RunActive(r.run_state) && !r.target_problem.isEmpty()) {
      plan.missing.push_back({DisplayName(r), "target refused: " + ShortReason(r.target_problem)});
    } else if (r.online && !RunActive(r.run_state)) {
      plan.ready << r.key;
    } else if (r.online) {
      plan.missing.push_back({DisplayName(r), "busy: a run is going"});
    } else if (IsWrongToken(r.error)) {
      plan.missing.push_back({DisplayName(r), "wrong token"});
    } else {
      plan.missing.push_back({DisplayName(r), "offline"});
    }
  }
  return plan;
}

QString StartOutcomeText(int asked, int started,
                         const QVector<std::pair<QString, QString>>& not_started) {
  QString s = QString("%1 of %2 started").arg(started).arg(asked);
  QStringList who;
  for (const auto& [name, why] : not_started) who << QString("%1 %2").arg(name, why);
  if (!who.isEmpty()) s += "; " + who.join(", ");
  return s;
}

QString ShortReason(const QString& message) {
  QString first = message.section(':', 0, 0).trimmed();
  if (first.isEmpty()) first = message.trimmed();
  return first.size() > 60 ? first.left(59) + "…" : first;
}

bool IsInternalVolume(const qdt::v1::Volume& v) {
  return v.mount_point() == "/" || v.mount_point() == "/System/Volumes/Data" ||
         v.protocol() == "Apple Fabric";
}

QString VolumeChoiceText(const qdt::v1::Volume& v) {
  const QString mount = QString::fromStdString(v.mount_point());
  const QString name = mount.section('/', -1);
  QString text = name.isEmpty() ? mount : QString("%1 (%2)").arg(name, mount);
  text += QString(" — %1 GB free of %2 GB")
              .arg(v.free_bytes() / 1e9, 0, 'f', 1)
              .arg(v.total_bytes() / 1e9, 0, 'f', 0);
  QString drive = QString::fromStdString(v.model());
  if (!v.protocol().empty()) {
    drive += QString(drive.isEmpty() ? "%1" : " (%1)").arg(QString::fromStdString(v.protocol()));
  }
  if (IsInternalVolume(v)) drive = drive.isEmpty() ? "internal drive" : "internal drive: " + drive;
  if (!drive.isEmpty()) text += " — " + drive;
  return text;
}

QString PhaseTableHtml(const qdt::v1::Verdict& v, bool dark) {
  if (v.phases().empty()) return {};
  const char* risk = dark ? "#ffbf3f" : "#a05a00";
  QString h =
      "<table cellspacing=\"0\" cellpadding=\"3\" style=\"font-size:11pt\"><tr><th "
      "align=\"left\">Phase</th><th align=\"right\">Target</th><th align=\"right\">fio "
      "mean</th><th align=\"right\">Drive</th><th align=\"right\">Low windows</th><th "
      "align=\"left\">Streams (p99 vs frame)</th></tr>";
  auto mb = [](double x) { return QString::number(x, 'f', 0); };
  for (const auto& p : v.phases()) {
    h += "<tr><td>" + QString::fromStdString(p.name()).toHtmlEscaped() +
         "</td><td align=\"right\">" +
         (p.target_mb_s() > 0 ? mb(p.target_mb_s()) : QString("max")) + "</td>";
    if (!p.ran()) {
      h += "<td colspan=\"4\">not run</td></tr>";
      continue;
    }
    h += "<td align=\"right\">" + mb(p.mean_mb_s()) + "</td><td align=\"right\">" +
         (p.has_device_mean_mb_s() ? mb(p.device_mean_mb_s()) : QString("n/a")) +
         "</td><td align=\"right\">" +
         (p.target_mb_s() > 0 ? QString("%1/%2").arg(p.missed_windows()).arg(p.windows())
                              : QString("—")) +
         "</td><td>";
    QStringList streams;
    for (const auto& s : p.streams()) {
      QString line = QString("%1 %2/%3 ms")
                         .arg(QString::fromStdString(s.name()).toHtmlEscaped())
                         .arg(s.clat_p99_ms(), 0, 'f', 1)
                         .arg(s.frame_interval_ms(), 0, 'f', 1);
      if (s.dropped_frame_risk()) {
        line = QString("<b style=\"color:%1\">%2 — dropped-frame risk</b>").arg(risk, line);
      }
      streams << line;
    }
    h += (streams.isEmpty() ? QString("—") : streams.join("<br>")) + "</td></tr>";
  }
  return h + "</table>";
}

QString DurationWords(double seconds) {
  if (!(seconds >= 0)) return "?";
  if (seconds < 59.5) return QString("%1 s").arg(std::lround(seconds));
  const long minutes = std::lround(seconds / 60);
  if (minutes < 60) return QString("%1 min").arg(minutes);
  return minutes % 60 == 0 ? QString("%1 h").arg(minutes / 60)
                           : QString("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

QString DisplayName(const FleetRow& r) {
  if (!r.name.isEmpty()) return r.name;
  return r.host.isEmpty() ? r.key : r.host;
}

bool ValidMacName(const QString& name, QString* error) {
  const QString n = name.trimmed();
  if (n.isEmpty() || n.size() > 64) {
    *error = QString("Mac name \"%1\": must be 1 to 64 characters").arg(n.left(80));
    return false;
  }
  for (const QChar c : n) {
    if (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format) {
      *error = QString("Mac name \"%1\": contains a control character (U+%2)")
                   .arg(n.left(80))
                   .arg(c.unicode(), 4, 16, QChar('0'));
      return false;
    }
  }
  return true;
}

QString VerdictHeadline(const qdt::v1::Verdict& v) {
  const QString mark = QString::fromStdString(RehearsalMark(v.time_scale()));
  if (!mark.isEmpty()) {
    qdt::v1::Verdict real = v;
    real.set_time_scale(1);
    return mark + " (not a show rating): " + VerdictHeadline(real);
  }
  const QString summary = QString::fromStdString(v.summary());
  if (HasRating(v)) {
    return summary.isEmpty() ? QString::fromStdString(RatingWord(v.rating())) : summary;
  }
  const QString reason = QString::fromStdString(v.no_rating_reason());
  const QString word = QString::fromStdString(RatingWord(v.rating()));  // "NO RATING"
  // The agent's summary already reads "NO RATING: <reason>[; more]": keep it whole.
  if (summary.startsWith(word) && (reason.isEmpty() || summary.contains(reason))) return summary;
  if (!reason.isEmpty()) return word + ": " + reason;
  if (!summary.isEmpty()) return word + ": " + summary;
  return word + ": no reason recorded (a verdict from an older agent)";
}

QStringList VerdictFlags(const qdt::v1::Verdict& v) {
  QStringList out;
  const QString reason = QString::fromStdString(v.no_rating_reason());
  for (const std::string& f : v.flags()) {
    QString flag = QString::fromStdString(f);
    if (!HasRating(v) && !reason.isEmpty() && flag == reason) continue;  // the headline says it
    out << flag;
  }
  return out;
}

namespace {

// "crossfade 9/10 low": the phase's missed windows of its judged ones.
QString Missed(const qdt::v1::PhaseVerdict& p) {
  return QString("%1 %2/%3 low")
      .arg(QString::fromStdString(p.name()))
      .arg(p.missed_windows())
      .arg(p.windows());
}

}  // namespace

RatingView ViewOf(const qdt::v1::Verdict& v) {
  const QString mark = QString::fromStdString(RehearsalMark(v.time_scale()));
  if (!mark.isEmpty()) {
    qdt::v1::Verdict real = v;
    real.set_time_scale(1);
    const RatingView as_real = ViewOf(real);
    RatingView view;
    view.kind = RatingKind::kRehearsal;
    view.word = mark;
    view.reason = "not a show rating (" + as_real.word +
                  (as_real.reason.isEmpty() ? QString() : ": " + as_real.reason) + ")";
    return view;
  }
  RatingView view;
  view.word = QString::fromStdString(RatingWord(v.rating()));
  const double crossfade =
      v.crossfade_target_mb_s() > 0 ? v.crossfade_target_mb_s() : kCrossfadeTargetMBps;
  const double normal = v.normal_target_mb_s() > 0 ? v.normal_target_mb_s() : kNormalTargetMBps;
  // A phase paced above normal playback is a crossfade-level one (the agent's
  // own split of the windows, common/verdict.cc); the Setup Check's crossfade
  // peaks at 2099.2 MB/s, just under the 2100 target.
  auto above_normal = [&](const qdt::v1::PhaseVerdict& p) {
    return p.target_mb_s() > normal * (1 + 1e-9);
  };
  switch (v.rating()) {
    case qdt::v1::RATING_EXCELLENT:
      view.kind = RatingKind::kExcellent;
      view.reason = QString("%1 MB/s sustained").arg(v.sustained_mb_s(), 0, 'f', 0);
      return view;
    case qdt::v1::RATING_ACCEPTABLE:
      view.kind = RatingKind::kAcceptable;
      // The first crossfade-level phase that missed windows, else the sustained figure.
      for (const auto& p : v.phases()) {
        if (p.ran() && above_normal(p) && p.missed_windows() > 0) {
          view.reason = Missed(p);
          return view;
        }
      }
      view.reason = QString("sustained %1 < %2 MB/s crossfade")
                        .arg(v.sustained_mb_s(), 0, 'f', 0)
                        .arg(crossfade, 0, 'f', 0);
      return view;
    case qdt::v1::RATING_FAIL:
      view.kind = RatingKind::kFail;
      for (const auto& p : v.phases()) {
        if (p.ran() && p.target_mb_s() > 0 && !above_normal(p) && p.missed_windows() > 0) {
          view.reason = "normal playback missed (" + Missed(p) + ")";
          return view;
        }
      }
      view.reason = QString("sustained %1 < %2 MB/s normal playback")
                        .arg(v.sustained_mb_s(), 0, 'f', 0)
                        .arg(normal, 0, 'f', 0);
      return view;
    default: {
      view.kind = RatingKind::kNoRating;
      // The headline reads "NO RATING: <why>": the why.
      QString why = VerdictHeadline(v);
      if (why.startsWith(view.word + ": ")) why = why.mid(view.word.size() + 2);
      view.reason = why;
      return view;
    }
  }
}

std::optional<RatingView> RowRating(const FleetRow& r) {
  if (r.run_state == qdt::v1::RUN_STATE_INTERRUPTED) {
    RatingView view;
    view.kind = RatingKind::kNoRating;
    view.word = "TEST LOST";
    view.reason = "the agent stopped mid-run (restarted or crashed): nothing can be rated — rerun";
    return view;
  }
  if (!r.verdict) return std::nullopt;
  return ViewOf(*r.verdict);
}

QColor RatingBackground(RatingKind kind) {
  switch (kind) {
    case RatingKind::kExcellent:
      return QColor(30, 140, 60);
    case RatingKind::kAcceptable:
      return QColor(240, 170, 0);
    case RatingKind::kFail:
      return QColor(200, 30, 30);
    case RatingKind::kRehearsal:
      return QColor(60, 80, 140);
    case RatingKind::kNoRating:
      break;
  }
  return QColor(110, 110, 110);
}

QColor RatingForeground(RatingKind kind) {
  return kind == RatingKind::kAcceptable ? QColor(Qt::black) : QColor(Qt::white);
}

const char* RatingCssClass(RatingKind kind) {
  switch (kind) {
    case RatingKind::kExcellent:
      return "excellent";
    case RatingKind::kAcceptable:
      return "acceptable";
    case RatingKind::kFail:
      return "fail";
    case RatingKind::kRehearsal:
      return "rehearsal";
    case RatingKind::kNoRating:
      break;
  }
  return "norating";
}

QString RigSummary::Text() const {
  QString s = QString("%1 agents, %2 online, %3 running — %4 EXCELLENT, %5 ACCEPTABLE, %6 FAIL")
                  .arg(agents)
                  .arg(online)
                  .arg(running)
                  .arg(excellent)
                  .arg(acceptable)
                  .arg(failed);
  if (unrated > 0) s += QString(", %1 NO RATING").arg(unrated);
  if (rehearsals > 0) s += QString(", %1 REHEARSAL").arg(rehearsals);
  if (!slowest_key.isEmpty()) {
    s += QString(" — slowest: %1 at %2 MB/s").arg(slowest_key).arg(slowest_mb_s, 0, 'f', 0);
  }
  if (seconds_left > 0) {
    s += " — " + MinutesSeconds(seconds_left) + " left";
  }
  return s;
}

FleetModel::FleetModel(QObject* parent, int flush_ms) : QAbstractTableModel(parent) {
  RegisterFleetTypes();
  qRegisterMetaType<qdt::console::RigSummary>();
  timer_.setInterval(flush_ms);
  connect(&timer_, &QTimer::timeout, this, &FleetModel::flush);
  timer_.start();
}

int FleetModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : rows_.size();
}

int FleetModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant FleetModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* kNames[] = {"Mac",           "Drive", "Volume",   "Free",  "State",
                                 "MB/s / target", "Temp",  "Pressure", "Clock", "Verdict"};
  return section >= 0 && section < kColumnCount ? QString(kNames[section]) : QVariant();
}

QString FleetModel::CellText(const FleetRow& r, int column) {
  switch (column) {
    case kHost: {
      const QString where =
          r.host.isEmpty() || r.host == r.key ? r.key : QString("%1 (%2)").arg(r.host, r.key);
      return r.name.isEmpty() ? where : QString("%1 — %2").arg(r.name, where);
    }
    case kDrive:
      if (r.model.isEmpty()) return "n/a";
      return r.serial.isEmpty() ? r.model : QString("%1 (%2)").arg(r.model, r.serial);
    case kVolume:
      return r.target_problem.isEmpty() ? r.target_dir : "⚠ " + r.target_dir;
    case kFree:
      return r.free_gb < 0 ? QString("n/a") : QString("%1 GB").arg(r.free_gb, 0, 'f', 1);
    case kState: {
      if (!r.online) {
        return r.ever_online ? QString("OFFLINE: %1").arg(OfflineReason(r))
                             : QString("connecting: %1").arg(OfflineReason(r));
      }
      QString s = StateWord(r.run_state);
      if (r.run_state == qdt::v1::RUN_STATE_RUNNING && r.phase_count > 0) {
        s += QString(" %1/%2 %3").arg(r.phase_index + 1).arg(r.phase_count).arg(r.phase_name);
      }
      if (!r.last_error.isEmpty()) s += " — " + r.last_error;
      return s;
    }
    case kMbps:
      // An offline agent's last rate is not current: none shown. With the
      // phase's target beside it ("2150 / 2100"), coloured against it. A
      // stall has no rate: it says so ("fio silent 4 s"), never "0".
      if (const QString stall = StallText(r); !stall.isEmpty()) return stall;
      if (std::isnan(r.live_mb_s) || !r.online) return QString("—");
      return r.live_target_mb_s > 0
                 ? QString("%1 / %2").arg(r.live_mb_s, 0, 'f', 0).arg(r.live_target_mb_s, 0, 'f', 0)
                 : QString::number(r.live_mb_s, 'f', 0);
    case kTemperature:
      return r.temperature_c && r.online ? QString("%1 °C").arg(*r.temperature_c, 0, 'f', 1)
                                         : QString("n/a");
    case kPressure:
      return r.pressure == qdt::v1::THERMAL_PRESSURE_UNKNOWN || !r.online
                 ? QString("n/a")
                 : QString::fromStdString(qdt::v1::ThermalPressure_Name(r.pressure))
                       .remove("THERMAL_PRESSURE_")
                       .toLower();
    case kClock: {
      // The agent's clock against this console's: the rig starts in each
      // agent's own clock, so a Mac seconds off still starts with the others.
      if (!r.online || !r.clock_offset_ms) return QString("n/a");
      const double ms = *r.clock_offset_ms;
      if (std::abs(ms) <= std::max(1.0, r.clock_rtt_ms / 2)) return QString("in step");
      return std::abs(ms) < 1000
                 ? QString("%1%2 ms").arg(ms > 0 ? "+" : "").arg(ms, 0, 'f', 0)
                 : QString("%1%2 s").arg(ms > 0 ? "+" : "").arg(ms / 1000, 0, 'f', 1);
    }
    case kVerdict: {
      const std::optional<RatingView> rated = RowRating(r);
      if (!rated) return RunActive(r.run_state) ? QString("…") : QString("—");
      // The rating word first, then why; without a rating the sustained
      // figure proves nothing (it may be the page cache's): the reason instead.
      const RatingView& view = *rated;
      if (view.kind == RatingKind::kNoRating || !r.verdict) return view.Text();
      const auto& v = *r.verdict;
      QString text = view.Text();
      // A rating with a caveat ("not cross-checked", "other reads on disk4
      // during the test"): the first flag's kind, the rest counted; the
      // whole text is in the tooltip and under the selected drive's chart.
      const QStringList flags = VerdictFlags(v);
      if (!flags.isEmpty()) {
        text += " — ⚠ " + flags.front().section(':', 0, 0);
        if (flags.size() > 1) text += QString(" +%1").arg(flags.size() - 1);
      }
      return text;
    }
    default:
      return {};
  }
}

QString FleetModel::CellWhy(const FleetRow& r, int column) {
  const QString offline = "the agent is not connected: no current value";
  switch (column) {
    case kDrive:
      if (!r.model.isEmpty()) return {};
      return r.online ? QString(
                            "the agent names no drive model for %1 (a VM disk, a network share "
                            "or a disk image has none)")
                            .arg(r.target_dir.isEmpty() ? "the target" : r.target_dir)
                      : offline;
    case kFree:
      if (r.free_gb >= 0) return {};
      return r.online ? QString("%1 is not among the agent's volumes")
                            .arg(r.target_dir.isEmpty() ? "the target" : r.target_dir)
                      : offline;
    case kTemperature:
      if (!r.online) return offline;
      if (r.temperature_c) {
        return r.temperature_source.isEmpty() ? QString() : "from " + r.temperature_source;
      }
      // The agent's reason when it gave one ("no sensor over USB: disk5").
      return r.temperature_source.isEmpty()
                 ? QString(
                       "no drive temperature reported (VM disks and most USB drives have no "
                       "sensor the agent can read)")
                 : r.temperature_source;
    case kVolume:
      return r.target_problem.isEmpty() ? QString()
                                        : "the agent would refuse this target: " + r.target_problem;
    case kClock:
      if (!r.online) return offline;
      if (!r.clock_offset_ms) return "not measured yet (5 GetInfo round trips on connecting)";
      return QString(
                 "this agent's clock is %1 ms %2 this console's (±%3 ms, half the round trip); "
                 "the rig's start is sent in its own clock")
          .arg(std::abs(*r.clock_offset_ms), 0, 'f', 1)
          .arg(*r.clock_offset_ms >= 0 ? "ahead of" : "behind")
          .arg(r.clock_rtt_ms / 2, 0, 'f', 1);
    case kState:
      // The plain words are in the cell; gRPC's own message (and the TLS
      // hint) here, so nothing is lost.
      return r.online || r.error.isEmpty() ? QString() : r.error;
    case kMbps:
      return StallWhy(r);
    case kPressure:
      if (!r.online) return offline;
      return r.pressure == qdt::v1::THERMAL_PRESSURE_UNKNOWN
                 ? QString(
                       "no thermal pressure reported (only macOS has one; it is sampled while "
                       "a run or the console watches)")
                 : QString();
    default:
      return {};
  }
}

QVariant FleetModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size() || index.column() >= kColumnCount) return {};
  const FleetRow& r = rows_[index.row()];
  if (role == Qt::EditRole && index.column() == kHost) return DisplayName(r);
  if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
    if (role == Qt::ToolTipRole && index.column() == kVerdict && r.verdict) {
      // Rich text (a tooltip guesses the format): the agent's words escaped.
      QString tip = "<p><b>" + VerdictHeadline(*r.verdict).toHtmlEscaped() + "</b>";
      for (const QString& f : VerdictFlags(*r.verdict)) tip += "<br>⚠ " + f.toHtmlEscaped();
      return tip + "</p>";
    }
    if (role == Qt::ToolTipRole) {
      const QString why = CellWhy(r, index.column());
      if (!why.isEmpty()) return why;
    }
    return CellText(r, index.column());
  }
  if (role == kSortRole) {
    switch (index.column()) {
      case kFree:
        return r.free_gb;
      case kMbps:
        return std::isnan(r.live_mb_s) ? -1.0 : r.live_mb_s;
      case kTemperature:
        return r.temperature_c.value_or(-1000);
      case kVerdict:
        return r.verdict ? r.verdict->sustained_mb_s() : -1.0;
      default:
        return CellText(r, index.column());
    }
  }
  const std::optional<RatingView> rated =
      index.column() == kVerdict ? RowRating(r) : std::optional<RatingView>();
  if (role == Qt::BackgroundRole) {
    if (rated) return QBrush(RatingBackground(rated->kind));
    if (index.column() == kState && !r.online && r.ever_online)
      return QBrush(QColor(255, 220, 120));
  }
  if (role == Qt::ForegroundRole && rated) return QBrush(RatingForeground(rated->kind));
  if ((role == Qt::BackgroundRole || role == Qt::ForegroundRole) && index.column() == kMbps) {
    // A stall: striped amber, neither a pass nor a fail (nothing measured).
    if (!StallText(r).isEmpty()) {
      return role == Qt::BackgroundRole ? StallBrush(6) : QBrush(Qt::black);
    }
    // Live colour against the phase's target: green holds it (>= 95 %, the
    // verdict's window rule), red misses it; no colour without a target.
    const std::optional<bool> holds = LiveHoldsTarget(r);
    if (holds) {
      return role == Qt::BackgroundRole ? QBrush(*holds ? QColor(30, 120, 55) : QColor(180, 30, 30))
                                        : QBrush(Qt::white);
    }
  }
  if (role == Qt::FontRole && rated && rated->kind == RatingKind::kFail) {
    QFont f;
    f.setBold(true);
    return f;
  }
  if (role == Qt::TextAlignmentRole &&
      (index.column() == kFree || index.column() == kMbps || index.column() == kTemperature)) {
    return static_cast<int>(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

void FleetModel::addAgent(const QString& key) {
  if (rowOf(key) >= 0) return;
  beginInsertRows({}, rows_.size(), rows_.size());
  FleetRow r;
  r.key = key;
  r.host = key;
  rows_.push_back(r);
  endInsertRows();
  emit summaryChanged(summary());
}

void FleetModel::removeAgent(const QString& key) {
  int r = rowOf(key);
  if (r < 0) return;
  beginRemoveRows({}, r, r);
  rows_.remove(r);
  dirty_.remove(key);
  endRemoveRows();
  emit summaryChanged(summary());
}

int FleetModel::rowOf(const QString& key) const {
  for (int i = 0; i < rows_.size(); ++i) {
    if (rows_[i].key == key) return i;
  }
  return -1;
}

const FleetRow* FleetModel::find(const QString& key) const {
  int r = rowOf(key);
  return r < 0 ? nullptr : &rows_[r];
}

FleetRow* FleetModel::pending(const QString& key) {
  auto it = dirty_.find(key);
  if (it != dirty_.end()) return &it.value();
  int r = rowOf(key);
  if (r < 0) return nullptr;
  return &dirty_.insert(key, rows_[r]).value();
}

void FleetModel::setTargetDir(const QString& key, const QString& dir) {
  if (FleetRow* p = pending(key)) {
    if (p->target_dir != dir) p->target_problem.clear();  // not asked about yet
    p->target_dir = dir;
    if (const auto* v = VolumeOf(*p, dir)) p->free_gb = v->free_bytes() / 1e9;
  }
}

void FleetModel::setName(const QString& key, const QString& name) {
  if (FleetRow* p = pending(key)) p->name = name.trimmed();
}

void FleetModel::restoreRun(const QString& key, const QString& run_id, qdt::v1::RunState state,
                            const QString& profile,
                            const std::optional<qdt::v1::Verdict>& verdict) {
  FleetRow* p = pending(key);
  if (p == nullptr) return;
  p->run_id = run_id;
  p->run_state = state;
  p->profile = profile;
  p->verdict = verdict;
}

Qt::ItemFlags FleetModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.isValid() && index.column() == kHost) f |= Qt::ItemIsEditable;
  return f;
}

bool FleetModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || index.row() >= rows_.size() || index.column() != kHost ||
      role != Qt::EditRole) {
    return false;
  }
  emit nameEdited(rows_[index.row()].key, value.toString());
  return true;
}

void FleetModel::onSnapshot(AgentSnapshot s) {
  FleetRow* p = pending(s.key);
  if (p == nullptr) return;
  p->online = s.online;
  if (s.online) {
    p->ever_online = true;
    p->last_seen_s = NowWallSeconds();
    if (s.clock_offset_ms) {
      p->clock_offset_ms = s.clock_offset_ms;
      p->clock_rtt_ms = s.clock_rtt_ms;
    }
    p->error.clear();
    if (!s.hostname.isEmpty()) p->host = s.hostname;
    if (!s.volumes.isEmpty()) {
      p->volumes = s.volumes;
      if (p->target_dir.isEmpty()) p->target_dir = DefaultTarget(*p);
    }
    if (const auto* v = VolumeOf(*p, p->target_dir)) {
      p->free_gb = v->free_bytes() / 1e9;
      p->model = QString::fromStdString(v->model());
      p->serial = QString::fromStdString(v->serial());
    }
    if (!s.active_run_id.isEmpty() && s.active_run_id != p->run_id) {
      p->run_id = s.active_run_id;  // a run started elsewhere (qdtctl, another console)
      p->verdict.reset();
      p->run_state = qdt::v1::RUN_STATE_PENDING;
    }
    if (s.active_run && QString::fromStdString(s.active_run->run_id()) == p->run_id) {
      // The agent's own record: what a console that did not start the run
      // (or started after it) needs for the phase count and the time left.
      const qdt::v1::Run& run = *s.active_run;
      p->phase_count = static_cast<int>(run.phase_count());
      p->planned_s = run.planned_duration_s();
      p->profile = QString::fromStdString(run.profile_name());
      if (run.has_started_at() && p->run_started_wall_s == 0) {
        p->run_started_wall_s = WallSeconds(run.started_at());
      }
      if (RunActive(run.state())) p->run_state = run.state();
      if (p->phase_index < 0) p->phase_index = run.phase_index();
    }
  } else {
    p->error = s.error;
  }
}

void FleetModel::onEvent(AgentEvent e) {
  FleetRow* p = pending(e.key);
  if (p == nullptr) return;
  const auto& ev = e.event;
  if (p->run_id != e.run_id) {
    p->run_id = e.run_id;
    p->verdict.reset();
    p->live_mb_s = std::numeric_limits<double>::quiet_NaN();
    p->stalled_s.reset();
    p->phase_index = -1;
  }
  if (ev.has_sample()) {
    const auto& s = ev.sample();
    // A stall (agent.proto Sample.stalled) measured nothing: no rate until
    // a sample that is not one (the backfilled windows that end it).
    if (s.stalled()) {
      p->stalled_s = StallSeconds(s.interval_s());
      p->live_mb_s = std::numeric_limits<double>::quiet_NaN();
    } else {
      p->stalled_s.reset();
      p->live_mb_s = s.read_bytes_per_s() / 1e6;
    }
    p->live_target_mb_s = s.target_bytes_per_s() / 1e6;
    if (s.has_temperature_c()) {
      p->temperature_c = s.temperature_c();
    } else {
      p->temperature_c.reset();
    }
    p->temperature_source = QString::fromStdString(s.temperature_source());
    p->pressure = s.thermal_pressure();
    if (p->run_started_wall_s > 0 && s.has_wall_time()) {
      p->elapsed_s = WallSeconds(s.wall_time()) - p->run_started_wall_s;
    }
    p->run_state = qdt::v1::RUN_STATE_RUNNING;
  } else if (ev.has_phase()) {
    p->phase_index = ev.phase().phase_index();
    p->phase_name = QString::fromStdString(ev.phase().phase_name());
    if (p->phase_index == 0) p->run_started_wall_s = WallSeconds(ev.time());
  } else if (ev.has_state()) {
    p->run_state = ev.state().state();
    if (!RunActive(p->run_state)) {
      p->live_mb_s = std::numeric_limits<double>::quiet_NaN();
      p->stalled_s.reset();
    }
  } else if (ev.has_verdict()) {
    p->verdict = ev.verdict();
  }
  batch_.push_back(std::move(e));
}

void FleetModel::onTelemetry(AgentTelemetry t) {
  FleetRow* p = pending(t.key);
  if (p == nullptr || RunActive(p->run_state)) return;  // samples carry it during a run
  p->temperature_c = t.temperature_c;
  p->temperature_source = t.temperature_source;
  p->pressure = t.pressure;
}

void FleetModel::onCommand(CommandResult c) {
  FleetRow* p = pending(c.key);
  if (p == nullptr) return;
  if (!c.ok && c.command != "check") {
    p->last_error = c.message;
    emit commandFailed(c.key, c.message);
    return;
  }
  if (c.command == "check") {
    // The agent's word on the target folder: "" when it can be tested.
    if (c.message.section('\n', 0, 0) == p->target_dir) {
      p->target_problem = c.message.section('\n', 1);
    }
    return;
  }
  p->last_error.clear();
  if (c.command == "start") {
    p->run_id = c.message;
    p->run_state = c.run.state();
    p->phase_count = static_cast<int>(c.run.phase_count());
    p->planned_s = c.run.planned_duration_s();
    p->profile = QString::fromStdString(c.run.profile_name());
    p->phase_index = -1;
    p->elapsed_s = 0;
    p->run_started_wall_s = 0;
    p->verdict.reset();
    p->live_mb_s = std::numeric_limits<double>::quiet_NaN();
    p->stalled_s.reset();
  }
}

void FleetModel::flush() {
  if (!dirty_.isEmpty()) {
    const double now = NowWallSeconds();
    for (auto it = dirty_.begin(); it != dirty_.end(); ++it) {
      int r = rowOf(it.key());
      if (r < 0) continue;
      FleetRow& shown = rows_[r];
      int first = -1, last = -1;
      for (int c = 0; c < kColumnCount; ++c) {
        bool differs = CellText(shown, c) != CellText(it.value(), c);
        if (c == kVerdict) {
          differs |= shown.verdict.has_value() != it.value().verdict.has_value();
        }
        if (differs) {
          if (first < 0) first = c;
          last = c;
        }
      }
      shown = std::move(it.value());
      if (first >= 0) {
        changed_cells_ += last - first + 1;
        emit dataChanged(index(r, first), index(r, last));
      }
    }
    dirty_.clear();
    for (const AgentEvent& e : batch_) {
      if (e.event.has_sample() && e.event.sample().has_wall_time()) {
        latencies_ms_.push_back((now - WallSeconds(e.event.sample().wall_time())) * 1000.0);
      }
    }
    emit summaryChanged(summary());
  }
  if (!batch_.isEmpty()) {
    QVector<AgentEvent> out;
    out.swap(batch_);
    emit eventsFlushed(out);
  }
}

RigSummary FleetModel::summary() const {
  RigSummary s;
  s.agents = rows_.size();
  for (const FleetRow& r : rows_) {
    if (r.online) ++s.online;
    if (RunActive(r.run_state)) {
      ++s.running;
      if (r.planned_s > 0) s.seconds_left = std::max(s.seconds_left, r.planned_s - r.elapsed_s);
    }
    const std::optional<RatingView> rated = RowRating(r);
    if (!rated) continue;
    if (rated->kind == RatingKind::kRehearsal) {
      ++s.rehearsals;  // neither a rating nor a drive's speed for the show
    } else if (rated->kind != RatingKind::kNoRating && r.verdict && HasRating(*r.verdict)) {
      switch (rated->kind) {
        case RatingKind::kExcellent:
          ++s.excellent;
          break;
        case RatingKind::kAcceptable:
          ++s.acceptable;
          break;
        default:
          ++s.failed;
          break;
      }
      if (s.slowest_mb_s < 0 || r.verdict->sustained_mb_s() < s.slowest_mb_s) {
        s.slowest_mb_s = r.verdict->sustained_mb_s();
        s.slowest_key = DisplayName(r);
      }
    } else {
      ++s.unrated;  // no rating (or the test was lost): neither a pass nor a fail
    }
  }
  return s;
}

}  // namespace qdt::console
