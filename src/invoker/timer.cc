#include "invoker/timer.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace thaw::invoker {

namespace {

class AsioTimer final : public Timer {
 public:
  AsioTimer(boost::asio::io_context& io, const Clock& clock) : timer_(io), clock_(clock) {}
  ~AsioTimer() override { Cancel(); }

  void StartAt(int64_t deadline_ns, std::function<void()> fire) override {
    Cancel();
    state_->fire = std::move(fire);
    timer_.expires_after(std::chrono::nanoseconds(deadline_ns - clock_.MonotonicNanos()));
    // The shared state outlives this timer: a handler already queued when the timer is
    // cancelled or destroyed finds a newer generation and does nothing.
    timer_.async_wait(
        [state = state_, generation = state_->generation](boost::system::error_code ec) {
          if (ec || generation != state->generation) return;
          ++state->generation;
          auto callback = std::move(state->fire);
          callback();
        });
  }

  void Cancel() override {
    ++state_->generation;
    state_->fire = nullptr;
    timer_.cancel();
  }

 private:
  struct State {
    uint64_t generation = 0;
    std::function<void()> fire;
  };
  boost::asio::steady_timer timer_;
  const Clock& clock_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::NewTimer() { return std::make_unique<AsioTimer>(io_, clock_); }

}  // namespace thaw::invoker
