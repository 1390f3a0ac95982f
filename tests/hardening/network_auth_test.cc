// Issue 15, defects 11, 15 and 17 (token): the token check over real gRPC
// refuses every near miss; qdtctl refuses a token gRPC cannot send (it used
// to abort) and an empty one; a client retrying a wrong token 10,000 times
// writes a few log lines that still count every call.
#include <sys/stat.h>

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "console/client/agent_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

grpc::Status GetInfoWith(qdt::v1::Agent::Stub& stub, const std::string& header) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", header);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  qdt::v1::AgentInfo info;
  return stub.GetInfo(&ctx, qdt::v1::GetInfoRequest(), &info);
}

TEST(TokenCheckTest, EveryNearMissOfTheTokenIsRefusedOverGrpc) {
  InProcessAgent agent;
  const std::string& token = agent.token();
  ASSERT_GE(token.size(), 16u);
  auto stub = agent.NewStub();
  ASSERT_TRUE(GetInfoWith(*stub, "Bearer " + token).ok());
  std::string same_length = token;
  for (char& c : same_length) c = c == 'z' ? 'y' : 'z';
  std::string last_byte = token;
  last_byte.back() = last_byte.back() == '0' ? '1' : '0';
  const std::vector<std::string> misses = {
      token.substr(0, 1),                 // the shortest prefix
      token.substr(0, token.size() / 2),  // half of it
      token.substr(0, token.size() - 1),  // all but the last byte
      token + "x",                        // one byte more
      token + token,                      // twice
      same_length,                        // same length, other bytes
      last_byte,                          // only the last byte differs
      "",                                 // "Bearer " alone
  };
  for (const std::string& miss : misses) {
    const grpc::Status st = GetInfoWith(*stub, "Bearer " + miss);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "\"" << miss << "\"";
  }
  // Without the scheme, or with another one.
  EXPECT_EQ(GetInfoWith(*stub, token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetInfoWith(*stub, "Basic " + token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

struct Ctl {
  std::string out;
  int rc = -1;
};

Ctl Qdtctl(const std::string& args) {
  Ctl r;
  r.out = RunCommand(absl::StrCat(QdtctlBinary(), " --agent 127.0.0.1:1 ", args, " 2>&1"), &r.rc);
  return r;
}

TEST(QdtctlTokenTest, ATokenGrpcCannotSendIsAUsageErrorNotAnAbort) {
  // bash's $'..' makes the bytes; RunCommand runs /bin/sh, so go through bash.
  struct Case {
    std::string arg, expected;
  } cases[] = {
      {"--token $'0123456789abcdef\\x01'", "--token: the token holds a control character (\\x01)"},
      {"--token $'0123456789abcdef\\n0123'", "--token: the token holds a line break (\\x0a)"},
      {"--token $'0123456789abcdef\\xc3\\xa9'",
       "--token: the token holds a byte that is not ASCII"},
      {"--token ''", "--token: the token is empty"},
      {"--token short", "--token: the token is 5 bytes long; a rig token is 16 to 1024 bytes"},
  };
  for (const Case& c : cases) {
    int rc = -1;
    const std::string out = RunCommand(
        absl::StrCat("bash -c \"", QdtctlBinary(), " --agent 127.0.0.1:1 ", c.arg, " info\" 2>&1"),
        &rc);
    EXPECT_EQ(rc, 2) << c.arg << "\n" << out;  // a usage error, not SIGABRT (134)
    EXPECT_THAT(out, HasSubstr(c.expected)) << c.arg;
  }
}

TEST(QdtctlTokenTest, ATokenFileBreakingTheRuleIsAUsageErrorNamingTheFile) {
  TempDir dir("ctl-token");
  const std::string two_lines = dir.path() + "/two-lines";
  ASSERT_TRUE(WriteFile(two_lines, "0123456789abcdef\n0123456789abcdef\n", 0600).ok());
  Ctl r = Qdtctl("--token-file " + two_lines + " info");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--token-file: the token in \"" + two_lines +
                               "\" holds a line break (\\x0a) at byte 17"));
  r = Qdtctl("--token-file " + dir.path() + " info");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--token-file: "));
  EXPECT_THAT(r.out, Not(HasSubstr("empty")));
  // PrepareContext never hands gRPC a header it would abort on.
  grpc::ClientContext ctx;
  client::PrepareContext(&ctx, std::string("0123456789abcdef\x01", 17));
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel("127.0.0.1:1"));
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  qdt::v1::AgentInfo info;
  EXPECT_FALSE(stub->GetInfo(&ctx, qdt::v1::GetInfoRequest(), &info).ok());
}

// The counts in the agent's "wrong token" lines, summed.
uint64_t RejectedInLog(const std::string& log, int* lines) {
  static const std::regex kOne("rejected a call with a wrong token from ");
  static const std::regex kMany("rejected ([0-9]+) calls? with a wrong token from ");
  uint64_t total = 0;
  *lines = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kOne); it != std::sregex_iterator();
       ++it) {
    ++total;
    ++*lines;
  }
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kMany); it != std::sregex_iterator();
       ++it) {
    uint64_t n = 0;
    if (absl::SimpleAtoi((*it)[1].str(), &n)) total += n;
    ++*lines;
  }
  return total;
}

TEST(WrongTokenLogTest, TenThousandBadCallsWriteAFewLinesThatCountThemAll) {
  TempDir state("throttle");
  const std::string token_file = state.path() + "/token";
  AgentProcess agent(state.path(), token_file);
  agent.Start();
  const size_t log_before = agent.Log().size();
  auto stub = qdt::v1::Agent::NewStub(client::MakeChannel(agent.address()));
  int refused = 0;
  for (int i = 0; i < 10000; ++i) {
    refused += GetInfoWith(*stub, "Bearer not-the-rig-token-0123456789").error_code() ==
               grpc::StatusCode::UNAUTHENTICATED;
  }
  ASSERT_EQ(refused, 10000);
  // The counts held back are logged within a second of their 10 s interval.
  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  int lines = 0;
  uint64_t counted = 0;
  while (absl::Now() < deadline) {
    counted = RejectedInLog(agent.Log().substr(log_before), &lines);
    if (counted >= 10000) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  const std::string log = agent.Log().substr(log_before);
  EXPECT_EQ(counted, 10000u) << log;
  EXPECT_LT(log.size(), 20u * 1024) << "10,000 unthrottled lines were 1.1 MB";
  EXPECT_LE(lines, 20) << log;
  EXPECT_THAT(log, HasSubstr("from ipv4:127.0.0.1"));
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(), 0);
}

}  // namespace
}  // namespace qdt::testing
