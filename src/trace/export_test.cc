#include "trace/export.h"

#include <gtest/gtest.h>

namespace thaw::trace {
namespace {

std::vector<Span> Chain() {
  Span a;
  a.id = "a000000000000001";
  a.name = a.service = "fn-a";
  a.kind = "invocation";
  a.start_ns = 1'000'000'000'000'000'000;
  a.end_ns = a.start_ns + 10'000'000;
  a.hlc_start = {a.start_ns, 0};
  a.attributes = {{"status", "error"}, {"cold", true}};
  Span b;
  b.id = "b000000000000002";
  b.parent = a.id;
  b.name = b.service = "host";
  b.kind = "segment";
  b.start_ns = a.start_ns - 4'000'000;  // skewed: before its parent
  b.end_ns = b.start_ns + 1'500;
  return {a, b};
}

TEST(ExportTest, ChromeTraceHasSlicesProcessesAndAFlowArrow) {
  nlohmann::json j = ChromeTraceJson("1-5759e988-bd862e3fe1be46a994272793", Chain());
  int slices = 0, processes = 0;
  nlohmann::json s, f;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") ++slices;
    if (e["ph"] == "M" && e["name"] == "process_name") ++processes;
    if (e["ph"] == "s") s = e;
    if (e["ph"] == "f") f = e;
  }
  EXPECT_EQ(slices, 2);
  EXPECT_EQ(processes, 2);
  ASSERT_TRUE(s.is_object() && f.is_object());
  EXPECT_EQ(s["id"], f["id"]);
  EXPECT_EQ(f["bp"], "e");
  EXPECT_DOUBLE_EQ(f["ts"].get<double>(), 0.0);     // the skewed child is the earliest
  EXPECT_DOUBLE_EQ(s["ts"].get<double>(), 4000.0);  // clamped into the parent's slice
  EXPECT_EQ(j["otherData"]["baseUnixNs"], int64_t{1'000'000'000'000'000'000} - 4'000'000);
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X" && e["name"] == "host") {
      EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 1.5);
    }
  }
}

TEST(ExportTest, OtlpHasHexIdsNanosAsStringsAndParents) {
  nlohmann::json j = OtlpJson("1-5759e988-bd862e3fe1be46a994272793", Chain());
  ASSERT_EQ(j["resourceSpans"].size(), 2u);
  nlohmann::json host;
  for (const auto& rs : j["resourceSpans"]) {
    const auto& span = rs["scopeSpans"][0]["spans"][0];
    EXPECT_EQ(span["traceId"], "5759e988bd862e3fe1be46a994272793");
    if (span["name"] == "host") host = span;
    if (span["name"] == "fn-a") {
      EXPECT_EQ(span["kind"], 2);
      EXPECT_EQ(span["status"]["code"], 2);
      EXPECT_FALSE(span.contains("parentSpanId"));
      EXPECT_EQ(span["startTimeUnixNano"], "1000000000000000000");
      EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "fn-a");
    }
  }
  ASSERT_TRUE(host.is_object());
  EXPECT_EQ(host["parentSpanId"], "a000000000000001");
  EXPECT_EQ(host["kind"], 1);
}

}  // namespace
}  // namespace thaw::trace
