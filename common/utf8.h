// UTF-8 for every string that comes from outside before it enters a proto.
// proto3 `string` fields must hold valid UTF-8: a message with one invalid
// byte serializes with an error log, and every reader refuses to parse it
// (the client's ListRuns, the agent reading its own events.log back). fio's
// stderr, a tool's output, a file name on a drive formatted elsewhere may
// hold any bytes, so they are made valid here; the raw bytes stay in the run
// folder's files.
//
// Valid means what protobuf's own validator accepts (RFC 3629): no overlong
// forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no bytes
// 0xC0, 0xC1, 0xF5..0xFF. NUL and other control characters are valid UTF-8.
#ifndef QDT_COMMON_UTF8_H_
#define QDT_COMMON_UTF8_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/quote.h"  // IsValidUtf8

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace qdt {

// IsValidUtf8 (common/quote.h) says whether a string needs it.

// `text` with every byte that is not part of a valid sequence written as
// "\xff" (four ASCII characters, as QuoteForError writes them); valid input comes back
// unchanged. A sequence cut short (a tail read from the middle of a file)
// is escaped byte by byte too.
std::string ToValidUtf8(absl::string_view text);

// Every `string` field of `message`, in nested and repeated messages too,
// made valid with ToValidUtf8 (`bytes` fields are left alone). Returns how
// many values were changed.
int MakeStringsValidUtf8(google::protobuf::Message* message);

}  // namespace qdt

#endif  // QDT_COMMON_UTF8_H_
