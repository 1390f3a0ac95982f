// Where a run may write, in one place: the target policy (never a system
// folder, only inside the configured allowed folders, a writable folder with
// room for the files and a reserve) and the run's own folder
// <target>/.qdt-test/<run-id>, which holds the only files a run creates.
//
// Nothing is written until every check has passed. The target is opened once
// (OpenTarget) and checked by the real path of what was opened; the run's
// folder is made and emptied through that descriptor and descriptors opened
// with O_NOFOLLOW, so a symbolic link planted at .qdt-test or at the run's
// folder is never followed (the stream files would otherwise land, or be
// deleted, wherever it points), and a target swapped after its check is not
// written either.
//
// Thread-safe (no shared state); the file system is the state.
#ifndef QDT_AGENT_RUN_TEST_AREA_H_
#define QDT_AGENT_RUN_TEST_AREA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "common/units.h"

namespace qdt::agent {

struct TargetPolicy {
  // When not empty, targets must lie inside one of these folders (the config
  // file's allowed_target_dirs; compared after realpath, so a symlink cannot
  // lead out). Listing one of the whole folders below (/tmp, /home, ...)
  // exactly allows that folder itself.
  std::vector<std::string> allowed_target_dirs;
  // Kept free on the target beyond the test files, so a test never fills a show drive.
  uint64_t space_reserve_bytes = 256 * kMiB;
  // The agent's own state folder (--state-dir): never a target, nor any folder
  // inside it (a run's files would mix with the run records, and recovery
  // removes by name there). A target that contains it is fine: the test files
  // go to <target>/.qdt-test/<run-id>, which cannot be the state folder unless
  // the state folder lies inside <target>/.qdt-test (refused). Empty = none.
  std::string state_dir;
};

// Whether `path` is, or is inside, a folder of the operating system (or an
// agent's default state folder): never a place for test files, even where
// root could write.
bool InSystemFolder(const std::string& path);

// Whether `path` is one of the folders that hold everyone's files and are
// never tested as a whole (their subfolders may be): "/" (never allowed), and
// unless allowed_target_dirs lists it exactly, /tmp, /var, /home, /root,
// /mnt, /media, and on macOS /Users, /Volumes, /private/tmp, /private/var,
// /System/Volumes/Data (the data volume's root, MACOS.md "The internal drive
// as a target").
bool IsWholeSharedFolder(const std::string& path);

// A target folder that passed every check, held open. Everything after the
// check (free space, the run's folder) goes through this descriptor, so a
// target swapped for a link after the check is never followed.
class CheckedTarget {
 public:
  const std::string& path() const { return path_; }       // as requested
  const std::string& real_path() const { return real_; }  // what was opened
  int fd() const { return fd_->get(); }
  std::shared_ptr<UniqueFd> shared_fd() const { return fd_; }

 private:
  friend absl::StatusOr<CheckedTarget> OpenTarget(const std::string&, const TargetPolicy&);
  CheckedTarget(std::string path, std::string real, UniqueFd fd);
  std::string path_, real_;
  std::shared_ptr<UniqueFd> fd_;  // shared: a TestArea is copied
};

// Opens `target` (links on the way are followed: /tmp is /private/tmp on
// macOS, a volume may be reached through one) and checks what was opened, by
// its real path, before anything is written: not a system folder, not one of
// the whole shared folders (IsWholeSharedFolder), not the agent's state
// folder or inside it, a folder, inside the allowed folders, not read-only,
// writable, and no link or file planted at <target>/.qdt-test.
// FailedPrecondition naming the target and what is wrong (the target quoted
// at most ~200 bytes long).
absl::StatusOr<CheckedTarget> OpenTarget(const std::string& target, const TargetPolicy& policy);

// OpenTarget without keeping the folder open: GetInfo(check_target) and tests.
// Writes nothing.
absl::Status CheckTarget(const std::string& target, const TargetPolicy& policy);

// Whether `target` (absolute) lies inside one of `allowed` (all when empty);
// FailedPrecondition naming the target and the allowed folders otherwise.
absl::Status CheckAllowedTarget(const std::string& target, const std::vector<std::string>& allowed);

struct VolumeSpace {
  uint64_t free_bytes = 0;  // available to the agent
  uint64_t total_bytes = 0;
};
// statvfs of the volume holding `path`; Internal when it cannot be read.
absl::StatusOr<VolumeSpace> SpaceOf(const std::string& path);

// FailedPrecondition "target_dir: not enough free space on "/x": need 8.3 GiB
// (8 files x 1.0 GiB + 256.0 MiB reserve), 2.0 GiB free". A volume whose
// space cannot be read is not refused here.
absl::Status CheckFreeSpace(const std::string& target, int file_count, uint64_t file_size,
                            uint64_t reserve_bytes);
// The same for a checked target, through its descriptor.
absl::Status CheckFreeSpace(const CheckedTarget& target, int file_count, uint64_t file_size,
                            uint64_t reserve_bytes);

class TestArea {
 public:
  // Creates <target>/.qdt-test (when missing) and <target>/.qdt-test/<run_id>
  // relative to the checked target's descriptor (mkdirat, then openat with
  // O_NOFOLLOW). FailedPrecondition naming the path when the target is not
  // writable, when .qdt-test is not a real folder (a link or a file in its
  // place), or when the run's folder cannot be made; nothing is left behind
  // then.
  static absl::StatusOr<TestArea> Create(const CheckedTarget& target, const std::string& run_id);
  // The same for a folder opened here without the target policy (tests of
  // the run engine).
  static absl::StatusOr<TestArea> Create(const std::string& target, const std::string& run_id);

  const std::string& target() const { return target_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& dir() const { return dir_; }
  // The run's folder, opened when it was made (through the target's descriptor,
  // O_NOFOLLOW at every step): fio is started in it and the phase gates are
  // made in it through this descriptor, so a link swapped in for the folder's
  // path later is never followed. Closed by RemoveFiles.
  std::shared_ptr<UniqueFd> dir_fd() const { return dir_fd_; }

  // Removes what the run created, by name (run_plan.h TestFileNames: the
  // stream files, fio's prerun outputs, the phase gates), then the run's folder
  // and .qdt-test if they are empty; through the target's descriptor held
  // since the check, which is closed then (every copy of this TestArea shares
  // it): the volume is not held busy after the run.
  void RemoveFiles(const std::vector<std::string>& names) const;

 private:
  TestArea(std::string target, std::string run_id, std::shared_ptr<UniqueFd> target_fd,
           std::shared_ptr<UniqueFd> dir_fd);
  std::string target_, run_id_, dir_;
  std::shared_ptr<UniqueFd> target_fd_;
  std::shared_ptr<UniqueFd> dir_fd_;
};

// The same for a run known only from its record (recovery after a crash).
// Never removes anything else, never follows a link.
void RemoveTestFiles(const std::string& target, const std::string& run_id,
                     const std::vector<std::string>& names);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_TEST_AREA_H_
