#include "profile/report_line.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

constexpr char kId[] = "00c4bc44-3c0a-4a4e-9a9c-0d1e2f3a4b5c";

std::string Line(std::string_view rest) {
  return std::string("REPORT RequestId: ") + kId + "\t" + std::string(rest);
}

TEST(ReportLineTest, WarmInvocation) {
  StatusOr<Report> r =
      ParseReportLine(Line("Duration: 6.38 ms\tBilled Duration: 7 ms\tMemory Size: 1024 MB\tMax "
                           "Memory Used: 18 MB\t\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->request_id, kId);
  EXPECT_DOUBLE_EQ(r->duration_ms, 6.38);
  EXPECT_EQ(r->billed_duration_ms, 7);
  EXPECT_EQ(r->memory_size_mb, 1024);
  EXPECT_EQ(r->max_memory_used_mb, 18);
  EXPECT_FALSE(r->cold());
  EXPECT_EQ(r->status, "");
}

TEST(ReportLineTest, ColdInvocationHasInitDuration) {
  // The shape logs::FormatReport writes and Lambda prints.
  StatusOr<Report> r =
      ParseReportLine(Line("Duration: 1.16 ms\tBilled Duration: 33 ms\tMemory Size: 128 MB\t"
                           "Max Memory Used: 17 MB\tInit Duration: 31.20 ms\t"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->cold());
  EXPECT_DOUBLE_EQ(*r->init_duration_ms, 31.20);
  EXPECT_EQ(r->billed_duration_ms, 33);
}

TEST(ReportLineTest, StatusErrorTypeRestoreAndUnknownFields) {
  StatusOr<Report> r = ParseReportLine(
      Line("Duration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t"
           "Max Memory Used: 20 MB\tRestore Duration: 480.12 ms\tBilled Restore Duration: 100 ms"
           "\tStatus: error\tError Type: Runtime.ExitError"));  // no trailing TAB
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->cold());
  EXPECT_DOUBLE_EQ(*r->restore_duration_ms, 480.12);
  EXPECT_EQ(r->status, "error");
  EXPECT_EQ(r->error_type, "Runtime.ExitError");
}

TEST(ReportLineTest, Malformed) {
  EXPECT_FALSE(ParseReportLine("START RequestId: x Version: $LATEST").ok());
  EXPECT_FALSE(ParseReportLine(Line("Duration: 1.0 ms\tBilled Duration: 1 ms")).ok());  // short
  EXPECT_FALSE(ParseReportLine(Line("Duration: fast\tBilled Duration: 1 ms\tMemory Size: 128 "
                                    "MB\tMax Memory Used: 17 MB\t"))
                   .ok());
  EXPECT_FALSE(ParseReportLine(Line("Duration: 1.0 ms\tBilled Duration: 1.5 ms\tMemory Size: "
                                    "128 MB\tMax Memory Used: 17 MB\t"))
                   .ok());
  EXPECT_EQ(ParseReportLine(Line("Duration: 1.0 ms\tBilled Duration: 1 ms\tMemory Size: 128 "
                                 "MB\tMax Memory Used: 17 MB\tInit Duration: x ms\t"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(ReportLineTest, FindReportTakesTheLastPlatformLine) {
  std::string tail =
      "ost of a line cut by the 4 KB tail\n"
      "START RequestId: r Version: $LATEST\n"
      "printed: REPORT RequestId: fake\tDuration: 9.99 ms\n"
      "END RequestId: r\n" +
      Line(
          "Duration: 0.52 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
          "Max Memory Used: 17 MB\t\n");
  StatusOr<Report> r = FindReport(tail);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->duration_ms, 0.52);
  EXPECT_EQ(r->request_id, kId);

  EXPECT_EQ(FindReport("START RequestId: r\nEND RequestId: r\n").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(FindReport("").status().code(), StatusCode::kNotFound);
  // Only at the start of a line.
  EXPECT_EQ(FindReport("echo REPORT RequestId: fake\tDuration: 1.00 ms\n").status().code(),
            StatusCode::kNotFound);
  // A tail that starts exactly at the line.
  EXPECT_TRUE(FindReport(Line("Duration: 0.52 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
                              "Max Memory Used: 17 MB\t"))
                  .ok());
}

}  // namespace
}  // namespace thaw::profile
