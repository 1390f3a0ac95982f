#include "agent/probes/iostat.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace qdt::agent {

absl::StatusOr<IostatReport> ParseIostat(absl::string_view text) {
  IostatReport r;
  std::vector<absl::string_view> lines = absl::StrSplit(text, absl::ByAnyChar("\r\n"));
  bool header = false, units = false;
  size_t columns = 0;  // numbers per row we expect at least
  int line_no = 0;
  for (absl::string_view raw : lines) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty()) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!header) {
      // "disk0   disk4   cpu   load average": the disk names come first.
      for (absl::string_view w : words) {
        if (absl::StartsWith(w, "disk")) r.disks.emplace_back(w);
      }
      if (r.disks.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("iostat: line ", line_no, " names no disk: \"", line.substr(0, 60), "\""));
      }
      header = true;
      continue;
    }
    if (!units) {
      if (words.size() < 3 || words[0] != "KB/t") {
        return absl::InvalidArgumentError(
            absl::StrCat("iostat: line ", line_no, " is not the \"KB/t tps MB/s\" header"));
      }
      units = true;
      columns = 3 * r.disks.size();
      continue;
    }
    if (words[0] == "KB/t" || absl::StartsWith(words[0], "disk")) continue;  // repeated header
    if (words.size() < columns) {
      return absl::InvalidArgumentError(absl::StrCat("iostat: line ", line_no, " has ",
                                                     words.size(), " columns, expected at least ",
                                                     columns));
    }
    std::vector<IostatDisk> row;
    for (size_t d = 0; d < r.disks.size(); ++d) {
      IostatDisk disk;
      if (!absl::SimpleAtod(words[3 * d], &disk.kb_per_transfer) ||
          !absl::SimpleAtod(words[3 * d + 1], &disk.transfers_per_s) ||
          !absl::SimpleAtod(words[3 * d + 2], &disk.mb_per_s)) {
        return absl::InvalidArgumentError(absl::StrCat("iostat: line ", line_no, ", ", r.disks[d],
                                                       ": \"", line.substr(0, 60),
                                                       "\" is not numbers"));
      }
      row.push_back(disk);
    }
    r.rows.push_back(std::move(row));
  }
  if (!units) return absl::InvalidArgumentError("iostat: no \"KB/t tps MB/s\" header");
  return r;
}

}  // namespace qdt::agent
