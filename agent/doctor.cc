#include "agent/doctor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/probes/qlab.h"
#include "agent/run/background_readers.h"
#include "agent/run/power_hold.h"
#include "agent/run/test_area.h"
#include "common/errno_status.h"
#include "common/units.h"
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

std::vector<DoctorCheck> RunDoctor(const DoctorOptions& o) {
  std::vector<DoctorCheck> out;
  out.push_back(CheckFio(o));
  if (o.platform == Platform::kMacOS) out.push_back(CheckFullDiskAccess(o));
  out.push_back(CheckPowerHold(o));
  if (!o.target.empty()) CheckTarget(o, &out);
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
