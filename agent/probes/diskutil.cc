#include "agent/probes/diskutil.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probes/parse_util.h"
#include "agent/probes/plist.h"
#include "nlohmann/json.hpp"

namespace qdt::agent {
namespace {

// "245.1 GB (245107195904 Bytes) (exactly ...)" -> 245107195904
uint64_t BytesInParens(absl::string_view v) {
  size_t open = v.find('(');
  size_t bytes = v.find(" Bytes)");
  uint64_t n = 0;
  if (open == absl::string_view::npos || bytes == absl::string_view::npos || bytes < open) return 0;
  return absl::SimpleAtoi(v.substr(open + 1, bytes - open - 1), &n) ? n : 0;
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
    entry.device_identifier = JsonString(e, "DeviceIdentifier");
    entry.content = JsonString(e, "Content");
    entry.volume_name = JsonString(e, "VolumeName");
    entry.mount_point = JsonString(e, "MountPoint");
    entry.size_bytes = Unsigned(e, "Size").value_or(0);
    out.push_back(std::move(entry));
  }
  return out;
}

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

absl::StatusOr<DiskutilInfo> ParseDiskutilInfo(absl::string_view text) {
  DiskutilInfo d;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (kv.size() != 2) continue;
    absl::string_view key = absl::StripAsciiWhitespace(kv[0]);
    absl::string_view value = absl::StripAsciiWhitespace(kv[1]);
    if (key == "Device Identifier")
      d.device_identifier = std::string(value);
    else if (key == "Part of Whole")
      d.part_of_whole = std::string(value);
    else if (key == "Volume Name")
      d.volume_name = std::string(value);
    else if (key == "Mount Point")
      d.mount_point = std::string(value);
    else if (key == "File System Personality")
      d.file_system = std::string(value);
    else if (key == "Protocol")
      d.protocol = std::string(value);
    else if (key == "SMART Status")
      d.smart_status = std::string(value);
    else if (key == "Solid State")
      d.solid_state = ParseYesNo(value);
    else if (key == "Volume Read-Only")
      d.volume_read_only = ParseYesNo(value);
    else if (key == "Media OS Use Only")
      d.os_use_only = ParseYesNo(value);
    else if (key == "APFS Container")
      d.apfs_container = std::string(value);
    else if (key == "APFS Physical Store")
      d.apfs_physical_store = std::string(value);
    else if (key == "Disk Size")
      d.disk_size_bytes = BytesInParens(value);
  }
  if (d.device_identifier.empty()) {
    return absl::InvalidArgumentError("diskutil info: no \"Device Identifier\" line");
  }
  return d;
}

absl::StatusOr<DiskutilInfoPlist> ParseDiskutilInfoPlist(absl::string_view text) {
  auto doc = ParsePlist(text);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return absl::InvalidArgumentError("diskutil info -plist: the top level is not a <dict>");
  }
  if (Bool(*doc, "Error").value_or(false)) {
    std::string msg = JsonString(*doc, "ErrorMessage");
    return absl::NotFoundError(
        absl::StrCat("diskutil: ", msg.empty() ? std::string("error without a message") : msg));
  }
  DiskutilInfoPlist info;
  info.device_identifier = JsonString(*doc, "DeviceIdentifier");
  if (info.device_identifier.empty()) {
    return absl::InvalidArgumentError("diskutil info -plist: no DeviceIdentifier");
  }
  info.parent_whole_disk = JsonString(*doc, "ParentWholeDisk");
  info.volume_name = JsonString(*doc, "VolumeName");
  info.mount_point = JsonString(*doc, "MountPoint");
  info.filesystem_type = JsonString(*doc, "FilesystemType");
  info.bus_protocol = JsonString(*doc, "BusProtocol");
  info.smart_status = JsonString(*doc, "SMARTStatus");
  info.media_name = JsonString(*doc, "MediaName");
  info.solid_state = Bool(*doc, "SolidState");
  info.internal = Bool(*doc, "Internal");
  info.whole_disk = Bool(*doc, "WholeDisk");
  info.writable_volume = Bool(*doc, "WritableVolume");
  info.apfs_container = JsonString(*doc, "APFSContainerReference");
  if (auto it = doc->find("APFSPhysicalStores"); it != doc->end() && it->is_array()) {
    for (const auto& store : *it) {
      // Seen as dicts with APFSPhysicalStore; accept a bare string as well.
      std::string id = store.is_string()   ? store.get<std::string>()
                       : store.is_object() ? JsonString(store, "APFSPhysicalStore")
                                           : std::string();
      if (id.empty() && store.is_object()) id = JsonString(store, "DeviceIdentifier");
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
    disk.device_identifier = JsonString(d, "DeviceIdentifier");
    disk.content = JsonString(d, "Content");
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
      // Best effort: the size only informs, so a bad number is not an error.
      if (w.size() >= 2 && w[1] == "B") (void)absl::SimpleAtoi(w[0], &volume->size_bytes);
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

}  // namespace qdt::agent
