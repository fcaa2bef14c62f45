#include "invoker/timer.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

int64_t MillisFromNow(int64_t ms) { return SystemClock::Get().MonotonicNanos() + ms * 1000000; }

TEST(AsioTimerTest, FiresAtItsDeadline) {
  boost::asio::io_context io;
  AsioTimers timers(io, SystemClock::Get());
  auto timer = timers.NewTimer();
  int fired = 0;
  timer->StartAt(MillisFromNow(1), [&] { ++fired; });
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(fired, 1);
}

TEST(AsioTimerTest, ReArmingReplacesTheCallback) {
  boost::asio::io_context io;
  AsioTimers timers(io, SystemClock::Get());
  auto timer = timers.NewTimer();
  int first = 0, second = 0;
  timer->StartAt(MillisFromNow(0), [&] { ++first; });
  timer->StartAt(MillisFromNow(1), [&] { ++second; });
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST(AsioTimerTest, CancelledNeverFires) {
  boost::asio::io_context io;
  AsioTimers timers(io, SystemClock::Get());
  auto timer = timers.NewTimer();
  auto destroyed = timers.NewTimer();
  int fired = 0;
  timer->StartAt(MillisFromNow(1), [&] { ++fired; });
  destroyed->StartAt(MillisFromNow(1), [&] { ++fired; });
  timer->Cancel();
  destroyed.reset();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 0);
}

// Two timers due together: Asio queues both handlers, and cancelling a timer whose handler is
// already queued does not stop it. Whichever runs first cancels the other, which must not run.
TEST(AsioTimerTest, CancelledWhileItsHandlerIsQueuedNeverFires) {
  boost::asio::io_context io;
  AsioTimers timers(io, SystemClock::Get());
  auto a = timers.NewTimer();
  auto b = timers.NewTimer();
  int fired = 0;
  int64_t due = MillisFromNow(-1);
  a->StartAt(due, [&] {
    ++fired;
    b->Cancel();
  });
  b->StartAt(due, [&] {
    ++fired;
    a->Cancel();
  });
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace thaw::invoker
