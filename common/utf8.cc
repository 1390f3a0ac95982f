#include "common/utf8.h"

#include <cstdint>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"

namespace qdt {

std::string ToValidUtf8(absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text.substr(i));
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
