// Proto ↔ JSON, the way QDT writes it everywhere: proto3 JSON with the .proto
// field names (run records, configs, profiles, `qdtctl get --json`). The
// protobuf library's error is kept in the Status, never dropped.
//
// Thread-safe.
#ifndef QDT_COMMON_PROTO_JSON_H_
#define QDT_COMMON_PROTO_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace qdt {

struct JsonWriteOptions {
  bool pretty = true;                   // indented, one field a line
  bool always_print_primitive = false;  // print 0 / "" / false fields too
};

// Internal error naming the message type when protobuf cannot encode it
// (e.g. a string field that is not valid UTF-8).
absl::StatusOr<std::string> ProtoToJson(const google::protobuf::Message& message,
                                        const JsonWriteOptions& options = {});

struct JsonReadOptions {
  bool ignore_unknown_fields = false;
};

// InvalidArgument "<origin>: <protobuf's reason>" when `json` is not a valid
// JSON form of the message.
absl::Status ProtoFromJson(absl::string_view json, google::protobuf::Message* message,
                           absl::string_view origin, const JsonReadOptions& options = {});

}  // namespace qdt

#endif  // QDT_COMMON_PROTO_JSON_H_
