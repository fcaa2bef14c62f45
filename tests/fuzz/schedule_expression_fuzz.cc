// Fuzzes schedule expressions (schedule/expression.h): rate(), AWS's six-field cron() and at().
// Nothing crashes or loops, and a next run is always strictly later than the time it follows.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "schedule/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool allow_at : {false, true}) {
    thaw::StatusOr<thaw::schedule::Expression> e = thaw::schedule::Parse(text, allow_at);
    if (!e.ok()) continue;
    // 2024-02-29T23:59:00Z, and the last second before 2100.
    for (int64_t after : {int64_t{1709251140}, int64_t{4102444799}}) {
      std::optional<int64_t> next = e->NextRun(after);
      if (next && *next <= after) __builtin_trap();
    }
  }
  return 0;
}
