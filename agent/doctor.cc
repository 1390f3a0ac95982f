#include "agent/doctor.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probes/platform_probe.h"
#include "agent/probes/qlab.h"
#include "agent/probes/smartctl.h"
#include "agent/probes/sysctl.h"
#include "agent/probes/thermal_monitor.h"
#include "agent/run/background_readers.h"
#include "agent/run/io_policy.h"
#include "agent/run/power_hold.h"
#include "agent/run/test_area.h"
#include "common/errno_status.h"
#include "common/profiles.h"
#include "common/quote.h"
#include "common/units.h"
#include "fio/fio_job_builder.h"
#include "fio/fio_runner.h"

namespace qdt::agent {
namespace {

DoctorCheck Check(std::string name, DoctorCheck::Level level, std::string detail,
                  std::string fix = "") {
  return DoctorCheck{std::move(name), level, std::move(detail), std::move(fix)};
}

DoctorCheck CheckFio(const DoctorOptions& o) {
  auto path = fio::ResolveFioPath(o.fio_path);
  if (!path.ok()) {
    return Check("fio", DoctorCheck::kFail, std::string(path.status().message()),
                 o.platform == Platform::kMacOS ? "install the QDT package (it bundles fio)"
                                                : "apt-get install fio");
  }
  auto version = fio::FioVersion(*path);
  if (!version.ok()) {
    return Check("fio", DoctorCheck::kFail, absl::StrCat(*path, ": ", version.status().message()),
                 "reinstall fio; `fio --version` must answer");
  }
  const std::string problem = fio::FioCacheDropProblem(o.platform == Platform::kMacOS, *version);
  if (problem.empty()) {
    return Check("fio", DoctorCheck::kOk,
                 absl::StrCat(*version, " at ", *path, ", drops cached pages before reading"));
  }
  return Check("fio", o.allow_fio_without_cache_drop ? DoctorCheck::kWarn : DoctorCheck::kFail,
               absl::StrCat(*version, " at ", *path, ": ", problem),
               "install fio 3.42 or newer (the QDT package bundles one)");
}

DoctorCheck CheckFullDiskAccess(const DoctorOptions& o) {
  const FullDiskAccess fda = CheckFullDiskAccessAt(o.tcc_db);
  if (fda.state == "yes") return Check("full disk access", DoctorCheck::kOk, fda.note);
  if (fda.state == "no") {
    return Check("full disk access", DoctorCheck::kFail, fda.note,
                 absl::StrCat("add ", o.agent_path,
                              " in System Settings › Privacy & Security › Full Disk Access"));
  }
  return Check("full disk access", DoctorCheck::kWarn, fda.note,
               "check System Settings › Privacy & Security › Full Disk Access by hand");
}

DoctorCheck CheckPowerHold(const DoctorOptions& o) {
  // The real hold, taken and let go: a tool that is there but cannot hold
  // (systemd-inhibit without logind) says so.
  PowerHoldOptions hold_options;
  hold_options.platform = o.platform;
  hold_options.run_id = "doctor";
  std::unique_ptr<PowerHold> hold = AcquirePowerHold(hold_options);
  const std::string holder = hold->holder(), note = hold->note();
  hold->Release();
  if (!holder.empty()) {
    return Check("kept awake", DoctorCheck::kOk,
                 absl::StrCat("runs hold the machine awake (", holder, " while checked)"));
  }
  return Check("kept awake", DoctorCheck::kWarn,
               absl::StrCat("nothing keeps the machine awake during a run: ", note),
               o.platform == Platform::kMacOS
                   ? "caffeinate is part of macOS: check PATH; meanwhile turn off sleep in "
                     "System Settings for the show"
                   : "run under systemd with logind, or turn off suspend for the show");
}

DoctorCheck CheckIoPolicy(const DoctorOptions& o) {
  const FioIoPolicy policy = ChooseFioIoPolicy(o.platform);
  if (policy.set) return Check("I/O policy", DoctorCheck::kOk, "fio runs " + policy.description);
  return Check("I/O policy", DoctorCheck::kWarn, policy.description,
               "taskpolicy is part of macOS (/usr/sbin): check the agent's PATH");
}

// macOS: one line per physical drive behind the offered volumes.
void CheckMacTemperatures(const DoctorOptions& o, std::vector<DoctorCheck>* out) {
  if (o.smartctl.empty()) {
    out->push_back(Check("temperature", DoctorCheck::kWarn,
                         absl::StrCat("no drive temperature: ", o.smartctl_note),
                         "install the QDT package (it bundles smartctl), or pass --smartctl"));
    return;
  }
  std::vector<std::string> notes;
  std::string internal;
  const std::vector<qdt::v1::Volume> volumes = ProbeMacosVolumes(o.commands, &notes, &internal);
  std::vector<std::string> seen;
  for (const qdt::v1::Volume& v : volumes) {
    const std::string disk = v.physical_device();
    if (disk.empty() || std::find(seen.begin(), seen.end(), disk) != seen.end()) continue;
    seen.push_back(disk);
    const std::string name = absl::StrCat("temp ", disk);
    const SmartctlReading r = ReadSmartctl(o.commands, o.smartctl, "/dev/" + disk);
    if (r.temperature_c) {
      out->push_back(
          Check(name, DoctorCheck::kOk,
                absl::StrFormat("%.0f °C (%s), the drive of %s", *r.temperature_c,
                                r.model.empty() ? "smartctl" : r.model, v.mount_point())));
    } else if (v.protocol() == "USB") {
      out->push_back(Check(name, DoctorCheck::kWarn,
                           absl::StrCat("no sensor over USB (", v.mount_point(),
                                        "): runs on it show no drive temperature"),
                           "for a long test, watch the enclosure's temperature by hand, or use "
                           "a Thunderbolt enclosure"));
    } else {
      out->push_back(Check(name, DoctorCheck::kWarn,
                           absl::StrCat("no temperature (", v.mount_point(), "): ",
                                        r.error.empty() ? "smartctl reported none" : r.error),
                           absl::StrCat("check: ", o.smartctl, " -a /dev/", disk)));
    }
  }
  if (seen.empty()) {
    out->push_back(Check("temperature", DoctorCheck::kWarn,
                         absl::StrCat("no drive found to read: ",
                                      notes.empty() ? "no volume listed" : notes.front()),
                         "check: system_profiler SPStorageDataType; diskutil list"));
  }
}

// Linux: the drive hwmon sensors (nvme, drivetemp), else smartctl.
DoctorCheck CheckLinuxTemperature(const DoctorOptions& o) {
  ThermalMonitor monitor(o.commands, Platform::kLinux, o.sysfs_root);
  const ThermalReading t = monitor.SampleOnce();
  if (t.temperature_c) {
    return Check("temperature", DoctorCheck::kOk,
                 absl::StrFormat("%.0f °C (%s)", *t.temperature_c, t.temperature_source));
  }
  return Check("temperature", DoctorCheck::kWarn,
               "no drive temperature sensor (no nvme or drivetemp hwmon): runs show none",
               "SATA drives: modprobe drivetemp; USB and virtual drives have none");
}

// macOS: the kernel's POSIX AIO limits against the profile's reads in
// flight, as the agent lays them out (sysctl.h, DescribeAioFit).
DoctorCheck CheckAio(const DoctorOptions& o) {
  auto limits = ReadAioLimits(o.commands);
  if (!limits.ok()) {
    return Check("AIO limits", DoctorCheck::kWarn,
                 absl::StrCat("unknown: ", limits.status().message()),
                 "check: sysctl kern.aioprocmax kern.aiomax kern.aiothreads");
  }
  auto profile = BuiltinProfile(o.profile);
  if (!profile.ok()) {
    return Check("AIO limits", DoctorCheck::kWarn, std::string(profile.status().message()));
  }
  const AioFit fit = DescribeAioFit(*limits, *profile, fio::DefaultIoEngine(/*macos=*/true));
  return Check("AIO limits", fit.ok ? DoctorCheck::kOk : DoctorCheck::kWarn, fit.detail, fit.fix);
}

DoctorCheck CheckTimeMachine(const DoctorOptions& o) {
  auto out = o.commands->Run({"tmutil", "status"}, absl::Seconds(10));
  absl::StatusOr<bool> running = !out.ok() ? absl::StatusOr<bool>(out.status())
                                 : out->exit_code != 0
                                     ? absl::StatusOr<bool>(absl::UnavailableError(absl::StrCat(
                                           "tmutil status exited with ", out->exit_code)))
                                     : ParseTmutilRunning(out->out);
  if (!running.ok()) {
    return Check("time machine", DoctorCheck::kWarn,
                 absl::StrCat("unknown: ", running.status().message()), "check: tmutil status");
  }
  if (*running) {
    return Check("time machine", DoctorCheck::kWarn,
                 "a backup is running now: it reads the drives while you test",
                 "let it finish, or stop it: tmutil stopbackup");
  }
  return Check("time machine", DoctorCheck::kOk,
               "no backup running; runs exclude their test folder (tmutil addexclusion)");
}

DoctorCheck CheckClock(const DoctorOptions& o) {
  const bool macos = o.platform == Platform::kMacOS;
  const std::vector<std::string> argv =
      macos ? std::vector<std::string>{"systemsetup", "-getusingnetworktime"}
            : std::vector<std::string>{"timedatectl", "show", "-p", "NTPSynchronized", "--value"};
  auto out = o.commands->Run(argv, absl::Seconds(10));
  absl::StatusOr<bool> synced = !out.ok() ? absl::StatusOr<bool>(out.status())
                                : out->exit_code != 0
                                    ? absl::StatusOr<bool>(absl::UnavailableError(absl::StrCat(
                                          argv[0], " exited with ", out->exit_code, ": ",
                                          absl::StripAsciiWhitespace(out->err.substr(0, 200)))))
                                : macos ? ParseNetworkTime(out->out)
                                        : ParseNtpSynchronized(out->out);
  const std::string fix = macos ? "System Settings › General › Date & Time › Set time and date "
                                  "automatically"
                                : "timedatectl set-ntp true (or run chrony / ntpd)";
  if (!synced.ok()) {
    return Check(
        "clock", DoctorCheck::kWarn,
        absl::StrCat("unknown whether network time keeps the clock: ", synced.status().message(),
                     "; a synchronised start across the rig needs it"),
        fix);
  }
  if (!*synced) {
    return Check("clock", DoctorCheck::kWarn,
                 macos ? "network time is off: a synchronised start across the rig drifts"
                       : "not synchronised to network time: a synchronised start drifts",
                 fix);
  }
  return Check("clock", DoctorCheck::kOk,
               macos ? "network time is on" : "synchronised to network time (NTP)");
}

void CheckTarget(const DoctorOptions& o, std::vector<DoctorCheck>* out) {
  auto space = SpaceOf(o.target);
  if (!space.ok()) {
    out->push_back(Check("target", DoctorCheck::kFail, std::string(space.status().message()),
                         "give an existing folder on the drive to test"));
    return;
  }
  const std::string free_text = absl::StrFormat("%.1f GB free", space->free_bytes / 1e9);
  if (o.needed_bytes > 0 && space->free_bytes < o.needed_bytes) {
    out->push_back(Check(
        "free space", DoctorCheck::kFail,
        absl::StrFormat("%s on %s, a run needs %.1f GB", free_text, o.target, o.needed_bytes / 1e9),
        "free space, or test with smaller files (--file-size)"));
  } else {
    out->push_back(
        Check("free space", DoctorCheck::kOk, absl::StrCat(free_text, " on ", o.target)));
  }
  if (o.platform != Platform::kMacOS) return;
  auto status = ReadSpotlight(o.commands, o.target);
  if (!status.ok()) {
    out->push_back(Check("spotlight", DoctorCheck::kWarn,
                         absl::StrCat("unknown: ", status.status().message()),
                         absl::StrCat("check with: mdutil -s ", o.target)));
  } else if (status->indexing) {
    out->push_back(Check("spotlight", DoctorCheck::kWarn,
                         absl::StrCat(status->status, " on ", status->store,
                                      ": Spotlight reads the drive while it is tested"),
                         absl::StrCat("sudo mdutil -i off ", status->store)));
  } else {
    out->push_back(Check("spotlight", DoctorCheck::kOk, status->status));
  }
}

}  // namespace

FullDiskAccess CheckFullDiskAccessAt(const std::string& tcc_db) {
  const int fd = ::open(tcc_db.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return {"yes", "yes (the TCC database opens for reading)"};
  }
  const int err = errno;
  if (err == EPERM || err == EACCES) {
    return {"no", absl::StrCat("no: ", tcc_db, ": ", ErrnoText(err),
                               "; reads on external volumes will be refused")};
  }
  return {"unknown", absl::StrCat("unknown: ", tcc_db, ": ", ErrnoText(err))};
}

absl::StatusOr<bool> ParseTmutilRunning(absl::string_view text) {
  // Only the top level's key: the nested Progress dictionary has keys too.
  int depth = 0;
  std::optional<bool> running;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (depth == 1 && absl::ConsumePrefix(&line, "Running = ")) {
      if (line == "1;") running = true;
      if (line == "0;") running = false;
      if (!running) {
        return absl::InvalidArgumentError(
            absl::StrCat("tmutil status: Running: \"", line.substr(0, 20), "\" is not 0; or 1;"));
      }
    }
    for (char c : line) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
  }
  if (!running)
    return absl::InvalidArgumentError("tmutil status: no top-level \"Running = \" line");
  return *running;
}

