#include "invoker/http_prelude.h"

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

const std::string kNuls(8, '\0');

TEST(HttpPreludeTest, SplitsPreludeFromBodyAcrossPieces) {
  HttpPrelude p;
  EXPECT_EQ(p.Feed(R"({"statusCode":201,)"), "");
  EXPECT_FALSE(p.in_body());
  EXPECT_EQ(p.Feed(R"("headers":{"a":"b"}})" + kNuls.substr(0, 3)), "");
  EXPECT_EQ(p.Feed(kNuls.substr(3) + "hello"), "hello");
  ASSERT_TRUE(p.prelude().has_value());
  EXPECT_EQ(*p.prelude(), R"({"statusCode":201,"headers":{"a":"b"}})");
  EXPECT_EQ(p.Feed(std::string("\0\0 more", 7)), std::string("\0\0 more", 7));
}

TEST(HttpPreludeTest, NoSeparatorMeansNoPrelude) {
  HttpPrelude p;
  std::string big(HttpPrelude::kMaxPreludeBytes + 100, 'x');
  EXPECT_EQ(p.Feed(big), big);
  EXPECT_TRUE(p.in_body());
  EXPECT_FALSE(p.prelude().has_value());
}

}  // namespace
}  // namespace thaw::invoker
