// AWS error responses in the shapes botocore parses. Stateless, thread-safe.
#pragma once

#include <string_view>

#include "http/message.h"

namespace thaw::http {

// REST-JSON services (Lambda): status, header x-amzn-ErrorType, body {"Type":..,"Message":..}.
// `fault` is "User" for 4xx-style client errors and "Service" for server faults.
Response RestJsonError(int status, std::string_view type, std::string_view message,
                       std::string_view fault = "User");

// JSON 1.0/1.1 services (CloudWatch Logs, DynamoDB, Kinesis): body {"__type":..,"message":..}.
Response JsonRpcError(int status, std::string_view type, std::string_view message);

// Query-protocol services (SQS's and SNS's XML): <ErrorResponse><Error><Type>Sender</Type>
// <Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>; the
// Type is Receiver for a 5xx status.
Response QueryXmlError(int status, std::string_view code, std::string_view message,
                       std::string_view request_id);

}  // namespace thaw::http
