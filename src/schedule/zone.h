// TimeZone: an IANA zone's UTC offsets, read from the system's tzdata (TZif files under
// /usr/share/zoneinfo; libstdc++ 12 has no std::chrono::tzdb). Times past the file's last
// transition keep its last offset: Debian's "fat" files list transitions to 2037.
// Load reads a file (call it off the loop, or once when a schedule is created); a loaded zone is
// immutable and may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace thaw::schedule {

class TimeZone {
 public:
  // UTC, the default of every schedule.
  TimeZone() = default;
  // "UTC", "Etc/UTC", "Europe/Berlin", ...: InvalidArgument for a name that is not a zone.
  static StatusOr<TimeZone> Load(std::string_view name, std::string_view dir = kZoneDir);
  // Parses a TZif file's bytes (version 2 or later).
  static StatusOr<TimeZone> Parse(std::string name, std::string_view tzif);

  const std::string& name() const { return name_; }
  // Seconds east of UTC at the instant `utc_s` (Unix seconds).
  int64_t OffsetAt(int64_t utc_s) const;

  static constexpr std::string_view kZoneDir = "/usr/share/zoneinfo";

 private:
  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;  // Unix seconds, ascending
  std::vector<int32_t> offsets_;      // offsets_[i] from transitions_[i]
  int32_t initial_ = 0;               // before the first transition
};

}  // namespace thaw::schedule
