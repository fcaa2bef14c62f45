#include "profile/pricing.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

TEST(PricingTest, ParsesLambdaArchitectureNames) {
  EXPECT_EQ(ParseArchitecture("x86_64"), Architecture::kX86_64);
  EXPECT_EQ(ParseArchitecture("arm64"), Architecture::kArm64);
  EXPECT_EQ(ParseArchitecture("amd64"), std::nullopt);
  EXPECT_EQ(ArchitectureName(Architecture::kArm64), "arm64");
  EXPECT_EQ(ArchitectureName(Architecture::kX86_64), "x86_64");
}

TEST(PricingTest, BillsWholeMillisecondsRoundedUp) {
  EXPECT_EQ(BilledMillis(0), 1);
  EXPECT_EQ(BilledMillis(0.2), 1);
  EXPECT_EQ(BilledMillis(1.0), 1);
  EXPECT_EQ(BilledMillis(1.01), 2);
  EXPECT_EQ(BilledMillis(281.2), 282);
}

TEST(PricingTest, GbSecondsAreMillisTimesGigabytes) {
  EXPECT_DOUBLE_EQ(GbSeconds(1000, 1024), 1.0);
  EXPECT_DOUBLE_EQ(GbSeconds(100, 128), 0.0125);
}

TEST(PricingTest, OneSecondAtOneGigabyteCostsTheListPrice) {
  EXPECT_DOUBLE_EQ(ComputeCost(Architecture::kX86_64, 1000, 1024), 0.0000166667);
  EXPECT_DOUBLE_EQ(ComputeCost(Architecture::kArm64, 1000, 1024), 0.0000133334);
  EXPECT_DOUBLE_EQ(InvocationCost(Architecture::kX86_64, 1000, 1024), 0.0000166667 + 0.0000002);
}

TEST(PricingTest, ScalesWithMemoryAndBilledDuration) {
  // 100 ms at 128 MB: 0.0125 GB-s.
  double compute = 0.0125 * 0.0000166667;
  EXPECT_DOUBLE_EQ(ComputeCost(Architecture::kX86_64, 100, 128), compute);
  EXPECT_DOUBLE_EQ(ComputeCost(Architecture::kX86_64, 100, 256), 2 * compute);
  EXPECT_DOUBLE_EQ(ComputeCost(Architecture::kX86_64, 50, 256), compute);
  // A million of them: $0.20 of requests plus the compute.
  EXPECT_NEAR(PerMillion(InvocationCost(Architecture::kX86_64, 100, 128)), 0.2 + compute * 1e6,
              1e-12);
}

}  // namespace
}  // namespace thaw::profile
