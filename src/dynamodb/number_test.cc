#include "dynamodb/number.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::dynamodb {
namespace {

Number N(std::string_view text) {
  StatusOr<Number> n = Number::Parse(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().message();
  return n.ok() ? *n : Number();
}

std::string Error(std::string_view text) {
  StatusOr<Number> n = Number::Parse(text);
  EXPECT_FALSE(n.ok()) << text;
  return n.ok() ? "" : n.status().message();
}

TEST(NumberTest, CanonicalRendering) {
  EXPECT_EQ(N("1.50").ToString(), "1.5");
  EXPECT_EQ(N("01").ToString(), "1");
  EXPECT_EQ(N("-0").ToString(), "0");
  EXPECT_EQ(N("0.000").ToString(), "0");
  EXPECT_EQ(N("1E2").ToString(), "100");
  EXPECT_EQ(N("1e+2").ToString(), "100");
  EXPECT_EQ(N("+7").ToString(), "7");
  EXPECT_EQ(N("-12.3400").ToString(), "-12.34");
  EXPECT_EQ(N(".5").ToString(), "0.5");
  EXPECT_EQ(N("5.").ToString(), "5");
  EXPECT_EQ(N("0.0012").ToString(), "0.0012");
  EXPECT_EQ(N("123.456E-5").ToString(), "0.00123456");
  EXPECT_EQ(N("1.5E1").ToString(), "15");
  EXPECT_EQ(N("100").ToString(), "100");
  EXPECT_EQ(N("1000.000").ToString(), "1000");
  EXPECT_EQ(N("1E-130").ToString(), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(N("1E125").ToString(), "1" + std::string(125, '0'));
}

TEST(NumberTest, RefusesNonNumbers) {
  EXPECT_EQ(Error(""), "The parameter cannot be converted to a numeric value");
  for (const char* bad : {"-", "+", ".", "abc", "1x", " 1", "1 ", "1e", "1e+", "1.2.3", "--1",
                          "0x10", "NaN", "Infinity", "1,5", "e5"}) {
    EXPECT_EQ(Error(bad),
              "The parameter cannot be converted to a numeric value: " + std::string(bad));
  }
}

TEST(NumberTest, ThirtyEightDigitsAndNoMore) {
  std::string digits38(38, '9');
  EXPECT_EQ(N(digits38).ToString(), digits38);
  EXPECT_EQ(Error(digits38 + "9"), kNumberTooPrecise);
  // 39 digits with the point anywhere, and leading zeros do not count.
  EXPECT_EQ(Error("1.23456789012345678901234567890123456789"), kNumberTooPrecise);
  EXPECT_EQ(N("0000" + digits38).ToString(), digits38);
  // Trailing zeros are not significant.
  EXPECT_EQ(N("1" + std::string(60, '0')).ToString(), "1" + std::string(60, '0'));
  EXPECT_EQ(N("1." + std::string(5000, '0')).ToString(), "1");
  // A very long input is refused without reading it all into memory.
  EXPECT_EQ(Error(std::string(100000, '7')), kNumberTooPrecise);
}

TEST(NumberTest, Range) {
  EXPECT_TRUE(Number::Parse("9.9999999999999999999999999999999999999E+125").ok());
  EXPECT_TRUE(Number::Parse("-9.9999999999999999999999999999999999999E+125").ok());
  EXPECT_TRUE(Number::Parse("1E-130").ok());
  EXPECT_TRUE(Number::Parse("-1E-130").ok());
  EXPECT_EQ(Error("1E126"), kNumberOverflow);
  EXPECT_EQ(Error("-1E126"), kNumberOverflow);
  EXPECT_EQ(Error("1E-131"), kNumberUnderflow);
  EXPECT_EQ(Error("0.9E-130"), kNumberUnderflow);
  EXPECT_EQ(Error("1e999999999999999999999"), kNumberOverflow);
  EXPECT_EQ(Error("1e-999999999999999999999"), kNumberUnderflow);
  // Zero has no magnitude to check.
  EXPECT_EQ(N("0e999999999999").ToString(), "0");
}

TEST(NumberTest, AdditionIsExact) {
  EXPECT_EQ(N("0.1").Add(N("0.2"))->ToString(), "0.3");
  EXPECT_EQ(N("0.3").Subtract(N("0.1"))->ToString(), "0.2");
  EXPECT_EQ(N("1").Add(N("-1"))->ToString(), "0");
  EXPECT_EQ(N("-5").Add(N("3"))->ToString(), "-2");
  EXPECT_EQ(N("3").Subtract(N("5"))->ToString(), "-2");
  EXPECT_EQ(N("-3").Subtract(N("-5"))->ToString(), "2");
  EXPECT_EQ(N("999").Add(N("1"))->ToString(), "1000");
  EXPECT_EQ(N("1E100").Add(N("1E100"))->ToString(), "2" + std::string(100, '0'));
  EXPECT_EQ(N("0").Add(N("-4.5"))->ToString(), "-4.5");
  EXPECT_EQ(N("1.005").Subtract(N("0.005"))->ToString(), "1");
}

TEST(NumberTest, AdditionNeedingThirtyNineDigitsIsRefused) {
  std::string nines(38, '9');
  StatusOr<Number> sum = N(nines).Add(N("1"));
  // 10^38 has one significant digit: fine.
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->ToString(), "1" + std::string(38, '0'));
  // 38 digits + a digit one place further right needs 39.
  StatusOr<Number> add = N("1" + std::string(37, '0')).Add(N("0.1"));
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.status().message(), kNumberTooPrecise);
  StatusOr<Number> big = N("9E+125").Add(N("1E+125"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(), kNumberOverflow);
  StatusOr<Number> tiny = N("1.1E-130").Subtract(N("1E-130"));
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.status().message(), kNumberUnderflow);
}

TEST(NumberTest, Compare) {
  EXPECT_LT(N("-10"), N("-9"));
  EXPECT_LT(N("-1.25"), N("-1.2"));
  EXPECT_LT(N("-0.001"), N("0"));
  EXPECT_LT(N("0"), N("1E-130"));
  EXPECT_LT(N("1.2"), N("1.25"));
  EXPECT_LT(N("9"), N("10"));
  EXPECT_EQ(N("1.0"), N("1"));
  EXPECT_EQ(N("100"), N("1E2"));
  EXPECT_GT(N("2"), N("1.99999"));
}

TEST(NumberTest, FromIntAndToInt64) {
  EXPECT_EQ(Number::FromInt(0).ToString(), "0");
  EXPECT_EQ(Number::FromInt(-120).ToString(), "-120");
  EXPECT_EQ(Number::FromInt(INT64_MIN).ToString(), "-9223372036854775808");
  int64_t v = 0;
  EXPECT_TRUE(N("1E3").ToInt64(&v));
  EXPECT_EQ(v, 1000);
  EXPECT_TRUE(N("-9223372036854775808").ToInt64(&v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_FALSE(N("9223372036854775808").ToInt64(&v));
  EXPECT_FALSE(N("1.5").ToInt64(&v));
  EXPECT_FALSE(N("1E30").ToInt64(&v));
}

TEST(NumberTest, StorageSize) {
  EXPECT_EQ(N("0").StorageSize(), 1u);
  EXPECT_EQ(N("1").StorageSize(), 2u);
  EXPECT_EQ(N("12").StorageSize(), 2u);
  EXPECT_EQ(N("123").StorageSize(), 3u);
  EXPECT_EQ(N("100").StorageSize(), 2u);  // trailing zeros are not significant
  EXPECT_EQ(N("1.1").StorageSize(), 2u);
  EXPECT_EQ(N("-12").StorageSize(), 2u);
  EXPECT_EQ(N(std::string(38, '9')).StorageSize(), 20u);
}

TEST(NumberTest, KeyEncodingSortsNumerically) {
  std::vector<std::string> texts = {"-9.9999999999999999999999999999999999999E+125",
                                    "-1E100",
                                    "-10",
                                    "-9",
                                    "-1.25",
                                    "-1.2",
                                    "-1",
                                    "-0.5",
                                    "-1E-130",
                                    "0",
                                    "1E-130",
                                    "0.001",
                                    "0.5",
                                    "1",
                                    "1.2",
                                    "1.25",
                                    "9",
                                    "10",
                                    "10.5",
                                    "11",
                                    "1E100",
                                    "9.9999999999999999999999999999999999999E+125"};
  std::vector<std::string> keys;
  for (const std::string& t : texts) {
    Number n = N(t);
    std::string key = n.EncodeKey();
    StatusOr<Number> back = Number::DecodeKey(key);
    ASSERT_TRUE(back.ok()) << t;
    EXPECT_EQ(*back, n) << t;
    EXPECT_EQ(back->ToString(), n.ToString());
    keys.push_back(key);
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));  // std::string compares as memcmp
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
}

TEST(NumberTest, DecodeKeyRefusesGarbage) {
  for (std::string bad :
       {std::string(), std::string("\x07"), std::string("\x02\x01"), std::string("\x03\x82"),
        std::string("\x03\x82\x00", 3), std::string("\x03\x82\x0b"), std::string("\x01\x7d\x08")}) {
    EXPECT_FALSE(Number::DecodeKey(bad).ok());
  }
}

}  // namespace
}  // namespace thaw::dynamodb
