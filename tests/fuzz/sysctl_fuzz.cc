// libFuzzer target: sysctl (macOS AIO limits). Any input must give limits or
// an error, never a crash, a hang or a sanitizer report; limits it gives are
// within their bounds. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/probes/sysctl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto limits = qdt::agent::ParseAioSysctl(text);
  if (limits.ok()) {
    for (int v : {limits->aioprocmax, limits->aiomax, limits->aiothreads}) {
      if (v < 1 || v > qdt::agent::kMaxAioLimit) std::abort();
    }
  }
  return 0;
}
