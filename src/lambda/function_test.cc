#include "lambda/function.h"

#include <vector>

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

TEST(FunctionRefTest, AcceptsEveryAwsForm) {
  struct Case {
    std::string in, name, qualifier;
  } cases[] = {
      {"fn", "fn", ""},
      {"fn:1", "fn", "1"},
      {"fn:$LATEST", "fn", "$LATEST"},
      {"fn:live", "fn", "live"},
      {"000000000000:function:fn", "fn", ""},
      {"000000000000:function:fn:2", "fn", "2"},
      {"arn:aws:lambda:us-east-1:000000000000:function:fn", "fn", ""},
      {"arn:aws:lambda:us-east-1:000000000000:function:fn:prod", "fn", "prod"},
  };
  for (const auto& c : cases) {
    auto ref = ParseFunctionRef(c.in);
    ASSERT_TRUE(ref.has_value()) << c.in;
    EXPECT_EQ(ref->name, c.name) << c.in;
    EXPECT_EQ(ref->qualifier, c.qualifier) << c.in;
  }
}

TEST(FunctionRefTest, RejectsMalformedNames) {
  for (const std::string& bad : std::vector<std::string>{
           "", "a b", "fn:", "fn:1:2", "arn:aws:lambda:us-east-1:12:function:fn",
           "arn:aws:s3:us-east-1:000000000000:function:fn", std::string(65, 'a'), "fn:$NOPE",
           "f\xff"}) {
    EXPECT_FALSE(ParseFunctionRef(bad).has_value()) << bad;
  }
}

TEST(FunctionRefTest, Arns) {
  EXPECT_EQ(FunctionArn("fn"), "arn:aws:lambda:us-east-1:000000000000:function:fn");
  EXPECT_EQ(QualifiedArn("fn", "1"), "arn:aws:lambda:us-east-1:000000000000:function:fn:1");
}

TEST(FunctionTest, MechanismComesFromGo1xOrTheTag) {
  EXPECT_EQ(*ResolveMechanism("provided.al2023", {}), "runtime-api");
  EXPECT_EQ(*ResolveMechanism("go1.x", {}), "go1.x");
  EXPECT_EQ(*ResolveMechanism("provided.al2", {{"thaw:mechanism", "shim"}}), "shim");
  EXPECT_EQ(*ResolveMechanism("go1.x", {{"thaw:mechanism", "go1.x"}}), "go1.x");
  EXPECT_EQ(*ResolveMechanism("provided.al2023", {{"other", "spawn"}}), "runtime-api");
  StatusOr<std::string> bad = ResolveMechanism("provided.al2023", {{"thaw:mechanism", "rpc"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must be one of runtime-api, go1.x"), std::string::npos);
  EXPECT_FALSE(ResolveMechanism("go1.x", {{"thaw:mechanism", "spawn"}}).ok());
}

}  // namespace
}  // namespace thaw::lambda
