#include "records/spsc_ring.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::records {
namespace {

bool Push(SpscRing& ring, const std::string& frame, size_t reserve = 0) {
  char* room = ring.Reserve(reserve ? reserve : frame.size());
  if (!room) return false;
  memcpy(room, frame.data(), frame.size());
  ring.Commit(frame.size());
  return true;
}

std::vector<std::string> TakeAll(SpscRing& ring) {
  std::vector<std::string> out;
  ring.Consume([&](std::string_view frame) { out.emplace_back(frame); });
  return out;
}

using V = std::vector<std::string>;

TEST(SpscRingTest, CapacityIsAPowerOfTwo) {
  EXPECT_EQ(SpscRing(0).capacity(), 64u);
  EXPECT_EQ(SpscRing(100).capacity(), 128u);
  EXPECT_EQ(SpscRing(128).capacity(), 128u);
}

TEST(SpscRingTest, UncommittedFramesAreNotSeen) {
  SpscRing ring(64);
  memcpy(ring.Reserve(3), "abc", 3);
  EXPECT_EQ(TakeAll(ring), V{});
  ring.Commit(2);  // shorter than reserved
  EXPECT_EQ(TakeAll(ring), V{"ab"});
}

TEST(SpscRingTest, FullRingRefusesUntilTheConsumerTakes) {
  SpscRing ring(64);  // frames of 12 bytes take 16 with their length
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Push(ring, std::string(12, static_cast<char>('a' + i))));
  EXPECT_FALSE(Push(ring, std::string(12, 'e')));
  EXPECT_EQ(ring.Reserve(61), nullptr);  // could never fit
  EXPECT_EQ(TakeAll(ring).size(), 4u);
  EXPECT_TRUE(Push(ring, std::string(12, 'e')));
  EXPECT_EQ(TakeAll(ring), V{std::string(12, 'e')});
}

TEST(SpscRingTest, FramesAreNeverSplitAtTheEnd) {
  SpscRing ring(64);
  ASSERT_TRUE(Push(ring, std::string(40, 'a')));  // bytes 0-43
  EXPECT_EQ(TakeAll(ring).size(), 1u);
  ASSERT_TRUE(Push(ring, std::string(10, 'b')));  // 44-57
  ASSERT_TRUE(Push(ring, std::string(20, 'c')));  // does not fit in 58-63: goes to 0-23
  ASSERT_TRUE(Push(ring, std::string(3, 'd')));
  EXPECT_EQ(TakeAll(ring), (V{std::string(10, 'b'), std::string(20, 'c'), "ddd"}));
}

TEST(SpscRingTest, AnEndTooShortForAMarkerIsSkipped) {
  SpscRing ring(64);
  ASSERT_TRUE(Push(ring, std::string(57, 'a')));  // bytes 0-60: 3 left before the end
  EXPECT_EQ(TakeAll(ring).size(), 1u);
  ASSERT_TRUE(Push(ring, std::string(10, 'b')));
  EXPECT_EQ(TakeAll(ring), V{std::string(10, 'b')});
}

TEST(SpscRingTest, TwoThreadsPassEveryFrameInOrder) {
  SpscRing ring(1024);
  constexpr int kCount = 50000;
  std::thread producer([&] {
    for (int i = 0; i < kCount;) {
      std::string frame = std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x');
      if (!Push(ring, frame)) continue;  // full: spin, the test wants every frame
      ++i;
    }
  });
  int expected = 0;
  while (expected < kCount) {
    ring.Consume([&](std::string_view frame) {
      std::string want =
          std::to_string(expected) + std::string(static_cast<size_t>(expected % 50), 'x');
      ASSERT_EQ(frame, want);
      ++expected;
    });
  }
  producer.join();
  EXPECT_EQ(TakeAll(ring), V{});
}

}  // namespace
}  // namespace thaw::records
