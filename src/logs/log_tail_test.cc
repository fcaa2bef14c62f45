#include "logs/log_tail.h"

#include <gtest/gtest.h>

namespace thaw::logs {
namespace {

constexpr int64_t kNow = 1'735'430'000'000;

TEST(ParseSinceTest, RelativeUnits) {
  EXPECT_EQ(*ParseSince("10m", kNow), kNow - 600'000);
  EXPECT_EQ(*ParseSince("30s", kNow), kNow - 30'000);
  EXPECT_EQ(*ParseSince("2h", kNow), kNow - 7'200'000);
  EXPECT_EQ(*ParseSince("1d", kNow), kNow - 86'400'000);
  EXPECT_EQ(*ParseSince("1w", kNow), kNow - 604'800'000);
  EXPECT_EQ(*ParseSince("0s", kNow), kNow);
}

TEST(ParseSinceTest, RejectsOtherForms) {
  for (const char* bad : {"", "m", "10", "10x", "5h30m", "-1m", "1.5h", "99999999999999w"}) {
    EXPECT_EQ(ParseSince(bad, kNow).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TailCursorTest, StartsAtSinceThenTrailsTheNewestEvent) {
  TailCursor cursor(/*since_ms=*/1000, /*lookback_ms=*/100);
  EXPECT_EQ(cursor.start_ms(), 1000);
  EXPECT_TRUE(cursor.Accept("1", 1500));
  EXPECT_TRUE(cursor.Accept("2", 1600));
  cursor.EndPoll();
  EXPECT_EQ(cursor.start_ms(), 1500);
  // The next poll returns the window again plus something new.
  EXPECT_FALSE(cursor.Accept("2", 1600));
  EXPECT_TRUE(cursor.Accept("3", 1550));  // landed late, inside the window
  EXPECT_TRUE(cursor.Accept("4", 1700));
  cursor.EndPoll();
  EXPECT_EQ(cursor.start_ms(), 1600);
  EXPECT_FALSE(cursor.Accept("2", 1600));
}

TEST(TailCursorTest, NeverStartsBeforeSince) {
  TailCursor cursor(/*since_ms=*/1000, /*lookback_ms=*/5000);
  EXPECT_TRUE(cursor.Accept("1", 1200));
  EXPECT_EQ(cursor.start_ms(), 1000);
  TailCursor from_start(std::nullopt, 5000);
  EXPECT_EQ(from_start.start_ms(), std::nullopt);
}

}  // namespace
}  // namespace thaw::logs
