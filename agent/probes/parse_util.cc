#include "agent/probes/parse_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace qdt::agent {

std::optional<bool> ParseYesNo(absl::string_view value) {
  if (absl::StartsWith(value, "Yes") || value == "yes") return true;
  if (absl::StartsWith(value, "No") || value == "no") return false;
  return std::nullopt;
}

std::string JsonString(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool SplitField(absl::string_view line, absl::string_view* key, absl::string_view* value) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return false;
  *key = absl::StripAsciiWhitespace(line.substr(0, colon));
  *value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  return !key->empty();
}

std::string PrintableExcerpt(absl::string_view text, size_t max_chars) {
  std::string out;
  for (unsigned char c : text.substr(0, max_chars)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("\\x%02x", c);
    }
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

}  // namespace qdt::agent
