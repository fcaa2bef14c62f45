#include "sam/yaml_reader.h"

#include <gtest/gtest.h>

namespace thaw::sam {
namespace {

using nlohmann::json;

TEST(YamlReaderTest, ShortFormTagsBecomeLongForms) {
  StatusOr<json> doc = ReadTemplateText(R"(
A: !Ref Name
B: !GetAtt Queue.Arn
C: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"
D: !Sub
  - "${X}-suffix"
  - X: !Ref Name
E: !Join ["-", [a, !Ref Name]]
F: !Select [0, !GetAZs ""]
G: !If [IsProd, 1024, !Ref "AWS::NoValue"]
H: !Equals [!Ref Env, prod]
I: !Not [!Condition IsProd]
J: !GetAtt [Table, StreamArn]
)");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ((*doc)["A"], json::parse(R"({"Ref":"Name"})"));
  EXPECT_EQ((*doc)["B"], json::parse(R"({"Fn::GetAtt":["Queue","Arn"]})"));
  EXPECT_EQ((*doc)["C"], json::parse(R"({"Fn::Sub":"arn:${AWS::Partition}:s3:::${Bucket}/*"})"));
  EXPECT_EQ((*doc)["D"], json::parse(R"({"Fn::Sub":["${X}-suffix",{"X":{"Ref":"Name"}}]})"));
  EXPECT_EQ((*doc)["E"], json::parse(R"({"Fn::Join":["-",["a",{"Ref":"Name"}]]})"));
  EXPECT_EQ((*doc)["F"], json::parse(R"({"Fn::Select":[0,{"Fn::GetAZs":""}]})"));
  EXPECT_EQ((*doc)["G"], json::parse(R"({"Fn::If":["IsProd",1024,{"Ref":"AWS::NoValue"}]})"));
  EXPECT_EQ((*doc)["H"], json::parse(R"({"Fn::Equals":[{"Ref":"Env"},"prod"]})"));
  EXPECT_EQ((*doc)["I"], json::parse(R"({"Fn::Not":[{"Condition":"IsProd"}]})"));
  EXPECT_EQ((*doc)["J"], json::parse(R"({"Fn::GetAtt":["Table","StreamArn"]})"));
}

TEST(YamlReaderTest, PlainScalarsAreTypedAndQuotedOnesStayStrings) {
  StatusOr<json> doc = ReadTemplateText(R"(
Int: 128
Neg: -3
Dec: 0.5
True: true
False: False
Nothing: ~
Quoted: "128"
Single: 'true'
Version: 2010-09-09
Text: hello world
Empty:
)");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ((*doc)["Int"], json(128));
  EXPECT_EQ((*doc)["Neg"], json(-3));
  EXPECT_EQ((*doc)["Dec"], json(0.5));
  EXPECT_EQ((*doc)["True"], json(true));
  EXPECT_EQ((*doc)["False"], json(false));
  EXPECT_TRUE((*doc)["Nothing"].is_null());
  EXPECT_EQ((*doc)["Quoted"], json("128"));
  EXPECT_EQ((*doc)["Single"], json("true"));
  EXPECT_EQ((*doc)["Version"], json("2010-09-09"));
  EXPECT_EQ((*doc)["Text"], json("hello world"));
  EXPECT_TRUE((*doc)["Empty"].is_null());
}

TEST(YamlReaderTest, ReadsJsonTemplatesAndAnchors) {
  StatusOr<json> doc = ReadTemplateText(R"({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ((*doc)["Resources"]["Q"]["Type"], "AWS::SQS::Queue");

  doc = ReadTemplateText("Base: &b {Timeout: 3}\nCopy: *b\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ((*doc)["Copy"]["Timeout"], 3);
}

TEST(YamlReaderTest, ErrorsNameTheLine) {
  StatusOr<json> doc = ReadTemplateText("A: [1, 2\nB: 3\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("line"), std::string::npos) << doc.status().message();

  doc = ReadTemplateText("A: 1\nB: !Bogus x\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "unknown tag !Bogus at line 2, column 4");

  doc = ReadTemplateText("A: !GetAtt NoDot\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("Resource.Attribute"), std::string::npos);

  EXPECT_FALSE(ReadTemplateText("- a list\n").ok());
}

TEST(YamlReaderTest, OnlyUtf8) {
  // Found by the sam_template fuzzer: nlohmann::json throws when it writes invalid UTF-8.
  StatusOr<json> doc = ReadTemplateText("Description: caf\xff\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "template is not valid UTF-8 at byte 16");
  for (const char* bad :
       {"A: \xc0\xaf\n", "A: \xed\xa0\x80\n", "A: \xf4\x90\x80\x80\n", "A: \xe2\x82\n"}) {
    EXPECT_FALSE(ReadTemplateText(bad).ok()) << bad;
  }
  // A lone surrogate from an escape is refused too (by yaml-cpp, before our check of every string).
  EXPECT_FALSE(ReadTemplateText("A: \"\\uD800\"\n").ok());
  doc = ReadTemplateText("A: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["A"], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

}  // namespace
}  // namespace thaw::sam
