// Clock: the one place thaw reads time. Monotonic for durations and deadlines, realtime for
// display and Lambda's epoch-millisecond fields. Thread-safe.
#pragma once

#include <cstdint>

namespace thaw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t MonotonicNanos() const = 0;
  virtual int64_t RealtimeNanos() const = 0;
  int64_t RealtimeMillis() const { return RealtimeNanos() / 1000000; }
};

// The system clock (CLOCK_MONOTONIC / CLOCK_REALTIME through the vDSO).
class SystemClock final : public Clock {
 public:
  int64_t MonotonicNanos() const override;
  int64_t RealtimeNanos() const override;
  static const SystemClock& Get();
};

// A clock tests move by hand. Thread-compatible.
class FakeClock final : public Clock {
 public:
  int64_t MonotonicNanos() const override { return mono_; }
  int64_t RealtimeNanos() const override { return real_; }
  void Advance(int64_t nanos) {
    mono_ += nanos;
    real_ += nanos;
  }
  void SetRealtime(int64_t nanos) { real_ = nanos; }

 private:
  int64_t mono_ = 1'000'000'000;
  int64_t real_ = 1'700'000'000'000'000'000;
};

}  // namespace thaw
