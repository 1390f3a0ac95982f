#include "agent/discovery.h"

#include "absl/strings/str_cat.h"

namespace qdt::agent {

std::vector<std::string> AdvertiseCommand(Platform platform, const std::string& name, int port) {
  if (platform == Platform::kMacOS) {
    return {"dns-sd", "-R", name, kServiceType, "local", std::to_string(port)};
  }
  return {"avahi-publish-service", "-s", name, kServiceType, std::to_string(port)};
}

absl::StatusOr<std::unique_ptr<Advertiser>> Advertiser::Start(Platform platform,
                                                              const std::string& name, int port,
                                                              const std::string& log_dir) {
  SubprocessOptions options;
  options.argv = AdvertiseCommand(platform, name, port);
  // On PATH or in the system folders (daemons get a minimal PATH).
  options.search_path = true;
  options.extra_dirs = {"/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"};
  // The publisher runs as long as the agent: its output goes straight to files.
  options.read_output = false;
  options.stdout_file = log_dir + "/advertise.stdout";
  options.stderr_file = log_dir + "/advertise.stderr";
  auto proc = Subprocess::Start(options);
  if (absl::IsNotFound(proc.status())) {
    return absl::NotFoundError(
        absl::StrCat("--advertise: ", options.argv[0], " not found (",
                     platform == Platform::kMacOS ? "Bonjour" : "avahi-utils",
                     " is needed to announce the agent; consoles can still add it by address)"));
  }
  if (!proc.ok()) return proc.status();
  return std::unique_ptr<Advertiser>(new Advertiser(std::move(*proc)));
}

Advertiser::Advertiser(std::unique_ptr<Subprocess> process) : process_(std::move(process)) {}

Advertiser::~Advertiser() {
  process_->Terminate(absl::Seconds(1));
  process_->Wait(nullptr);
}

}  // namespace qdt::agent
