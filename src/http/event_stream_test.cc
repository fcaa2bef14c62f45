#include "http/event_stream.h"

#include <gtest/gtest.h>

namespace thaw::http {
namespace {

std::string Bytes(const char* data, size_t n) { return std::string(data, n); }

TEST(EventStreamTest, Crc32CheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

// botocore tests/unit/test_eventstream.py EMPTY_MESSAGE.
TEST(EventStreamTest, EmptyMessageMatchesBotocoreVector) {
  const std::string expected =
      Bytes("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff", 16);
  EXPECT_EQ(EncodeEventMessage({}, ""), expected);
  size_t consumed = 0;
  auto decoded = DecodeEventMessage(expected, &consumed);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(consumed, 16u);
  EXPECT_TRUE(decoded->headers.empty());
  EXPECT_TRUE(decoded->payload.empty());
}

// Made with Python's struct and zlib.crc32, and read back by botocore's EventStreamBuffer.
const char kPayloadChunk[] =
    "\x00\x00\x00\x6f\x00\x00\x00\x5a\xf5\xfe\x87\x1f\x0b\x3a\x65\x76\x65\x6e\x74\x2d\x74\x79\x70"
    "\x65\x07\x00\x0c\x50\x61\x79\x6c\x6f\x61\x64\x43\x68\x75\x6e\x6b\x0d\x3a\x63\x6f\x6e\x74\x65"
    "\x6e\x74\x2d\x74\x79\x70\x65\x07\x00\x18\x61\x70\x70\x6c\x69\x63\x61\x74\x69\x6f\x6e\x2f\x6f"
    "\x63\x74\x65\x74\x2d\x73\x74\x72\x65\x61\x6d\x0d\x3a\x6d\x65\x73\x73\x61\x67\x65\x2d\x74\x79"
    "\x70\x65\x07\x00\x05\x65\x76\x65\x6e\x74\x68\x65\x6c\x6c\x6f\x29\xe7\x12\x60";

TEST(EventStreamTest, PayloadChunkMatchesVector) {
  std::string expected = Bytes(kPayloadChunk, sizeof kPayloadChunk - 1);
  EXPECT_EQ(EncodeEvent("PayloadChunk", "application/octet-stream", "hello"), expected);
  size_t consumed = 0;
  auto decoded = DecodeEventMessage(expected + "trailing", &consumed);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(consumed, expected.size());
  ASSERT_EQ(decoded->headers.size(), 3u);
  EXPECT_EQ(decoded->headers[0].first, ":event-type");
  EXPECT_EQ(decoded->headers[0].second, "PayloadChunk");
  EXPECT_EQ(decoded->headers[2].second, "event");
  EXPECT_EQ(decoded->payload, "hello");
}

TEST(EventStreamTest, DecodeRefusesCorruptOrShortInput) {
  std::string good = Bytes(kPayloadChunk, sizeof kPayloadChunk - 1);
  std::string bad_payload = good;
  bad_payload[bad_payload.size() - 6] ^= 1;
  EXPECT_FALSE(DecodeEventMessage(bad_payload, nullptr).has_value());
  std::string bad_prelude = good;
  bad_prelude[3] ^= 1;
  EXPECT_FALSE(DecodeEventMessage(bad_prelude, nullptr).has_value());
  EXPECT_FALSE(DecodeEventMessage(good.substr(0, good.size() - 1), nullptr).has_value());
}

TEST(EventStreamTest, BinaryPayloadRoundTrips) {
  std::string payload("\x00\x01\xff zero\x00", 9);
  std::string encoded = EncodeEvent("PayloadChunk", "application/octet-stream", payload);
  auto decoded = DecodeEventMessage(encoded, nullptr);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->payload, payload);
}

}  // namespace
}  // namespace thaw::http
