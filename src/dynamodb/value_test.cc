#include "dynamodb/value.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::dynamodb {
namespace {

using nlohmann::json;

AttributeValue V(std::string_view text) {
  StatusOr<AttributeValue> v = AttributeValue::FromJson(json::parse(text));
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().message();
  return v.ok() ? *v : AttributeValue();
}

std::string Error(std::string_view text) {
  StatusOr<AttributeValue> v = AttributeValue::FromJson(json::parse(text));
  EXPECT_FALSE(v.ok()) << text;
  return v.ok() ? "" : v.status().message();
}

TEST(ValueTest, RoundTripsEveryType) {
  for (const char* text : {
           R"({"S":"hello"})",
           R"({"S":""})",
           R"({"N":"1.5"})",
           R"({"B":"AAEC/w=="})",
           R"({"BOOL":false})",
           R"({"NULL":true})",
           R"({"M":{"a":{"N":"1"},"b":{"L":[{"S":"x"},{"M":{}}]}}})",
           R"({"L":[]})",
           R"({"SS":["a","b"]})",
           R"({"NS":["-1","2.5"]})",
           R"({"BS":["AQ==","Ag=="]})",
       }) {
    EXPECT_EQ(V(text).ToJson(), json::parse(text)) << text;
  }
}

TEST(ValueTest, NumbersComeBackCanonical) {
  EXPECT_EQ(V(R"({"N":"01.50"})").ToJson(), json::parse(R"({"N":"1.5"})"));
  EXPECT_EQ(V(R"({"NS":["1E2","-0.0","3"]})").ToJson(), json::parse(R"({"NS":["0","3","100"]})"));
}

TEST(ValueTest, TypeDescriptorMustBeExactlyOne) {
  EXPECT_EQ(Error("{}"),
            "Supplied AttributeValue is empty, must contain exactly one of the supported "
            "datatypes");
  EXPECT_EQ(Error(R"({"s":"lower case is not a type"})"),
            "Supplied AttributeValue is empty, must contain exactly one of the supported "
            "datatypes");
  EXPECT_EQ(Error(R"({"S":"a","N":"1"})"),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
            "of the supported datatypes");
  // Null members are unset, as AWS's reader treats them.
  EXPECT_EQ(V(R"({"S":null,"N":"2"})"), AttributeValue::Num(Number::FromInt(2)));
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"("S")")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"S":1})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"N":1})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"BOOL":"true"})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"M":[]})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"L":{}})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"SS":[1]})")).ok());
}

TEST(ValueTest, NullMustBeTrue) {
  EXPECT_EQ(Error(R"({"NULL":false})"),
            "One or more parameter values were invalid: Null attribute value types must have "
            "the value of true");
}

TEST(ValueTest, EmptySetsAreRefused) {
  EXPECT_EQ(Error(R"({"SS":[]})"),
            "One or more parameter values were invalid: An string set  may not be empty");
  EXPECT_EQ(Error(R"({"NS":[]})"),
            "One or more parameter values were invalid: An number set  may not be empty");
  EXPECT_EQ(Error(R"({"BS":[]})"),
            "One or more parameter values were invalid: Binary sets should not be empty");
  // Also inside maps and lists.
  EXPECT_EQ(Error(R"({"M":{"x":{"L":[{"SS":[]}]}}})"),
            "One or more parameter values were invalid: An string set  may not be empty");
}

TEST(ValueTest, DuplicateSetMembersAreRefused) {
  EXPECT_EQ(Error(R"({"SS":["a","b","a"]})"),
            "One or more parameter values were invalid: Input collection [a, b, a] contains "
            "duplicates.");
  EXPECT_EQ(Error(R"({"BS":["Yg==","Yg=="]})"),
            "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS "
            "contains duplicates.");
  // Numerically equal numbers are the same member.
  EXPECT_EQ(Error(R"({"NS":["1","1.0"]})"), "Input collection contains duplicates");
}

TEST(ValueTest, NumbersAreValidated) {
  EXPECT_EQ(Error(R"({"N":""})"), "The parameter cannot be converted to a numeric value");
  // Numbers are read before the descriptors are counted.
  EXPECT_EQ(Error(R"({"S":"a","N":"b"})"),
            "The parameter cannot be converted to a numeric value: b");
  EXPECT_EQ(Error(R"({"N":"12a"})"), "The parameter cannot be converted to a numeric value: 12a");
  EXPECT_EQ(Error(R"({"NS":["1","x"]})"),
            "The parameter cannot be converted to a numeric value: x");
  EXPECT_EQ(Error(R"({"N":"1234567890123456789012345678901234567890"})"), kNumberTooPrecise);
  EXPECT_EQ(Error(R"({"N":"1E126"})"), kNumberOverflow);
}

TEST(ValueTest, BinaryIsBase64) {
  EXPECT_EQ(V(R"({"B":"aGk="})").bytes(), "hi");
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"B":"not base64!"})")).ok());
  EXPECT_FALSE(AttributeValue::FromJson(json::parse(R"({"BS":["aGk=","%%"]})")).ok());
}

