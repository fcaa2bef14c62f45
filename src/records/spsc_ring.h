// SpscRing: a bounded single-producer, single-consumer ring of variable-length frames, lock-free
// and without system calls. The producer reserves room for a frame, writes it in place and
// commits its actual length; the consumer reads committed frames in order, in place. A frame
// is never split: when it does not fit before the end of the buffer, the producer skips to the
// start. Full means full: Reserve says so and the producer decides (the record store counts a
// drop). Threads: Reserve and Commit from one producer thread, Consume from one consumer thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace thaw::records {

class SpscRing {
 public:
  // Capacity in bytes, rounded up to a power of two, at least 64.
  explicit SpscRing(size_t capacity)
      : mask_(std::bit_ceil(capacity < 64 ? size_t{64} : capacity) - 1),
        buf_(new char[mask_ + 1]) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer: room for a frame of up to `max` bytes, or nullptr when the ring is full (or the
  // frame could never fit). The room is the producer's until Commit.
  char* Reserve(size_t max) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    size_t to_end = capacity() - (tail & mask_);
    // A frame is a 4-byte length and its bytes, all before the end of the buffer.
    uint64_t start = to_end < kHeader + max ? tail + to_end : tail;
    uint64_t end = start + kHeader + max;
    if (end - head_cache_ > capacity()) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (end - head_cache_ > capacity()) return nullptr;
    }
    // Skipping the rest of the buffer: a zero length says so, when there is room for one.
    if (start != tail && to_end >= kHeader) PutLength(tail, 0);
    start_ = start;
    return &buf_[(start & mask_) + kHeader];
  }

  // Producer: publishes the reserved frame with its actual length (at most the reserved one).
  void Commit(size_t length) {
    PutLength(start_, static_cast<uint32_t>(length));
    tail_.store(start_ + kHeader + length, std::memory_order_release);
  }

  // Consumer: calls fn(std::string_view frame) for every frame committed so far, oldest first,
  // then frees their room. Returns how many frames it took.
  template <typename Fn>
  size_t Consume(Fn&& fn) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    uint64_t tail = tail_.load(std::memory_order_acquire);
    size_t frames = 0;
    while (head < tail) {
      size_t to_end = capacity() - (head & mask_);
      uint32_t length = to_end < kHeader ? 0 : GetLength(head);
      if (length == 0) {  // the producer skipped to the start
        head += to_end;
        continue;
      }
      fn(std::string_view(&buf_[(head & mask_) + kHeader], length));
      head += kHeader + length;
      ++frames;
    }
    head_.store(head, std::memory_order_release);
    return frames;
  }

 private:
  static constexpr size_t kHeader = 4;
  void PutLength(uint64_t at, uint32_t length) { memcpy(&buf_[at & mask_], &length, kHeader); }
  uint32_t GetLength(uint64_t at) const {
    uint32_t length;
    memcpy(&length, &buf_[at & mask_], kHeader);
    return length;
  }

  const uint64_t mask_;
  const std::unique_ptr<char[]> buf_;
  uint64_t start_ = 0;  // producer: where the reserved frame begins
  // Each side's index on its own cache line; the producer keeps a copy of the consumer's.
  alignas(64) std::atomic<uint64_t> tail_{0};  // written by the producer
  uint64_t head_cache_ = 0;                    // producer's last view of head_
  alignas(64) std::atomic<uint64_t> head_{0};  // written by the consumer
};

}  // namespace thaw::records
