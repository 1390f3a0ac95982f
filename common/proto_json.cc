#include "common/proto_json.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace qdt {

absl::StatusOr<std::string> ProtoToJson(const google::protobuf::Message& message,
                                        const JsonWriteOptions& options) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = options.pretty;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = options.always_print_primitive;
  std::string json;
  auto st = google::protobuf::util::MessageToJsonString(message, &json, print);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat("cannot write ", message.GetTypeName(),
                                            " as JSON: ", std::string(st.message())));
  }
  return json;
}

absl::Status ProtoFromJson(absl::string_view json, google::protobuf::Message* message,
                           absl::string_view origin, const JsonReadOptions& options) {
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = options.ignore_unknown_fields;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(json), message, parse);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", std::string(st.message())));
  }
  return absl::OkStatus();
}

}  // namespace qdt
