#include "agent/probes/ioreg.h"

#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace qdt::agent {
namespace {

// A node line: "  | +-o APPLE SSD AP0128Q Media  <class IOMedia, id 0x...>".
struct Node {
  size_t column = 0;  // where "+-o" starts: deeper nodes have larger columns
  std::string name;   // "APPLE SSD AP0128Q Media"
  std::string cls;    // "IOMedia"; empty when the line has no "<class"
};

std::optional<Node> ParseNode(absl::string_view line) {
  const size_t at = line.find("+-o ");
  if (at == absl::string_view::npos) return std::nullopt;
  Node node;
  node.column = at;
  absl::string_view rest = line.substr(at + 4);
  const size_t cls = rest.find("<class ");
  node.name = std::string(absl::StripAsciiWhitespace(rest.substr(0, cls)));
  if (cls != absl::string_view::npos) {
    absl::string_view c = rest.substr(cls + 7);
    node.cls = std::string(c.substr(0, c.find_first_of(",>")));
  }
  return node;
}

// `"Key" = value` inside a property block (after the "| " tree marks).
bool PropertyValue(absl::string_view line, absl::string_view key, absl::string_view* value) {
  const std::string quoted = absl::StrCat("\"", key, "\" = ");
  const size_t at = line.find(quoted);
  if (at == absl::string_view::npos) return false;
  *value = absl::StripAsciiWhitespace(line.substr(at + quoted.size()));
  return true;
}

// {"Operations (Write)"=13964680,"Bytes (Read)"=368261685248,...}
absl::StatusOr<std::map<std::string, uint64_t>> ParseStatistics(absl::string_view dict,
                                                                int line_no) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("ioreg: line ", line_no, ": \"Statistics\" ", why));
  };
  if (!absl::ConsumePrefix(&dict, "{") || !absl::ConsumeSuffix(&dict, "}")) {
    return bad("is not a {...} dictionary");
  }
  std::map<std::string, uint64_t> out;
  for (absl::string_view pair : absl::StrSplit(dict, ',', absl::SkipEmpty())) {
    const size_t eq = pair.rfind('=');
    if (eq == absl::string_view::npos) return bad("has an entry without '='");
    absl::string_view key = pair.substr(0, eq);
    if (!absl::ConsumePrefix(&key, "\"") || !absl::ConsumeSuffix(&key, "\"")) {
      return bad("has a key without quotes");
    }
    uint64_t value = 0;
    if (!absl::SimpleAtoi(pair.substr(eq + 1), &value)) {
      return bad(absl::StrCat("has a value for \"", key.substr(0, 64), "\" that is not a count"));
    }
    out[std::string(key)] = value;
  }
  if (out.count("Bytes (Read)") == 0) return bad("has no \"Bytes (Read)\"");
  return out;
}

std::string MediaName(const std::string& node_name) {
  absl::string_view n = node_name;
  absl::ConsumeSuffix(&n, " Media");
  return std::string(n);
}

}  // namespace

absl::StatusOr<std::vector<IoregBlockDriver>> ParseIoregBlockDrivers(absl::string_view text) {
  std::vector<IoregBlockDriver> drivers;
  std::optional<Node> node;          // the node whose properties follow
  std::optional<size_t> driver_col;  // column of the last driver node with statistics
  bool media_of_driver = false;      // `node` is the IOMedia child of drivers.back()
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (auto n = ParseNode(line)) {
      media_of_driver = driver_col.has_value() && n->column > *driver_col && n->cls == "IOMedia" &&
                        drivers.back().media_name.empty();
      if (media_of_driver) drivers.back().media_name = MediaName(n->name);
      if (driver_col.has_value() && n->column <= *driver_col) driver_col.reset();
      node = std::move(n);
      continue;
    }
    absl::string_view value;
    if (PropertyValue(line, "Statistics", &value) && node.has_value()) {
      auto stats = ParseStatistics(value, line_no);
      if (!stats.ok()) return stats.status();
      IoregBlockDriver d;
      d.bytes_read = (*stats)["Bytes (Read)"];
      d.bytes_written = (*stats)["Bytes (Write)"];
      d.reads = (*stats)["Operations (Read)"];
      d.writes = (*stats)["Operations (Write)"];
      drivers.push_back(std::move(d));
      driver_col = node->column;
      media_of_driver = false;
    } else if (media_of_driver && PropertyValue(line, "BSD Name", &value)) {
      absl::ConsumePrefix(&value, "\"");
      absl::ConsumeSuffix(&value, "\"");
      if (drivers.back().bsd_name.empty()) drivers.back().bsd_name = std::string(value);
    }
  }
  if (drivers.empty()) {
    return absl::NotFoundError("ioreg: no IOBlockStorageDriver \"Statistics\" in the output");
  }
  return drivers;
}

}  // namespace qdt::agent
