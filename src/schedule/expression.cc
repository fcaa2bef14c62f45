#include "schedule/expression.h"

#include <array>
#include <charconv>
#include <chrono>
#include <vector>

namespace thaw::schedule {

namespace {

namespace chr = std::chrono;

Status Invalid() { return Status::InvalidArgument(kInvalidExpression); }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

constexpr std::array<std::string_view, 12> kMonths{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDays{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  int lo, hi;
  const std::string_view* names = nullptr;  // names[i] is lo + i
  size_t name_count = 0;
};

std::optional<int> Value(std::string_view s, const Field& f) {
  if (f.names) {
    std::string upper(s);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (size_t i = 0; i < f.name_count; ++i) {
      if (upper == f.names[i]) return f.lo + static_cast<int>(i);
    }
  }
  auto n = Number(s);
  if (!n || *n < f.lo || *n > f.hi) return std::nullopt;
  return n;
}

// A list of `*`, `a`, `a-b`, each optionally `/step`; bit v - lo for each value v.
template <size_t N>
Status ParseSet(std::string_view text, const Field& f, std::bitset<N>& out, int offset) {
  for (std::string_view item : Split(text, ',')) {
    int step = 1;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      auto s = Number(item.substr(slash + 1));
      if (!s || *s <= 0) return Invalid();
      step = *s;
      item = item.substr(0, slash);
    }
    int from = f.lo, to = f.hi;
    if (item != "*") {
      size_t dash = item.find('-');
      auto a = Value(item.substr(0, dash), f);
      if (!a) return Invalid();
      from = *a;
      // `a/step` runs to the field's end; `a` alone is itself.
      to = step > 1 && dash == std::string_view::npos ? f.hi : *a;
      if (dash != std::string_view::npos) {
        auto b = Value(item.substr(dash + 1), f);
        if (!b) return Invalid();
        to = *b;
      }
    }
    if (from <= to) {
      for (int v = from; v <= to; v += step) out.set(size_t(v - offset));
    } else {  // wraps: FRI-MON
      int span = f.hi - f.lo + 1;
      for (int i = 0; i <= to + span - from; i += step) {
        out.set(size_t((from + i - f.lo) % span + f.lo - offset));
      }
    }
  }
  return Status::Ok();
}

Status ParseDayOfMonth(std::string_view s, Cron& c) {
  if (s == "?") {
    c.any_dom = true;
    return Status::Ok();
  }
  if (s == "L") {
    c.last_day = true;
    return Status::Ok();
  }
  if (s.size() > 1 && s.back() == 'W') {
    auto n = Number(s.substr(0, s.size() - 1));
    if (!n || *n < 1 || *n > 31) return Invalid();
    c.nearest_weekday = *n;
    return Status::Ok();
  }
  return ParseSet(s, Field{1, 31}, c.days, 0);
}

Status ParseDayOfWeek(std::string_view s, Cron& c) {
  Field f{1, 7, kDays.data(), kDays.size()};
  if (s == "?") {
    c.any_dow = true;
    return Status::Ok();
  }
  if (s == "L") {
    c.weekdays.set(7);
    return Status::Ok();
  }
  if (s.size() > 1 && s.back() == 'L') {
    auto d = Value(s.substr(0, s.size() - 1), f);
    if (!d) return Invalid();
    c.last_weekday = *d;
    return Status::Ok();
  }
  if (size_t hash = s.find('#'); hash != std::string_view::npos) {
    auto d = Value(s.substr(0, hash), f);
    auto n = Number(s.substr(hash + 1));
    if (!d || !n || *n < 1 || *n > 5) return Invalid();
    c.nth_weekday = *d;
    c.nth = *n;
    return Status::Ok();
  }
  return ParseSet(s, f, c.weekdays, 0);
}

StatusOr<Cron> ParseCron(std::string_view body) {
  std::vector<std::string_view> fields;
  for (std::string_view part : Split(body, ' ')) {
    if (!part.empty()) fields.push_back(part);
  }
  if (fields.size() != 6) return Invalid();
  Cron c;
  THAW_RETURN_IF_ERROR(ParseSet(fields[0], Field{0, 59}, c.minutes, 0));
  THAW_RETURN_IF_ERROR(ParseSet(fields[1], Field{0, 23}, c.hours, 0));
  THAW_RETURN_IF_ERROR(ParseDayOfMonth(fields[2], c));
  THAW_RETURN_IF_ERROR(
      ParseSet(fields[3], Field{1, 12, kMonths.data(), kMonths.size()}, c.months, 0));
  THAW_RETURN_IF_ERROR(ParseDayOfWeek(fields[4], c));
  THAW_RETURN_IF_ERROR(ParseSet(fields[5], Field{1970, 2199}, c.years, 1970));
  if (c.any_dom == c.any_dow) return Invalid();  // `?` in exactly one of them
  return c;
}

StatusOr<int64_t> ParseRate(std::string_view body) {
  size_t space = body.find(' ');
  if (space == std::string_view::npos) return Invalid();
  auto n = Number(body.substr(0, space));
  std::string_view unit = body.substr(space + 1);
  if (!n || *n <= 0) return Invalid();
  int64_t seconds = 0;
  if (unit == "minute" || unit == "minutes") seconds = 60;
  if (unit == "hour" || unit == "hours") seconds = 3600;
  if (unit == "day" || unit == "days") seconds = 86400;
  if (seconds == 0 || (*n == 1) != !unit.ends_with('s')) return Invalid();
  return *n * seconds;
}

int64_t DaysFrom(int y, int m, int d) {
  return chr::sys_days(chr::year(y) / chr::month(unsigned(m)) / chr::day(unsigned(d)))
      .time_since_epoch()
      .count();
}

StatusOr<int64_t> ParseAt(std::string_view body) {
  // yyyy-mm-ddThh:mm:ss
  if (body.size() != 19 || body[4] != '-' || body[7] != '-' || body[10] != 'T' || body[13] != ':' ||
      body[16] != ':') {
    return Invalid();
  }
  auto y = Number(body.substr(0, 4)), mo = Number(body.substr(5, 2)), d = Number(body.substr(8, 2));
  auto h = Number(body.substr(11, 2)), mi = Number(body.substr(14, 2)),
       s = Number(body.substr(17, 2));
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 59) return Invalid();
  chr::year_month_day date{chr::year(*y), chr::month(unsigned(*mo)), chr::day(unsigned(*d))};
  if (!date.ok()) return Invalid();
  return DaysFrom(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *s;
}

// The earliest instant whose local time in `zone` is `local_s`; nullopt when a daylight-saving
// change skips it. Assumes at most one offset change within a day of it.
std::optional<int64_t> FirstInstant(int64_t local_s, const TimeZone& zone) {
  std::optional<int64_t> best;
  for (int64_t probe : {local_s - 86400, local_s + 86400}) {
    int64_t u = local_s - zone.OffsetAt(probe - zone.OffsetAt(probe));
    if (u + zone.OffsetAt(u) == local_s && (!best || u < *best)) best = u;
  }
  return best;
}

bool Weekday(int y, int m, int d) {
  unsigned wd =
      chr::weekday(chr::sys_days(chr::year(y) / chr::month(unsigned(m)) / chr::day(unsigned(d))))
          .c_encoding();  // 0 Sunday
  return wd != 0 && wd != 6;
}

int LastDay(int y, int m) {
  return int(unsigned((chr::year(y) / chr::month(unsigned(m)) / chr::last).day()));
}

bool DayMatches(const Cron& c, int y, int m, int d) {
  int last = LastDay(y, m);
  if (!c.any_dom) {
    if (c.last_day) return d == last;
    if (c.nearest_weekday) {
      // The weekday nearest n within the month (Quartz's W).
      int n = std::min(c.nearest_weekday, last);
      int target = n;
      if (!Weekday(y, m, n)) {
        unsigned wd = chr::weekday(chr::sys_days(chr::year(y) / chr::month(unsigned(m)) /
                                                 chr::day(unsigned(n))))
                          .c_encoding();
        if (wd == 6)
          target = n == 1 ? n + 2 : n - 1;  // Saturday
        else
          target = n == last ? n - 2 : n + 1;  // Sunday
      }
      return d == target;
    }
    return c.days.test(size_t(d));
  }
  int dow = int(chr::weekday(
                    chr::sys_days(chr::year(y) / chr::month(unsigned(m)) / chr::day(unsigned(d))))
                    .c_encoding()) +
            1;  // 1 Sunday
  if (c.last_weekday) return dow == c.last_weekday && d + 7 > last;
  if (c.nth) return dow == c.nth_weekday && (d - 1) / 7 + 1 == c.nth;
  return c.weekdays.test(size_t(dow));
}

std::optional<int64_t> NextCron(const Cron& c, int64_t after_s, const TimeZone& zone) {
  // Local minutes from a little before `after` (a repeated hour may lie behind it), keeping
  // each local time's first instant only when it is later than `after`.
  int64_t start = after_s + zone.OffsetAt(after_s) - 2 * 3600;
  start -= ((start % 60) + 60) % 60;
  int64_t day = (start >= 0 ? start : start - 86399) / 86400;
  for (; day < DaysFrom(2200, 1, 1); ++day) {
    chr::year_month_day date{chr::sys_days(chr::days(day))};
    int y = int(date.year()), m = int(unsigned(date.month())), d = int(unsigned(date.day()));
    if (y < 1970) {
      day = DaysFrom(1970, 1, 1) - 1;
      continue;
    }
    if (!c.years.test(size_t(y - 1970))) {
      day = DaysFrom(y + 1, 1, 1) - 1;
      continue;
    }
    if (!c.months.test(size_t(m))) {
      day = (m == 12 ? DaysFrom(y + 1, 1, 1) : DaysFrom(y, m + 1, 1)) - 1;
      continue;
    }
    if (!DayMatches(c, y, m, d)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!c.hours.test(size_t(h))) continue;
      for (int mi = 0; mi < 60; ++mi) {
        if (!c.minutes.test(size_t(mi))) continue;
        int64_t local = day * 86400 + h * 3600 + mi * 60;
        if (local < start) continue;
        auto at = FirstInstant(local, zone);
        if (at && *at > after_s) return at;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> Expression::NextRun(int64_t after_s, const TimeZone& zone) const {
  switch (kind) {
    case Kind::kRate:
      return after_s + rate_s;
    case Kind::kCron:
      return NextCron(cron, after_s, zone);
    case Kind::kAt: {
      auto at = FirstInstant(at_local_s, zone);
      if (!at) at = at_local_s - zone.OffsetAt(at_local_s);  // a skipped time: the offset before
      if (*at > after_s) return at;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

StatusOr<Expression> Parse(std::string_view text, bool allow_at) {
  Expression e;
  e.text = std::string(text);
  auto body_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (!text.starts_with(prefix) || !text.ends_with(')')) return std::nullopt;
    return text.substr(prefix.size(), text.size() - prefix.size() - 1);
  };
  if (auto body = body_of("rate(")) {
    THAW_ASSIGN_OR_RETURN(e.rate_s, ParseRate(*body));
    e.kind = Expression::Kind::kRate;
    return e;
  }
  if (auto body = body_of("cron(")) {
    THAW_ASSIGN_OR_RETURN(e.cron, ParseCron(*body));
    e.kind = Expression::Kind::kCron;
    return e;
  }
  if (auto body = body_of("at("); body && allow_at) {
    THAW_ASSIGN_OR_RETURN(e.at_local_s, ParseAt(*body));
    e.kind = Expression::Kind::kAt;
    return e;
  }
  return Invalid();
}

}  // namespace thaw::schedule
