#include "invoker/runtime_env.h"

#include <map>
#include <string_view>

#include "auth/access.h"
#include "lambda/managed_runtime.h"

namespace thaw::invoker {

namespace {
// Managed runtimes get AWS_EXECUTION_ENV; OS-only runtimes (provided*) do not.
std::string ExecutionEnv(const std::string& runtime) {
  if (runtime.empty() || runtime.rfind("provided", 0) == 0) return "";
  return "AWS_Lambda_" + runtime;
}
}  // namespace

std::string NodePath(const std::string& runtime, const std::string& runtime_dir,
                     const std::string& task_root) {
  // "nodejs20.x" -> "20": layers may keep modules per major (/opt/nodejs/node20/node_modules).
  std::string major = runtime.substr(std::string_view("nodejs").size());
  major = major.substr(0, major.find_first_not_of("0123456789"));
  std::string out;
  if (!major.empty()) out = "/opt/nodejs/node" + major + "/node_modules:";
  return out + "/opt/nodejs/node_modules:" + runtime_dir + "/node_modules:" + runtime_dir + ":" +
         task_root;
}

std::vector<std::string> BuildRuntimeEnv(const RuntimeEnvInputs& in) {
  const lambda::FunctionConfig& c = *in.config;
  std::map<std::string, std::string> env;
  // Unreserved defaults a function may override.
  env["TZ"] = ":UTC";
  env["LANG"] = "en_US.UTF-8";
  env["PATH"] = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin";
  env["LD_LIBRARY_PATH"] =
      "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
      "/opt/lib";
  env["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR";
  env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:2000";
  env["AWS_ENDPOINT_URL"] = in.endpoint_url;
  // Python's runtime: the tree's awslambdaric and boto3 (its bootstrap puts /var/task and
  // /opt/python first).
  const std::string family = lambda::ManagedFamily(c.runtime);
  if (family == "python") env["PYTHONPATH"] = in.runtime_dir;
  if (family == "nodejs") env["NODE_PATH"] = NodePath(c.runtime, in.runtime_dir, in.task_root);
  for (const auto& [k, v] : c.environment) {
    // rapid drops customer keys starting with '_' (they are the platform's).
    if (!k.empty() && k[0] == '_') continue;
    env[k] = v;
  }
  // Reserved: the platform's values always win.
  env["AWS_LAMBDA_FUNCTION_NAME"] = c.name;
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(c.memory_mb);
  env["AWS_LAMBDA_FUNCTION_VERSION"] = in.version;
  env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + c.name;
  env["AWS_LAMBDA_LOG_STREAM_NAME"] = in.log_stream;
  env["AWS_LAMBDA_RUNTIME_API"] = in.runtime_api;
  env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
  env["AWS_REGION"] = lambda::kRegion;
  env["AWS_DEFAULT_REGION"] = lambda::kRegion;
  auth::Credentials credentials =
      auth::FunctionCredentials(lambda::FunctionArn(c.key()), in.credential_key);
  env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id;
  env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key;
  env["AWS_SESSION_TOKEN"] = credentials.session_token;
  // LoggingConfig JSON: the language runtimes (awslambdaric) log JSON at the function's level.
  if (c.log_format == "JSON") {
    env["AWS_LAMBDA_LOG_FORMAT"] = "JSON";
    env["AWS_LAMBDA_LOG_LEVEL"] =
        c.application_log_level.empty() ? "INFO" : c.application_log_level;
  }
  env["_HANDLER"] = c.handler;
  env["LAMBDA_TASK_ROOT"] = in.task_root;
  env["LAMBDA_RUNTIME_DIR"] = in.runtime_dir;
  env["_AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1";
  env["_AWS_XRAY_DAEMON_PORT"] = "2000";
  std::string exec_env = ExecutionEnv(c.runtime);
  if (!exec_env.empty()) env["AWS_EXECUTION_ENV"] = exec_env;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) {
    std::string kv = k;
    kv += '=';
    kv += v;
    out.push_back(std::move(kv));
  }
  return out;
}

}  // namespace thaw::invoker
