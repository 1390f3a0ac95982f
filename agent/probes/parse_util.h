// Helpers that more than one probe parser needs (diskutil.cc,
// system_profiler.cc, smartctl.cc), kept in one place so that the parsers
// agree on what "Yes" and "Key: value" mean.
//
// Pure: no I/O, no logging. Thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_PARSE_UTIL_H_
#define QDT_AGENT_PROBES_PARSE_UTIL_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {

// "Yes", "Yes (read-only mount flag set)", "yes" -> true; "No...", "no" ->
// false; anything else -> unset. diskutil capitalises, system_profiler's JSON
// does not.
std::optional<bool> ParseYesNo(absl::string_view value);

// obj[key] when it is a string; "" when it is missing, of another type, or
// `obj` is not an object (tools leave keys out rather than print null).
std::string JsonString(const nlohmann::json& obj, const char* key);

// "Temperature Sensor 1:   52 Celsius" -> {"Temperature Sensor 1", "52
// Celsius"}: split at the first ':', both sides trimmed. False when there is
// no ':' or the key is empty.
bool SplitField(absl::string_view line, absl::string_view* key, absl::string_view* value);

// A tool's words for a message: printable ASCII kept as is, every other byte
// as \xHH, cut to `max_chars` of the input with "..." after. Quotes are
// kept (unlike absl::CHexEscape), so "Now drawing from 'AC Power'" reads as
// printed.
std::string PrintableExcerpt(absl::string_view text, size_t max_chars = 80);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PARSE_UTIL_H_
