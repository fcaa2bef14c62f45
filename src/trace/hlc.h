// Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", 2014). A stamp is (l, c):
// l is the largest physical time (Unix nanoseconds) this process has seen, from its own clock
// or in a message; c counts events within one l. If event e happened before f (same process,
// or a message from e's process to f's), then stamp(e) < stamp(f), whatever the clocks' skew,
// and l never runs ahead of the largest physical clock in the system. thaw stamps the hops it
// controls; functions and hosts that carry the `Hlc=` field of the trace header stamp theirs.
// Text form: "<l>.<c>", both decimal. Hlc and HlcClock are thread-compatible
// (the server's lives on the loop).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace thaw::trace {

struct HlcStamp {
  int64_t l = 0;
  uint32_t c = 0;
  bool empty() const { return l == 0 && c == 0; }
  auto operator<=>(const HlcStamp&) const = default;
};

std::string FormatHlc(HlcStamp stamp);
void AppendHlc(HlcStamp stamp, std::string& out);
// Refuses anything but two decimal numbers joined by one '.'.
std::optional<HlcStamp> ParseHlc(std::string_view text);

class Hlc {
 public:
  // A local or send event at physical time `now_ns`.
  HlcStamp Now(int64_t now_ns);
  // Receipt of a message stamped `remote`, at physical time `now_ns`.
  HlcStamp Receive(HlcStamp remote, int64_t now_ns);
  HlcStamp last() const { return last_; }

 private:
  HlcStamp last_;
};

// An Hlc on a Clock's realtime: the server's, shared by the Invoke API, the invoker and the
// environments on the loop.
class HlcClock {
 public:
  explicit HlcClock(const Clock& clock) : clock_(clock) {}
  HlcStamp Now() { return hlc_.Now(clock_.RealtimeNanos()); }
  HlcStamp Receive(HlcStamp remote) { return hlc_.Receive(remote, clock_.RealtimeNanos()); }

 private:
  const Clock& clock_;
  Hlc hlc_;
};

}  // namespace thaw::trace
