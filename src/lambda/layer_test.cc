#include "lambda/layer.h"

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

TEST(LayerTest, ArnsAndNames) {
  EXPECT_EQ(LayerArn("x"), "arn:aws:lambda:us-east-1:000000000000:layer:x");
  EXPECT_EQ(LayerVersionArn("x", 3), "arn:aws:lambda:us-east-1:000000000000:layer:x:3");
  EXPECT_EQ(ParseLayerName("my_layer-1").value(), "my_layer-1");
  EXPECT_EQ(ParseLayerName("arn:aws:lambda:us-east-1:000000000000:layer:n").value(), "n");
  EXPECT_FALSE(ParseLayerName("bad name").ok());
  EXPECT_FALSE(ParseLayerName("arn:aws:lambda:us-east-1:000000000000:layer:n:1").ok());
  EXPECT_FALSE(ParseLayerName(std::string(141, 'a')).ok());
}

TEST(LayerTest, ParsesVersionArns) {
  auto ref = ParseLayerVersionArn("arn:aws:lambda:us-east-1:000000000000:layer:n:12");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->name, "n");
  EXPECT_EQ(ref->version, 12);
  EXPECT_TRUE(ref->local);
  auto other = ParseLayerVersionArn("arn:aws:lambda:eu-west-1:123456789012:layer:n:1");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->local);
  for (const char* bad : {"arn:aws:lambda:us-east-1:000000000000:layer:n",
                          "arn:aws:lambda:us-east-1:000000000000:layer:n:x",
                          "arn:aws:lambda:us-east-1:0000:layer:n:1",
                          "arn:aws:s3:us-east-1:000000000000:layer:n:1", "n:1", ""}) {
    EXPECT_FALSE(ParseLayerVersionArn(bad)) << bad;
  }
}

TEST(LayerTest, RendersAwsShapes) {
  LayerVersion v;
  v.name = "n";
  v.version = 2;
  v.code_sha256 = "abc=";
  v.code_size = 10;
  v.created_date = "2024-01-01T00:00:00.000+0000";
  v.compatible_runtimes = {"provided.al2023"};
  auto j = RenderLayerVersion(v, "http://x/y.zip");
  EXPECT_EQ(j["LayerArn"], LayerArn("n"));
  EXPECT_EQ(j["LayerVersionArn"], LayerVersionArn("n", 2));
  EXPECT_EQ(j["Version"], 2);
  EXPECT_EQ(j["Content"]["Location"], "http://x/y.zip");
  EXPECT_EQ(j["Content"]["CodeSize"], 10);
  EXPECT_FALSE(j.contains("LicenseInfo"));
  EXPECT_TRUE(LayerMatches(v, "provided.al2023", std::nullopt));
  EXPECT_FALSE(LayerMatches(v, "python3.12", std::nullopt));
  EXPECT_FALSE(LayerMatches(v, std::nullopt, "arm64"));
}

}  // namespace
}  // namespace thaw::lambda
