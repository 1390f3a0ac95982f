#include "common/will_it_work.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/verdict.h"

namespace qdt {
namespace {

using qdt::v1::PhaseVerdict;

// Products of doubles: 2 x 440 x 1.6 is 1408.0000000000002, and a drive
// proven at exactly 1408 MB/s carries that stream.
constexpr double kRelativeSlack = 1e-9;

// What the phase delivered: fio's mean, or the drive's own count when lower.
double Delivered(const PhaseVerdict& p) {
  double mb = p.mean_mb_s();
  if (p.has_device_mean_mb_s()) mb = std::min(mb, p.device_mean_mb_s());
  return mb;
}

bool Judged(const PhaseVerdict& p) { return p.ran() && p.windows() > 0; }

ProvenRate NotMeasured(std::string why) {
  ProvenRate r;
  r.basis = absl::StrCat("not measured: ", why);
  return r;
}

}  // namespace

ProvenRate ProvenReadRate(const qdt::v1::Verdict& v) {
  if (const std::string mark = RehearsalMark(v.time_scale()); !mark.empty()) {
    return NotMeasured(absl::StrCat(
        mark,
        ": its phases were shortened, so it proves no rate for a show; run it at full length"));
  }
  if (v.rating() == qdt::v1::RATING_NO_RATING || v.rating() == qdt::v1::RATING_UNSPECIFIED) {
    std::string why = !v.no_rating_reason().empty() ? v.no_rating_reason()
                      : !v.summary().empty()        ? v.summary()
                                                    : std::string("the run has no rating");
    return NotMeasured(absl::StrCat("NO RATING (", why, ")"));
  }
  ProvenRate r;
  const PhaseVerdict* unpaced = nullptr;  // the lowest judged unpaced phase
  const PhaseVerdict* held = nullptr;     // the highest target a paced phase held
  const PhaseVerdict* missed = nullptr;   // the paced phase that missed with the least delivered
  for (const PhaseVerdict& p : v.phases()) {
    if (!Judged(p)) continue;
    if (p.target_mb_s() <= 0) {
      if (unpaced == nullptr || Delivered(p) < Delivered(*unpaced)) unpaced = &p;
    } else if (p.passed()) {
      if (held == nullptr || p.target_mb_s() > held->target_mb_s()) held = &p;
    } else if (missed == nullptr || Delivered(p) < Delivered(*missed)) {
      missed = &p;
    }
  }
  if (unpaced != nullptr) {
    r.mb_s = Delivered(*unpaced);
    r.basis = absl::StrFormat("%s (unpaced): %.0f MB/s", unpaced->name(), r.mb_s);
  } else if (held != nullptr) {
    r.mb_s = std::min(held->target_mb_s(), Delivered(*held));
    r.basis = absl::StrFormat("%s held its %.0f MB/s target (no unpaced phase ran): %.0f MB/s",
                              held->name(), held->target_mb_s(), r.mb_s);
  } else {
    return NotMeasured(
        "no unpaced phase ran and no paced phase held its target, so nothing shows what the "
        "drive carries");
  }
  if (missed != nullptr && Delivered(*missed) < r.mb_s) {
    r.mb_s = Delivered(*missed);
    absl::StrAppendFormat(&r.basis, "; capped at %.0f MB/s: %s missed its %.0f MB/s target", r.mb_s,
                          missed->name(), missed->target_mb_s());
  }
  r.measured = true;
  return r;
}

StreamsCarried CarriedStreams(double proven_mb_s, double stream_mb_s, double safety) {
  StreamsCarried c;
  if (!(proven_mb_s > 0) || !(stream_mb_s > 0) || !std::isfinite(proven_mb_s)) return c;
  safety = std::max(safety, 1.0);
  auto largest = [&](double per_stream) {
    double n = std::floor(proven_mb_s / per_stream * (1 + kRelativeSlack));
    return static_cast<int>(std::min(n, 1e6));
  };
  c.normal = largest(stream_mb_s);
  c.with_crossfade = largest(2 * stream_mb_s * safety);
  return c;
}

WillItWork ComputeWillItWork(const qdt::v1::Verdict& verdict, double safety) {
  WillItWork w;
  w.proven = ProvenReadRate(verdict);
  if (!w.proven.measured) return w;
  for (const StreamKind& k : StreamTable()) {
    w.rows.push_back({k, CarriedStreams(w.proven.mb_s, k.mb_per_s, safety)});
  }
  return w;
}

}  // namespace qdt
