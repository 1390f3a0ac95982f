#include "agent/probes/parse_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

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

}  // namespace qdt::agent
