// Fuzzes the control plane's request decoding: the route of a method and path, then the JSON
// body through every decoder CreateFunction, UpdateFunctionConfiguration, UpdateFunctionCode and
// TagResource use (ParseJsonObject, ParseConfigUpdate, ParseArchitectures, ParseTags,
// DecodeZipFile, the name checks). Input: "METHOD PATH\n" then the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lambda/function_request.h"
#include "lambda/route.h"

namespace lambda = thaw::lambda;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view head = input.substr(0, input.find('\n'));
  std::string_view body = head.size() < input.size() ? input.substr(head.size() + 1) : "";
  std::string_view method = head.substr(0, head.find(' '));
  std::string_view path = method.size() < head.size() ? head.substr(method.size() + 1) : "";
  if (auto route = lambda::MatchRoute(method, path)) {
    lambda::OpName(route->op);
    (void)lambda::ValidateNewFunctionName(route->function_name);
    (void)lambda::ValidateAliasName(route->alias);
    lambda::IsValidQualifier(route->alias);
  }

  auto json = lambda::ParseJsonObject(body);
  if (!json.ok()) return 0;
  auto update = lambda::ParseConfigUpdate(*json);
  if (update.ok()) lambda::ApplyConfigUpdate(lambda::FunctionConfig{}, *update);
  (void)lambda::ParseArchitectures(*json);
  for (const char* key : {"Tags", "Code", "ZipFile", "FunctionName", "Name", "FunctionVersion"}) {
    auto it = json->find(key);
    if (it == json->end()) continue;
    (void)lambda::ParseTags(*it);
    (void)lambda::DecodeZipFile(*it);
    if (it->is_object() && it->contains("ZipFile")) (void)lambda::DecodeZipFile((*it)["ZipFile"]);
    if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      (void)lambda::ValidateNewFunctionName(s);
      (void)lambda::ValidateAliasName(s);
      lambda::IsValidQualifier(s);
      lambda::IsKnownRuntime(s);
    }
  }
  for (const char* key : {"Description", "RevisionId", "Qualifier"}) {
    (void)lambda::OptionalString(*json, key);
  }
  (void)lambda::OptionalInt(*json, "ReservedConcurrentExecutions");
  (void)lambda::OptionalBool(*json, "Publish");
  return 0;
}
