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

}  // namespace
}  // namespace thaw::lambda
