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

TEST(FunctionKeyTest, TheDefaultAccountKeepsPlainNamesOthersArePartialArns) {
  EXPECT_EQ(FunctionKey("000000000000", "fn"), "fn");
  EXPECT_EQ(FunctionKey("", "fn"), "fn");
  EXPECT_EQ(FunctionKey("222222222222", "fn"), "222222222222:function:fn");
  EXPECT_EQ(FunctionArn(FunctionKey("222222222222", "fn")),
            "arn:aws:lambda:us-east-1:222222222222:function:fn");
  EXPECT_EQ(QualifiedArn(FunctionKey("222222222222", "fn"), "live"),
            "arn:aws:lambda:us-east-1:222222222222:function:fn:live");
  FunctionConfig c;
  c.name = "fn";
  EXPECT_EQ(c.key(), "fn");
  c.account = "111111111111";
  EXPECT_EQ(c.key(), "111111111111:function:fn");
}

TEST(FunctionKeyTest, ARefNamesItsAccountOrTakesTheCallers) {
  auto plain = ParseFunctionRef("fn:1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->account, "");
  EXPECT_EQ(plain->KeyIn("111111111111"), "111111111111:function:fn");
  EXPECT_EQ(plain->KeyIn("000000000000"), "fn");
  auto arn = ParseFunctionRef("arn:aws:lambda:us-east-1:222222222222:function:fn:live");
  ASSERT_TRUE(arn);
  EXPECT_EQ(arn->account, "222222222222");
  EXPECT_EQ(arn->qualifier, "live");
  EXPECT_EQ(arn->KeyIn("111111111111"), "222222222222:function:fn");
  auto partial = ParseFunctionRef("000000000000:function:fn");
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->KeyIn("111111111111"), "fn");
  // A key reads back as itself.
  EXPECT_EQ(ParseFunctionRef(FunctionKey("333333333333", "x"))->KeyIn(""),
            "333333333333:function:x");
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
