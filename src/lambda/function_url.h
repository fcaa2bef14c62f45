// FunctionUrlConfig: a function URL (Create/Get/Update/Delete/ListFunctionUrlConfigs), one per
// qualifier (the unqualified function, or an alias): its auth type, CORS and invoke mode. The
// URL id is random, chosen at creation and kept across restarts: a NONE URL answers anyone who
// can reach the port (any web page can send a request to a loopback name), so its address must
// not be guessable from the function's name. Parsing checks bodies as AWS does; Render gives the
// API's shape. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::lambda {

struct UrlCors {
  std::optional<bool> allow_credentials;
  std::vector<std::string> allow_headers;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_origins;
  std::vector<std::string> expose_headers;
  std::optional<int64_t> max_age;
  bool operator==(const UrlCors&) const = default;
};

struct FunctionUrlConfig {
  std::string url_id;                    // 32 lowercase alphanumerics
  std::string auth_type = "NONE";        // NONE | AWS_IAM
  std::string invoke_mode = "BUFFERED";  // BUFFERED | RESPONSE_STREAM
  std::optional<UrlCors> cors;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  bool operator==(const FunctionUrlConfig&) const = default;
};

// A new URL id: 32 random lower-case hex digits.
std::string NewUrlId();
// "http://<id>.lambda-url.us-east-1.localhost:<port>/": thaw serves plain HTTP on a loopback
// name, where AWS has https://<id>.lambda-url.<region>.on.aws/.
std::string UrlHostName(std::string_view url_id);
std::string FunctionUrl(std::string_view url_id, uint16_t port);
// The URL id of a Host header value ("<id>.lambda-url.us-east-1.localhost[:port]", any case),
// or "" when the host is not a function URL's.
std::string UrlIdOfHost(std::string_view host);

// Create (base null: AuthType required) or Update (merged onto *base; a Cors replaces the old).
StatusOr<FunctionUrlConfig> ParseFunctionUrlConfig(const nlohmann::json& body,
                                                   const FunctionUrlConfig* base);

// {"FunctionUrl", "FunctionArn", "AuthType", "Cors"?, "CreationTime", "LastModifiedTime"?,
// "InvokeMode"}; LastModifiedTime is left out of Create's answer, as AWS does.
nlohmann::json RenderFunctionUrlConfig(const FunctionUrlConfig& config,
                                       const std::string& function_arn, uint16_t port,
                                       bool with_modified = true);

std::string FunctionUrlToStorage(const FunctionUrlConfig& config);
FunctionUrlConfig FunctionUrlFromStorage(const std::string& text);

}  // namespace thaw::lambda
