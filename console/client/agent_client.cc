#include "console/client/agent_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/quote.h"
#include "common/run_state.h"
#include "common/units.h"
#include "common/verdict.h"

namespace qdt::client {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const TlsOptions& tls,
                                           grpc::ChannelArguments args) {
  // Run records with fio's output can exceed gRPC's 4 MiB default.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (tls.ca_pem.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.ca_pem;
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

std::string ConnectHint(const TlsOptions& tls) {
  if (tls.ca_pem.empty())
    return "plaintext: if the agent serves TLS, give its CA certificate (--ca)";
  return "TLS: the agent's certificate must be signed by the CA given with --ca and name the host "
         "in the address, or the name given with --tls-name";
}

void PrepareContext(grpc::ClientContext* ctx, const std::string& token, absl::Duration timeout) {
  // gRPC aborts the process on a header value with a control character or a
  // byte above 0x7E; such a token is never sent (the agent then answers
  // "missing authorization"). Callers check TokenProblem first to say why.
  if (TokenProblem(token).empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  if (timeout > absl::ZeroDuration()) ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  auto text = ReadFileTrimmed(path, 64 * 1024);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("--token-file: ", text.status().message()));
  }
  const std::string& token = *text;
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file: ", QuoteForError(path), " is empty"));
  }
  if (std::string problem = TokenProblem(token); !problem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file: the token in ", QuoteForError(path), " ", problem));
  }
  return token;
}

std::string StateName(qdt::v1::RunState state) { return RunStateName(state); }

std::string RatingName(qdt::v1::Rating rating) { return RatingWord(rating); }

std::string PressureName(qdt::v1::ThermalPressure pressure) {
  if (pressure == qdt::v1::THERMAL_PRESSURE_UNKNOWN) return "unknown";
  return std::string(
      absl::StripPrefix(qdt::v1::ThermalPressure_Name(pressure), "THERMAL_PRESSURE_"));
}

std::string FormatChecks(const qdt::v1::MeasurementChecks& c, const qdt::v1::Profile& profile) {
  std::string out;
  auto line = [&out](const char* what, const std::string& text) {
    absl::StrAppendFormat(&out, "  %-14s %s\n", what, text);
  };
  line("drive counter", c.device_counter().empty()
                            ? absl::StrCat("none: ", c.device_counter_note())
                            : absl::StrCat(c.device_counter(), " (its own count of bytes read)"));
  if (c.has_resident_fraction_after_layout()) {
    line("page cache", absl::StrFormat("%.2f %% of a test file resident after the eviction",
                                       100 * c.resident_fraction_after_layout()));
  }
  if (c.boundaries_size() > 0) {
    std::string rests;
    for (const auto& b : c.boundaries()) {
      const std::string into = b.to_phase_index() >= 0 && b.to_phase_index() < profile.phases_size()
                                   ? profile.phases(b.to_phase_index()).name()
                                   : absl::StrCat("phase ", b.to_phase_index() + 1);
      absl::StrAppend(&rests, rests.empty() ? "" : "; ", "into ", into, " ",
                      b.has_idle_gap_ms() ? absl::StrFormat("%.0f ms", b.idle_gap_ms())
                                          : std::string("not measured"));
    }
    line("drive rested", rests);
  }
  if (!c.power_hold().empty() || !c.power_hold_note().empty()) {
    line("kept awake",
         c.power_hold().empty() ? absl::StrCat("no: ", c.power_hold_note()) : c.power_hold());
  }
  if (!c.power_source().empty()) line("power", c.power_source());
  if (!c.spotlight().empty()) line("Spotlight", c.spotlight());
  if (!c.time_machine().empty()) line("Time Machine", c.time_machine());
  return out;
}

