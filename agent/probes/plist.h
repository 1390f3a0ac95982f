// Apple XML property lists as JSON, so that the `diskutil ... -plist` parsers
// (diskutil.h) walk dicts and arrays instead of XML. Only the XML form
// (PropertyList-1.0 DTD) is read: it is what `-plist` prints; a binary plist
// ("bplist00...") is an error.
//
// Parses: the stdout of `diskutil info -plist <mount point>`, `diskutil list
// -plist` (and any other tool's XML plist).
// Real captures: tests/fixtures/diskutil/*.plist (provenance in
// tests/fixtures/SOURCES.md).
// Pure: text in, value out; no I/O, no logging.
// Thread-safety: thread-safe (no shared state).
#ifndef QDT_AGENT_PROBES_PLIST_H_
#define QDT_AGENT_PROBES_PLIST_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {

// dict -> object, array -> array, string / date / data -> string (data stays
// base64), integer -> integer, real -> number, true / false -> boolean.
// Nesting deeper than 64 and anything that is not a plist is an error naming
// the offset.
absl::StatusOr<nlohmann::json> ParsePlist(absl::string_view text);

}  // namespace qdt::agent

#endif  // QDT_AGENT_PROBES_PLIST_H_
