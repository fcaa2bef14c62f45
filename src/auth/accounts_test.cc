#include "auth/accounts.h"

#include <gtest/gtest.h>

namespace thaw::auth {
namespace {

TEST(AccountsTest, DefaultAccountIsTheTwelveDigitKeyIdElseZeros) {
  EXPECT_EQ(DefaultAccountOf("111111111111"), "111111111111");
  EXPECT_EQ(DefaultAccountOf("AKIAEXAMPLE"), "000000000000");
  EXPECT_EQ(DefaultAccountOf("11111111111"), "000000000000");
  EXPECT_EQ(DefaultAccountOf("11111111111a"), "000000000000");
  EXPECT_EQ(Accounts().AccountOf("222222222222"), "222222222222");
}

TEST(AccountsTest, ArnAccount) {
  EXPECT_EQ(ArnAccount("arn:aws:sns:us-east-1:111111111111:topic"), "111111111111");
  EXPECT_EQ(ArnAccount("arn:aws:lambda:us-east-1:000000000000:function:f:1"), "000000000000");
  EXPECT_EQ(ArnAccount("arn:aws:s3:::bucket"), "");
  EXPECT_EQ(ArnAccount("nope"), "");
}

TEST(AccountsTest, FileMapsNamedKeys) {
  auto accounts = Accounts::Parse(R"({"keys":[
    {"accessKeyId":"AKIAALICE","secretAccessKey":"s1","account":"111111111111"},
    {"accessKeyId":"222222222222","secretAccessKey":"s2"}]})");
  ASSERT_TRUE(accounts.ok()) << accounts.status().message();
  EXPECT_EQ(accounts->size(), 2u);
  EXPECT_EQ(accounts->AccountOf("AKIAALICE"), "111111111111");
  EXPECT_EQ(accounts->AccountOf("222222222222"), "222222222222");
  EXPECT_EQ(accounts->AccountOf("AKIAOTHER"), "000000000000");
  ASSERT_NE(accounts->Find("AKIAALICE"), nullptr);
  EXPECT_EQ(accounts->Find("AKIAALICE")->secret_access_key, "s1");
  EXPECT_EQ(accounts->Find("AKIAOTHER"), nullptr);
}

TEST(AccountsTest, BadFilesAreRefusedWithReasons) {
  auto expect = [](const char* text, const char* words) {
    auto r = Accounts::Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  expect("[", "not a JSON object");
  expect("{}", "\"keys\" must be a list");
  expect(R"({"keys":[{"secretAccessKey":"s"}]})", "no accessKeyId");
  expect(R"({"keys":[{"accessKeyId":"A"}]})", "no secretAccessKey");
  expect(R"({"keys":[{"accessKeyId":"A","secretAccessKey":"s","account":"12"}]})", "12 digits");
  expect(R"({"keys":[{"accessKeyId":"A","secretAccessKey":"s"},
                     {"accessKeyId":"A","secretAccessKey":"t"}]})",
         "listed twice");
}

}  // namespace
}  // namespace thaw::auth
