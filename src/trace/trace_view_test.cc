#include "trace/trace_view.h"

#include <gtest/gtest.h>

namespace thaw::trace {
namespace {

Span Make(const std::string& id, const std::string& parent, int64_t start_ms, int64_t end_ms,
          HlcStamp hlc) {
  Span s;
  s.id = id;
  s.parent = parent;
  s.name = "n" + id;
  s.service = "svc" + id.substr(0, 1);
  s.kind = "segment";
  s.start_ns = start_ms * 1'000'000;
  s.end_ns = end_ms * 1'000'000;
  s.hlc_start = hlc;
  return s;
}

// A calls B; B's recorder runs 5 ms behind, so by timestamps B starts before A.
std::vector<Span> SkewedChain() {
  return {Make("b000000000000002", "a000000000000001", 96, 98, {100'000'001, 1}),
          Make("a000000000000001", "", 100, 110, {100'000'000, 0}),
          Make("c000000000000003", "a000000000000001", 108, 109, {108'000'000, 0})};
}

TEST(TraceViewTest, TreeFollowsParentsAndCausalOrder) {
  auto spans = SkewedChain();
  TraceView v = BuildView(spans);
  ASSERT_EQ(v.tree.size(), 3u);
  EXPECT_EQ(spans[v.tree[0].span].id, "a000000000000001");
  EXPECT_EQ(v.tree[0].depth, 0);
  EXPECT_EQ(spans[v.tree[1].span].id, "b000000000000002");
  EXPECT_EQ(v.tree[1].depth, 1);
  EXPECT_EQ(spans[v.tree[2].span].id, "c000000000000003");
}

TEST(TraceViewTest, TimestampOrderIsWrongAndCausalOrderRightUnderSkew) {
  auto spans = SkewedChain();
  TraceView v = BuildView(spans);
  EXPECT_EQ(spans[v.timestamp_order[0]].id, "b000000000000002");  // wrong: B before A
  EXPECT_EQ(spans[v.causal_order[0]].id, "a000000000000001");     // right
  ASSERT_EQ(v.inversions.size(), 1u);
  EXPECT_EQ(spans[v.inversions[0].span].id, "b000000000000002");
  EXPECT_EQ(spans[v.inversions[0].ancestor].id, "a000000000000001");
  EXPECT_EQ(v.inversions[0].by_ns, 4'000'000);
  std::string text = FormatTree("1-x", spans, v);
  EXPECT_NE(text.find("clock says 4.000 ms before na000000000000001"), std::string::npos) << text;
  nlohmann::json j = ViewJson("1-x", spans, v);
  EXPECT_EQ(j["causalOrder"][0], "a000000000000001");
  EXPECT_EQ(j["timestampOrder"][0], "b000000000000002");
  EXPECT_EQ(j["inversions"][0]["byNs"], 4'000'000);
}

TEST(TraceViewTest, NoSkewNoInversions) {
  auto spans = SkewedChain();
  spans[0].start_ns = 101'000'000;
  TraceView v = BuildView(spans);
  EXPECT_TRUE(v.inversions.empty());
  EXPECT_NE(FormatTree("1-x", spans, v).find("timestamps agree"), std::string::npos);
}

TEST(TraceViewTest, OrphansAndCyclesStillShow) {
  std::vector<Span> spans = {Make("a000000000000001", "b000000000000002", 1, 2, {}),
                             Make("b000000000000002", "a000000000000001", 1, 2, {}),
                             Make("c000000000000003", "ffffffffffffffff", 3, 4, {})};
  TraceView v = BuildView(spans);
  EXPECT_EQ(v.tree.size(), 3u);
}

}  // namespace
}  // namespace thaw::trace
