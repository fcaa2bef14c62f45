#include "schedule/zone.h"

#include <fstream>
#include <sstream>

namespace thaw::schedule {

namespace {

uint32_t Be32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

int64_t Be64(std::string_view s, size_t at) {
  return static_cast<int64_t>((uint64_t(Be32(s, at)) << 32) | Be32(s, at + 4));
}

struct Counts {
  uint32_t isut, isstd, leap, time, type, chars;
};

Counts ReadCounts(std::string_view s, size_t at) {
  return {Be32(s, at + 20), Be32(s, at + 24), Be32(s, at + 28),
          Be32(s, at + 32), Be32(s, at + 36), Be32(s, at + 40)};
}

// A name tzdata could hold: no absolute path, no "..", only the characters zone names use.
bool PlausibleName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

StatusOr<TimeZone> TimeZone::Load(std::string_view name, std::string_view dir) {
  if (name == "UTC" || name == "Etc/UTC" || name == "GMT") {
    TimeZone utc;
    utc.name_ = std::string(name);
    return utc;
  }
  Status bad = Status::InvalidArgument("Invalid time zone " + std::string(name) + ".");
  if (!PlausibleName(name)) return bad;
  std::ifstream in(std::string(dir) + "/" + std::string(name), std::ios::binary);
  if (!in) return bad;
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto zone = Parse(std::string(name), bytes.str());
  if (!zone.ok()) return bad;
  return zone;
}

StatusOr<TimeZone> TimeZone::Parse(std::string name, std::string_view s) {
  Status bad = Status::InvalidArgument("not a TZif file");
  if (s.size() < 44 || s.substr(0, 4) != "TZif" || s[4] < '2') return bad;
  Counts v1 = ReadCounts(s, 0);
  size_t at = 44 + size_t(v1.time) * 5 + size_t(v1.type) * 6 + v1.chars + size_t(v1.leap) * 8 +
              v1.isstd + v1.isut;
  if (s.size() < at + 44 || s.substr(at, 4) != "TZif") return bad;
  Counts c = ReadCounts(s, at);
  at += 44;
  size_t need = size_t(c.time) * 9 + size_t(c.type) * 6;
  if (c.type == 0 || s.size() < at + need) return bad;
  TimeZone zone;
  zone.name_ = std::move(name);
  size_t idx_at = at + size_t(c.time) * 8;
  size_t types_at = idx_at + c.time;
  auto offset_of = [&](uint32_t type) -> int32_t {
    return static_cast<int32_t>(Be32(s, types_at + size_t(type) * 6));
  };
  for (uint32_t i = 0; i < c.time; ++i) {
    uint8_t type = uint8_t(s[idx_at + i]);
    if (type >= c.type) return bad;
    zone.transitions_.push_back(Be64(s, at + size_t(i) * 8));
    zone.offsets_.push_back(offset_of(type));
  }
  zone.initial_ = offset_of(0);
  return zone;
}

int64_t TimeZone::OffsetAt(int64_t utc_s) const {
  // The last transition at or before utc_s.
  size_t lo = 0, hi = transitions_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (transitions_[mid] <= utc_s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo == 0 ? initial_ : offsets_[lo - 1];
}

}  // namespace thaw::schedule