std::string FormatVerdict(const qdt::v1::Verdict& v) {
  std::string out;
  if (const std::string mark = RehearsalMark(v.time_scale()); !mark.empty()) {
    absl::StrAppend(&out, "*** ", mark,
                    ": phases shortened, so this is not a show rating; run it at time scale 1 "
                    "before the show ***\n");
  }
  absl::StrAppendFormat(&out, "%-12s %9s %9s %9s %9s %9s %9s %8s %6s  %s\n", "phase", "target",
                        "worst", "p1", "median", "mean", "drive", "missed", "streak", "result");
  for (const auto& p : v.phases()) {
    std::string target = p.target_mb_s() > 0 ? absl::StrFormat("%.1f", p.target_mb_s()) : "max";
    if (!p.ran()) {
      absl::StrAppendFormat(&out, "%-12s %9s %9s %9s %9s %9s %9s %8s %6s  %s\n", p.name(), target,
                            "-", "-", "-", "-", "-", "-", "-", "not run");
      continue;
    }
    std::string missed =
        p.target_mb_s() > 0 ? absl::StrFormat("%d/%d", p.missed_windows(), p.windows()) : "-";
    std::string result = p.target_mb_s() > 0 ? (p.passed() ? "pass" : "MISSED")
                                             : (p.passed() ? "done" : "incomplete");
    // What the drive itself delivered (its own counter), beside fio's mean.
    std::string drive =
        p.has_device_mean_mb_s() ? absl::StrFormat("%.1f", p.device_mean_mb_s()) : "-";
    absl::StrAppendFormat(&out, "%-12s %9s %9.1f %9.1f %9.1f %9.1f %9s %8s %6d  %s\n", p.name(),
                          target, p.worst_mb_s(), p.p1_mb_s(), p.median_mb_s(), p.mean_mb_s(),
                          drive, missed, p.longest_miss_streak(), result);
  }
  absl::StrAppendFormat(&out,
                        "(MB/s = 10^6 bytes/s; a window misses under 95 %% of its target; drive = "
                        "what the drive's own counter saw)\n");
  absl::StrAppendFormat(&out, "sustained read: %.1f MB/s\n", v.sustained_mb_s());
  absl::StrAppendFormat(&out, "rating: %s%s%s\n", RatingName(v.rating()),
                        RehearsalMark(v.time_scale()).empty()
                            ? ""
                            : " (" + RehearsalMark(v.time_scale()) + ", not a show rating)",
                        v.no_rating_reason().empty() ? "" : " (" + v.no_rating_reason() + ")");
  double xfade = v.crossfade_target_mb_s() > 0 ? v.crossfade_target_mb_s() : kCrossfadeTargetMBps;
  if (!HasRating(v)) {
    // Nothing measured that can be trusted: neither met nor failed.
    absl::StrAppendFormat(&out, "the %.0f MB/s crossfade target was not judged (no rating)\n",
                          xfade);
  } else if (v.fails_crossfade_target()) {
    absl::StrAppendFormat(&out, "*** FAILS the %.0f MB/s crossfade target ***\n", xfade);
  } else {
    absl::StrAppendFormat(&out, "meets the %.0f MB/s crossfade target\n", xfade);
  }
  for (const auto& f : v.flags()) absl::StrAppend(&out, "flag: ", f, "\n");
  if (!v.summary().empty()) absl::StrAppend(&out, v.summary(), "\n");
  return out;
}

std::string FormatSampleLine(const qdt::v1::Sample& s, const std::string& phase_name,
                             double target_bytes_per_s) {
  double total = s.read_bytes_per_s() + s.write_bytes_per_s();
  std::string target = "target max";
  std::string mark = "  ";
  // The scheduled target of this interval (a crossfade burst raises it).
  if (s.target_bytes_per_s() > 0) target_bytes_per_s = s.target_bytes_per_s();
  if (target_bytes_per_s > 0) {
    target = absl::StrFormat("target %7.1f MB/s", BytesToMB(target_bytes_per_s));
    mark = total < kWindowPassFraction * target_bytes_per_s ? "LOW" : "ok";
  }
  std::string temp = s.has_temperature_c() ? absl::StrFormat("%.0f C", s.temperature_c()) : "n/a";
  // Why there is none, when the agent knows ("no sensor over USB: disk5").
  if (!s.has_temperature_c() && !s.temperature_source().empty()) {
    absl::StrAppend(&temp, " (", s.temperature_source(), ")");
  }
  // The drive's own rate beside fio's: far below it means the page cache answered.
  std::string drive = s.has_device_read_bytes_per_s()
                          ? absl::StrFormat("%7.1f MB/s", BytesToMB(s.device_read_bytes_per_s()))
                          : std::string("    n/a     ");
  return absl::StrFormat("%-10s %6.1f s  read %7.1f MB/s  drive %s  %s  %-3s  temp %s", phase_name,
                         s.phase_elapsed_s(), BytesToMB(s.read_bytes_per_s()), drive, target, mark,
                         temp);
}

