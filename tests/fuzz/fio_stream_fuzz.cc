// libFuzzer target: fio_stream. Any input must give a value or an error, never a
// crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fio/fio_stream_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Fed in two chunks split by the first byte, as a pipe delivers it.
  size_t split = size > 0 ? data[0] % (size + 1) : 0;
  qdt::fio::FioStreamParser parser;
  std::vector<qdt::fio::FioReport> reports;
  parser.Feed(absl::string_view(text).substr(0, split), &reports).IgnoreError();
  parser.Feed(absl::string_view(text).substr(split), &reports).IgnoreError();
  parser.Finish().IgnoreError();
  for (size_t i = 1; i < reports.size(); ++i) {
    qdt::fio::IntervalBetween(reports[i - 1], reports[i]).IgnoreError();
  }
  if (!reports.empty()) {
    qdt::fio::FirstInterval(reports[0]).IgnoreError();
    (void)qdt::fio::MeanReadBytesPerS(reports.back());
  }
  return 0;
}
