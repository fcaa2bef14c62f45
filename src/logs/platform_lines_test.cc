#include "logs/platform_lines.h"

#include <gtest/gtest.h>

namespace thaw::logs {
namespace {

constexpr char kId[] = "00c4bc44-3c0a-4a4e-9a9c-0d1e2f3a4b5c";

TEST(PlatformLinesTest, InitStart) {
  EXPECT_EQ(FormatInitStart("provided:al2023.v100", "arn:aws:lambda:us-east-1::runtime:0123abcd"),
            "INIT_START Runtime Version: provided:al2023.v100\t"
            "Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:0123abcd\n");
}

TEST(PlatformLinesTest, StartAndEnd) {
  EXPECT_EQ(FormatStart(kId, "$LATEST"),
            std::string("START RequestId: ") + kId + " Version: $LATEST\n");
  EXPECT_EQ(FormatStart(kId, "3"), std::string("START RequestId: ") + kId + " Version: 3\n");
  EXPECT_EQ(FormatEnd(kId), std::string("END RequestId: ") + kId + "\n");
}

TEST(PlatformLinesTest, ReportWithInitDuration) {
  ReportFields f{.request_id = kId,
                 .duration_ms = 1.16,
                 .billed_ms = 33,
                 .memory_mb = 128,
                 .max_memory_used_mb = 17,
                 .init_duration_ms = 31.20};
  EXPECT_EQ(FormatReport(f), std::string("REPORT RequestId: ") + kId +
                                 "\tDuration: 1.16 ms\tBilled Duration: 33 ms\t"
                                 "Memory Size: 128 MB\tMax Memory Used: 17 MB\t"
                                 "Init Duration: 31.20 ms\t\n");
}

TEST(PlatformLinesTest, ReportWarmHasNoInitDuration) {
  ReportFields f{.request_id = kId,
                 .duration_ms = 6.375,
                 .billed_ms = 7,
                 .memory_mb = 1024,
                 .max_memory_used_mb = 3};
  EXPECT_EQ(FormatReport(f), std::string("REPORT RequestId: ") + kId +
                                 "\tDuration: 6.38 ms\tBilled Duration: 7 ms\t"
                                 "Memory Size: 1024 MB\tMax Memory Used: 3 MB\t\n");
}

TEST(PlatformLinesTest, ReportTimeout) {
  ReportFields f{.request_id = kId,
                 .duration_ms = 3000.0,
                 .billed_ms = 3000,
                 .memory_mb = 128,
                 .max_memory_used_mb = 20,
                 .status = "timeout"};
  EXPECT_EQ(FormatReport(f), std::string("REPORT RequestId: ") + kId +
                                 "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
                                 "Memory Size: 128 MB\tMax Memory Used: 20 MB\t"
                                 "Status: timeout\t\n");
}

TEST(PlatformLinesTest, ReportErrorAfterInitDuration) {
  ReportFields f{.request_id = kId,
                 .duration_ms = 12.5,
                 .billed_ms = 50,
                 .memory_mb = 128,
                 .max_memory_used_mb = 128,
                 .init_duration_ms = 37.0,
                 .status = "error",
                 .error_type = "Runtime.OutOfMemory"};
  EXPECT_EQ(FormatReport(f), std::string("REPORT RequestId: ") + kId +
                                 "\tDuration: 12.50 ms\tBilled Duration: 50 ms\t"
                                 "Memory Size: 128 MB\tMax Memory Used: 128 MB\t"
                                 "Init Duration: 37.00 ms\t"
                                 "Status: error\tError Type: Runtime.OutOfMemory\t\n");
}

TEST(PlatformLinesTest, InitReport) {
  EXPECT_EQ(FormatInitReport(10.17, "init", "error", "Runtime.ExitError"),
            "INIT_REPORT Init Duration: 10.17 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ExitError\n");
  EXPECT_EQ(FormatInitReport(4.87, "invoke", "error", "Runtime.ExitError"),
            "INIT_REPORT Init Duration: 4.87 ms\tPhase: invoke\tStatus: error\t"
            "Error Type: Runtime.ExitError\n");
  EXPECT_EQ(FormatInitReport(10007.33, "init", "timeout", ""),
            "INIT_REPORT Init Duration: 10007.33 ms\tPhase: init\tStatus: timeout\n");
}

TEST(PlatformLinesTest, BilledMillisAddsInitForCustomRuntimes) {
  EXPECT_EQ(BilledMillis(1.16, 31.20), 33);
  EXPECT_EQ(BilledMillis(38.83, 26.32), 66);
  EXPECT_EQ(BilledMillis(6.38, std::nullopt), 7);
  EXPECT_EQ(BilledMillis(3000.0, std::nullopt), 3000);
  EXPECT_EQ(BilledMillis(0.1 + 0.2 + 2.7, std::nullopt), 3);  // float noise above 3.0
  EXPECT_EQ(BilledMillis(0.0, std::nullopt), 1);
}

TEST(PlatformLinesTest, TimeoutLine) {
  EXPECT_EQ(FormatTimeoutLine(1568764966542, "f2704689-aaaa-bbbb-cccc-0123456789ab", 5.01),
            "2019-09-18T00:02:46.542Z f2704689-aaaa-bbbb-cccc-0123456789ab "
            "Task timed out after 5.01 seconds\n");
  EXPECT_EQ(
      FormatTimeoutLine(1568764966000, kId, 3),
      std::string("2019-09-18T00:02:46.000Z ") + kId + " Task timed out after 3.00 seconds\n");
}

// True when `name` is `prefix` followed by 32 lowercase hex digits.
bool IsStreamName(const std::string& name, const std::string& prefix) {
  if (name.size() != prefix.size() + 32 || name.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(PlatformLinesTest, LogStreamName) {
  std::string a = LogStreamName(1735430399000, "$LATEST");
  EXPECT_TRUE(IsStreamName(a, "2024/12/28/[$LATEST]")) << a;
  EXPECT_NE(a, LogStreamName(1735430399000, "$LATEST"));
  EXPECT_TRUE(IsStreamName(LogStreamName(1735430400000, "7"), "2024/12/29/[7]"));
}

}  // namespace
}  // namespace thaw::logs
