// Fakes shared by the probe unit tests: a CommandRunner that replays captured
// tool output (the KDE plasma-disks pattern), and a fake sysfs tree built from
// the hwmon captures in tests/fixtures/hwmon.
#ifndef QDT_TESTS_UNIT_PROBE_FAKES_H_
#define QDT_TESTS_UNIT_PROBE_FAKES_H_

#include <sys/stat.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/probes/command_runner.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace qdt::testing {

// Answers by the whole argv joined by ' ', else by argv[0]; NotFound (the tool
// cannot start) when neither has a reply. Records every call.
class FakeRunner : public agent::CommandRunner {
 public:
  std::map<std::string, agent::CommandResult> replies;
  std::vector<std::vector<std::string>> calls;
  absl::StatusOr<agent::CommandResult> Run(const std::vector<std::string>& argv,
                                           absl::Duration) override {
    calls.push_back(argv);
    std::string joined;
    for (const auto& a : argv) joined += (joined.empty() ? "" : " ") + a;
    auto it = replies.find(joined);
    if (it == replies.end()) it = replies.find(argv[0]);
    if (it == replies.end()) return absl::NotFoundError(argv[0]);
    return it->second;
  }
};

// Builds <root>/class/hwmon/... from the captured "grep . path:value" lines:
// eight hwmon devices, the NVMe one (hwmon3) with its Composite sensor.
inline void BuildSysfs(const std::string& root) {
  std::map<std::string, std::string> files;
  std::stringstream names(Fixture("hwmon/grep_sys_class_hwmon_names_laptop_one_nvme.txt"));
  std::string line;
  while (std::getline(names, line)) {
    size_t colon = line.rfind(':');
    files[line.substr(0, colon)] = line.substr(colon + 1);
  }
  std::stringstream nvme(Fixture("hwmon/grep_nvme0_device_hwmon_name_temp_single_composite.txt"));
  while (std::getline(nvme, line)) {
    size_t colon = line.rfind(':');
    std::string file = line.substr(line.rfind('/') + 1, colon - line.rfind('/') - 1);
    files["/sys/class/hwmon/hwmon3/" + file] = line.substr(colon + 1);
  }
  for (const auto& [path, value] : files) {
    std::string full = root + path.substr(4);  // strip "/sys"
    for (size_t p = root.size() + 1; (p = full.find('/', p)) != std::string::npos; ++p) {
      ::mkdir(full.substr(0, p).c_str(), 0755);
    }
    absl::Status written = WriteFile(full, value + "\n");
    EXPECT_TRUE(written.ok()) << written;
  }
}

}  // namespace qdt::testing

#endif  // QDT_TESTS_UNIT_PROBE_FAKES_H_
