#include "lambda/function_request.h"

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

using nlohmann::json;

std::string ErrorOf(const json& body) {
  auto update = ParseConfigUpdate(body);
  EXPECT_FALSE(update.ok()) << body.dump();
  return update.ok() ? "" : update.status().message();
}

TEST(FunctionRequestTest, ParsesConfigurationMembers) {
  json body = json::parse(R"({"Runtime":"provided.al2023","Role":"arn:aws:iam::123456789012:role/x",
    "Handler":"bootstrap","Description":"d","Timeout":900,"MemorySize":10240,
    "EphemeralStorage":{"Size":512},"TracingConfig":{"Mode":"Active"},
    "Environment":{"Variables":{"FOO":"1","BAR_2":"two"}}})");
  auto update = ParseConfigUpdate(body);
  ASSERT_TRUE(update.ok()) << update.status().ToString();
  FunctionConfig c = ApplyConfigUpdate(FunctionConfig{}, *update);
  EXPECT_EQ(c.runtime, "provided.al2023");
  EXPECT_EQ(c.timeout_s, 900);
  EXPECT_EQ(c.memory_mb, 10240);
  EXPECT_EQ(c.ephemeral_mb, 512);
  EXPECT_EQ(c.tracing_mode, "Active");
  EXPECT_EQ(c.environment.size(), 2u);
  // Absent members leave the configuration alone.
  FunctionConfig same = ApplyConfigUpdate(c, *ParseConfigUpdate(json::object()));
  EXPECT_EQ(same.memory_mb, 10240);
}

TEST(FunctionRequestTest, ParsesLoggingConfig) {
  auto update = ParseConfigUpdate(
      {{"LoggingConfig", {{"LogFormat", "JSON"}, {"ApplicationLogLevel", "DEBUG"}}}});
  ASSERT_TRUE(update.ok()) << update.status().ToString();
  FunctionConfig c = ApplyConfigUpdate(FunctionConfig{}, *update);
  EXPECT_EQ(c.log_format, "JSON");
  EXPECT_EQ(c.application_log_level, "DEBUG");
  EXPECT_EQ(c.system_log_level, "");
  // Back to Text drops the levels, which only JSON has.
  c = ApplyConfigUpdate(c, *ParseConfigUpdate({{"LoggingConfig", {{"LogFormat", "Text"}}}}));
  EXPECT_EQ(c.log_format, "Text");
  EXPECT_EQ(c.application_log_level, "");
  EXPECT_EQ(FunctionConfig{}.log_format, "Text");
  EXPECT_NE(ErrorOf({{"LoggingConfig", {{"LogFormat", "XML"}}}})
                .find("Value 'XML' at 'loggingConfig.logFormat' failed to satisfy constraint: "
                      "Member must satisfy enum value set: [JSON, Text]"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"LoggingConfig", {{"SystemLogLevel", "ERROR"}}}})
                .find("loggingConfig.systemLogLevel"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"LoggingConfig", {{"LogFormat", "Text"}, {"ApplicationLogLevel", "WARN"}}}})
                .find("only be set when LogFormat is JSON"),
            std::string::npos);
  EXPECT_FALSE(ParseConfigUpdate({{"LoggingConfig", "JSON"}}).ok());
}

