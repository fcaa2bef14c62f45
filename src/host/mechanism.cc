#include "host/mechanism.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace thaw::host {

std::string EntryPath() {
  const char* root = getenv("LAMBDA_TASK_ROOT");
  const char* handler = getenv("_HANDLER");
  std::string dir = root && *root ? root : "/var/task";
  std::string name = handler && *handler ? handler : "bootstrap";
  if (name.front() == '/') return name;
  return dir + "/" + name;
}

std::string ErrorJson(const std::string& type, const std::string& message,
                      const std::string& stack_trace_json) {
  nlohmann::ordered_json j;
  j["errorMessage"] = message;
  j["errorType"] = type;
  if (!stack_trace_json.empty()) {
    j["stackTrace"] = nlohmann::ordered_json::parse(stack_trace_json, nullptr, false);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace thaw::host
