// A TCP relay on 127.0.0.1 between the console and an agent, so a test can
// drop "the network" (every connection closed, new ones refused) and bring
// it back, without touching the agent.
#ifndef QDT_TESTS_CONSOLE_TCP_PROXY_H_
#define QDT_TESTS_CONSOLE_TCP_PROXY_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qdt::testing {

class TcpProxy {
 public:
  // Relays 127.0.0.1:<port()> to `target_port` on 127.0.0.1.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Cut();      // close every relayed connection; refuse new ones
  void Restore();  // accept again
  int connections() const { return accepted_.load(); }

 private:
  void AcceptLoop();
  void Relay(int client, int upstream);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, cut_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<int> open_fds_;         // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread accept_thread_;
};

}  // namespace qdt::testing

#endif  // QDT_TESTS_CONSOLE_TCP_PROXY_H_
