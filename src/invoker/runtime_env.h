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
};

// "KEY=value" strings, customer variables first overridden by reserved ones.
std::vector<std::string> BuildRuntimeEnv(const RuntimeEnvInputs& in);

// Credentials handed to every function; thaw accepts any credentials.
inline constexpr char kAccessKeyId[] = "THAWLOCALACCESSKEY00";
inline constexpr char kSecretAccessKey[] = "thaw/local/secret/key/not/a/real/secret0";
inline constexpr char kSessionToken[] = "thaw-local-session-token";

}  // namespace thaw::invoker
