// libFuzzer target: mdutil -s. Any input must give a status or an error,
// never a crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/probes/mdutil.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)qdt::agent::ParseMdutilStatus(text);
  return 0;
}
