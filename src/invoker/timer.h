// Timer: a one-shot timer at a deadline on the injected Clock's monotonic time, so that tests
// fire an environment's timers by moving a FakeClock instead of waiting. A cancelled or
// re-armed timer never runs its old callback, even one Asio had already queued.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.h"

namespace boost::asio {
class io_context;
}

namespace thaw::invoker {

class Timer {
 public:
  virtual ~Timer() = default;
  // Runs `fire` on the loop once the clock reaches `deadline_ns` (monotonic); replaces any
  // earlier deadline.
  virtual void StartAt(int64_t deadline_ns, std::function<void()> fire) = 0;
  virtual void Cancel() = 0;
};

class TimerFactory {
 public:
  virtual ~TimerFactory() = default;
  virtual std::unique_ptr<Timer> NewTimer() = 0;
};

// Timers on an io_context, their deadlines read against `clock`.
class AsioTimers final : public TimerFactory {
 public:
  AsioTimers(boost::asio::io_context& io, const Clock& clock) : io_(io), clock_(clock) {}
  std::unique_ptr<Timer> NewTimer() override;

 private:
  boost::asio::io_context& io_;
  const Clock& clock_;
};

}  // namespace thaw::invoker
