#include "sandbox/extension_env.h"

#include <gtest/gtest.h>

namespace thaw::sandbox {
namespace {

TEST(ExtensionEnvTest, DropsRuntimeOnlyVariables) {
  std::vector<std::string> env = {"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001",
                                  "AWS_LAMBDA_FUNCTION_NAME=f",
                                  "AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
                                  "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/f",
                                  "AWS_LAMBDA_LOG_STREAM_NAME=s",
                                  "LAMBDA_TASK_ROOT=/var/task",
                                  "LAMBDA_RUNTIME_DIR=/var/runtime",
                                  "_HANDLER=bootstrap",
                                  "_X_AMZN_TRACE_ID=x",
                                  "AWS_XRAY_DAEMON_ADDRESS=1",
                                  "MY_VAR=1",
                                  "PATH=/usr/bin"};
  EXPECT_EQ(ExtensionEnv(env),
            (std::vector<std::string>{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001",
                                      "AWS_LAMBDA_FUNCTION_NAME=f", "MY_VAR=1", "PATH=/usr/bin"}));
}

}  // namespace
}  // namespace thaw::sandbox
