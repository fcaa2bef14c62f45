#include "cli/lambda_calls.h"

#include <cstdlib>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/aws_errors.h"
#include "cli/json_fields.h"

namespace thaw::cli {

using nlohmann::json;

namespace {

constexpr size_t kMaxErrorBodyChars = 300;
constexpr int kMaxListPages = 10'000;

}  // namespace

auth::Credentials LocalCredentials() {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (key && *key && secret && *secret) {
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    return {key, secret, token ? token : ""};
  }
  return {kLocalAccessKeyId, kLocalSecretAccessKey, ""};
}

StatusOr<std::unique_ptr<http::Client>> Connect(const std::string& endpoint,
                                                const std::string& service) {
  return ConnectAs(endpoint, "", service);
}

StatusOr<std::unique_ptr<http::Client>> ConnectAs(const std::string& endpoint,
                                                  const std::string& account,
                                                  const std::string& service) {
  http::ClientOptions options;
  options.credentials = LocalCredentials();
  options.service = service;
  if (!account.empty()) options.credentials->access_key_id = account;
  auto client = http::Client::Create(endpoint, std::move(options));
  if (!client.ok()) {
    return Status::InvalidArgument("bad --endpoint (or THAW_ENDPOINT): " +
                                   client.status().message());
  }
  return std::move(client).value();
}

std::string FunctionTarget(std::string_view name, std::string_view suffix,
                           std::string_view qualifier) {
  std::string target = std::string(kFunctionsPath) + "/" + http::PercentEncode(name);
  target += suffix;
  if (!qualifier.empty()) target += "?Qualifier=" + http::PercentEncode(qualifier);
  return target;
}

StatusOr<http::Response> Send(http::Client& client, const std::string& method,
                              const std::string& target, const std::string& body,
                              const http::Headers& headers, int64_t timeout_ms) {
  return client.Do(method, target, headers, body, timeout_ms);
}

StatusOr<json> CallJson(http::Client& client, const std::string& method, const std::string& target,
                        const json* body) {
  http::Headers headers;
  std::string text;
  if (body != nullptr) {
    headers.Set("Content-Type", "application/json");
    text = DumpJson(*body);
  }
  THAW_ASSIGN_OR_RETURN(http::Response response, Send(client, method, target, text, headers));
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  if (response.body.empty()) return json();
  json parsed = json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::Internal(method + " " + target + " answered with non-JSON: " +
                            OneLine(response.body, kMaxErrorBodyChars));
  }
  return parsed;
}

StatusOr<std::optional<json>> FindFunction(http::Client& client, const std::string& name) {
  THAW_ASSIGN_OR_RETURN(http::Response response, Send(client, "GET", FunctionTarget(name)));
  if (response.status == 404) {
    AwsError error = ParseAwsError(response);
    if (error.type.empty() || error.type == "ResourceNotFoundException") {
      return std::optional<json>();
    }
  }
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("Configuration")) {
    return Status::Internal("GetFunction " + name + " answered without a Configuration");
  }
  return std::optional<json>(std::move(body["Configuration"]));
}

StatusOr<std::vector<json>> ListAllFunctions(http::Client& client) {
  std::vector<json> functions;
  std::string marker;
  for (int page = 0; page < kMaxListPages; ++page) {
    std::string target = std::string(kFunctionsPath) + "/?MaxItems=50";
    if (!marker.empty()) target += "&Marker=" + http::PercentEncode(marker);
    THAW_ASSIGN_OR_RETURN(json answer, CallJson(client, "GET", target));
    if (!answer.is_object()) return Status::Internal("ListFunctions answered with a non-object");
    auto it = answer.find("Functions");
    if (it != answer.end() && it->is_array()) {
      for (const json& function : *it) functions.push_back(function);
    }
    std::string next = JsonString(answer, "NextMarker");
    if (next.empty()) return functions;
    if (next == marker) return Status::Internal("ListFunctions repeated NextMarker " + next);
    marker = std::move(next);
  }
  return Status::Internal("ListFunctions did not finish after " + std::to_string(kMaxListPages) +
                          " pages");
}

}  // namespace thaw::cli
