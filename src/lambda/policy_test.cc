#include "lambda/policy.h"

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

using nlohmann::json;

constexpr char kArn[] = "arn:aws:lambda:us-east-1:000000000000:function:f";

TEST(PolicyTest, BuildsStatementsAsAwsWritesThem) {
  auto s = BuildStatement({{"StatementId", "s3"},
                           {"Action", "lambda:InvokeFunction"},
                           {"Principal", "s3.amazonaws.com"},
                           {"SourceAccount", "123456789012"}},
                          kArn);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)["Sid"], "s3");
  EXPECT_EQ((*s)["Effect"], "Allow");
  EXPECT_EQ((*s)["Principal"], json({{"Service", "s3.amazonaws.com"}}));
  EXPECT_EQ((*s)["Resource"], kArn);
  EXPECT_EQ((*s)["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012");

  auto account = BuildStatement(
      {{"StatementId", "acct"}, {"Action", "lambda:*"}, {"Principal", "111122223333"}}, kArn);
  ASSERT_TRUE(account.ok());
  EXPECT_EQ((*account)["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
  EXPECT_FALSE(account->contains("Condition"));
}

TEST(PolicyTest, RejectsWhatTheModelRejects) {
  json good = {{"StatementId", "a"}, {"Action", "lambda:InvokeFunction"}, {"Principal", "*"}};
  EXPECT_TRUE(BuildStatement(good, kArn).ok());
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"StatementId", "has space"},
                                                        {"StatementId", std::string(101, 'a')},
                                                        {"Action", "s3:GetObject"},
                                                        {"Principal", "a b"},
                                                        {"SourceAccount", "12"},
                                                        {"FunctionUrlAuthType", "OPEN"}}) {
    json bad = good;
    bad[key] = value;
    auto s = BuildStatement(bad, kArn);
    ASSERT_FALSE(s.ok()) << key << "=" << value;
    EXPECT_NE(s.status().message().find("validation error"), std::string::npos);
  }
  json missing = good;
  missing.erase("Principal");
  EXPECT_FALSE(BuildStatement(missing, kArn).ok());
}

TEST(PolicyTest, DocumentShape) {
  Policy p;
  p.statements.push_back({{"Sid", "x"}});
  json doc = json::parse(PolicyDocument(p));
  EXPECT_EQ(doc["Version"], "2012-10-17");
  EXPECT_EQ(doc["Id"], "default");
  EXPECT_EQ(doc["Statement"][0]["Sid"], "x");
}

}  // namespace
}  // namespace thaw::lambda
