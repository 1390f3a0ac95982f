// libFuzzer target: profile. Any input must give a value or an error, never a
// crash, a hang or a sanitizer report. Run by ./fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/profiles.h"
#include "fio/fio_job_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto profile = qdt::ParseProfile(text, "fuzz");
  if (!profile.ok()) return 0;
  auto scaled = qdt::ScaleProfile(*profile, 0.5);
  if (!scaled.ok()) return 0;
  qdt::fio::FioJobOptions o{"/tmp/qdt-fuzz", 64 << 20, "libaio", true};
  qdt::fio::BuildLayoutJobFile(*scaled, o).IgnoreError();
  for (int i = 0; i < scaled->phases_size(); ++i) {
    qdt::fio::BuildPhaseJobFile(scaled->phases(i), i, o).IgnoreError();
    (void)qdt::ScheduledTargetBytesPerS(scaled->phases(i), 0, 1);
  }
  return 0;
}
