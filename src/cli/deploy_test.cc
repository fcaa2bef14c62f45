#include "cli/deploy.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "cli/aws_errors.h"
#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

constexpr char kFn[] = "/2015-03-31/functions/hello";

std::string Settled() {
  return R"({"FunctionName":"hello","State":"Active","LastUpdateStatus":"Successful"})";
}

TEST(DeployTest, ArchitectureIsRequestedElseExistingElseX86) {
  json existing = {{"FunctionName", "hello"}, {"Architectures", {"arm64"}}};
  EXPECT_EQ(ResolveArchitecture(std::nullopt, existing), "arm64");
  EXPECT_EQ(ResolveArchitecture("x86_64", existing), "x86_64");
  EXPECT_EQ(ResolveArchitecture(std::nullopt, std::nullopt), "x86_64");
}

TEST(DeployTest, CreatesWhenMissing) {
  FakeClient client;
  client.Expect("POST", "/2015-03-31/functions",
                MakeResponse(201, R"({"FunctionName":"hello","CodeSha256":"abc=","CodeSize":42,)"
                                  R"("State":"Pending"})"));
  client.Expect("GET", std::string(kFn) + "/configuration",
                MakeResponse(200, R"({"State":"Pending","LastUpdateStatus":"InProgress"})"));
  client.Expect("GET", std::string(kFn) + "/configuration", MakeResponse(200, Settled()));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "ZIPBYTES";
  spec.memory_mb = 256;
  spec.environment = EnvVars{{"AB", "1"}};
  spec.architecture = "arm64";
  spec.poll_interval_ms = 0;
  std::ostringstream progress;
  StatusOr<DeployResult> result = DeployFunction(client, spec, std::nullopt, &progress);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->code_sha256, "abc=");
  EXPECT_EQ(result->code_size, 42);
  EXPECT_EQ(result->version, "$LATEST");
  EXPECT_EQ(FormatDeploySummary("hello", *result),
            "deployed hello (created): CodeSha256=abc= CodeSize=42 Version=$LATEST");

  json body = json::parse(client.calls[0].body);
  EXPECT_EQ(body["FunctionName"], "hello");
  EXPECT_EQ(body["Runtime"], "provided.al2023");
  EXPECT_EQ(body["Role"], kLocalRole);
  EXPECT_EQ(body["Handler"], "bootstrap");
  EXPECT_EQ(body["Code"]["ZipFile"], Base64Encode("ZIPBYTES"));
  EXPECT_EQ(body["MemorySize"], 256);
  EXPECT_FALSE(body.contains("Timeout"));
  EXPECT_EQ(body["Environment"]["Variables"]["AB"], "1");
  EXPECT_EQ(body["Architectures"], json::array({"arm64"}));
  EXPECT_NE(progress.str().find("creating function hello"), std::string::npos);
}

TEST(DeployTest, UpdatesCodeThenConfigurationThenPublishes) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect(
      "PUT", std::string(kFn) + "/code",
      MakeResponse(200, R"({"CodeSha256":"new=","CodeSize":7,"LastUpdateStatus":"InProgress"})"));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("PUT", config_target, MakeResponse(200, Settled()));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("POST", std::string(kFn) + "/versions", MakeResponse(201, R"({"Version":"3"})"));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "Z";
  spec.timeout_s = 30;
  spec.runtime = "provided.al2";
  spec.runtime_given = true;
  spec.publish = true;
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> result = DeployFunction(client, spec, json::object(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_FALSE(result->created);
  EXPECT_EQ(FormatDeploySummary("hello", *result),
            "deployed hello (updated): CodeSha256=new= CodeSize=7 Version=3");
  EXPECT_EQ(json::parse(client.calls[1].body), json({{"ZipFile", Base64Encode("Z")}}));
  EXPECT_EQ(json::parse(client.calls[3].body),
            json({{"Timeout", 30}, {"Runtime", "provided.al2"}}));
}

TEST(DeployTest, CodeOnlyUpdateSkipsConfiguration) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  client.Expect("PUT", std::string(kFn) + "/code", MakeResponse(200, R"({"CodeSha256":"s"})"));
  client.Expect("GET", config_target, MakeResponse(200, Settled()));
  DeploySpec spec;
  spec.name = "hello";
  spec.zip = "Z";
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> result = DeployFunction(client, spec, json::object(), nullptr);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(client.Done());
  EXPECT_EQ(result->code_size, 1);  // falls back to the zip's size
}

TEST(DeployTest, FailedStateAndStuckUpdateAreErrors) {
  FakeClient client;
  std::string config_target = std::string(kFn) + "/configuration";
  client.Expect("POST", "/2015-03-31/functions", MakeResponse(201, R"({"CodeSha256":"s"})"));
  client.Expect("GET", config_target,
                MakeResponse(200, R"({"State":"Failed","StateReason":"bad zip"})"));
  DeploySpec spec;
  spec.name = "hello";
  spec.poll_interval_ms = 0;
  StatusOr<DeployResult> failed = DeployFunction(client, spec, std::nullopt, nullptr);
  EXPECT_EQ(failed.status().message(), "function hello failed: bad zip");

  FakeClient stuck;
  spec.max_polls = 2;
  stuck.Expect("GET", config_target, MakeResponse(200, R"({"LastUpdateStatus":"InProgress"})"));
  stuck.Expect("GET", config_target, MakeResponse(200, R"({"LastUpdateStatus":"InProgress"})"));
  StatusOr<DeployResult> r = DeployFunction(stuck, spec, json::object(), nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("thaw get hello"), std::string::npos);
}

TEST(DeployTest, ServiceErrorStopsTheDeploy) {
  FakeClient client;
  client.Expect(
      "POST", "/2015-03-31/functions",
      MakeResponse(
          413,
          R"({"Type":"User","Message":"Request must be smaller than 70167211 bytes for the CreateFunction operation"})",
          {{"x-amzn-ErrorType", "RequestEntityTooLargeException"}}));
  DeploySpec spec;
  spec.name = "hello";
  StatusOr<DeployResult> r = DeployFunction(client, spec, std::nullopt, nullptr);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ExitCodeFor(r.status()), kExitFailure);
  EXPECT_EQ(client.calls.size(), 1u);
}

}  // namespace
}  // namespace thaw::cli
