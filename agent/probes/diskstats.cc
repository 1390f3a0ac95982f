#include "agent/probes/diskstats.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace qdt::agent {

absl::StatusOr<std::vector<DiskstatsEntry>> ParseDiskstats(absl::string_view text) {
  std::vector<DiskstatsEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.empty()) continue;
    if (f.size() < 14) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/diskstats: line ", line_no, " has ",
                                                     f.size(), " fields, expected at least 14"));
    }
    DiskstatsEntry e;
    e.name = std::string(f[2]);
    uint64_t* numbers[] = {&e.reads_completed,  nullptr, &e.sectors_read,    &e.read_ms,
                           &e.writes_completed, nullptr, &e.sectors_written, &e.write_ms,
                           &e.in_flight,        &e.io_ms};
    bool ok = absl::SimpleAtoi(f[0], &e.major) && absl::SimpleAtoi(f[1], &e.minor);
    for (size_t i = 0; ok && i < 10; ++i) {
      uint64_t ignored = 0;
      ok = absl::SimpleAtoi(f[3 + i], numbers[i] != nullptr ? numbers[i] : &ignored);
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/diskstats: line ", line_no, " (",
                                                     e.name.substr(0, 32),
                                                     ") has a field that is not a number"));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace qdt::agent
