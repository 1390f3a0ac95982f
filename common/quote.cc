#include "common/quote.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace qdt {

size_t Utf8SequenceLength(absl::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

bool IsValidUtf8(absl::string_view text) {
  while (!text.empty()) {
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

std::string QuoteForError(absl::string_view value, size_t max_bytes) {
  std::string out = "\"";
  size_t i = 0;
  while (i < value.size()) {
    absl::string_view rest = value.substr(i);
    size_t n = Utf8SequenceLength(rest);
    // A sequence that would cross the bound is not started: the cut stays on a
    // character boundary. An invalid byte counts as one.
    if (i + (n == 0 ? 1 : n) > max_bytes) break;
    const unsigned char c = static_cast<unsigned char>(rest[0]);
    if (n > 1) {
      out.append(rest.data(), n);
    } else if (n == 0 || c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          absl::StrAppendFormat(&out, "\\x%02x", c);
          break;
      }
      n = 1;
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
    }
    i += n;
  }
  out += '"';
  if (i < value.size()) absl::StrAppend(&out, "\xE2\x80\xA6 (", value.size(), " bytes)");
  return out;
}

std::string CutUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character
  // the bound falls in, at most 3 of them.
  for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++i) {
    --end;
  }
  return absl::StrCat(text.substr(0, end), "\xE2\x80\xA6");
}

std::string TokenProblem(absl::string_view token) {
  if (token.empty()) return "is empty";
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c >= 0x21 && c <= 0x7E) continue;
    const char* what = c == '\n' || c == '\r'  ? "a line break"
                       : c == ' ' || c == '\t' ? "a space"
                       : c < 0x20 || c == 0x7F ? "a control character"
                                               : "a byte that is not ASCII";
    return absl::StrFormat(
        "holds %s (\\x%02x) at byte %d; a rig token is one line of printable ASCII "
        "(0x21-0x7E)",
        what, c, i + 1);
  }
  if (token.size() < kMinTokenBytes || token.size() > kMaxTokenBytes) {
    return absl::StrCat("is ", token.size(), " bytes long; a rig token is ", kMinTokenBytes, " to ",
                        kMaxTokenBytes, " bytes");
  }
  return "";
}

}  // namespace qdt
