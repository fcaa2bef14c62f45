#include "sam/parameters.h"

#include <gtest/gtest.h>

namespace thaw::sam {
namespace {

using nlohmann::json;

constexpr char kTemplate[] = R"(
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Memory:
    Type: Number
    Default: 128
    MinValue: 128
    MaxValue: 10240
  Subnets:
    Type: CommaDelimitedList
    Default: "a,b"
  Required:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [!Ref "AWS::Region", us-east-1]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
)";

TEST(ParameterOverridesTest, BothShapes) {
  StatusOr<std::map<std::string, std::string>> o =
      ParseParameterOverrides({"Stage=prod", "ParameterKey=Memory,ParameterValue=512", "X=a=b"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(
      *o, (std::map<std::string, std::string>{{"Stage", "prod"}, {"Memory", "512"}, {"X", "a=b"}}));
  EXPECT_FALSE(ParseParameterOverrides({"novalue"}).ok());
  EXPECT_FALSE(ParseParameterOverrides({"ParameterKey=A"}).ok());
}

TEST(MakeScopeTest, DefaultsOverridesPseudoParametersAndConditions) {
  StatusOr<Template> t = ParseTemplate(kTemplate);
  ASSERT_TRUE(t.ok()) << t.status().message();
  StackInputs in;
  in.stack_name = "app";
  in.parameter_overrides = {{"Required", "r"}};
  StatusOr<Scope> s = MakeScope(*t, in);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->refs["Stage"], "dev");
  EXPECT_EQ(s->refs["Memory"], "128");
  EXPECT_EQ(s->refs["Subnets"], json::parse(R"(["a","b"])"));
  EXPECT_EQ(s->refs["AWS::StackName"], "app");
  EXPECT_EQ(s->refs["AWS::AccountId"], "000000000000");
  EXPECT_EQ(s->refs["AWS::Region"], "us-east-1");
  EXPECT_EQ(s->refs["AWS::Partition"], "aws");
  EXPECT_EQ(s->refs["AWS::URLSuffix"], "amazonaws.com");
  EXPECT_FALSE(s->conditions["IsProd"]);
  EXPECT_TRUE(s->conditions["NotProd"]);
  EXPECT_TRUE(s->conditions["Both"]);

  in.parameter_overrides["Stage"] = "prod";
  s = MakeScope(*t, in);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->conditions["IsProd"]);
  EXPECT_FALSE(s->conditions["Both"]);
}

TEST(MakeScopeTest, RefusesBadValues) {
  StatusOr<Template> t = ParseTemplate(kTemplate);
  ASSERT_TRUE(t.ok()) << t.status().message();
  StackInputs in;
  EXPECT_EQ(MakeScope(*t, in).status().message(),
            "parameter Required has no Default; pass --parameter-overrides Required=VALUE");
  in.parameter_overrides = {{"Required", "r"}, {"Stage", "qa"}};
  EXPECT_NE(MakeScope(*t, in).status().message().find("is not one of"), std::string::npos);
  in.parameter_overrides = {{"Required", "r"}, {"Memory", "64"}};
  EXPECT_NE(MakeScope(*t, in).status().message().find("MinValue"), std::string::npos);
  in.parameter_overrides = {{"Required", "r"}, {"Memory", "lots"}};
  EXPECT_NE(MakeScope(*t, in).status().message().find("not a Number"), std::string::npos);
  in.parameter_overrides = {{"Required", "r"}, {"Typo", "x"}};
  EXPECT_EQ(MakeScope(*t, in).status().message(),
            "--parameter-overrides names 'Typo', which is not a parameter of the template");
}

TEST(MakeScopeTest, CircularConditionsAreAnError) {
  StatusOr<Template> t = ParseTemplate(R"(
Conditions:
  A: !Not [!Condition B]
  B: !Not [!Condition A]
Resources:
  Queue: {Type: AWS::SQS::Queue}
)");
  ASSERT_TRUE(t.ok()) << t.status().message();
  StatusOr<Scope> s = MakeScope(*t, StackInputs{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("circle"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace thaw::sam
