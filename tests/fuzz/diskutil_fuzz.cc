// libFuzzer target: diskutil. Any input must give a value or an error, never a
// crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/probes/diskutil.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qdt::agent::ParseDiskutilInfo(text).IgnoreError();
  for (auto parse : {qdt::agent::ParseDiskutilListText, qdt::agent::ParseDiskutilApfsList}) {
    auto list = parse(text);
    if (list.ok() && !list->disks.empty()) {
      for (const auto& v : list->disks.front().apfs_volumes) {
        (void)qdt::agent::PhysicalChain(*list, v.device_identifier);
      }
    }
  }
  return 0;
}
