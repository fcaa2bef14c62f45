// The client side of reading a log group the way `aws logs tail` does: parsing --since, and
// a cursor that turns repeated FilterLogEvents polls into a stream of events, each printed
// once. Used by `thaw logs`. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::logs {

// "<N><unit>" with unit s, m, h, d or w (as `aws logs tail --since`), relative to `now_ms`.
// InvalidArgument for anything else.
StatusOr<int64_t> ParseSince(std::string_view text, int64_t now_ms);

// Polls re-read a short window before the newest event seen, because events can land slightly
// out of time order (several environments log at once); ids seen in that window are skipped.
class TailCursor {
 public:
  explicit TailCursor(std::optional<int64_t> since_ms, int64_t lookback_ms = 5000)
      : since_ms_(since_ms), lookback_ms_(lookback_ms) {}

  // startTime for the next poll; nullopt means from the beginning.
  std::optional<int64_t> start_ms() const;
  // True the first time an event id is offered.
  bool Accept(const std::string& event_id, int64_t timestamp_ms);
  // Forgets ids that fell out of the window. Call after each complete poll.
  void EndPoll();

 private:
  std::optional<int64_t> since_ms_;
  int64_t lookback_ms_;
  std::optional<int64_t> newest_ms_;
  std::map<std::string, int64_t> seen_;  // event id -> timestamp, within the window
};

}  // namespace thaw::logs
