#include "invoker/runtime_env.h"

#include <map>

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> m;
  for (const auto& kv : env) {
    size_t eq = kv.find('=');
    m[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return m;
}

TEST(RuntimeEnvTest, SetsLambdaVariablesAndKeepsCustomerOnes) {
  lambda::FunctionConfig c;
  c.name = "fn";
  c.runtime = "provided.al2023";
  c.handler = "bootstrap";
  c.memory_mb = 256;
  c.environment = {
      {"USER_X", "1"}, {"AWS_REGION", "eu-west-1"}, {"_HIDDEN", "no"}, {"TZ", "Europe/Paris"}};
  RuntimeEnvInputs in{
      &c,      "$LATEST", "2024/01/02/[$LATEST]abc", "127.0.0.1:4000", "http://127.0.0.1:9001",
      "/code", "key"};
  auto env = AsMap(BuildRuntimeEnv(in));
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "fn");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/fn");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_STREAM_NAME"], "2024/01/02/[$LATEST]abc");
  EXPECT_EQ(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:4000");
  EXPECT_EQ(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:9001");
  EXPECT_EQ(env["_HANDLER"], "bootstrap");
  EXPECT_EQ(env["USER_X"], "1");
  EXPECT_EQ(env["AWS_REGION"], "us-east-1");  // reserved: the platform wins
  EXPECT_EQ(env["TZ"], "Europe/Paris");       // unreserved: the customer wins
  EXPECT_EQ(env.count("_HIDDEN"), 0u);
  EXPECT_EQ(env.count("AWS_EXECUTION_ENV"), 0u);  // not set for provided runtimes
  EXPECT_FALSE(env["AWS_ACCESS_KEY_ID"].empty());
  EXPECT_EQ(env.count("_LAMBDA_SERVER_PORT"), 0u);
  EXPECT_EQ(env.count("AWS_LAMBDA_MAX_CONCURRENCY"), 0u);
}

TEST(RuntimeEnvTest, ManagedRuntimesGetExecutionEnv) {
  lambda::FunctionConfig c;
  c.name = "py";
  c.runtime = "python3.12";
  RuntimeEnvInputs in{&c, "1", "s", "127.0.0.1:1", "http://x", "/code", "key"};
  auto env = AsMap(BuildRuntimeEnv(in));
  EXPECT_EQ(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.12");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "1");
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"], "/code");
  EXPECT_EQ(env["LAMBDA_RUNTIME_DIR"], "/var/runtime");
  EXPECT_EQ(env["PYTHONPATH"], "/var/runtime");
}

// Without a sandbox the runtime's tree is used where it lies on the host.
TEST(RuntimeEnvTest, RuntimeDirFollowsWhereTheTreeIsSeen) {
  lambda::FunctionConfig c;
  c.runtime = "python3.13";
  c.environment = {{"PYTHONPATH", "/mine"}};
  RuntimeEnvInputs in{&c, "1", "s", "127.0.0.1:1", "http://x", "/code", "key", "/host/python"};
  auto env = AsMap(BuildRuntimeEnv(in));
  EXPECT_EQ(env["LAMBDA_RUNTIME_DIR"], "/host/python");
  EXPECT_EQ(env["PYTHONPATH"], "/mine");  // not reserved: the customer's wins, as on AWS
  c.runtime = "provided.al2023";
  c.environment.clear();
  EXPECT_EQ(AsMap(BuildRuntimeEnv(in)).count("PYTHONPATH"), 0u);
}

TEST(RuntimeEnvTest, NodeGetsNodePathAsLambdaSetsIt) {
  lambda::FunctionConfig c;
  c.runtime = "nodejs20.x";
  RuntimeEnvInputs in{&c, "1", "s", "127.0.0.1:1", "http://x", "/var/task", "key"};
  auto env = AsMap(BuildRuntimeEnv(in));
  EXPECT_EQ(env["NODE_PATH"],
            "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:"
            "/var/runtime:/var/task");
  EXPECT_EQ(env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs20.x");
  EXPECT_EQ(env["LAMBDA_RUNTIME_DIR"], "/var/runtime");
  EXPECT_EQ(env["AWS_ENDPOINT_URL"], "http://x");
  EXPECT_EQ(env.count("PYTHONPATH"), 0u);
  // A customer's NODE_PATH wins (not reserved); other runtimes get none.
  c.environment = {{"NODE_PATH", "/mine"}};
  EXPECT_EQ(AsMap(BuildRuntimeEnv(in))["NODE_PATH"], "/mine");
  c.environment.clear();
  c.runtime = "python3.12";
  EXPECT_EQ(AsMap(BuildRuntimeEnv(in)).count("NODE_PATH"), 0u);
}

TEST(RuntimeEnvTest, NodePathFollowsTheMajorAndTheTree) {
  EXPECT_EQ(NodePath("nodejs22.x", "/host/nodejs", "/code"),
            "/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/host/nodejs/node_modules:"
            "/host/nodejs:/code");
  EXPECT_EQ(NodePath("nodejs", "/var/runtime", "/var/task"),
            "/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task");
  EXPECT_EQ(NodePath("nodejs4.3-edge", "/r", "/t").substr(0, 33),
            "/opt/nodejs/node4/node_modules:/o");
}

TEST(RuntimeEnvTest, JsonLoggingTellsTheRuntime) {
  lambda::FunctionConfig c;
  c.runtime = "python3.12";
  RuntimeEnvInputs in{&c, "1", "s", "127.0.0.1:1", "http://x", "/code", "key"};
  EXPECT_EQ(AsMap(BuildRuntimeEnv(in)).count("AWS_LAMBDA_LOG_FORMAT"), 0u);
  c.log_format = "JSON";
  auto env = AsMap(BuildRuntimeEnv(in));
  EXPECT_EQ(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_LEVEL"], "INFO");
  c.application_log_level = "DEBUG";
  EXPECT_EQ(AsMap(BuildRuntimeEnv(in))["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");
}

// A function's credentials are its role's temporary ones, its own: not one shared admin key.
TEST(RuntimeEnvTest, CredentialsAreTheFunctionsOwn) {
  lambda::FunctionConfig a, b;
  a.name = "a";
  b.name = "b";
  RuntimeEnvInputs in{&a, "1", "s", "127.0.0.1:1", "http://x", "/code", "key"};
  auto env_a = AsMap(BuildRuntimeEnv(in));
  in.config = &b;
  auto env_b = AsMap(BuildRuntimeEnv(in));
  EXPECT_TRUE(env_a["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
  EXPECT_EQ(env_a["AWS_ACCESS_KEY_ID"].size(), 20u);
  EXPECT_FALSE(env_a["AWS_SESSION_TOKEN"].empty());
  EXPECT_NE(env_a["AWS_ACCESS_KEY_ID"], env_b["AWS_ACCESS_KEY_ID"]);
  EXPECT_NE(env_a["AWS_SECRET_ACCESS_KEY"], env_b["AWS_SECRET_ACCESS_KEY"]);
  EXPECT_NE(env_a["AWS_SESSION_TOKEN"], env_b["AWS_SESSION_TOKEN"]);
}

}  // namespace
}  // namespace thaw::invoker
