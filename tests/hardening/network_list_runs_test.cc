// Issue 15, defect 10 (replies): ListRuns sends summaries in pages. A state
// folder with 250 runs, each with a large per-phase verdict and checks, and
// one with a 1 MB profile name and error: every reply stays small, paging
// returns every run exactly once, newest first, and qdtctl `runs` pages
// through them all.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "agent/agent_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace qdt::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kRuns = 250;

std::string RunId(int i) { return absl::StrFormat("20260101-%06d-%06x", i, i); }

// An ended run as the store keeps it, with a verdict of 200 phases and 200
// measured boundaries: about 20 KB each.
qdt::v1::Run BigRun(int i) {
  qdt::v1::Run run;
  run.set_run_id(RunId(i));
  run.set_state(qdt::v1::RUN_STATE_DONE);
  run.set_profile_name("setup-check");
  run.set_target_dir("/Volumes/Media");
  run.set_phase_count(3);
  run.set_planned_duration_s(120);
  run.set_time_scale(1);
  qdt::v1::Verdict* v = run.mutable_verdict();
  v->set_rating(qdt::v1::RATING_EXCELLENT);
  v->set_sustained_mb_s(2500);
  v->set_summary("sustains every target");
  for (int p = 0; p < 200; ++p) {
    qdt::v1::PhaseVerdict* pv = v->add_phases();
    pv->set_name(absl::StrCat("phase-", p, std::string(40, 'p')));
    pv->set_windows(60);
  }
  for (int b = 0; b < 200; ++b) {
    run.mutable_checks()->add_boundaries()->set_to_phase_index(b);
  }
  run.mutable_checks()->set_device_counter("loop3");
  return run;
}

class ListRunsPagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kRuns; ++i) {
      qdt::v1::Run run = BigRun(i);
      if (i == 7) {
        run.set_profile_name(std::string(1 << 20, 'n'));
        run.set_error(std::string(1 << 20, 'e'));
      }
      ASSERT_TRUE(agent_.store().CreateRun(run, {}, {}).ok()) << i;
    }
  }
  absl::StatusOr<qdt::v1::ListRunsResponse> Page(uint32_t limit, const std::string& token) {
    grpc::ClientContext ctx;
    agent_.Auth(&ctx);
    qdt::v1::ListRunsRequest req;
    req.set_limit(limit);
    req.set_page_token(token);
    qdt::v1::ListRunsResponse resp;
    grpc::Status st = agent_.stub().ListRuns(&ctx, req, &resp);
    if (!st.ok()) return ToAbslStatus(st);
    return resp;
  }

  InProcessAgent agent_;
};

TEST_F(ListRunsPagingTest, EveryRunExactlyOnceNewestFirstInSmallReplies) {
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = Page(0, token);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    EXPECT_LE(page->runs_size(), 100);
    EXPECT_LT(page->ByteSizeLong(), 512u * 1024) << "page " << pages;
    for (const auto& r : page->runs()) {
      seen.push_back(r.run_id());
      // A summary: what a list shows, not the per-phase verdict nor the checks.
      EXPECT_EQ(r.verdict().phases_size(), 0);
      EXPECT_FALSE(r.has_checks());
      EXPECT_EQ(r.verdict().rating(), qdt::v1::RATING_EXCELLENT);
      EXPECT_EQ(r.phase_count(), 3u);
      EXPECT_EQ(r.planned_duration_s(), 120);
      EXPECT_LE(r.profile_name().size(), 4096u + 3);
      EXPECT_LE(r.error().size(), 1024u + 3);
    }
    token = page->next_page_token();
    ASSERT_LE(pages, 10) << "paging does not end";
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kRuns));
  for (int i = 0; i < kRuns; ++i) EXPECT_EQ(seen[i], RunId(kRuns - 1 - i)) << i;
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
}

TEST_F(ListRunsPagingTest, LimitIsAPageSizeCappedAt100) {
  auto one = Page(1, "");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->runs_size(), 1);
  EXPECT_EQ(one->runs(0).run_id(), RunId(kRuns - 1));
  EXPECT_EQ(one->next_page_token(), RunId(kRuns - 1));
  auto next = Page(2, one->next_page_token());
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->runs_size(), 2);
  EXPECT_EQ(next->runs(0).run_id(), RunId(kRuns - 2));
  auto big = Page(100000, "");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->runs_size(), 100);
  // The oldest page says nothing remains.
  auto last = Page(100, RunId(5));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->runs_size(), 5);
  EXPECT_TRUE(last->next_page_token().empty());
}

TEST_F(ListRunsPagingTest, ABadPageTokenIsRefusedQuotingAtMost200Bytes) {
  auto bad = Page(0, std::string(100000, 'x'));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("page_token: "));
  EXPECT_THAT(bad.status().message(), HasSubstr("(100000 bytes)"));
  EXPECT_LT(bad.status().message().size(), 300u);
}

TEST_F(ListRunsPagingTest, QdtctlRunsPagesThroughEveryRun) {
  int rc = -1;
  const std::string ctl = absl::StrCat(QdtctlBinary(), " --agent ", agent_.address(), " --token ",
                                       agent_.token(), " runs");
  std::string out = RunCommand(ctl, &rc);
  ASSERT_EQ(rc, 0) << out.substr(0, 2000);
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + kRuns);  // the header and every run
  EXPECT_THAT(lines[1], HasSubstr(RunId(kRuns - 1)));
  EXPECT_THAT(lines.back(), HasSubstr(RunId(0)));
  out = RunCommand(ctl + " --limit 150", &rc);
  ASSERT_EQ(rc, 0);
  lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1u + 150);
  EXPECT_LT(out.size(), 150u * 4096 + 4096) << "the 1 MB name is cut";
}

}  // namespace
}  // namespace qdt::testing
