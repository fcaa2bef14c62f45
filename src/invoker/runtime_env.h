// The process environment Lambda gives a runtime (reference/lambda-runtime.md §2.1), built from
// a function's configuration. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lambda/function.h"

namespace thaw::invoker {

struct RuntimeEnvInputs {
  const lambda::FunctionConfig* config = nullptr;
  std::string version;       // "$LATEST" or a number
  std::string log_stream;    // this environment's stream
  std::string runtime_api;   // "127.0.0.1:PORT"
  std::string endpoint_url;  // thaw's front door, for AWS SDKs inside the function
  std::string task_root;     // where the code is (Lambda: /var/task)
  // The server's secret for deriving the function's credentials (auth::FunctionCredentials).
  std::string credential_key;
  // Where a managed runtime's tree is seen (Lambda: /var/runtime; the host's path without a
  // sandbox): LAMBDA_RUNTIME_DIR, Python's PYTHONPATH and Node's NODE_PATH.
  std::string runtime_dir = "/var/runtime";
};

// "KEY=value" strings, customer variables first overridden by reserved ones. The credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are the function's own, as
// Lambda's come from its execution role: what they may do is decided by the front door, which
// knows a function by its connection, whatever key it signs with.
std::vector<std::string> BuildRuntimeEnv(const RuntimeEnvInputs& in);

// NODE_PATH as Lambda's Node.js runtimes set it for `runtime` ("nodejs20.x"): the layers'
// /opt/nodejs/node20/node_modules and /opt/nodejs/node_modules, then the runtime's tree, then
// the task root.
std::string NodePath(const std::string& runtime, const std::string& runtime_dir,
                     const std::string& task_root);

}  // namespace thaw::invoker
