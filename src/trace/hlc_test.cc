#include "trace/hlc.h"

#include <gtest/gtest.h>

namespace thaw::trace {
namespace {

TEST(HlcTest, FollowsPhysicalTimeWhenItMovesOn) {
  Hlc hlc;
  EXPECT_EQ(hlc.Now(100), (HlcStamp{100, 0}));
  EXPECT_EQ(hlc.Now(250), (HlcStamp{250, 0}));
}

TEST(HlcTest, CountsWhenTheClockStandsStillOrGoesBack) {
  Hlc hlc;
  hlc.Now(500);
  EXPECT_EQ(hlc.Now(500), (HlcStamp{500, 1}));
  EXPECT_EQ(hlc.Now(400), (HlcStamp{500, 2}));
}

TEST(HlcTest, ReceiveFromAClockAheadIsAfterTheSend) {
  // The sender's clock is 5 ms ahead of the receiver's: by physical time the receipt (at 1 ms)
  // comes before the send (at 5 ms); by HLC it comes after.
  Hlc sender, receiver;
  HlcStamp sent = sender.Now(5'000'000);
  HlcStamp got = receiver.Receive(sent, 1'000'000);
  EXPECT_LT(sent, got);
  EXPECT_EQ(got, (HlcStamp{5'000'000, 1}));
  // Later local events stay after it until the receiver's clock catches up.
  EXPECT_EQ(receiver.Now(2'000'000), (HlcStamp{5'000'000, 2}));
  EXPECT_EQ(receiver.Now(6'000'000), (HlcStamp{6'000'000, 0}));
}

TEST(HlcTest, ReceiveTakesTheLargestOfAllThree) {
  Hlc hlc;
  hlc.Now(700);
  hlc.Now(700);  // (700, 1)
  EXPECT_EQ(hlc.Receive({700, 5}, 100), (HlcStamp{700, 6}));
  EXPECT_EQ(hlc.Receive({650, 9}, 100), (HlcStamp{700, 7}));
  EXPECT_EQ(hlc.Receive({100, 9}, 900), (HlcStamp{900, 0}));
}

TEST(HlcTest, ChainAcrossSkewedProcessesStaysOrdered) {
  // A -> B -> C -> back to A, with B 3 ms behind and C 2 ms ahead.
  Hlc a, b, c;
  int64_t t = 1'000'000'000;
  HlcStamp s1 = a.Now(t);
  HlcStamp s2 = b.Receive(s1, t + 100 - 3'000'000);
  HlcStamp s3 = b.Now(t + 200 - 3'000'000);
  HlcStamp s4 = c.Receive(s3, t + 300 + 2'000'000);
  HlcStamp s5 = c.Now(t + 400 + 2'000'000);
  HlcStamp s6 = a.Receive(s5, t + 500);
  EXPECT_LT(s1, s2);
  EXPECT_LT(s2, s3);
  EXPECT_LT(s3, s4);
  EXPECT_LT(s4, s5);
  EXPECT_LT(s5, s6);
}

TEST(HlcTest, TextForm) {
  EXPECT_EQ(FormatHlc({1764280000123456789, 3}), "1764280000123456789.3");
  auto parsed = ParseHlc("1764280000123456789.3");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, (HlcStamp{1764280000123456789, 3}));
  for (const char* bad : {"", ".", "1.", ".1", "1", "1.2.3", "a.1", "1.b", "-1.0", "1.-1",
                          "99999999999999999999.0", "1.99999999999"}) {
    EXPECT_FALSE(ParseHlc(bad)) << bad;
  }
}

TEST(HlcClockTest, StampsFromTheClocksRealtime) {
  FakeClock clock;
  HlcClock hlc(clock);
  HlcStamp a = hlc.Now();
  EXPECT_EQ(a.l, clock.RealtimeNanos());
  HlcStamp ahead{clock.RealtimeNanos() + 5'000'000, 4};
  EXPECT_EQ(hlc.Receive(ahead), (HlcStamp{ahead.l, 5}));
  clock.Advance(10'000'000);
  EXPECT_EQ(hlc.Now(), (HlcStamp{clock.RealtimeNanos(), 0}));
}

}  // namespace
}  // namespace thaw::trace
