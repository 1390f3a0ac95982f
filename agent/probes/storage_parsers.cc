#include "agent/probes/storage_parsers.h"

#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

std::string Str(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<bool> Bool(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<uint64_t> Unsigned(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  int64_t v = it->get<int64_t>();
  if (v < 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::vector<DiskutilListEntry> Entries(const nlohmann::json& disk, const char* key) {
  std::vector<DiskutilListEntry> out;
  auto it = disk.find(key);
  if (it == disk.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    DiskutilListEntry entry;
    entry.device_identifier = Str(e, "DeviceIdentifier");
    entry.content = Str(e, "Content");
    entry.volume_name = Str(e, "VolumeName");
    entry.mount_point = Str(e, "MountPoint");
    entry.size_bytes = Unsigned(e, "Size").value_or(0);
    out.push_back(std::move(entry));
  }
  return out;
}

// "Temperature Sensor 1:   52 Celsius" -> {"Temperature Sensor 1", "52 Celsius"}.
bool SplitField(absl::string_view line, absl::string_view* key, absl::string_view* value) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return false;
  *key = absl::StripAsciiWhitespace(line.substr(0, colon));
  *value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  return !key->empty();
}

// "52 Celsius" -> 52; "0" -> 0 when `unit` is empty.
std::optional<double> Number(absl::string_view value, absl::string_view unit) {
  std::vector<absl::string_view> words = absl::StrSplit(value, ' ', absl::SkipEmpty());
  if (words.empty()) return std::nullopt;
  if (!unit.empty() && (words.size() < 2 || words[1] != unit)) return std::nullopt;
  std::string digits;
  for (char c : words[0]) {
    if (c != ',') digits += c;  // "2,354,229,498"
  }
  double d = 0;
  if (!absl::SimpleAtod(digits, &d)) return std::nullopt;
  return d;
}

}  // namespace

absl::StatusOr<nlohmann::json> ParsePlist(absl::string_view text) {
  return PlistReader(text).Document();
}

absl::StatusOr<DiskutilInfoPlist> ParseDiskutilInfoPlist(absl::string_view text) {
  auto doc = ParsePlist(text);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return absl::InvalidArgumentError("diskutil info -plist: the top level is not a <dict>");
  }
  if (Bool(*doc, "Error").value_or(false)) {
    std::string msg = Str(*doc, "ErrorMessage");
    return absl::NotFoundError(
        absl::StrCat("diskutil: ", msg.empty() ? std::string("error without a message") : msg));
  }
  DiskutilInfoPlist info;
  info.device_identifier = Str(*doc, "DeviceIdentifier");
  if (info.device_identifier.empty()) {
    return absl::InvalidArgumentError("diskutil info -plist: no DeviceIdentifier");
  }
  info.parent_whole_disk = Str(*doc, "ParentWholeDisk");
  info.volume_name = Str(*doc, "VolumeName");
  info.mount_point = Str(*doc, "MountPoint");
  info.filesystem_type = Str(*doc, "FilesystemType");
  info.bus_protocol = Str(*doc, "BusProtocol");
  info.smart_status = Str(*doc, "SMARTStatus");
  info.media_name = Str(*doc, "MediaName");
  info.solid_state = Bool(*doc, "SolidState");
  info.internal = Bool(*doc, "Internal");
  info.whole_disk = Bool(*doc, "WholeDisk");
  info.writable_volume = Bool(*doc, "WritableVolume");
  info.apfs_container = Str(*doc, "APFSContainerReference");
  if (auto it = doc->find("APFSPhysicalStores"); it != doc->end() && it->is_array()) {
    for (const auto& store : *it) {
      // Seen as dicts with APFSPhysicalStore; accept a bare string as well.
      std::string id = store.is_string()   ? store.get<std::string>()
                       : store.is_object() ? Str(store, "APFSPhysicalStore")
                                           : std::string();
      if (id.empty() && store.is_object()) id = Str(store, "DeviceIdentifier");
      if (!id.empty()) info.apfs_physical_stores.push_back(id);
    }
  }
  info.total_size_bytes = Unsigned(*doc, "TotalSize").value_or(Unsigned(*doc, "Size").value_or(0));
  // An APFS volume's FreeSpace is 0 on the sealed system snapshot; the
  // container's free space is what a test file can use.
  if (!info.apfs_container.empty()) {
    info.free_bytes = Unsigned(*doc, "APFSContainerFree");
  }
  if (!info.free_bytes) info.free_bytes = Unsigned(*doc, "FreeSpace");
  return info;
}

absl::StatusOr<DiskutilList> ParseDiskutilList(absl::string_view text) {
  auto doc = ParsePlist(text);
  if (!doc.ok()) return doc.status();
  auto all = doc->is_object() ? doc->find("AllDisksAndPartitions") : doc->end();
  if (!doc->is_object() || all == doc->end() || !all->is_array()) {
    return absl::InvalidArgumentError("diskutil list -plist: no AllDisksAndPartitions array");
  }
  DiskutilList list;
  for (const auto& d : *all) {
    if (!d.is_object()) continue;
    DiskutilListDisk disk;
    disk.device_identifier = Str(d, "DeviceIdentifier");
    disk.content = Str(d, "Content");
    disk.size_bytes = Unsigned(d, "Size").value_or(0);
    disk.os_internal = Bool(d, "OSInternal");
    disk.partitions = Entries(d, "Partitions");
    disk.apfs_volumes = Entries(d, "APFSVolumes");
    for (const auto& store : Entries(d, "APFSPhysicalStores")) {
      if (!store.device_identifier.empty()) {
        disk.apfs_physical_stores.push_back(store.device_identifier);
      }
    }
    list.disks.push_back(std::move(disk));
  }
  if (auto it = doc->find("WholeDisks"); it != doc->end() && it->is_array()) {
    for (const auto& w : *it) {
      if (w.is_string()) list.whole_disks.push_back(w.get<std::string>());
    }
  }
  return list;
}

namespace {

// "362.6 GB" / "+362.6 GB" / "*500.3 GB" / "20.5 KB" -> bytes (decimal units, as diskutil prints).
uint64_t HumanSize(absl::string_view number, absl::string_view unit) {
  number = absl::StripPrefix(absl::StripPrefix(number, "*"), "+");
  double v = 0;
  if (!absl::SimpleAtod(number, &v) || v < 0) return 0;
  double scale = unit == "B"    ? 1
                 : unit == "KB" ? 1e3
                 : unit == "MB" ? 1e6
                 : unit == "GB" ? 1e9
                 : unit == "TB" ? 1e12
                                : 0;
  return static_cast<uint64_t>(v * scale + 0.5);
}

}  // namespace

absl::StatusOr<DiskutilList> ParseDiskutilListText(absl::string_view text) {
  DiskutilList list;
  DiskutilListDisk* disk = nullptr;
  for (absl::string_view raw : absl::StrSplit(text, absl::ByAnyChar("\r\n"))) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (absl::StartsWith(line, "/dev/disk") && absl::EndsWith(line, "):")) {
      size_t space = line.find(' ');
      list.disks.emplace_back();
      disk = &list.disks.back();
      disk->device_identifier = std::string(line.substr(5, space - 5));
      if (absl::StrContains(line, "physical")) list.whole_disks.push_back(disk->device_identifier);
      continue;
    }
    if (disk == nullptr) continue;
    if (absl::StartsWith(line, "Physical Store ")) {
      disk->apfs_physical_stores.emplace_back(absl::StripAsciiWhitespace(line.substr(15)));
      continue;
    }
    // "2:                 Apple_APFS Container disk4         362.6 GB   disk0s2"
    size_t colon = line.find(':');
    int index = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(line.substr(0, colon), &index)) {
      continue;  // the column header, "(free space)" rows
    }
    std::vector<absl::string_view> words =
        absl::StrSplit(line.substr(colon + 1), ' ', absl::SkipEmpty());
    if (words.size() < 4) continue;
    DiskutilListEntry e;
    e.device_identifier = std::string(words.back());
    e.size_bytes = HumanSize(words[words.size() - 3], words[words.size() - 2]);
    // TYPE and NAME share the middle; the TYPE is the first word, or two for
    // "APFS Volume", "APFS Snapshot", "Linux Filesystem", "APFS Container Scheme".
    std::vector<absl::string_view> middle(words.begin(), words.end() - 3);
    size_t type_words = 1;
    if (middle.size() >= 2 && (middle[0] == "APFS" || middle[0] == "Linux")) type_words = 2;
    if (middle.size() >= 3 && middle[0] == "APFS" && middle[1] == "Container") type_words = 3;
    type_words = std::min(type_words, middle.size());
    e.content = absl::StrJoin(middle.begin(), middle.begin() + type_words, " ");
    std::string name = absl::StrJoin(middle.begin() + type_words, middle.end(), " ");
    if (name != "-") e.volume_name = name;
    if (index == 0) {
      disk->content = e.content;
      disk->size_bytes = e.size_bytes;
    } else if (absl::StartsWith(e.content, "APFS Volume") ||
               absl::StartsWith(e.content, "APFS Snapshot")) {
      disk->apfs_volumes.push_back(std::move(e));
    } else {
      disk->partitions.push_back(std::move(e));
    }
  }
  if (list.disks.empty()) {
    return absl::InvalidArgumentError("diskutil list: no \"/dev/diskN (...):\" header");
  }
  return list;
}

