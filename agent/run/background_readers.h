// Other readers of the drive under test on a Mac: Spotlight indexes every new
// file of an indexed volume and Time Machine backs them up, both reading the
// drive while a test runs (show-Mac guides tell operators to turn both off;
// docs/MACOS.md). Before the layout the run asks `mdutil -s <target>` whether
// Spotlight indexes the volume (agent/probes/mdutil.h) and puts a Time Machine
// exclusion on the test area with `tmutil addexclusion <target>/.qdt-test`
// (tmutil(8): a sticky exclusion that stays with the folder). What they do
// during the test anyway shows as "other reads" (the drive's counter).
//
// Runs tools through the CommandRunner; thread-safe as the runner is.
#ifndef QDT_AGENT_RUN_BACKGROUND_READERS_H_
#define QDT_AGENT_RUN_BACKGROUND_READERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "agent/probes/command_runner.h"
#include "agent/probes/mdutil.h"

namespace qdt::agent {

struct BackgroundReaders {
  // mdutil's status of the target's volume ("Indexing enabled."); empty when
  // unknown, and spotlight_note says why.
  std::string spotlight;
  std::string spotlight_note;
  bool spotlight_indexes = false;
  std::string spotlight_store;  // the volume's store as mdutil names it
  // "excluded <folder>" or why the exclusion could not be set.
  std::string time_machine;
};

// Spotlight's state of the volume `target` is on (`mdutil -s`); an error
// naming what went wrong when mdutil does not answer or answers something else.
absl::StatusOr<MdutilStatus> ReadSpotlight(CommandRunner* runner, const std::string& target);

BackgroundReaders CheckBackgroundReaders(CommandRunner* runner, const std::string& target,
                                         const std::string& area_folder);

}  // namespace qdt::agent

#endif  // QDT_AGENT_RUN_BACKGROUND_READERS_H_
