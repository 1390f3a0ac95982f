#include "agent/run/background_readers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/parse_util.h"

namespace qdt::agent {

absl::StatusOr<MdutilStatus> ReadSpotlight(CommandRunner* runner, const std::string& target) {
  auto md = runner->Run({"mdutil", "-s", target}, absl::Seconds(10));
  if (!md.ok()) return absl::UnavailableError(absl::StrCat("mdutil -s: ", md.status().message()));
  if (md->exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("mdutil -s exited ", md->exit_code, ": ",
                     PrintableExcerpt(absl::StripAsciiWhitespace(md->err))));
  }
  return ParseMdutilStatus(md->out);
}

BackgroundReaders CheckBackgroundReaders(CommandRunner* runner, const std::string& target,
                                         const std::string& area_folder) {
  BackgroundReaders r;
  if (auto status = ReadSpotlight(runner, target); !status.ok()) {
    r.spotlight_note = std::string(status.status().message());
  } else {
    r.spotlight = status->status;
    r.spotlight_indexes = status->indexing;
    r.spotlight_store = status->store;
  }
  auto tm = runner->Run({"tmutil", "addexclusion", area_folder}, absl::Seconds(20));
  if (!tm.ok()) {
    r.time_machine = absl::StrCat("not excluded: tmutil: ", tm.status().message());
  } else if (tm->exit_code != 0) {
    r.time_machine = absl::StrCat("not excluded: tmutil addexclusion exited ", tm->exit_code, ": ",
                                  PrintableExcerpt(absl::StripAsciiWhitespace(tm->err)));
  } else {
    r.time_machine = absl::StrCat("excluded ", area_folder);
  }
  return r;
}

}  // namespace qdt::agent
