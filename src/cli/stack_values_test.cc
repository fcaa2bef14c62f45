#include "cli/stack_values.h"

#include <gtest/gtest.h>

namespace thaw::cli {
namespace {

using nlohmann::json;

TEST(StackValuesTest, FunctionAndQualifier) {
  EXPECT_EQ(FunctionAndQualifier("fn"), std::make_pair(std::string("fn"), std::string("")));
  EXPECT_EQ(FunctionAndQualifier("arn:aws:lambda:us-east-1:000000000000:function:fn"),
            std::make_pair(std::string("fn"), std::string("")));
  EXPECT_EQ(FunctionAndQualifier("arn:aws:lambda:us-east-1:000000000000:function:fn:live"),
            std::make_pair(std::string("fn"), std::string("live")));
}

TEST(StackValuesTest, TagsAttributesAndChanges) {
  EXPECT_EQ(TagMap(json::parse(R"([{"Key": "a", "Value": "b"}, {"Key": "n", "Value": 3}])")),
            json::parse(R"({"a": "b", "n": "3"})"));
  EXPECT_EQ(AttributeText(json(true)), "true");
  EXPECT_EQ(AttributeText(json(60)), "60");
  EXPECT_EQ(AttributeText(json::parse(R"({"x": 1})")), R"({"x":1})");
  EXPECT_EQ(PropertyText(json::parse(R"({"A": "x", "B": 1})"), "B", "none"), "none");
  json a = json::parse(R"({"K": 1, "B": "PAY"})");
  json b = json::parse(R"({"K": 1, "B": "PROV", "T": 5})");
  EXPECT_TRUE(DifferOnlyIn(a, b, {"B", "T"}));
  EXPECT_FALSE(DifferOnlyIn(a, b, {"B"}));
  EXPECT_TRUE(Changed(a, b, "T"));
  EXPECT_FALSE(Changed(a, b, "K"));
}

TEST(StackValuesTest, ZipDirectoryNeedsADirectory) {
  EXPECT_EQ(ZipDirectory("/nonexistent-thaw-dir").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace thaw::cli
