#include "trace/hlc.h"

#include <algorithm>
#include <charconv>

namespace thaw::trace {

std::string FormatHlc(HlcStamp stamp) {
  std::string out;
  AppendHlc(stamp, out);
  return out;
}

void AppendHlc(HlcStamp stamp, std::string& out) {
  char buf[24];  // int64: at most 20 characters
  out.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, stamp.l).ptr - buf));
  out += '.';
  out.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, stamp.c).ptr - buf));
}

std::optional<HlcStamp> ParseHlc(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  HlcStamp out;
  const char* end = text.data() + dot;
  auto l = std::from_chars(text.data(), end, out.l);
  if (l.ec != std::errc() || l.ptr != end || out.l < 0) return std::nullopt;
  end = text.data() + text.size();
  auto c = std::from_chars(text.data() + dot + 1, end, out.c);
  if (c.ec != std::errc() || c.ptr != end) return std::nullopt;
  return out;
}

HlcStamp Hlc::Now(int64_t now_ns) {
  if (now_ns > last_.l) {
    last_ = {now_ns, 0};
  } else {
    ++last_.c;
  }
  return last_;
}

HlcStamp Hlc::Receive(HlcStamp remote, int64_t now_ns) {
  int64_t l = std::max({last_.l, remote.l, now_ns});
  uint32_t c = 0;
  if (l == last_.l && l == remote.l) {
    c = std::max(last_.c, remote.c) + 1;
  } else if (l == last_.l) {
    c = last_.c + 1;
  } else if (l == remote.l) {
    c = remote.c + 1;
  }
  last_ = {l, c};
  return last_;
}

}  // namespace thaw::trace
