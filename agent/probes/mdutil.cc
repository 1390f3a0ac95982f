#include "agent/probes/mdutil.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/parse_util.h"

namespace qdt::agent {
namespace {
constexpr size_t kMaxOutput = 64 << 10;
constexpr size_t kMaxLine = 4096;
}  // namespace

absl::StatusOr<MdutilStatus> ParseMdutilStatus(absl::string_view text) {
  if (text.size() > kMaxOutput) {
    return absl::InvalidArgumentError(
        absl::StrCat("mdutil -s: output of ", text.size(), " bytes, more than ", kMaxOutput));
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return absl::InvalidArgumentError(
          absl::StrCat("mdutil -s: a control byte in the output: ", PrintableExcerpt(text)));
    }
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("mdutil -s: no store and status in: ", PrintableExcerpt(text)));
  }
  absl::string_view store = absl::StripTrailingAsciiWhitespace(lines[0]);
  absl::string_view status = lines[1];
  if (store.size() > kMaxLine || status.size() > kMaxLine || !absl::ConsumeSuffix(&store, ":") ||
      store.empty() || status.empty() || (status[0] != '\t' && status[0] != ' ')) {
    return absl::InvalidArgumentError(
        absl::StrCat("mdutil -s: store: expected \"<path>:\" then an indented status, got: ",
                     PrintableExcerpt(text)));
  }
  MdutilStatus out;
  out.store = std::string(store);
  out.status = std::string(absl::StripAsciiWhitespace(status));
  out.indexing = absl::StartsWith(out.status, "Indexing enabled");
  return out;
}

}  // namespace qdt::agent
