#include "agent/discovery.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace qdt::agent {
namespace {

// The tool on PATH or in the system folders (daemons get a minimal PATH).
std::string FindTool(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view d : absl::StrSplit(path, ':', absl::SkipEmpty())) dirs.emplace_back(d);
  }
  for (const char* d : {"/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"}) dirs.emplace_back(d);
  for (const std::string& d : dirs) {
    if (d.empty() || d[0] != '/') continue;
    std::string candidate = absl::StrCat(d, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

std::vector<std::string> AdvertiseCommand(Platform platform, const std::string& name, int port) {
  if (platform == Platform::kMacOS) {
    return {"dns-sd", "-R", name, kServiceType, "local", std::to_string(port)};
  }
  return {"avahi-publish-service", "-s", name, kServiceType, std::to_string(port)};
}

absl::StatusOr<std::unique_ptr<Advertiser>> Advertiser::Start(Platform platform,
                                                              const std::string& name, int port,
                                                              const std::string& log_dir) {
  std::vector<std::string> argv = AdvertiseCommand(platform, name, port);
  std::string tool = FindTool(argv[0]);
  if (tool.empty()) {
    return absl::NotFoundError(
        absl::StrCat("--advertise: ", argv[0], " not found (",
                     platform == Platform::kMacOS ? "Bonjour" : "avahi-utils",
                     " is needed to announce the agent; consoles can still add it by address)"));
  }
  argv[0] = tool;
  auto proc =
      fio::FioProcess::Start(argv, log_dir + "/advertise.stdout", log_dir + "/advertise.stderr");
  if (!proc.ok()) return proc.status();
  return std::unique_ptr<Advertiser>(new Advertiser(std::move(*proc)));
}

Advertiser::Advertiser(std::unique_ptr<fio::FioProcess> process) : process_(std::move(process)) {}

Advertiser::~Advertiser() {
  process_->Terminate(absl::Seconds(1));
  process_->Wait(nullptr);
}

}  // namespace qdt::agent
