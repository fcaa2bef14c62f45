#include "sam/template.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace thaw::sam {
namespace {

using nlohmann::json;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(THAW_SAM_TESTDATA) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TemplateTest, HelloWorldGoWithGlobalsMerged) {
  StatusOr<Template> t = ParseTemplate(ReadTestdata("hello_world_go.yaml"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  // A folded scalar: the blank line is one line break.
  EXPECT_EQ(t->description, "sam-app\nSample SAM Template for sam-app\n");
  ASSERT_EQ(t->resources.size(), 3u);
  const Resource* f = t->Find("HelloWorldFunction");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, "AWS::Serverless::Function");
  EXPECT_EQ(f->metadata["BuildMethod"], "go1.x");
  // Primitives: the function's own value wins; maps merge; lists are the global ones first.
  EXPECT_EQ(f->properties["Timeout"], 10);
  EXPECT_EQ(f->properties["MemorySize"], 128);
  EXPECT_EQ(f->properties["Environment"]["Variables"],
            json::parse(R"({"STAGE":"dev","LOG_LEVEL":"debug","PARAM1":"VALUE"})"));
  EXPECT_EQ(
      f->properties["Layers"],
      json::parse(
          R"([{"Ref":"SharedLayer"},"arn:aws:lambda:us-east-1:000000000000:layer:extra:1"])"));
  EXPECT_EQ(f->properties["Events"]["Queue"]["Properties"]["Queue"],
            json::parse(R"({"Fn::GetAtt":["WorkQueue","Arn"]})"));
  // Globals.Function does not reach other types.
  EXPECT_FALSE(t->Find("WorkQueue")->properties.contains("Timeout"));
  EXPECT_EQ(t->Find("WorkQueue")->depends_on, std::vector<std::string>{"SharedLayer"});
  EXPECT_EQ(t->outputs["HelloWorldFunction"]["Value"],
            json::parse(R"({"Fn::GetAtt":["HelloWorldFunction","Arn"]})"));
}

TEST(TemplateTest, MergeGlobalRules) {
  EXPECT_EQ(MergeGlobal(json(3), json(10)), json(10));
  EXPECT_EQ(MergeGlobal(json::parse(R"({"a":1,"b":{"c":2}})"), json::parse(R"({"b":{"d":3}})")),
            json::parse(R"({"a":1,"b":{"c":2,"d":3}})"));
  EXPECT_EQ(MergeGlobal(json::parse(R"(["a"])"), json::parse(R"(["b"])")),
            json::parse(R"(["a","b"])"));
  // An intrinsic function is a value, not a map to merge.
  EXPECT_EQ(MergeGlobal(json::parse(R"({"Variables":{"A":"1"}})"),
                        json::parse(R"({"Fn::If":["C",{"Variables":{}},{"Ref":"AWS::NoValue"}]})")),
            json::parse(R"({"Fn::If":["C",{"Variables":{}},{"Ref":"AWS::NoValue"}]})"));
}

TEST(TemplateTest, ResourceConditionAndSimpleTableGlobals) {
  StatusOr<Template> t = ParseTemplate(R"(
Globals:
  SimpleTable:
    SSESpecification: {SSEEnabled: true}
Conditions:
  IsProd: !Equals [prod, prod]
Resources:
  Table:
    Type: AWS::Serverless::SimpleTable
    Condition: IsProd
)");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->Find("Table")->condition, "IsProd");
  EXPECT_EQ(t->Find("Table")->properties["SSESpecification"]["SSEEnabled"], true);
}

TEST(TemplateTest, ShapeErrorsAreNamed) {
  auto error = [](const std::string& text) { return ParseTemplate(text).status().message(); };
  EXPECT_EQ(error("Resources: {Q: {Type: AWS::SQS::Queue}}\nResource: {}\n"),
            "unknown top-level section 'Resource'");
  EXPECT_EQ(error("Parameters: {}\n"), "the template needs a Resources mapping with one resource");
  EXPECT_EQ(error("Resources: {Q: {Properties: {}}}\n"), "Resources.Q needs a Type");
  EXPECT_EQ(error("Resources: {Q: {Type: AWS::SQS::Queue, DependsOn: [Nope]}}\n"),
            "Resources.Q.DependsOn names 'Nope', which is not a resource");
  EXPECT_EQ(error("Resources: {Q: {Type: AWS::SQS::Queue, Condition: Nope}}\n"),
            "Resources.Q.Condition names 'Nope', which Conditions does not define");
  EXPECT_EQ(error("Globals: {Function: {Bogus: 1}}\nResources: {Q: {Type: AWS::SQS::Queue}}\n"),
            "Globals.Function.Bogus is not a property SAM lets Globals set");
  EXPECT_EQ(error("Globals: {Queue: {}}\nResources: {Q: {Type: AWS::SQS::Queue}}\n"),
            "unknown Globals section 'Queue'");
  EXPECT_EQ(error("Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\n"
                  "Resources: {Q: {Type: AWS::SQS::Queue}}\n"),
            "Transform \"AWS::LanguageExtensions\" is not supported by thaw");
}

}  // namespace
}  // namespace thaw::sam
