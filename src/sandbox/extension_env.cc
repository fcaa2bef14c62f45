#include "sandbox/extension_env.h"

#include <string_view>

namespace thaw::sandbox {

std::vector<std::string> ExtensionEnv(const std::vector<std::string>& runtime_env) {
  static constexpr std::string_view kDropped[] = {
      "AWS_EXECUTION_ENV",        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
      "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",   "LAMBDA_RUNTIME_DIR",
      "LAMBDA_TASK_ROOT"};
  std::vector<std::string> out;
  for (const std::string& entry : runtime_env) {
    std::string_view key = std::string_view(entry).substr(0, entry.find('='));
    if (key.empty() || key[0] == '_') continue;
    bool dropped = false;
    for (std::string_view d : kDropped) dropped = dropped || key == d;
    if (!dropped) out.push_back(entry);
  }
  return out;
}

}  // namespace thaw::sandbox
