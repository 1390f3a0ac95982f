// `qdt-agent doctor`: is this machine ready to test? One line per
// precondition with ok / warn / fail and, when not ok, the fix. Exit code 0
// (ready), 1 (warnings) or 2 (not ready).
//
// Checks: fio found and its version, and on macOS whether it can drop cached
// pages (3.42+, docs/MACOS.md); Full Disk Access on macOS (can the agent open
// the system TCC database for reading — a root process without it is refused,
// docs/MACOS.md "TCC"); the hold that keeps the machine awake during a run,
// taken and let go (caffeinate / systemd-inhibit, agent/run/power_hold.h);
// the disk I/O policy fio runs with (macOS, io_policy.h); a drive
// temperature for every volume's drive (macOS: smartctl, the bundled one,
// per physical drive, "no sensor over USB" for USB drives; Linux: hwmon,
// else smartctl); the POSIX AIO limits against the profile (macOS,
// sysctl.h); a Time Machine backup running now (macOS `tmutil status`);
// whether the clock is kept by network time (macOS `systemsetup
// -getusingnetworktime`, Linux `timedatectl show -p NTPSynchronized`) — a
// synchronised start across the rig relies on it; with --target: the
// target's free space against the profile's files, and on macOS Spotlight's
// state of its volume (mdutil -s); QLab running (the show-safety interlock).
// GetInfo(readiness) serves the same list without a target.
//
// Every tool runs through the CommandRunner, so tests put fakes first on PATH.
#ifndef QDT_AGENT_DOCTOR_H_
#define QDT_AGENT_DOCTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"

namespace qdt::agent {

// The system TCC database (macOS privacy decisions): readable only with Full
// Disk Access (docs/MACOS.md, "TCC").
inline constexpr char kTccDatabase[] = "/Library/Application Support/com.apple.TCC/TCC.db";

struct DoctorCheck {
  enum Level { kOk, kWarn, kFail };
  std::string name;
  Level level = kOk;
  std::string detail;  // what was found
  std::string fix;     // empty when ok
};

struct DoctorOptions {
  Platform platform = HostPlatform();
  std::string fio_path;  // as --fio gives it; empty = found as the agent finds it
  bool allow_fio_without_cache_drop = false;
  std::string agent_path;               // named in the FDA fix
  std::string tcc_db = kTccDatabase;    // macOS
  std::string target;                   // empty = no target checks
  std::string smartctl;                 // ResolveSmartctl's path; empty = none
  std::string smartctl_note;            // why there is none
  std::string sysfs_root = "/sys";      // Linux hwmon
  std::string profile = "setup-check";  // the built-in profile the AIO check judges
  uint64_t needed_bytes = 0;            // the profile's files plus the reserve
  // The agent's state folder: runs recovery could not read and set aside in
  // <state_dir>/quarantine are named (a warning: ListRuns cannot show them).
  // Empty = not checked.
  std::string state_dir;
  CommandRunner* commands = nullptr;
};

std::vector<DoctorCheck> RunDoctor(const DoctorOptions& options);

// Whether this process has Full Disk Access on macOS: it can open `tcc_db`
// (the system TCC database, readable only with it) for reading — "yes"; a
// refusal (EPERM/EACCES) — "no"; anything else — "unknown". `note` says what
// was seen. Also in GetInfo (AgentInfo.full_disk_access).
struct FullDiskAccess {
  std::string state;
  std::string note;
};
FullDiskAccess CheckFullDiskAccessAt(const std::string& tcc_db);

// Parsers of the tools' answers (pure; errors name what was missing):
// `tmutil status` — whether a backup runs now (its top-level "Running = N;");
absl::StatusOr<bool> ParseTmutilRunning(absl::string_view text);
// `systemsetup -getusingnetworktime` — "Network Time: On" / "Off";
absl::StatusOr<bool> ParseNetworkTime(absl::string_view text);
// `timedatectl show -p NTPSynchronized --value` — "yes" / "no".
absl::StatusOr<bool> ParseNtpSynchronized(absl::string_view text);

// "ok", "warn", "FAIL" lines, then a summary; the exit code for them.
std::string FormatDoctor(const std::vector<DoctorCheck>& checks);
int DoctorExitCode(const std::vector<DoctorCheck>& checks);

}  // namespace qdt::agent

#endif  // QDT_AGENT_DOCTOR_H_