TEST(FunctionRequestTest, ReportsConstraintViolationsLikeAws) {
  EXPECT_EQ(ErrorOf({{"MemorySize", 0}}),
            "1 validation error detected: Value '0' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128");
  EXPECT_EQ(ErrorOf({{"Timeout", 901}}),
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 900");
  EXPECT_EQ(ErrorOf({{"Timeout", 0}, {"MemorySize", 99999}}),
            "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1; Value '99999' at 'memorySize' "
            "failed to satisfy constraint: Member must have value less than or equal to 10240");
  EXPECT_TRUE(ErrorOf({{"EphemeralStorage", {{"Size", 100}}}}).find("'ephemeralStorage.size'") !=
              std::string::npos);
  EXPECT_TRUE(ErrorOf({{"Role", "not-a-role"}}).find("at 'role'") != std::string::npos);
  EXPECT_TRUE(ErrorOf({{"TracingConfig", {{"Mode", "On"}}}}).find("[Active, PassThrough]") !=
              std::string::npos);
  std::string runtime = ErrorOf({{"Runtime", "cobol85"}});
  EXPECT_TRUE(
      runtime.starts_with("Value cobol85 at 'runtime' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [nodejs,"))
      << runtime;
  EXPECT_TRUE(runtime.ends_with("] or be a valid ARN"));
  EXPECT_TRUE(ErrorOf({{"Timeout", "3"}}).starts_with("Could not parse request body into json"));
}

TEST(FunctionRequestTest, MatchesModelPatterns) {
  auto role_ok = [](const std::string& role) { return ParseConfigUpdate({{"Role", role}}).ok(); };
  EXPECT_TRUE(role_ok("arn:aws:iam::123456789012:role/x"));
  EXPECT_TRUE(role_ok("arn:aws:iam::000000000000:role/service-role/my.role+=,@-_"));
  EXPECT_TRUE(role_ok("arn:aws-cn:iam::000000000000:role/x"));
  EXPECT_TRUE(role_ok("arn::iam::000000000000:role/x"));
  EXPECT_FALSE(role_ok("arn:aws:iam::12345:role/x"));
  EXPECT_FALSE(role_ok("arn:aws:iam::123456789012:role"));
  EXPECT_FALSE(role_ok("arn:aws:iam::123456789012:user/x"));
  EXPECT_FALSE(role_ok("arn:gcp:iam::123456789012:role/x"));
  EXPECT_FALSE(role_ok("arn:aws:iam::123456789012:role/has space"));
  EXPECT_TRUE(ParseConfigUpdate({{"Handler", "index.handler"}}).ok());
  EXPECT_FALSE(ParseConfigUpdate({{"Handler", "index handler"}}).ok());
  EXPECT_FALSE(ParseConfigUpdate({{"Handler", ""}}).ok());
  EXPECT_TRUE(IsValidQualifier("$LATEST"));
  EXPECT_TRUE(IsValidQualifier("12"));
  EXPECT_TRUE(IsValidQualifier("live-2_b"));
  EXPECT_FALSE(IsValidQualifier(""));
  EXPECT_FALSE(IsValidQualifier("$latest"));
  EXPECT_FALSE(IsValidQualifier("a:b"));
  EXPECT_FALSE(IsValidQualifier(std::string(129, 'a')));
}

TEST(FunctionRequestTest, ChecksEnvironment) {
  std::string big(5000, 'x');
  EXPECT_TRUE(ErrorOf({{"Environment", {{"Variables", {{"BIG", big}}}}}})
                  .starts_with("Lambda was unable to configure your environment variables "
                               "because the environment variables you have provided exceeded "
                               "the 4KB limit. String measured: {\"BIG\":\"xxx"));
  EXPECT_TRUE(ErrorOf({{"Environment", {{"Variables", {{"AWS_REGION", "x"}}}}}})
                  .ends_with("Reserved keys used in this request: AWS_REGION"));
  EXPECT_TRUE(ErrorOf({{"Environment", {{"Variables", {{"1BAD", "x"}}}}}})
                  .starts_with("1 validation error detected"));
  EXPECT_TRUE(ErrorOf({{"Environment", {{"Variables", {{"NUM", 1}}}}}})
                  .starts_with("Could not parse request body into json"));
}

// A NUL would end the string in the process's environment (and once forged launcher fields).
TEST(FunctionRequestTest, RefusesNulInEnvironment) {
  std::string value("a");
  value.push_back('\0');
  value += "b";
  auto update =
      ParseConfigUpdate({{"Environment", {{"Variables", {{"OK", "x"}, {"VAL", value}}}}}});
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(update.status().message(),
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains invalid characters. Variable: VAL");
  std::string key("K");
  key.push_back('\0');
  EXPECT_TRUE(ErrorOf({{"Environment", {{"Variables", {{key, "x"}}}}}})
                  .starts_with("1 validation error detected"));
}

TEST(FunctionRequestTest, ParsesArchitecturesTagsAndNames) {
  auto arch = ParseArchitectures({{"Architectures", {"arm64"}}});
  ASSERT_TRUE(arch.ok());
  EXPECT_EQ(arch->value(), "arm64");
  EXPECT_FALSE(ParseArchitectures({{"Architectures", {"arm64", "x86_64"}}}).ok());
  EXPECT_FALSE(ParseArchitectures({{"Architectures", {"sparc"}}}).ok());
  EXPECT_FALSE(ParseArchitectures(json::object())->has_value());

  EXPECT_TRUE(ParseTags({{"a", "b"}}).ok());
  EXPECT_FALSE(ParseTags({{"a", 1}}).ok());

  EXPECT_EQ(*ValidateNewFunctionName("arn:aws:lambda:us-east-1:000000000000:function:f"), "f");
  EXPECT_FALSE(ValidateNewFunctionName("f:1").ok());
  EXPECT_FALSE(ValidateNewFunctionName("bad name").ok());
  EXPECT_TRUE(ValidateAliasName("live").ok());
  EXPECT_TRUE(ValidateAliasName("v1").ok());
  EXPECT_FALSE(ValidateAliasName("12").ok());
  EXPECT_FALSE(ValidateAliasName("a:b").ok());

  EXPECT_FALSE(ParseJsonObject("{").ok());
  EXPECT_FALSE(ParseJsonObject("[1]").ok());
  EXPECT_TRUE(ParseJsonObject("")->is_object());
  EXPECT_FALSE(DecodeZipFile("!!!").ok());
}

}  // namespace
}  // namespace thaw::lambda