namespace {

// Phase names come from the agent (a profile file may name them): no control
// character reaches the terminal, so none can move the cursor or recolour it.
std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  return out;
}

// At most `columns` code points of `text` (cut between code points).
std::string CutToColumns(const std::string& text, int columns) {
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;
    if (seen == columns) return text.substr(0, i);
    ++seen;
  }
  return text;
}

// "1:23:05" or "04:59", like fio's eta.
std::string Clock(double seconds) {
  const auto s = static_cast<long>(seconds < 0 ? 0 : seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%02ld:%02ld", s / 60, s % 60);
}

}  // namespace

int TextColumns(const std::string& utf8) {
  int n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xc0) == 0x80 ? 0 : 1;
  return n;
}

std::string FormatStatusLine(const StatusFields& f, int columns) {
  if (columns <= 0) return "";
  const std::string name = Printable(f.phase_name.empty() ? "phase" : f.phase_name);
  const std::string of = f.phase_number > 0 && f.phase_count > 0
                             ? absl::StrFormat(" %d/%d", f.phase_number, f.phase_count)
                             : std::string();
  const double read = BytesToMB(f.read_bytes_per_s);
  const double target = BytesToMB(f.target_bytes_per_s);
  const std::string mark = f.target_bytes_per_s <= 0 ? ""
                           : f.read_bytes_per_s < kWindowPassFraction * f.target_bytes_per_s
                               ? " LOW"
                               : " ok";
  // (absl::StrFormat needs a constant format: the precision is an argument.)
  auto drive = [&](int decimals, const char* unit) {
    return f.device_read_bytes_per_s
               ? absl::StrFormat("%.*f%s", decimals, BytesToMB(*f.device_read_bytes_per_s), unit)
               : std::string("n/a");
  };
  const std::string temp =
      f.temperature_c ? absl::StrFormat("%.0f °C", *f.temperature_c) : std::string("n/a °C");
  const std::string done =
      f.done_fraction ? absl::StrFormat("%.1f%%", 100 * *f.done_fraction) : std::string("n/a");
  const std::string done_short =
      f.done_fraction ? absl::StrFormat("%.0f%%", 100 * *f.done_fraction) : std::string("n/a");
  const std::string eta = f.seconds_left ? Clock(*f.seconds_left) : std::string("n/a");

  const std::string rate_long =
      f.target_bytes_per_s > 0 ? absl::StrFormat("read %.1f of %.1f MB/s%s", read, target, mark)
                               : absl::StrFormat("read %.1f MB/s unpaced", read);
  const std::string rate_mid = f.target_bytes_per_s > 0
                                   ? absl::StrFormat("%.1f/%.1f MB/s%s", read, target, mark)
                                   : absl::StrFormat("%.1f MB/s max", read);
  const std::string rate_short = f.target_bytes_per_s > 0
                                     ? absl::StrFormat("%.0f/%.0f%s", read, target, mark)
                                     : absl::StrFormat("%.0f max", read);
  // From the whole line to the least: what the show needs most (the rate
  // against its target, the time left) goes last.
  const std::string forms[] = {
      absl::StrCat(name, of, " [", rate_long, "][drive ", drive(1, " MB/s"), "][", temp, "][", done,
                   " done][eta ", eta, "]"),
      absl::StrCat(name, of, " [", rate_mid, "][drive ", drive(1, ""), "][", temp, "][", done,
                   "][eta ", eta, "]"),
      absl::StrCat(name, " [", rate_short, "][drv ", drive(0, ""), "][", temp, "][", done_short,
                   "][eta ", eta, "]"),
      absl::StrCat(name, " [", rate_short, "][", done_short, "][eta ", eta, "]"),
      absl::StrCat("[", rate_short, "][", done_short, "][eta ", eta, "]"),
      absl::StrCat(rate_short, " ", done_short, " ", eta),
  };
  for (const std::string& form : forms) {
    if (TextColumns(form) <= columns) return form;
  }
  return CutToColumns(forms[std::size(forms) - 1], columns);
}

}  // namespace qdt::client
