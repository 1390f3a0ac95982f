// DNS-SD advertisement of the agent as _qdt._tcp, so consoles find it
// (`qdt-agent --advertise`). The platform's own publisher runs as a child
// process for as long as the agent serves: `avahi-publish-service` (Avahi,
// Linux) or `dns-sd -R` (Bonjour, macOS). Its output goes to files in the
// state folder.
#ifndef QDT_AGENT_DISCOVERY_H_
#define QDT_AGENT_DISCOVERY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/probes/platform.h"
#include "common/subprocess.h"

namespace qdt::agent {

inline constexpr char kServiceType[] = "_qdt._tcp";

// The publisher's command line for `name` on `port`; argv[0] is the tool's
// name, not yet resolved on PATH.
std::vector<std::string> AdvertiseCommand(Platform platform, const std::string& name, int port);

class Advertiser {
 public:
  // NotFound naming the tool when it is not installed.
  static absl::StatusOr<std::unique_ptr<Advertiser>> Start(Platform platform,
                                                           const std::string& name, int port,
                                                           const std::string& log_dir);
  ~Advertiser();  // stops the publisher

 private:
  explicit Advertiser(std::unique_ptr<Subprocess> process);
  std::unique_ptr<Subprocess> process_;
};

}  // namespace qdt::agent

#endif  // QDT_AGENT_DISCOVERY_H_