absl::StatusOr<bool> ParseNetworkTime(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t == "Network Time: On") return true;
  if (t == "Network Time: Off") return false;
  return absl::InvalidArgumentError(absl::StrCat("systemsetup -getusingnetworktime: \"",
                                                 t.substr(0, 60),
                                                 "\" is not \"Network Time: On\" or Off"));
}

absl::StatusOr<bool> ParseNtpSynchronized(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t == "yes") return true;
  if (t == "no") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("timedatectl NTPSynchronized: \"", t.substr(0, 60), "\" is not yes or no"));
}

// Runs recovery set aside (run_store.h QuarantineRun): kept on disk, but no
// client can list them, so the operator learns of them here.
DoctorCheck CheckSetAsideRuns(const DoctorOptions& o) {
  const std::string dir = o.state_dir + "/quarantine";
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  } else if (errno != ENOENT) {
    return Check("set-aside runs", DoctorCheck::kWarn,
                 absl::StrCat("cannot list ", QuoteForError(dir), ": ", ErrnoText(errno)),
                 "check the state folder's permissions");
  }
  if (names.empty()) return Check("set-aside runs", DoctorCheck::kOk, "none");
  std::sort(names.begin(), names.end());
  constexpr size_t kNamed = 5;
  std::vector<std::string> shown;
  for (size_t i = 0; i < names.size() && i < kNamed; ++i) shown.push_back(QuoteForError(names[i]));
  std::string detail = absl::StrCat(names.size(), names.size() == 1 ? " run" : " runs",
                                    " the agent could not read after a crash, kept in ",
                                    QuoteForError(dir), ": ", absl::StrJoin(shown, ", "));
  if (names.size() > kNamed) absl::StrAppend(&detail, " and ", names.size() - kNamed, " more");
  return Check("set-aside runs", DoctorCheck::kWarn, std::move(detail),
               "no client lists them: read each folder's events.log and run.json there, keep what "
               "you need, then delete the folder");
}

