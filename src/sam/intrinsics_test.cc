#include "sam/intrinsics.h"

#include <gtest/gtest.h>

namespace thaw::sam {
namespace {

using nlohmann::json;

Scope TestScope() {
  Scope s;
  s.refs["AWS::Region"] = "us-east-1";
  s.refs["AWS::Partition"] = "aws";
  s.refs["Env"] = "prod";
  s.refs["Subnets"] = json::array({"a", "b"});
  s.conditions["IsProd"] = true;
  s.conditions["IsDev"] = false;
  s.mappings = json::parse(R"({"Sizes": {"prod": {"Memory": 1024}}})");
  s.resource = [](const std::string& id, const std::string& attr) -> StatusOr<json> {
    if (id != "Queue") return Status::NotFound("no resource " + id);
    if (attr.empty()) return json("https://queue/url");
    if (attr == "Arn") return json("arn:aws:sqs:us-east-1:000000000000:q");
    return Status::InvalidArgument("no attribute " + attr);
  };
  return s;
}

json Eval(const std::string& text) {
  StatusOr<json> v = Evaluate(json::parse(text), TestScope());
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().message();
  return v.ok() ? *v : json("error");
}

TEST(IntrinsicsTest, RefAndGetAtt) {
  EXPECT_EQ(Eval(R"({"Ref": "Env"})"), "prod");
  EXPECT_EQ(Eval(R"({"Ref": "Queue"})"), "https://queue/url");
  EXPECT_EQ(Eval(R"({"Fn::GetAtt": ["Queue", "Arn"]})"), "arn:aws:sqs:us-east-1:000000000000:q");
  EXPECT_EQ(Eval(R"({"Fn::GetAtt": "Queue.Arn"})"), "arn:aws:sqs:us-east-1:000000000000:q");
  StatusOr<json> bad = Evaluate(json::parse(R"({"Ref": "Nope"})"), TestScope());
  EXPECT_EQ(bad.status().message(), "no resource Nope");
}

TEST(IntrinsicsTest, SubBothForms) {
  EXPECT_EQ(Eval(R"({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${Queue.Arn}/${!Keep}"})"),
            "arn:aws:x:us-east-1:arn:aws:sqs:us-east-1:000000000000:q/${Keep}");
  EXPECT_EQ(Eval(R"({"Fn::Sub": ["${Name}-${Env}", {"Name": {"Ref": "Queue"}}]})"),
            "https://queue/url-prod");
  EXPECT_EQ(Eval(R"({"Fn::Sub": "${Subnets}"})"), "a,b");
  EXPECT_FALSE(Evaluate(json::parse(R"({"Fn::Sub": "${Open"})"), TestScope()).ok());
}

TEST(IntrinsicsTest, JoinSelectSplitGetAZsBase64FindInMap) {
  EXPECT_EQ(Eval(R"({"Fn::Join": ["-", ["a", {"Ref": "Env"}, 3]]})"), "a-prod-3");
  EXPECT_EQ(Eval(R"({"Fn::Join": [",", {"Ref": "Subnets"}]})"), "a,b");
  EXPECT_EQ(Eval(R"({"Fn::Select": [1, {"Ref": "Subnets"}]})"), "b");
  EXPECT_EQ(Eval(R"({"Fn::Select": ["0", {"Fn::GetAZs": ""}]})"), "us-east-1a");
  EXPECT_EQ(Eval(R"({"Fn::Split": ["/", "x/y/z"]})"), json::parse(R"(["x","y","z"])"));
  EXPECT_EQ(Eval(R"({"Fn::Base64": "hi"})"), "aGk=");
  EXPECT_EQ(Eval(R"({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]})"), 1024);
  EXPECT_FALSE(Evaluate(json::parse(R"({"Fn::Select": [5, ["a"]]})"), TestScope()).ok());
  StatusOr<json> imp = Evaluate(json::parse(R"({"Fn::ImportValue": "x"})"), TestScope());
  EXPECT_EQ(imp.status().message(), "Fn::ImportValue is not supported by thaw");
}

TEST(IntrinsicsTest, IfAndNoValueDropKeysAndItems) {
  EXPECT_EQ(Eval(R"({"M": {"Fn::If": ["IsProd", 1024, 128]},
                     "T": {"Fn::If": ["IsDev", 30, {"Ref": "AWS::NoValue"}]},
                     "L": ["a", {"Fn::If": ["IsDev", "b", {"Ref": "AWS::NoValue"}]}]})"),
            json::parse(R"({"M": 1024, "L": ["a"]})"));
  EXPECT_TRUE(Eval(R"({"Ref": "AWS::NoValue"})").is_null());
  EXPECT_FALSE(Evaluate(json::parse(R"({"Fn::If": ["Nope", 1, 2]})"), TestScope()).ok());
}

TEST(IntrinsicsTest, Conditions) {
  Scope s = TestScope();
  auto cond = [&](const std::string& text) {
    StatusOr<bool> b = EvaluateCondition(json::parse(text), s);
    EXPECT_TRUE(b.ok()) << text << ": " << b.status().message();
    return b.ok() && *b;
  };
  EXPECT_TRUE(cond(R"({"Fn::Equals": [{"Ref": "Env"}, "prod"]})"));
  EXPECT_TRUE(cond(R"({"Fn::Equals": ["1", 1]})"));
  EXPECT_FALSE(cond(R"({"Fn::Not": [{"Condition": "IsProd"}]})"));
  EXPECT_TRUE(cond(R"({"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]})"));
  EXPECT_FALSE(cond(R"({"Fn::And": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]})"));
  EXPECT_EQ(EvaluateCondition(json::parse(R"({"Condition": "Later"})"), s).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(EvaluateCondition(json::parse(R"({"Fn::And": [true]})"), s).ok());
}

TEST(IntrinsicsTest, CollectsResourceReferences) {
  std::set<std::string> refs;
  auto is_resource = [](const std::string& n) { return n == "Queue" || n == "Table"; };
  CollectReferences(json::parse(R"({"A": {"Ref": "Queue"}, "B": {"Ref": "Env"},
      "C": {"Fn::Sub": "${Table.StreamArn}/${Env}/${!Queue}"},
      "D": {"Fn::Sub": ["${Queue}", {"Queue": "x"}]}})"),
                    is_resource, refs);
  EXPECT_EQ(refs, (std::set<std::string>{"Queue", "Table"}));
  refs.clear();
  CollectReferences(json::parse(R"({"Fn::Sub": ["${Queue}", {"Queue": "x"}]})"), is_resource, refs);
  EXPECT_TRUE(refs.empty());
}

}  // namespace
}  // namespace thaw::sam
