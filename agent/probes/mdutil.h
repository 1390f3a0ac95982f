// Parses `mdutil -s <volume>` (mdutil(1): "Print indexing status"): one
// store per two lines, its path with a colon, then its status indented by a
// tab, e.g.
//   /System/Volumes/Data/Volumes/Shared:
//   \tIndexing enabled.
// Other statuses seen: "Indexing and searching disabled.", "No index.",
// "Server search enabled" (a network share indexed by its server). Captures
// in tests/fixtures/mdutil (SOURCES.md).
//
// Pure; thread-safe.
#ifndef QDT_AGENT_PROBES_MDUTIL_H_
#define QDT_AGENT_PROBES_MDUTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

struct MdutilStatus {
  std::string store;   // the store's path as mdutil prints it, without the colon
  std::string status;  // e.g. "Indexing enabled."
  // Spotlight indexes this volume on this Mac (it reads new files as they are written).
  bool indexing = false;
};

// The first store of the output. InvalidArgument naming what is wrong for
// anything that is not mdutil -s output (bounded to 64 KiB; control bytes
// other than tab and newline refused).
absl::StatusOr<MdutilStatus> ParseMdutilStatus(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_MDUTIL_H_
