// libFuzzer target: plist. Any input must give a value or an error, never a
// crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/probes/diskutil.h"
#include "agent/probes/plist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qdt::agent::ParsePlist(text).IgnoreError();
  qdt::agent::ParseDiskutilInfoPlist(text).IgnoreError();
  auto list = qdt::agent::ParseDiskutilList(text);
  if (list.ok() && !list->disks.empty()) {
    (void)qdt::agent::PhysicalChain(*list, list->disks.front().device_identifier);
  }
  return 0;
}
