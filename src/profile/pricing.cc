#include "profile/pricing.h"

#include <cmath>

namespace thaw::profile {

std::optional<Architecture> ParseArchitecture(std::string_view name) {
  if (name == "x86_64") return Architecture::kX86_64;
  if (name == "arm64") return Architecture::kArm64;
  return std::nullopt;
}

std::string_view ArchitectureName(Architecture arch) {
  return arch == Architecture::kArm64 ? "arm64" : "x86_64";
}

double PricePerGbSecond(Architecture arch) {
  return arch == Architecture::kArm64 ? kArmPricePerGbSecond : kX86PricePerGbSecond;
}

int64_t BilledMillis(double duration_ms) {
  if (!(duration_ms > 1)) return 1;  // also NaN
  return static_cast<int64_t>(std::ceil(duration_ms));
}

double GbSeconds(int64_t billed_ms, int64_t memory_mb) {
  return static_cast<double>(billed_ms) * static_cast<double>(memory_mb) / 1024.0 / 1000.0;
}

double ComputeCost(Architecture arch, int64_t billed_ms, int64_t memory_mb) {
  return GbSeconds(billed_ms, memory_mb) * PricePerGbSecond(arch);
}

double InvocationCost(Architecture arch, int64_t billed_ms, int64_t memory_mb) {
  return ComputeCost(arch, billed_ms, memory_mb) + kPricePerRequest;
}

}  // namespace thaw::profile
