#include "base/codec.h"

#include <vector>

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(CodecTest, Base64RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
}

TEST(CodecTest, Base64RejectsMalformed) {
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("!!!!").has_value());
}

TEST(CodecTest, Sha256MatchesKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST(CodecTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(PercentDecode("%41%00z"), std::string("A\0z", 3));
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  // A '%' without two hex digits after it is kept, at the end too.
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("%zz%4g"), "%zz%4g");
  EXPECT_EQ(PercentDecode("%%41"), "%A");
  EXPECT_EQ(PercentDecode(""), "");
}

TEST(CodecTest, PercentDecodeFormEncoding) {
  EXPECT_EQ(PercentDecode("a+b%2Bc", /*plus_is_space=*/true), "a b+c");
  EXPECT_EQ(PercentDecode("a+b%2Bc"), "a+b+c");
}

TEST(CodecTest, ParseFormDecodesEveryPairInOrder) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ParseForm("Action=Send&Message%2BBody=a+b%26c%0A&Empty=&Bare&&x=1&x=2"),
            (Pairs{{"Action", "Send"},
                   {"Message+Body", "a b&c\n"},
                   {"Empty", ""},
                   {"Bare", ""},
                   {"x", "1"},
                   {"x", "2"}}));
  EXPECT_TRUE(ParseForm("").empty());
}

TEST(CodecTest, FormValueFindsTheFirstDecodedKey) {
  EXPECT_EQ(FormValue("a=1&Action=Send+Message", "Action"), "Send Message");
  // Keys are decoded before they are compared; '+' in a key is a space, %2B a plus.
  EXPECT_EQ(FormValue("A%63tion=x", "Action"), "x");
  EXPECT_EQ(FormValue("a%2Bb=1&a+b=2", "a b"), "2");
  EXPECT_EQ(FormValue("x=1&x=2", "x"), "1");
  EXPECT_EQ(FormValue("Bare", "Bare"), "");
  EXPECT_EQ(FormValue("a=1", "b"), std::nullopt);
}

TEST(CodecTest, UuidHasVersion4Shape) {
  std::string id = NewUuid();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(NewUuid(), id);
}

TEST(CodecTest, LambdaTimeFormats) {
  // 2024-12-28T19:04:46.553Z
  int64_t ms = 1735412686553;
  EXPECT_EQ(FormatLambdaTime(ms), "2024-12-28T19:04:46.553+0000");
  EXPECT_EQ(FormatIsoMillis(ms), "2024-12-28T19:04:46.553Z");
  EXPECT_EQ(FormatLogDate(ms), "2024/12/28");
}

TEST(CodecTest, ParseIntNeedsWholeString) {
  EXPECT_EQ(ParseInt("42"), 42);
  EXPECT_EQ(ParseInt("-7"), -7);
  EXPECT_FALSE(ParseInt("").has_value());
  EXPECT_FALSE(ParseInt("4x").has_value());
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "ab"));
  EXPECT_EQ(AsciiLower("Content-TYPE: \xc3\x84x"), "content-type: \xc3\x84x");
}

}  // namespace
}  // namespace thaw
