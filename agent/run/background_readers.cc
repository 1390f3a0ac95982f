#include "agent/run/background_readers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/mdutil.h"
#include "agent/probes/parse_util.h"

namespace qdt::agent {

BackgroundReaders CheckBackgroundReaders(CommandRunner* runner, const std::string& target,
                                         const std::string& area_folder) {
  BackgroundReaders r;
  auto md = runner->Run({"mdutil", "-s", target}, absl::Seconds(10));
  if (!md.ok()) {
    r.spotlight_note = absl::StrCat("mdutil -s: ", md.status().message());
  } else if (md->exit_code != 0) {
    r.spotlight_note = absl::StrCat("mdutil -s exited ", md->exit_code, ": ",
                                    PrintableExcerpt(absl::StripAsciiWhitespace(md->err)));
  } else if (auto status = ParseMdutilStatus(md->out); !status.ok()) {
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
