#include "trace/trace_header.h"

#include <gtest/gtest.h>

namespace thaw::trace {
namespace {

TEST(TraceHeaderTest, ParsesXRayFieldsHlcAndKeepsTheRest) {
  TraceContext t = ParseTraceHeader(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
      "Lineage=a87bd80c:0;Hlc=1764280000123456789.3");
  EXPECT_EQ(t.root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(t.parent, "53995c3f42cd8ad8");
  EXPECT_EQ(t.sampled, "1");
  ASSERT_TRUE(t.hlc);
  EXPECT_EQ(*t.hlc, (HlcStamp{1764280000123456789, 3}));
  EXPECT_EQ(t.lineage, "a87bd80c:0");
  EXPECT_EQ(t.extra, "");
}

TEST(TraceHeaderTest, LineageRoundTripsBesideOtherFields) {
  std::string header =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;"
      "Lineage=a87bd80c:3|0f1e2d3c:1;Self=1-ab";
  TraceContext t = ParseTraceHeader(header);
  EXPECT_EQ(t.lineage, "a87bd80c:3|0f1e2d3c:1");
  EXPECT_EQ(t.extra, "Self=1-ab");
  EXPECT_EQ(FormatTraceHeader(t), header);
  // The callee's header carries it on, so an SDK call from the function passes it along.
  EXPECT_NE(
      ForCallee(t, "0123456789abcdef", HlcStamp{5, 0}).find(";Lineage=a87bd80c:3|0f1e2d3c:1;"),
      std::string::npos);
}

TEST(TraceHeaderTest, LineageCountsPerFunction) {
  std::string mine = LineageHash("arn:aws:lambda:us-east-1:000000000000:function:f");
  EXPECT_EQ(mine.size(), 8u);
  EXPECT_NE(mine, LineageHash("arn:aws:lambda:us-east-1:000000000000:function:g"));
  EXPECT_EQ(LineageCount("", mine), 0);
  EXPECT_EQ(LineageCount("0f1e2d3c:7", mine), 0);
  EXPECT_EQ(LineageCount("0f1e2d3c:7|" + mine + ":12", mine), 12);
  // Lenient: malformed entries, other forms and overlong counts count as nothing.
  EXPECT_EQ(LineageCount(mine + ":x|" + mine + ":|" + mine + ":99999999999|1:" + mine + ":4", mine),
            0);
  EXPECT_EQ(LineageCount(mine + "0:5", mine), 0);
}

TEST(TraceHeaderTest, SetLineageCountReplacesOrAppendsTheFunctionsEntry) {
  EXPECT_EQ(SetLineageCount("", "a87bd80c", 1), "a87bd80c:1");
  EXPECT_EQ(SetLineageCount("0f1e2d3c:7", "a87bd80c", 1), "0f1e2d3c:7|a87bd80c:1");
  EXPECT_EQ(SetLineageCount("a87bd80c:15|0f1e2d3c:7", "a87bd80c", 16), "a87bd80c:16|0f1e2d3c:7");
  // Unknown forms are kept as received.
  EXPECT_EQ(SetLineageCount("1:0f1e2d3c:0||", "a87bd80c", 2), "1:0f1e2d3c:0|a87bd80c:2");
}

TEST(TraceHeaderTest, LenientLikeXRay) {
  TraceContext spaced = ParseTraceHeader(
      "Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=?;Parent=53995c3f42cd8ad8");
  EXPECT_EQ(spaced.root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(spaced.parent, "53995c3f42cd8ad8");
  EXPECT_EQ(spaced.sampled, "?");
  EXPECT_EQ(ParseTraceHeader("").root, "");
  EXPECT_EQ(ParseTraceHeader("garbage;Root=x").root, "x");
  TraceContext bad_hlc = ParseTraceHeader("Root=x;Hlc=nope");
  EXPECT_FALSE(bad_hlc.hlc);
  EXPECT_EQ(bad_hlc.extra, "");
}

TEST(TraceHeaderTest, FormatRoundTrips) {
  std::string header =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Self=1-ab;"
      "Hlc=12.0";
  EXPECT_EQ(FormatTraceHeader(ParseTraceHeader(header)), header);
}

TEST(TraceHeaderTest, CalleeGetsItsOwnSpanAsParentAndTheStamp) {
  TraceContext caller = ParseTraceHeader(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=5.0");
  std::string span = SpanIdFor("3f2b1c9e-8d7a-4b6c-9e5f-0123456789ab");
  EXPECT_EQ(span, "3f2b1c9e8d7a4b6c");
  EXPECT_EQ(ForCallee(caller, span, {9, 2}),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=3f2b1c9e8d7a4b6c;Sampled=1;Hlc=9.2");
}

TEST(TraceHeaderTest, SpanIdForOtherRequestIdsIsStableHex) {
  std::string a = SpanIdFor("not-a-uuid"), b = SpanIdFor("not-a-uuid");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, SpanIdFor("other"));
}

TEST(TraceHeaderTest, NewTraceIsUnsampledWithAnEpochRoot) {
  TraceContext t = NewTrace(int64_t{0x5759e988} * 1000);
  EXPECT_EQ(t.root.substr(0, 11), "1-5759e988-");
  EXPECT_EQ(t.root.size(), 35u);
  EXPECT_EQ(t.parent.size(), 16u);
  EXPECT_EQ(t.sampled, "0");
}

TEST(TraceHeaderTest, OtelTraceId) {
  EXPECT_EQ(OtelTraceId("1-5759e988-bd862e3fe1be46a994272793"), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(OtelTraceId("x"), "");
  EXPECT_EQ(OtelTraceId("1-5759e988-BD862E3FE1BE46A994272793"), "");
}

}  // namespace
}  // namespace thaw::trace