TEST(ValueTest, EqualityIgnoresSetOrder) {
  EXPECT_EQ(V(R"({"SS":["a","b"]})"), V(R"({"SS":["b","a"]})"));
  EXPECT_EQ(V(R"({"NS":["2","1.0"]})"), V(R"({"NS":["1","2"]})"));
  EXPECT_EQ(V(R"({"BS":["AQ==","Ag=="]})"), V(R"({"BS":["Ag==","AQ=="]})"));
  EXPECT_NE(V(R"({"L":[{"S":"a"},{"S":"b"}]})"), V(R"({"L":[{"S":"b"},{"S":"a"}]})"));
  EXPECT_NE(V(R"({"S":"1"})"), V(R"({"N":"1"})"));
  EXPECT_NE(V(R"({"S":"1"})"), V(R"({"B":"MQ=="})"));
  EXPECT_EQ(V(R"({"N":"1.50"})"), V(R"({"N":"1.5"})"));
  EXPECT_EQ(V(R"({"M":{"a":{"NS":["1","2"]}}})"), V(R"({"M":{"a":{"NS":["2","1"]}}})"));
  EXPECT_NE(V(R"({"M":{"a":{"N":"1"}}})"), V(R"({"M":{"a":{"N":"1"},"b":{"N":"1"}}})"));
}

TEST(ValueTest, ItemSize) {
  StatusOr<Item> item = ItemFromJson(json::parse(
      R"({"id":{"S":"abc"},"n":{"N":"123"},"ok":{"BOOL":true},"z":{"NULL":true},
          "m":{"M":{"k":{"S":"vv"}}},"l":{"L":[{"N":"1"},{"S":"x"}]},
          "ss":{"SS":["a","bc"]},"bs":{"BS":["AAA="]}})"));
  ASSERT_TRUE(item.ok()) << item.status().message();
  size_t expected = (2 + 3)                    // id
                    + (1 + 3)                  // n: ceil(3 / 2) + 1
                    + (2 + 1)                  // ok
                    + (1 + 1)                  // z
                    + (1 + 3 + 1 + 2 + 1)      // m: 3 + name + value + 1
                    + (1 + 3 + 2 + 1 + 1 + 1)  // l: 3 + (2+1) + (1+1)
                    + (2 + 3)                  // ss
                    + (2 + 2);                 // bs
  EXPECT_EQ(ItemSize(*item), expected);
  EXPECT_TRUE(CheckItemSize(*item).ok());
}

TEST(ValueTest, FourHundredKilobytes) {
  Item item;
  item["k"] = AttributeValue::String(std::string(kMaxItemSize - 1, 'x'));
  EXPECT_EQ(ItemSize(item), kMaxItemSize);
  EXPECT_TRUE(CheckItemSize(item).ok());
  item["k"] = AttributeValue::String(std::string(kMaxItemSize, 'x'));
  Status s = CheckItemSize(item);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Item size has exceeded the maximum allowed size");
}

TEST(ValueTest, ItemFromJson) {
  EXPECT_FALSE(ItemFromJson(json::parse("[]")).ok());
  StatusOr<Item> item = ItemFromJson(json::parse(R"({"a":{"S":"x"},"b":{}})"));
  ASSERT_FALSE(item.ok());
  EXPECT_EQ(ItemToJson(*ItemFromJson(json::parse(R"({"b":{"N":"2"},"a":{"S":"x"}})"))),
            json::parse(R"({"a":{"S":"x"},"b":{"N":"2"}})"));
}

TEST(ValueTest, KeyEncodingOrdersAsDynamoDb) {
  std::vector<std::vector<std::string>> ordered = {
      {R"({"S":""})", R"({"S":"A"})", R"({"S":"Z"})", R"({"S":"a"})", R"({"S":"ab"})",
       R"({"S":"b"})", R"({"S":"é"})"},
      {R"({"B":""})", R"({"B":"AA=="})", R"({"B":"AAA="})", R"({"B":"fw=="})", R"({"B":"gA=="})",
       R"({"B":"/w=="})"},
      {R"({"N":"-100"})", R"({"N":"-2"})", R"({"N":"-1.5"})", R"({"N":"0"})", R"({"N":"0.5"})",
       R"({"N":"2"})", R"({"N":"10"})", R"({"N":"100"})"},
  };
  for (const std::vector<std::string>& texts : ordered) {
    std::vector<std::string> keys;
    for (const std::string& text : texts) {
      AttributeValue v = V(text);
      std::string key = EncodeKeyValue(v);
      StatusOr<AttributeValue> back = DecodeKeyValue(v.type(), key);
      ASSERT_TRUE(back.ok()) << text;
      EXPECT_EQ(*back, v) << text;
      keys.push_back(key);
      if (keys.size() > 1) {
        EXPECT_LT(CompareScalars(V(texts[keys.size() - 2]), v), 0) << text;
      }
    }
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end())) << texts.front();
  }
  EXPECT_FALSE(DecodeKeyValue(ValueType::kBool, "x").ok());
  EXPECT_FALSE(DecodeKeyValue(ValueType::kN, "x").ok());
}

TEST(ValueTest, TypeNames) {
  for (const char* name : {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}) {
    ValueType t;
    ASSERT_TRUE(ParseTypeName(name, &t)) << name;
    EXPECT_EQ(TypeName(t), name);
  }
  ValueType t;
  EXPECT_FALSE(ParseTypeName("Bool", &t));
  EXPECT_FALSE(ParseTypeName("", &t));
}

}  // namespace
}  // namespace thaw::dynamodb
