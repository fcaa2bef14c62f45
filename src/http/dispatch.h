// Dispatch: which AWS service a request on the front door is for, read from what the request
// carries, in this order:
//   1. thaw's own paths (/thaw/...) are service "thaw", whatever the signature's scope (thaw's
//      tools sign them as lambda, GetFunction's Code.Location as s3);
//   2. the SigV4 credential scope's service (Authorization header, or X-Amz-Credential of a
//      presigned query); X-Amz-Target, when there is one, must be that service's (a
//      DynamoDBStreams_20120810 target is signed as dynamodb), else `error` says they disagree;
//   3. without a scope (an unsigned request: refused, or exempt from signing), the X-Amz-Target
//      prefix, then the query protocol's Action (SQS's or SNS's; from the URL's query, or from a
//      form body once it has been read), then the REST services' paths (Lambda's dated ones,
//      X-Ray's, Scheduler's /schedules).
// The head is enough for a signed request, so body limits are judged before the body is read.
// Pure and stateless; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace thaw::http {

// How a service's requests and errors are shaped.
enum class Protocol {
  kRestJson,  // Lambda, X-Ray, thaw's own: the path names the operation
  kJson,      // JSON 1.0 / 1.1: X-Amz-Target names it (SQS, Logs, DynamoDB, Kinesis)
  kQuery,     // Action=Op in a form or the URL's query, errors in XML (SQS, SNS, STS)
};

struct Destination {
  // thaw's name for the service: the scope's ("lambda", "sqs", "logs", "xray", "dynamodb",
  // "sns", ...), "dynamodbstreams" for its target, "thaw" for thaw's own; "" when unknown.
  std::string service;
  Protocol protocol = Protocol::kRestJson;
  // The credential scope's service, "" when unsigned.
  std::string signed_for;
  // Non-empty when the scope and X-Amz-Target disagree: AWS's message for it.
  std::string error;
};

Destination Classify(const Request& request);

// The query protocol's Action: from the URL's query, else from a form body (once read).
std::optional<std::string> QueryAction(const Request& request);

// The signature's credential, "AKID/DATE/REGION/SERVICE/aws4_request": Authorization's
// Credential=, else the presigned query's X-Amz-Credential; "" when unsigned.
std::string SignatureCredential(const Request& request);

// The service a signature's scope names: "sqs" for "AKID/20240101/us-east-1/sqs/aws4_request";
// "" when the text has no such field.
std::string_view ScopeService(std::string_view credential);

}  // namespace thaw::http