absl::StatusOr<DiskutilList> ParseDiskutilApfsList(absl::string_view text) {
  DiskutilList list;
  DiskutilListDisk* container = nullptr;
  DiskutilListEntry* volume = nullptr;
  for (absl::string_view raw : absl::StrSplit(text, absl::ByAnyChar("\r\n"))) {
    // Strip the tree drawing: leading spaces, '|' and '+-> ' / '+-< '.
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    while (!line.empty() && (line[0] == '|' || line[0] == ' ')) line.remove_prefix(1);
    absl::string_view key, value;
    if (absl::StartsWith(line, "+-- Container ")) {
      list.disks.emplace_back();
      container = &list.disks.back();
      volume = nullptr;
      std::vector<absl::string_view> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (w.size() >= 3) container->device_identifier = std::string(w[2]);
      container->content = "APFS Container Scheme";
      continue;
    }
    if (container == nullptr || !SplitField(line, &key, &value)) {
      if (container != nullptr && absl::StartsWith(line, "+-> Volume ")) {
        container->apfs_volumes.emplace_back();
        volume = &container->apfs_volumes.back();
        std::vector<absl::string_view> w = absl::StrSplit(line, ' ', absl::SkipEmpty());
        if (w.size() >= 3) volume->device_identifier = std::string(w[2]);
      }
      continue;
    }
    if (key == "APFS Container Reference") {
      container->device_identifier = std::string(value);
    } else if (key == "Size (Capacity Ceiling)") {
      std::vector<absl::string_view> w = absl::StrSplit(value, ' ', absl::SkipEmpty());
      if (w.size() >= 2) container->size_bytes = HumanSize(w[0], w[1]);
    } else if (key == "APFS Physical Store Disk") {
      container->apfs_physical_stores.emplace_back(value);
    } else if (volume != nullptr && key == "APFS Volume Disk (Role)") {
      // "disk3s1 (System)"
      size_t open = value.find('('), close = value.rfind(')');
      if (open != absl::string_view::npos && close > open) {
        volume->role = std::string(value.substr(open + 1, close - open - 1));
      }
    } else if (volume != nullptr && key == "Name") {
      volume->volume_name =
          std::string(absl::StripAsciiWhitespace(absl::StripSuffix(value, "(Case-insensitive)")));
      volume->volume_name = std::string(
          absl::StripAsciiWhitespace(absl::StripSuffix(volume->volume_name, "(Case-sensitive)")));
    } else if (volume != nullptr && key == "Mount Point") {
      if (value != "Not Mounted") volume->mount_point = std::string(value);
    } else if (volume != nullptr && key == "Capacity Consumed") {
      std::vector<absl::string_view> w = absl::StrSplit(value, ' ', absl::SkipEmpty());
      if (w.size() >= 2 && w[1] == "B") absl::SimpleAtoi(w[0], &volume->size_bytes);
    }
  }
  if (list.disks.empty()) {
    return absl::InvalidArgumentError("diskutil apfs list: no \"+-- Container\" found");
  }
  return list;
}

