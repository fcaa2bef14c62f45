#include "logs/log_tail.h"

#include <algorithm>

#include "base/codec.h"

namespace thaw::logs {

StatusOr<int64_t> ParseSince(std::string_view text, int64_t now_ms) {
  auto invalid = [&] {
    return Status::InvalidArgument("invalid --since '" + std::string(text) +
                                   "': expected a number and one unit of s, m, h, d or w "
                                   "(like 10m)");
  };
  if (text.size() < 2) return invalid();
  constexpr int64_t kSecondMs = 1000;
  int64_t unit_ms = 0;
  switch (text.back()) {
    case 's':
      unit_ms = kSecondMs;
      break;
    case 'm':
      unit_ms = kSecondMs * 60;
      break;
    case 'h':
      unit_ms = kSecondMs * 3600;
      break;
    case 'd':
      unit_ms = kSecondMs * 24 * 3600;
      break;
    case 'w':
      unit_ms = kSecondMs * 7 * 24 * 3600;
      break;
    default:
      return invalid();
  }
  auto amount = ParseInt(text.substr(0, text.size() - 1));
  // Bounded to ten years so the multiplication cannot overflow.
  if (!amount || *amount < 0 || *amount > kSecondMs * 3650 * 24 * 3600 / unit_ms) return invalid();
  return now_ms - *amount * unit_ms;
}

std::optional<int64_t> TailCursor::start_ms() const {
  if (!newest_ms_) return since_ms_;
  int64_t start = *newest_ms_ - lookback_ms_;
  return since_ms_ ? std::max(*since_ms_, start) : start;
}

bool TailCursor::Accept(const std::string& event_id, int64_t timestamp_ms) {
  if (!seen_.emplace(event_id, timestamp_ms).second) return false;
  newest_ms_ = newest_ms_ ? std::max(*newest_ms_, timestamp_ms) : timestamp_ms;
  return true;
}

void TailCursor::EndPoll() {
  if (!newest_ms_) return;
  int64_t oldest_kept = *newest_ms_ - lookback_ms_;
  std::erase_if(seen_, [&](const auto& entry) { return entry.second < oldest_kept; });
}

}  // namespace thaw::logs
