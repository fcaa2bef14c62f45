#include "lambda/registry.h"

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

FunctionEntry Entry(const std::string& name, std::optional<int64_t> reserved) {
  auto config = std::make_shared<FunctionConfig>();
  config->name = name;
  FunctionEntry e;
  e.latest = config;
  e.reserved_concurrency = reserved;
  return e;
}

TEST(RegistryTest, TotalReservedFollowsEveryChange) {
  Registry r;
  r.Put("a", Entry("a", 5));
  r.Put("b", Entry("b", std::nullopt));
  r.Put("c", Entry("c", 3));
  EXPECT_EQ(r.TotalReserved(), 8);
  r.Put("a", Entry("a", 1));  // PutFunctionConcurrency again
  EXPECT_EQ(r.TotalReserved(), 4);
  r.Put("c", Entry("c", std::nullopt));  // DeleteFunctionConcurrency
  EXPECT_EQ(r.TotalReserved(), 1);
  r.Remove("a");
  r.Remove("missing");
  EXPECT_EQ(r.TotalReserved(), 0);
}

TEST(RegistryTest, ResolvesQualifiersAndReportsAwsMessages) {
  Registry r;
  FunctionEntry e = Entry("fn", std::nullopt);
  auto v1 = std::make_shared<FunctionConfig>();
  v1->name = "fn";
  v1->version = "1";
  e.versions[1] = v1;
  e.aliases["live"] = Alias{"live", "1", "", ""};
  r.Put("fn", e);
  EXPECT_EQ(r.Resolve("fn", "").value().executed_version, "$LATEST");
  EXPECT_EQ(r.Resolve("fn", "live").value().executed_version, "1");
  EXPECT_EQ(r.Resolve("fn:1", "").value().invoked_arn,
            "arn:aws:lambda:us-east-1:000000000000:function:fn:1");
  auto missing = r.Resolve("nope", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope");
  EXPECT_EQ(r.Resolve("fn", "7").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.Resolve("fn:1", "2").status().code(), StatusCode::kInvalidArgument);
}

TEST(RegistryTest, TheSameNameInTwoAccountsIsTwoFunctions) {
  Registry r;
  for (const char* account : {"111111111111", "222222222222"}) {
    auto config = std::make_shared<FunctionConfig>();
    config->name = "fn";
    config->account = account;
    config->handler = account;  // tells them apart
    FunctionEntry e;
    e.latest = config;
    r.Put(config->key(), e);
  }
  EXPECT_EQ(r.Resolve("fn", "", "111111111111").value().config->handler, "111111111111");
  auto b = r.Resolve("fn", "", "222222222222").value();
  EXPECT_EQ(b.config->handler, "222222222222");
  EXPECT_EQ(b.invoked_arn, "arn:aws:lambda:us-east-1:222222222222:function:fn");
  // An ARN names its account whoever calls.
  EXPECT_EQ(r.Resolve("arn:aws:lambda:us-east-1:222222222222:function:fn", "", "111111111111")
                .value()
                .config->handler,
            "222222222222");
  // A key resolves too (async events and destinations keep keys).
  EXPECT_EQ(r.Resolve("222222222222:function:fn", "").value().config->handler, "222222222222");
  // 000000000000 has no "fn".
  auto none = r.Resolve("fn", "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:fn");
  EXPECT_EQ(r.Resolve("fn", "", "333333333333").status().message(),
            "Function not found: arn:aws:lambda:us-east-1:333333333333:function:fn");
}

}  // namespace
}  // namespace thaw::lambda
