#include "trace/segment.h"

#include <gtest/gtest.h>

namespace thaw::trace {
namespace {

TEST(SegmentTest, ReadsASegmentItsSubsegmentsAndHlc) {
  auto doc = ParseSegmentDocument(R"({
    "trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",
    "parent_id": "53995c3f42cd8ad8", "name": "latency-host",
    "start_time": 1764280000.5, "end_time": 1764280000.75, "origin": "AWS::EC2::Instance",
    "annotations": {"thaw_hlc_start": "1764280000500000000.2", "thaw_hlc_end": "bad", "k": 3},
    "subsegments": [{"id": "70de5b6f19ff9a0b", "name": "work", "start_time": 1764280000.6,
                     "in_progress": true}]})");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->trace_root, "1-5759e988-bd862e3fe1be46a994272793");
  ASSERT_EQ(doc->spans.size(), 2u);
  const Span& s = doc->spans[0];
  EXPECT_EQ(s.parent, "53995c3f42cd8ad8");
  EXPECT_EQ(s.start_ns, 1764280000500000000);
  EXPECT_EQ(s.end_ns, 1764280000750000000);
  EXPECT_EQ(s.hlc_start, (HlcStamp{1764280000500000000, 2}));
  EXPECT_TRUE(s.hlc_end.empty());
  EXPECT_EQ(s.attributes["k"], 3);
  EXPECT_EQ(s.attributes["origin"], "AWS::EC2::Instance");
  const Span& sub = doc->spans[1];
  EXPECT_EQ(sub.parent, "70de5b6f19ff9a0a");
  EXPECT_EQ(sub.service, "latency-host");
  EXPECT_EQ(sub.end_ns, sub.start_ns);
}

TEST(SegmentTest, RefusesWhatXRayRefuses) {
  const char* bad[] = {
      "not json",
      "[]",
      R"({"trace_id": "x", "id": "70de5b6f19ff9a0a", "name": "n", "start_time": 1, "end_time": 2})",
      R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "XYZ", "name": "n",
          "start_time": 1, "end_time": 2})",
      R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",
          "name": "", "start_time": 1, "end_time": 2})",
      R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",
          "name": "n", "start_time": "1", "end_time": 2})",
      R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",
          "name": "n", "start_time": 1})",
      R"({"trace_id": 5, "id": 7, "name": [], "start_time": 1, "end_time": 2})",
      R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "70de5b6f19ff9a0a",
          "name": "n", "start_time": 1, "end_time": 2, "subsegments": [{"id": "1"}]})",
  };
  for (const char* doc : bad) EXPECT_FALSE(ParseSegmentDocument(doc).ok()) << doc;
}

// Found by tests/fuzz/xray_segment_fuzz: times whose nanoseconds overflow an int64.
TEST(SegmentTest, RefusesTimesOutOfRange) {
  for (const char* times :
       {R"("start_time": 17641280000.6, "end_time": 17641280000.7)",
        R"("start_time": 1, "end_time": 1e300)", R"("start_time": -1e300, "in_progress": true)"}) {
    std::string doc = std::string(R"({"trace_id": "1-5759e988-bd862e3fe1be46a994272793",
        "id": "70de5b6f19ff9a0a", "name": "n", )") +
                      times + "}";
    EXPECT_FALSE(ParseSegmentDocument(doc).ok()) << doc;
  }
}

}  // namespace
}  // namespace thaw::trace
