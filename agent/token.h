// The rig token: every RPC carries "authorization: Bearer <token>" and the
// agent compares it in constant time. The token lives in a file readable only
// by its owner; a missing file is created with a fresh random token.
#ifndef QDT_AGENT_TOKEN_H_
#define QDT_AGENT_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qdt::agent {

// Reads the token (surrounding whitespace removed). When the file does not
// exist and `create_if_missing`, writes 32 random bytes as hex, mode 0600.
// Refused, with an error that names the path and the fix: a path that is not
// a regular file (a folder), a file its group or others may write (chmod
// 600), and a token that breaks the rule of common/quote.h TokenProblem (16
// to 1024 bytes of printable ASCII: no inner line break, space or control
// character).
absl::StatusOr<std::string> LoadOrCreateToken(const std::string& path, bool create_if_missing);

// Compares without an early exit, so the time taken does not reveal how many
// leading characters of a guess were right.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Checks an "authorization" header value ("Bearer <token>") against the token.
bool BearerMatches(absl::string_view header_value, absl::string_view token);

}  // namespace qdt::agent

#endif  // QDT_AGENT_TOKEN_H_
