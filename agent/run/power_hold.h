// PowerHold keeps the machine awake for a run's whole life: a show Mac left
// on idle sleep (or a laptop whose lid is closed) would otherwise sleep in the
// middle of a phase, fio would stall and the run would end INTERRUPTED.
//
// - macOS: a child `caffeinate -i -m -s -w <agent pid>`. caffeinate(8): -i
//   prevents idle sleep, -m prevents the disk from idle sleeping, -s prevents
//   system sleep while on AC power, -w <pid> ends the assertion when that
//   process exits, so a crashed agent leaves nothing behind (`pmset -g
//   assertions` lists the hold while it lives).
// - Linux: a child `systemd-inhibit --what=idle:sleep --who=qdt-agent
//   --why="disk test <run-id>" --mode=block sleep infinity`. It needs a
//   running logind; in containers and CI it fails at once ("Failed to connect
//   to bus") and there is no hold.
// Either tool is found on PATH (tests put a fake first) and started through
// common/subprocess in a process group of its own; releasing the hold
// terminates that group (SIGTERM, SIGKILL after a grace) and reaps it. A tool
// that is missing, cannot start, or ends within `settle` (~200 ms) holds
// nothing: the run goes on and its record says why (MeasurementChecks
// power_hold_note).
//
// ReadPowerSource says what powers the machine when a run begins ("AC
// Power", "Battery Power", "UPS Power"): `pmset -g batt` on macOS
// (agent/probes/pmset.h), /sys/class/power_supply on Linux.
//
// Thread-safety: a PowerHold belongs to one thread. On Linux its child gets
// SIGKILL when the thread that acquired it ends (PR_SET_PDEATHSIG, see
// common/subprocess.h), so the run acquires it on its worker thread, which
// lives until the hold is released. ReadPowerSource is thread-safe.
#ifndef QDT_AGENT_RUN_POWER_HOLD_H_
#define QDT_AGENT_RUN_POWER_HOLD_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/platform.h"

namespace qdt::agent {

class PowerHold {
 public:
  virtual ~PowerHold() = default;  // releases the hold
  // What keeps the machine awake, e.g. "caffeinate -i -m -s (pid 123)";
  // empty when nothing does, and note() says why.
  virtual std::string holder() const = 0;
  virtual std::string note() const = 0;
  // Ends the hold (the child is terminated and reaped before it returns).
  // Calls after the first do nothing.
  virtual void Release() = 0;
};

struct PowerHoldOptions {
  Platform platform = HostPlatform();
  std::string run_id;     // named in systemd-inhibit's --why
  pid_t watched_pid = 0;  // caffeinate -w: 0 = this process
  std::string program;    // empty = the platform's tool on PATH; else its path
  // A tool that ends within this after its start held nothing.
  absl::Duration settle = absl::Milliseconds(200);
  // At release: SIGTERM, then SIGKILL after this.
  absl::Duration stop_grace = absl::Seconds(2);
};

// The tool's command line: {"caffeinate", "-i", "-m", "-s", "-w", "<pid>"}
// or {"systemd-inhibit", "--what=idle:sleep", ...}.
std::vector<std::string> PowerHoldArgv(const PowerHoldOptions& options);

// Never null: a hold, or (holder() empty) a hold of nothing whose note()
// says why, e.g. "caffeinate not found on PATH" or "systemd-inhibit exited
// with status 1 within 200 ms: Failed to connect to bus: No such file or
// directory".
std::unique_ptr<PowerHold> AcquirePowerHold(const PowerHoldOptions& options);

// What powers the machine now: "AC Power", "Battery Power" or "UPS Power";
// "" when the machine does not say (no Mains supply in sysfs: a desktop, a
// VM). macOS: `pmset -g batt` through `commands`; Linux:
// ReadLinuxPowerSource(sysfs_root). An error when the tool fails or prints
// something else.
absl::StatusOr<std::string> ReadPowerSource(Platform platform, CommandRunner* commands,
                                            const std::string& sysfs_root = "/sys");

// <sysfs_root>/class/power_supply/*/{type,online}: "AC Power" when a supply
// of type Mains is online, "Battery Power" when there are Mains supplies and
// none is, "" when there is none. An `online` that is not 0 or 1 is an error
// naming its path.
absl::StatusOr<std::string> ReadLinuxPowerSource(const std::string& sysfs_root);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_POWER_HOLD_H_
