// Client-side helpers shared by qdtctl, the console and the tests: a channel to
// an agent, the bearer token on each call, and the text forms of verdicts and
// samples. No Qt here, so qdtctl builds without a display stack.
#ifndef QDT_CONSOLE_CLIENT_AGENT_CLIENT_H_
#define QDT_CONSOLE_CLIENT_AGENT_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "qdt/v1/agent.grpc.pb.h"

namespace qdt::client {

// How to reach an agent: plaintext when `ca_pem` is empty; else TLS, the
// agent's certificate checked against that CA and against the host name of
// the address, or `server_name` when set (an agent reached by IP whose
// certificate names its host).
struct TlsOptions {
  std::string ca_pem;
  std::string server_name;
};

// A channel to HOST:PORT; `args` are the caller's own (reconnect backoff,
// keepalive), to which the larger message limit run records need is added.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const TlsOptions& tls = {},
                                           grpc::ChannelArguments args = {});

// What to check when an agent cannot be reached, for the way `tls` connects:
// plaintext may be talking to a TLS agent; TLS needs a certificate signed by
// the CA that names the host. One line, no trailing newline.
std::string ConnectHint(const TlsOptions& tls);

// Adds "authorization: Bearer <token>" and, when timeout > 0, a deadline. A
// token that breaks the rule (common/quote.h TokenProblem) is not added: gRPC
// would abort the process on it.
void PrepareContext(grpc::ClientContext* ctx, const std::string& token,
                    absl::Duration timeout = absl::ZeroDuration());

// Reads a token file (whitespace trimmed); errors name the path and what is
// wrong: not readable, a folder, empty, or a token that breaks the rule
// (TokenProblem: 16 to 1024 bytes of printable ASCII).
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// "RUNNING", "DONE", ... without the enum prefix.
std::string StateName(qdt::v1::RunState state);
std::string RatingName(qdt::v1::Rating rating);
// "NOMINAL", "HEAVY", ...; "unknown" when no source reported it.
std::string PressureName(qdt::v1::ThermalPressure pressure);

// The verdict as a small table: per phase target, worst window, p1, median,
// fio's mean, missed windows and streak; then rating, crossfade flag, summary.
std::string FormatVerdict(const qdt::v1::Verdict& verdict);

// What the agent did and found so that the numbers are the drive's (the
// run's MeasurementChecks), one line each: the drive counter, the test files'
// page-cache residency, the rest at each handover, what kept the machine
// awake and what powered it, Spotlight and Time Machine. Lines for what was
// not asked are left out; what was asked and failed says why.
std::string FormatChecks(const qdt::v1::MeasurementChecks& checks, const qdt::v1::Profile& profile);

// One live line for a sample, e.g. "crossfade   4.0 s  read 2101.3 MB/s  drive
// 2098.7 MB/s  target 2099.2 MB/s  ok    temp n/a" (drive: the drive's own
// counter; n/a without one).
std::string FormatSampleLine(const qdt::v1::Sample& sample, const std::string& phase_name,
                             double target_bytes_per_s);

// What the live status line of `qdtctl start --wait` / `watch` on a terminal
// shows; unknown values are unset and shown as "n/a".
struct StatusFields {
  std::string phase_name;  // from the agent: control characters are not printed
  int phase_number = 0;    // 1-based; 0 = unknown
  int phase_count = 0;     // 0 = unknown
  double read_bytes_per_s = 0;
  double target_bytes_per_s = 0;                  // this interval's paced target; 0 = unpaced
  std::optional<double> device_read_bytes_per_s;  // the drive's own counter
  std::optional<double> temperature_c;
  std::optional<double> done_fraction;  // of the whole run, 0..1
  std::optional<double> seconds_left;
};

// One status line like fio's ETA line, e.g. "crossfade 2/3 [read 2101.3 of
// 2099.2 MB/s ok][drive 2098.7 MB/s][41 °C][45.0% done][eta 1:23:05]",
// shortened to fit `columns` display columns: shorter forms first, then the
// drive and temperature, the phase, and last a cut. Never longer, so that it
// never wraps. No newline, no escape sequences.
std::string FormatStatusLine(const StatusFields& fields, int columns);

// Display columns of UTF-8 text, one per code point (the status line's text
// is ASCII but for "°" and the phase name).
int TextColumns(const std::string& utf8);

}  // namespace qdt::client

#endif  // QDT_CONSOLE_CLIENT_AGENT_CLIENT_H_
