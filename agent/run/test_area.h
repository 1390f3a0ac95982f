// Where a run may write, in one place: the target policy (never a system
// folder, only inside the configured allowed folders, a writable folder with
// room for the files and a reserve) and the run's own folder
// <target>/.qdt-test/<run-id>, which holds the only files a run creates.
//
// Nothing is written until every check has passed. The run's folder is made
// and emptied through directory descriptors opened with O_NOFOLLOW, so a
// symbolic link planted at .qdt-test or at the run's folder is never followed
// (the stream files would otherwise land, or be deleted, wherever it points).
//
// Thread-safe (no shared state); the file system is the state.
#ifndef QDT_AGENT_RUN_TEST_AREA_H_
#define QDT_AGENT_RUN_TEST_AREA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/units.h"

namespace qdt::agent {

struct TargetPolicy {
  // When not empty, targets must lie inside one of these folders (the config
  // file's allowed_target_dirs; compared after realpath, so a symlink cannot
  // lead out).
  std::vector<std::string> allowed_target_dirs;
  // Kept free on the target beyond the test files, so a test never fills a show drive.
  uint64_t space_reserve_bytes = 256 * kMiB;
};

// Whether `path` is, or is inside, a folder of the operating system (or an
// agent's default state folder): never a place for test files, even where
// root could write.
bool InSystemFolder(const std::string& path);

// FailedPrecondition naming the target and what is wrong: a system folder,
// missing, not a folder, outside the allowed folders, on a read-only volume,
// not writable. Writes nothing.
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

class TestArea {
 public:
  // Creates <target>/.qdt-test (when missing) and <target>/.qdt-test/<run_id>.
  // FailedPrecondition naming the path when the target is not writable, when
  // .qdt-test is not a real folder (a link or a file in its place), or when the
  // run's folder cannot be made; nothing is left behind then.
  static absl::StatusOr<TestArea> Create(const std::string& target, const std::string& run_id);

  const std::string& target() const { return target_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& dir() const { return dir_; }

  // Removes what the run created, by name (run_plan.h TestFileNames: the
  // stream files, fio's prerun outputs, the phase gates), then the run's folder
  // and .qdt-test if they are empty.
  void RemoveFiles(const std::vector<std::string>& names) const;

 private:
  TestArea(std::string target, std::string run_id);
  std::string target_, run_id_, dir_;
};

// The same for a run known only from its record (recovery after a crash).
// Never removes anything else, never follows a link.
void RemoveTestFiles(const std::string& target, const std::string& run_id,
                     const std::vector<std::string>& names);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_TEST_AREA_H_
