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
// Errors name the path; an empty token file is an error.
absl::StatusOr<std::string> LoadOrCreateToken(const std::string& path, bool create_if_missing);

// Compares without an early exit, so the time taken does not reveal how many
// leading characters of a guess were right.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Checks an "authorization" header value ("Bearer <token>") against the token.
bool BearerMatches(absl::string_view header_value, absl::string_view token);

}  // namespace qdt::agent

#endif  // QDT_AGENT_TOKEN_H_