std::vector<std::string> PhysicalChain(const DiskutilList& list, const std::string& identifier) {
  std::vector<std::string> chain;
  std::set<std::string> seen;  // a malformed list must not loop
  std::string current = identifier;
  while (seen.insert(current).second) {
    // The disk that holds `current` as itself, a partition or an APFS volume.
    const DiskutilListDisk* holder = nullptr;
    bool is_whole = false;
    for (const auto& d : list.disks) {
      if (d.device_identifier == current) {
        holder = &d;
        is_whole = true;
        break;
      }
      for (const auto* entries : {&d.partitions, &d.apfs_volumes}) {
        for (const auto& e : *entries) {
          if (e.device_identifier == current) holder = &d;
        }
      }
      if (holder != nullptr) break;
    }
    if (holder == nullptr) break;
    chain.push_back(current);
    if (!is_whole) {
      current = holder->device_identifier;
      continue;
    }
    // A whole disk: an APFS container continues at its physical store.
    if (holder->apfs_physical_stores.empty()) break;
    current = holder->apfs_physical_stores.front();
  }
  return chain;
}

absl::StatusOr<IostatReport> ParseIostat(absl::string_view text) {
  IostatReport r;
  std::vector<absl::string_view> lines = absl::StrSplit(text, absl::ByAnyChar("\r\n"));
  bool header = false, units = false;
  size_t columns = 0;  // numbers per row we expect at least
  int line_no = 0;
  for (absl::string_view raw : lines) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty()) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!header) {
      // "disk0   disk4   cpu   load average": the disk names come first.
      for (absl::string_view w : words) {
        if (absl::StartsWith(w, "disk")) r.disks.emplace_back(w);
      }
      if (r.disks.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("iostat: line ", line_no, " names no disk: \"", line.substr(0, 60), "\""));
      }
      header = true;
      continue;
    }
    if (!units) {
      if (words.size() < 3 || words[0] != "KB/t") {
        return absl::InvalidArgumentError(
            absl::StrCat("iostat: line ", line_no, " is not the \"KB/t tps MB/s\" header"));
      }
      units = true;
      columns = 3 * r.disks.size();
      continue;
    }
    if (words[0] == "KB/t" || absl::StartsWith(words[0], "disk")) continue;  // repeated header
    if (words.size() < columns) {
      return absl::InvalidArgumentError(absl::StrCat("iostat: line ", line_no, " has ",
                                                     words.size(), " columns, expected at least ",
                                                     columns));
    }
    std::vector<IostatDisk> row;
    for (size_t d = 0; d < r.disks.size(); ++d) {
      IostatDisk disk;
      if (!absl::SimpleAtod(words[3 * d], &disk.kb_per_transfer) ||
          !absl::SimpleAtod(words[3 * d + 1], &disk.transfers_per_s) ||
          !absl::SimpleAtod(words[3 * d + 2], &disk.mb_per_s)) {
        return absl::InvalidArgumentError(absl::StrCat("iostat: line ", line_no, ", ", r.disks[d],
                                                       ": \"", line.substr(0, 60),
                                                       "\" is not numbers"));
      }
      row.push_back(disk);
    }
    r.rows.push_back(std::move(row));
  }
  if (!units) return absl::InvalidArgumentError("iostat: no \"KB/t tps MB/s\" header");
  return r;
}

