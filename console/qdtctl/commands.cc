#include "console/qdtctl/commands.h"

#include <iostream>

#include "common/proto_json.h"

namespace qdt::qdtctl {

int UsageError(std::string_view message) {
  std::cerr << UsageErrorText(QdtctlTable(), message, "");
  return kExitUsage;
}

bool ToJsonOrReport(const google::protobuf::Message& message, std::string_view what,
                    std::string* json) {
  auto text = qdt::ProtoToJson(message);
  if (!text.ok()) {
    std::cerr << "qdtctl: " << what << ": " << text.status().message() << "\n";
    return false;
  }
  *json = *std::move(text);
  return true;
}

}  // namespace qdt::qdtctl
