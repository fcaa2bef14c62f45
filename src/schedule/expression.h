// Schedule expressions as EventBridge and EventBridge Scheduler accept them:
//   rate(N minute|minutes|hour|hours|day|days)  the unit singular exactly when N is 1, N > 0;
//   cron(Minutes Hours Day-of-month Month Day-of-week Year)  AWS's six fields: `?` in exactly one
//     of the day fields; `*`, lists, ranges, steps; L and W in day-of-month, L and # in
//     day-of-week; JAN-DEC, SUN-SAT (1 is Sunday); years 1970-2199;
//   at(yyyy-mm-ddThh:mm:ss)  one time (Scheduler only).
// NextRun gives the first run after an instant, in a zone (UTC for EventBridge rules). A local
// time that a daylight-saving change skips does not run; one it repeats runs once (Scheduler's
// documented behaviour).
// Pure; any thread.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "schedule/zone.h"

namespace thaw::schedule {

// AWS's message for an expression it refuses (ValidationException).
inline constexpr char kInvalidExpression[] = "Parameter ScheduleExpression is not valid.";

struct Cron {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<13> months;  // 1-12
  std::bitset<230> years;  // 1970-2199
  // Day of month: `?` (any_dom), a set, or L (last day), or nW (the weekday nearest n).
  bool any_dom = false;
  std::bitset<32> days;  // 1-31
  bool last_day = false;
  int nearest_weekday = 0;  // the n of nW; 0 for none
  // Day of week (1 Sunday .. 7 Saturday): `?` (any_dow), a set, dL (the last d of the month) or
  // d#n (the n-th d of the month).
  bool any_dow = false;
  std::bitset<8> weekdays;
  int last_weekday = 0;  // the d of dL
  int nth_weekday = 0;   // the d of d#n
  int nth = 0;           // the n of d#n
};

struct Expression {
  enum class Kind { kRate, kCron, kAt };
  Kind kind = Kind::kRate;
  std::string text;
  int64_t rate_s = 0;      // kRate: the period
  Cron cron;               // kCron
  int64_t at_local_s = 0;  // kAt: the local time as if it were UTC

  // Seconds to the next run after `after_s` (Unix seconds): kRate after + period; kCron and kAt
  // the first matching minute strictly later. nullopt when there is none (an at() past, a cron
  // whose years are over).
  std::optional<int64_t> NextRun(int64_t after_s, const TimeZone& zone = TimeZone()) const;
};

// InvalidArgument(kInvalidExpression) for anything AWS refuses; at() only when `allow_at`.
StatusOr<Expression> Parse(std::string_view text, bool allow_at);

}  // namespace thaw::schedule
