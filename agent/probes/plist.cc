#include "agent/probes/plist.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace qdt::agent {
namespace {

constexpr int kMaxPlistDepth = 64;

// A small recursive-descent reader of the XML that plists use: elements,
// self-closing elements, text with the five predefined entities and numeric
// character references; the prolog, DOCTYPE and comments are skipped.
class PlistReader {
 public:
  explicit PlistReader(absl::string_view text) : s_(text) {}

  absl::StatusOr<nlohmann::json> Document() {
    SkipMisc();
    std::string name;
    bool self_closing = false;
    if (!OpenTag(&name, &self_closing) || name != "plist") {
      return Error("no <plist> element");
    }
    if (self_closing) return Error("empty <plist>");
    SkipMisc();
    auto v = Value(0);
    if (!v.ok()) return v;
    SkipMisc();
    if (!CloseTag("plist")) return Error("expected </plist>");
    SkipMisc();
    if (pos_ != s_.size()) return Error("text after </plist>");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("plist: ", what, " at offset ", pos_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && absl::ascii_isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // Whitespace, <?...?>, <!DOCTYPE ...> and <!-- ... -->.
  void SkipMisc() {
    while (true) {
      SkipSpace();
      absl::string_view rest = s_.substr(pos_);
      size_t end = absl::string_view::npos;
      if (absl::StartsWith(rest, "<?")) {
        end = rest.find("?>");
        if (end != absl::string_view::npos) end += 2;
      } else if (absl::StartsWith(rest, "<!--")) {
        end = rest.find("-->");
        if (end != absl::string_view::npos) end += 3;
      } else if (absl::StartsWith(rest, "<!")) {
        end = rest.find('>');
        if (end != absl::string_view::npos) end += 1;
      } else {
        return;
      }
      if (end == absl::string_view::npos) {
        pos_ = s_.size();
        return;
      }
      pos_ += end;
    }
  }

  // "<name attr...>" or "<name/>"; leaves pos_ after '>'.
  bool OpenTag(std::string* name, bool* self_closing) {
    if (pos_ >= s_.size() || s_[pos_] != '<' || pos_ + 1 >= s_.size() || s_[pos_ + 1] == '/') {
      return false;
    }
    size_t end = s_.find('>', pos_);
    if (end == absl::string_view::npos) return false;
    absl::string_view inner = s_.substr(pos_ + 1, end - pos_ - 1);
    *self_closing = absl::EndsWith(inner, "/");
    if (*self_closing) inner.remove_suffix(1);
    size_t name_end = 0;
    while (name_end < inner.size() &&
           !absl::ascii_isspace(static_cast<unsigned char>(inner[name_end]))) {
      ++name_end;
    }
    *name = std::string(inner.substr(0, name_end));
    pos_ = end + 1;
    return !name->empty();
  }

  bool CloseTag(absl::string_view name) {
    absl::string_view rest = s_.substr(pos_);
    std::string want = absl::StrCat("</", name);
    if (!absl::StartsWith(rest, want)) return false;
    size_t p = want.size();
    while (p < rest.size() && absl::ascii_isspace(static_cast<unsigned char>(rest[p]))) ++p;
    if (p >= rest.size() || rest[p] != '>') return false;
    pos_ += p + 1;
    return true;
  }

  // Text up to the next '<', entities decoded.
  absl::StatusOr<std::string> Text() {
    size_t end = s_.find('<', pos_);
    if (end == absl::string_view::npos) return Error("unterminated text");
    absl::string_view raw = s_.substr(pos_, end - pos_);
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == absl::string_view::npos) return Error("unterminated entity");
      absl::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "amp") {
        out += '&';
      } else if (ent == "lt") {
        out += '<';
      } else if (ent == "gt") {
        out += '>';
      } else if (ent == "quot") {
        out += '"';
      } else if (ent == "apos") {
        out += '\'';
      } else if (absl::StartsWith(ent, "#")) {
        uint32_t cp = 0;
        bool ok = absl::StartsWith(ent, "#x") || absl::StartsWith(ent, "#X")
                      ? absl::SimpleHexAtoi(ent.substr(2), &cp)
                      : absl::SimpleAtoi(ent.substr(1), &cp);
        if (!ok || cp == 0 || cp > 0x10FFFF) return Error("bad character reference");
        AppendUtf8(cp, &out);
      } else {
        return Error(absl::StrCat("unknown entity &", ent, ";"));
      }
      i = semi;
    }
    pos_ = end;
    return out;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // <tag>text</tag>, or "" for <tag/>.
  absl::StatusOr<std::string> ScalarBody(const std::string& tag, bool self_closing) {
    if (self_closing) return std::string();
    auto text = Text();
    if (!text.ok()) return text;
    if (!CloseTag(tag)) return Error(absl::StrCat("expected </", tag, ">"));
    return text;
  }

