// SQS's two wire protocols, as pure functions: parsers that turn a JSON 1.0 request
// (X-Amz-Target: AmazonSQS.<Op>) or a query request (form Action=<Op>&...) into one input shape
// (the JSON protocol's), and renderers that turn an output or an error back into either.
// Query errors are XML with the query code (AWS.SimpleQueueService.NonExistentQueue); JSON errors
// carry the short type in __type and the query code in x-amzn-query-error, which botocore reads.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.h"

namespace thaw::sqs {

inline constexpr std::string_view kTargetPrefix = "AmazonSQS.";
inline constexpr char kXmlNamespace[] = "http://queue.amazonaws.com/doc/2012-11-05/";

// An error as the JSON protocol names it ("QueueDoesNotExist", "InvalidParameterValue").
struct Error {
  std::string code;
  std::string message;
  int status = 400;
  bool sender = true;
};

Error MakeError(std::string code, std::string message);

// The query protocol's code for a JSON error type (QueueDoesNotExist ->
// AWS.SimpleQueueService.NonExistentQueue).
std::string QueryCode(std::string_view code);

// Query parameters as the JSON protocol's input: "Attribute.1.Name"/"Attribute.1.Value" become
// "Attributes": {...}, "SendMessageBatchRequestEntry.2.MessageBody" becomes
// "Entries"[1]["MessageBody"], and so on. Integer members become numbers when they parse.
nlohmann::json QueryToInput(std::string_view operation,
                            const std::vector<std::pair<std::string, std::string>>& params);

http::Response RenderJson(const nlohmann::json& output);
http::Response RenderJsonError(const Error& error);
// <OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata>...</OpResponse>
http::Response RenderXml(std::string_view operation, const nlohmann::json& output,
                         std::string_view request_id);
http::Response RenderXmlError(const Error& error, std::string_view request_id);

}  // namespace thaw::sqs
