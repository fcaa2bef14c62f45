#include "schedule/expression.h"

#include <ctime>

#include <gtest/gtest.h>

namespace thaw::schedule {
namespace {

// "2024-01-01T00:00:00" (UTC) as Unix seconds.
int64_t Utc(const char* text) {
  std::tm tm{};
  strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
  return timegm(&tm);
}

std::optional<int64_t> Next(const char* expression, const char* after,
                            const TimeZone& zone = TimeZone()) {
  auto e = Parse(expression, /*allow_at=*/true);
  EXPECT_TRUE(e.ok()) << expression;
  if (!e.ok()) return std::nullopt;
  return e->NextRun(Utc(after), zone);
}

TimeZone Zone(const char* name) {
  auto zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << name;
  return zone.ok() ? *zone : TimeZone();
}

TEST(Rate, Periods) {
  EXPECT_EQ(Parse("rate(1 minute)", false)->rate_s, 60);
  EXPECT_EQ(Parse("rate(5 minutes)", false)->rate_s, 300);
  EXPECT_EQ(Parse("rate(1 hour)", false)->rate_s, 3600);
  EXPECT_EQ(Parse("rate(2 days)", false)->rate_s, 2 * 86400);
  EXPECT_EQ(Next("rate(5 minutes)", "2024-01-01T00:00:00"), Utc("2024-01-01T00:05:00"));
}

TEST(Rate, RefusesWhatAwsRefuses) {
  for (const char* bad : {"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)",
                          "rate(-1 minutes)", "rate(5 seconds)", "rate(5minutes)", "rate()",
                          "rate(5 minutes", "Rate(5 minutes)", "rate(x minutes)"}) {
    auto e = Parse(bad, true);
    EXPECT_FALSE(e.ok()) << bad;
    if (!e.ok()) {
      EXPECT_EQ(e.status().message(), kInvalidExpression);
    }
  }
}

TEST(Cron, ExactTimes) {
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "2024-01-01T00:00:00"), Utc("2024-01-01T12:00:00"));
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "2024-01-01T12:00:00"), Utc("2024-01-02T12:00:00"));
  EXPECT_EQ(Next("cron(0/15 * * * ? *)", "2024-01-01T00:07:00"), Utc("2024-01-01T00:15:00"));
  EXPECT_EQ(Next("cron(*/15 * * * ? *)", "2024-01-01T00:45:00"), Utc("2024-01-01T01:00:00"));
  EXPECT_EQ(Next("cron(5-7 * * * ? *)", "2024-01-01T00:06:00"), Utc("2024-01-01T00:07:00"));
  EXPECT_EQ(Next("cron(0 10 ? * MON-FRI *)", "2024-01-06T00:00:00"), Utc("2024-01-08T10:00:00"));
  EXPECT_EQ(Next("cron(0 10 ? * 2-6 *)", "2024-01-06T00:00:00"), Utc("2024-01-08T10:00:00"));
  EXPECT_EQ(Next("cron(0 0 1 JAN,JUL ? *)", "2024-01-01T00:00:00"), Utc("2024-07-01T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 ? * FRI-MON *)", "2024-01-02T00:00:00"), Utc("2024-01-05T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2026-2030)", "2024-01-01T00:00:00"), Utc("2026-01-01T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 29 2 ? *)", "2024-03-01T00:00:00"), Utc("2028-02-29T00:00:00"));
}