  absl::StatusOr<nlohmann::json> Value(int depth) {
    if (depth > kMaxPlistDepth) return Error("nested deeper than 64");
    SkipMisc();
    std::string tag;
    bool self_closing = false;
    size_t at = pos_;
    if (!OpenTag(&tag, &self_closing)) return Error("expected a value element");
    if (tag == "true" || tag == "false") {
      if (!self_closing) {
        SkipSpace();
        if (!CloseTag(tag)) return Error(absl::StrCat("expected </", tag, ">"));
      }
      return nlohmann::json(tag == "true");
    }
    if (tag == "string" || tag == "date" || tag == "data") {
      auto body = ScalarBody(tag, self_closing);
      if (!body.ok()) return body.status();
      return nlohmann::json(*body);
    }
    if (tag == "integer" || tag == "real") {
      auto body = ScalarBody(tag, self_closing);
      if (!body.ok()) return body.status();
      absl::string_view v = absl::StripAsciiWhitespace(*body);
      if (tag == "integer") {
        int64_t i = 0;
        uint64_t u = 0;
        if (absl::SimpleAtoi(v, &i)) return nlohmann::json(i);
        if (absl::SimpleAtoi(v, &u)) return nlohmann::json(u);
        if (absl::StartsWith(v, "0x") && absl::SimpleHexAtoi(v.substr(2), &u)) {
          return nlohmann::json(u);
        }
        pos_ = at;
        return Error(absl::StrCat("<integer> \"", v.substr(0, 40), "\" is not an integer"));
      }
      double d = 0;
      if (!absl::SimpleAtod(v, &d)) {
        pos_ = at;
        return Error(absl::StrCat("<real> \"", v.substr(0, 40), "\" is not a number"));
      }
      return nlohmann::json(d);
    }
    if (tag == "array") {
      nlohmann::json arr = nlohmann::json::array();
      if (self_closing) return arr;
      while (true) {
        SkipMisc();
        if (CloseTag("array")) return arr;
        if (pos_ >= s_.size()) return Error("unterminated <array>");
        auto v = Value(depth + 1);
        if (!v.ok()) return v;
        arr.push_back(std::move(*v));
      }
    }
    if (tag == "dict") {
      nlohmann::json obj = nlohmann::json::object();
      if (self_closing) return obj;
      while (true) {
        SkipMisc();
        if (CloseTag("dict")) return obj;
        std::string key_tag;
        bool key_empty = false;
        if (!OpenTag(&key_tag, &key_empty) || key_tag != "key") {
          return Error("expected <key> in <dict>");
        }
        auto key = ScalarBody("key", key_empty);
        if (!key.ok()) return key.status();
        auto v = Value(depth + 1);
        if (!v.ok()) return v;
        obj[*key] = std::move(*v);
      }
    }
    pos_ = at;
    return Error(absl::StrCat("unknown element <", tag.substr(0, 40), ">"));
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParsePlist(absl::string_view text) {
  return PlistReader(text).Document();
}

}  // namespace qdt::agent