std::vector<DoctorCheck> RunDoctor(const DoctorOptions& o) {
  std::vector<DoctorCheck> out;
  const bool macos = o.platform == Platform::kMacOS;
  out.push_back(CheckFio(o));
  if (macos) out.push_back(CheckFullDiskAccess(o));
  if (macos) out.push_back(CheckIoPolicy(o));
  out.push_back(CheckPowerHold(o));
  if (macos) {
    CheckMacTemperatures(o, &out);
  } else {
    out.push_back(CheckLinuxTemperature(o));
  }
  if (macos) out.push_back(CheckAio(o));
  if (macos) out.push_back(CheckTimeMachine(o));
  out.push_back(CheckClock(o));
  if (!o.target.empty()) CheckTarget(o, &out);
  if (!o.state_dir.empty()) out.push_back(CheckSetAsideRuns(o));
  if (QlabRunning(o.commands)) {
    out.push_back(Check("QLab", DoctorCheck::kWarn, "QLab is running: tests are refused",
                        "close QLab for the test, or start it with --force"));
  } else {
    out.push_back(Check("QLab", DoctorCheck::kOk, "not running"));
  }
  return out;
}

std::string FormatDoctor(const std::vector<DoctorCheck>& checks) {
  std::string out;
  for (const DoctorCheck& c : checks) {
    const char* word = c.level == DoctorCheck::kOk     ? "ok  "
                       : c.level == DoctorCheck::kWarn ? "warn"
                                                       : "FAIL";
    absl::StrAppendFormat(&out, "%s  %-17s %s\n", word, c.name, c.detail);
    if (!c.fix.empty()) absl::StrAppendFormat(&out, "      %-17s fix: %s\n", "", c.fix);
  }
  const int code = DoctorExitCode(checks);
  absl::StrAppend(&out, code == 0   ? "ready\n"
                        : code == 1 ? "ready, with warnings (see the fixes above)\n"
                                    : "NOT READY (see the fixes above)\n");
  return out;
}

int DoctorExitCode(const std::vector<DoctorCheck>& checks) {
  int code = 0;
  for (const DoctorCheck& c : checks) {
    code = std::max(code, c.level == DoctorCheck::kFail ? 2 : c.level == DoctorCheck::kWarn);
  }
  return code;
}

}  // namespace qdt::agent
