// libFuzzer target: ioreg. Any input must give a value or an error, never a
// crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/probes/ioreg.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qdt::agent::ParseIoregBlockDrivers(text).IgnoreError();
  return 0;
}
