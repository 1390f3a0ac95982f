// Quoting a value that came from outside (a request field, a file, a tool's
// output) inside an error or log message. A value is quoted, escaped and cut,
// so that a 1 MB name does not make a 1 MB error (and a 4 MB reply), a control
// character cannot forge a log line, and the message stays valid UTF-8 (proto3
// `string` fields refuse anything else).
//
// Thread-safe (pure).
#ifndef QDT_COMMON_QUOTE_H_
#define QDT_COMMON_QUOTE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace qdt {

// At most this many bytes of a value are quoted in an error by default.
inline constexpr size_t kMaxQuotedBytes = 200;

// `value` in double quotes: `"` and `\` escaped with a backslash, \n \r \t as
// such, other control characters, DEL and bytes that are not part of valid
// UTF-8 as \xNN; valid UTF-8 (e.g. "Médias") is kept. A value longer than
// `max_bytes` is cut at a character boundary at or before `max_bytes` bytes of
// the value and followed by "… (N bytes)" with its full size:
//   QuoteForError("abc")          → "abc" (with the quotes)
//   QuoteForError(1 MB of 'x')    → "xxx…xxx"… (1048576 bytes)
std::string QuoteForError(absl::string_view value, size_t max_bytes = kMaxQuotedBytes);

// `text` when it is at most `max_bytes` long; else its first bytes up to a
// character boundary at or before `max_bytes`, then "…" (a summary field, not
// a quote: no quotes, no escaping).
std::string CutUtf8(absl::string_view text, size_t max_bytes);

// True when `text` is valid UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when the
// first byte does not begin one (RFC 3629, Table 3-7 of the Unicode standard;
// what protobuf's validator accepts: no overlongs, no surrogates, nothing
// above U+10FFFF). Also used by ToValidUtf8 (common/utf8.h).
size_t Utf8SequenceLength(absl::string_view s);

// The rig token's rule, one for the agent, qdtctl and the console: 16 to
// 1024 bytes of printable ASCII without spaces (0x21-0x7E). It travels as an
// HTTP/2 header value ("authorization: Bearer <token>"), and gRPC aborts a
// client that sends a control character or a byte above 0x7E in one.
inline constexpr size_t kMinTokenBytes = 16;
inline constexpr size_t kMaxTokenBytes = 1024;

// Empty when `token` follows the rule; else what is wrong, e.g. "is 3 bytes
// long; a rig token is 16 to 1024 bytes" or "holds a line break (\x0a) at
// byte 17; a rig token is one line of printable ASCII (0x21-0x7E)". Never
// quotes the token itself (it is a secret).
std::string TokenProblem(absl::string_view token);

}  // namespace qdt

#endif  // QDT_COMMON_QUOTE_H_
