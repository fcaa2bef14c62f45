// AWS Lambda's on-demand price table, to turn REPORT figures into dollars. Prices are us-east-1,
// first tier (before volume discounts), from the AWS Lambda pricing page
// (https://aws.amazon.com/lambda/pricing/; also artillery's lib/platform/aws-lambda/prices.js),
// written down on 2026-11-27; they have not changed since arm64 arrived in September 2021:
//   x86_64 $0.0000166667 per GB-s, arm64 $0.0000133334 per GB-s, $0.20 per 1M requests.
// GB-s = Billed Duration (ms, rounded up to 1 ms) x MemorySize / 1024 / 1000. The free tier is
// ignored. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace thaw::profile {

enum class Architecture { kX86_64, kArm64 };

inline constexpr double kX86PricePerGbSecond = 0.0000166667;
inline constexpr double kArmPricePerGbSecond = 0.0000133334;
inline constexpr double kPricePerRequest = 0.20 / 1e6;
inline constexpr char kPriceRegion[] = "us-east-1";
inline constexpr char kPriceSource[] =
    "AWS Lambda on-demand, us-east-1, first tier (https://aws.amazon.com/lambda/pricing/), as of "
    "2026-11-27";

// "x86_64" or "arm64" (Lambda's Architectures spelling); nullopt otherwise.
std::optional<Architecture> ParseArchitecture(std::string_view name);
std::string_view ArchitectureName(Architecture arch);
double PricePerGbSecond(Architecture arch);

// Lambda's billing rounds a duration up to the next whole millisecond, 1 ms at least.
int64_t BilledMillis(double duration_ms);

// billed_ms x memory_mb / 1024 / 1000.
double GbSeconds(int64_t billed_ms, int64_t memory_mb);

// The duration part of one invocation's price: GbSeconds x the architecture's GB-s price.
double ComputeCost(Architecture arch, int64_t billed_ms, int64_t memory_mb);

// What one invocation costs: ComputeCost plus the request price.
double InvocationCost(Architecture arch, int64_t billed_ms, int64_t memory_mb);

// A million invocations at `per_invocation` each.
inline double PerMillion(double per_invocation) { return per_invocation * 1e6; }

}  // namespace thaw::profile