TEST(Cron, LastWeekdayAndNth) {
  EXPECT_EQ(Next("cron(0 0 L * ? *)", "2024-02-10T00:00:00"), Utc("2024-02-29T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 L * ? *)", "2023-02-10T00:00:00"), Utc("2023-02-28T00:00:00"));
  // Third Friday, last Monday.
  EXPECT_EQ(Next("cron(0 0 ? * 6#3 *)", "2024-01-01T00:00:00"), Utc("2024-01-19T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 ? * FRI#3 *)", "2024-01-01T00:00:00"), Utc("2024-01-19T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 ? * 2L *)", "2024-01-01T00:00:00"), Utc("2024-01-29T00:00:00"));
  // 15 June 2024 is a Saturday: the Friday before; 1 June too: the Monday after.
  EXPECT_EQ(Next("cron(0 0 15W * ? *)", "2024-06-01T00:00:00"), Utc("2024-06-14T00:00:00"));
  EXPECT_EQ(Next("cron(0 0 1W * ? *)", "2024-05-31T00:00:00"), Utc("2024-06-03T00:00:00"));
}

TEST(Cron, RefusesWhatAwsRefuses) {
  for (const char* bad :
       {"cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 * * * ? *)", "cron(0 24 * * ? *)",
        "cron(0 12 * * ?)", "cron(0 12 * * ? * *)", "cron(0 0 ? * 8 *)", "cron(0 0 1 1 ? 2200)",
        "cron(0 0 1 1 ? 1969)", "cron(0 0 ? * 6#6 *)", "cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)",
        "cron(0 0 1 13 ? *)", "cron(0 0 1 FOO ? *)", "cron(0/0 * * * ? *)", "cron(a * * * ? *)",
        "cron()", "at(2024-01-01T00:00:00"}) {
    auto e = Parse(bad, true);
    EXPECT_FALSE(e.ok()) << bad;
    if (!e.ok()) {
      EXPECT_EQ(e.status().message(), kInvalidExpression);
    }
  }
}

TEST(Cron, YearsOver) {
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2020)", "2024-01-01T00:00:00"), std::nullopt);
}

TEST(At, OnceInItsZone) {
  EXPECT_FALSE(Parse("at(2024-05-01T10:00:00)", /*allow_at=*/false).ok());
  EXPECT_FALSE(Parse("at(2024-02-30T10:00:00)", true).ok());
  EXPECT_FALSE(Parse("at(2024-05-01 10:00:00)", true).ok());
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(Next("at(2024-05-01T10:00:00)", "2024-01-01T00:00:00", berlin),
            Utc("2024-05-01T08:00:00"));
  EXPECT_EQ(Next("at(2024-05-01T10:00:00)", "2024-05-01T08:00:00", berlin), std::nullopt);
  EXPECT_EQ(Next("at(2024-05-01T10:00:00)", "2024-01-01T00:00:00"), Utc("2024-05-01T10:00:00"));
}

TEST(Zone, DaylightSaving) {
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Utc("2024-01-01T00:00:00")), 3600);
  EXPECT_EQ(berlin.OffsetAt(Utc("2024-07-01T00:00:00")), 7200);
  // 02:30 does not exist on 31 March 2024 in Berlin: that day's run is skipped.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "2024-03-31T00:00:00", berlin), Utc("2024-04-01T00:30:00"));
  // 02:30 happens twice on 27 October 2024: it runs once.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "2024-10-26T12:00:00", berlin), Utc("2024-10-27T00:30:00"));
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "2024-10-27T00:30:00", berlin), Utc("2024-10-28T01:30:00"));
  // 09:00 New York moves from 14:00 to 13:00 UTC across 10 March 2024.
  TimeZone new_york = Zone("America/New_York");
  EXPECT_EQ(Next("cron(0 9 * * ? *)", "2024-03-09T12:00:00", new_york), Utc("2024-03-09T14:00:00"));
  EXPECT_EQ(Next("cron(0 9 * * ? *)", "2024-03-09T15:00:00", new_york), Utc("2024-03-10T13:00:00"));
}

TEST(Zone, RefusesNonZones) {
  for (const char* bad : {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", ""}) {
    EXPECT_FALSE(TimeZone::Load(bad).ok()) << bad;
  }
  EXPECT_TRUE(TimeZone::Load("UTC").ok());
  EXPECT_FALSE(TimeZone::Parse("x", "not a tzif file").ok());
}

}  // namespace
}  // namespace thaw::schedule
