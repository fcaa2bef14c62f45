#include "sqs/message.h"

#include <gtest/gtest.h>

namespace thaw::sqs {
namespace {

TEST(MessageTest, BodyDigestIsMd5Hex) {
  EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592");
}

TEST(MessageTest, AttributeDigestSortsAndMarksTransport) {
  MessageAttributes attributes;
  attributes["s"] = {"String", "v"};
  attributes["b"] = {"Binary", std::string("\x00\x01", 2)};
  // As botocore's old checker and moto compute it (tests/integration/sqs_util.py).
  EXPECT_EQ(Md5OfAttributes(attributes), "d9c9bbb2badd153651a7647433fb4581");
  EXPECT_EQ(Md5OfAttributes({}), "");
}

TEST(MessageTest, SizeCountsBodyAndAttributes) {
  MessageAttributes attributes;
  attributes["key"] = {"String", "12345"};
  EXPECT_EQ(MessageSize("body", attributes), 4u + 3u + 6u + 5u);
}

}  // namespace
}  // namespace thaw::sqs
