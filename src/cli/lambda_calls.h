// Calls to the Lambda REST API (2015-03-31) of a thaw server: connecting with signed requests,
// targets, one request, JSON calls, GetFunction and ListFunctions. Free functions without shared
// state; thread-compatible (one thread per http::Client).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/client.h"
#include "http/message.h"

namespace thaw::cli {

inline constexpr char kFunctionsPath[] = "/2015-03-31/functions";
// Control-plane calls; a create or code update carries a zip of tens of MB.
inline constexpr int64_t kControlTimeoutMs = 120'000;

// The keys thaw's CLI signs with when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
// (the server does not verify signatures yet; it identifies functions by their connection).
inline constexpr char kLocalAccessKeyId[] = "AKIATHAWLOCALCLI0000";
inline constexpr char kLocalSecretAccessKey[] = "thaw-local-cli-secret-key-000000000000000";
// The environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the
// local keys above.
auth::Credentials LocalCredentials();

// Parses the endpoint; the connection is made by the first call. Every request is signed with
// SigV4 (LocalCredentials), as the front door requires, for `service` ("sns", ...; empty: the
// client's guess from each request, see http::ClientOptions).
StatusOr<std::unique_ptr<http::Client>> Connect(const std::string& endpoint,
                                                const std::string& service = "");
// The same, acting in `account` (12 digits): it signs with the account id as key id, which
// thaw takes for that account (with --verify-signatures, set a key of that account in
// AWS_ACCESS_KEY_ID instead). An empty account is Connect(endpoint).
StatusOr<std::unique_ptr<http::Client>> ConnectAs(const std::string& endpoint,
                                                  const std::string& account,
                                                  const std::string& service = "");

// "/2015-03-31/functions/NAME" + suffix ("/code", "/invocations", ...) + "?Qualifier=Q" when
// qualifier is non-empty. Name and qualifier are percent-encoded.
std::string FunctionTarget(std::string_view name, std::string_view suffix = "",
                           std::string_view qualifier = "");

// Sends one request and returns the answer whatever its HTTP status; Unavailable when the server
// cannot be reached. timeout_ms = 0 waits forever.
StatusOr<http::Response> Send(http::Client& client, const std::string& method,
                              const std::string& target, const std::string& body = "",
                              const http::Headers& headers = {},
                              int64_t timeout_ms = kControlTimeoutMs);

// Sends `body` (when not null) as JSON and returns the parsed JSON answer (null for an empty
// body). Non-2xx answers become ResponseStatus errors; a non-JSON 2xx body is Internal.
StatusOr<nlohmann::json> CallJson(http::Client& client, const std::string& method,
                                  const std::string& target, const nlohmann::json* body = nullptr);

// GetFunction's Configuration, or nullopt when the server answers 404 ResourceNotFoundException.
StatusOr<std::optional<nlohmann::json>> FindFunction(http::Client& client, const std::string& name);

// ListFunctions, following NextMarker until it is absent or empty.
StatusOr<std::vector<nlohmann::json>> ListAllFunctions(http::Client& client);

}  // namespace thaw::cli
