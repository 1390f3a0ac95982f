#include "common/utf8.h"

#include <cstdint>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"

namespace qdt {
namespace {

// The length of the valid sequence that begins at text[i], 0 when none does
// (RFC 3629 §4, the table protobuf's validator follows).
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b0 == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, 0xC0/0xC1 (overlong ASCII), 0xF5..0xFF
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string ToValidUtf8(absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n > 0) {
      out.append(text.data() + i, n);
      i += n;
      continue;
    }
    const auto b = static_cast<uint8_t>(text[i++]);
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

int MakeStringsValidUtf8(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  int changed = 0;
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          std::string scratch;
          const std::string& value =
              reflection->GetRepeatedStringReference(*message, field, i, &scratch);
          if (IsValidUtf8(value)) continue;
          reflection->SetRepeatedString(message, field, i, ToValidUtf8(value));
          ++changed;
        }
      } else {
        std::string scratch;
        const std::string& value = reflection->GetStringReference(*message, field, &scratch);
        if (IsValidUtf8(value)) continue;
        reflection->SetString(message, field, ToValidUtf8(value));
        ++changed;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          changed += MakeStringsValidUtf8(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else {
        changed += MakeStringsValidUtf8(reflection->MutableMessage(message, field));
      }
    }
  }
  return changed;
}

}  // namespace qdt