absl::StatusOr<SmartctlText> ParseSmartctlText(absl::string_view text) {
  SmartctlText r;
  bool banner = false;
  for (absl::string_view raw : absl::StrSplit(text, absl::ByAnyChar("\r\n"))) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (absl::StartsWith(line, "smartctl ")) banner = true;
    if (absl::StartsWith(line, "Read ") && absl::StrContains(line, " failed")) {
      r.failed_logs.emplace_back(line);
      continue;
    }
    absl::string_view raw_key, value;
    if (!SplitField(line, &raw_key, &value)) continue;
    // smartctl aligns some keys with two spaces ("Warning  Comp. ...").
    const std::string key = absl::StrJoin(absl::StrSplit(raw_key, ' ', absl::SkipEmpty()), " ");
    if (key == "Model Number" || key == "Device Model") {
      r.model = std::string(value);
    } else if (key == "Serial Number") {
      if (value != "--") r.serial = std::string(value);  // masked in public reports
    } else if (key == "Firmware Version") {
      r.firmware = std::string(value);
    } else if (key == "SMART overall-health self-assessment test result") {
      r.health = std::string(value);
    } else if (key == "Temperature") {
      r.temperature_c = Number(value, "Celsius");
    } else if (absl::StartsWith(key, "Temperature Sensor ")) {
      if (auto t = Number(value, "Celsius")) r.sensor_temperatures_c.push_back(*t);
    } else if (key == "Warning Comp. Temperature Time") {
      if (auto t = Number(value, "")) r.warning_temp_time_min = static_cast<int64_t>(*t);
    } else if (key == "Critical Comp. Temperature Time") {
      if (auto t = Number(value, "")) r.critical_temp_time_min = static_cast<int64_t>(*t);
    } else if (key == "Warning Comp. Temp. Threshold") {
      r.warning_temp_threshold_c = Number(value, "Celsius");
    } else if (key == "Critical Comp. Temp. Threshold") {
      r.critical_temp_threshold_c = Number(value, "Celsius");
    }
  }
  if (!banner) {
    return absl::InvalidArgumentError("smartctl: no \"smartctl N.N\" banner line: not its report");
  }
  return r;
}

absl::StatusOr<std::vector<DiskstatsEntry>> ParseDiskstats(absl::string_view text) {
  std::vector<DiskstatsEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.empty()) continue;
    if (f.size() < 14) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/diskstats: line ", line_no, " has ",
                                                     f.size(), " fields, expected at least 14"));
    }
    DiskstatsEntry e;
    e.name = std::string(f[2]);
    uint64_t* numbers[] = {&e.reads_completed,  nullptr, &e.sectors_read,    &e.read_ms,
                           &e.writes_completed, nullptr, &e.sectors_written, &e.write_ms,
                           &e.in_flight,        &e.io_ms};
    bool ok = absl::SimpleAtoi(f[0], &e.major) && absl::SimpleAtoi(f[1], &e.minor);
    for (size_t i = 0; ok && i < 10; ++i) {
      uint64_t ignored = 0;
      ok = absl::SimpleAtoi(f[3 + i], numbers[i] != nullptr ? numbers[i] : &ignored);
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("/proc/diskstats: line ", line_no, " (",
                                                     e.name.substr(0, 32),
                                                     ") has a field that is not a number"));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace qdt::agent
