#include "http/dispatch.h"

#include <algorithm>
#include <array>

namespace thaw::http {

namespace {

struct Target {
  std::string_view prefix;     // of X-Amz-Target, with its dot
  std::string_view service;    // thaw's name
  std::string_view signed_as;  // the scope's service name (botocore's signingName)
};

constexpr std::array kTargets{
    Target{"AmazonSQS.", "sqs", "sqs"},
    Target{"Logs_20140328.", "logs", "logs"},
    Target{"DynamoDB_20120810.", "dynamodb", "dynamodb"},
    Target{"DynamoDBStreams_20120810.", "dynamodbstreams", "dynamodb"},
    Target{"Kinesis_20131202.", "kinesis", "kinesis"},
    Target{"AWSEvents.", "events", "events"},
    Target{"AWSStepFunctions.", "states", "states"},
    Target{"AmazonSSM.", "ssm", "ssm"},
    Target{"secretsmanager.", "secretsmanager", "secretsmanager"},
    Target{"TrentService.", "kms", "kms"},
    Target{"GraniteServiceVersion20100801.", "monitoring", "monitoring"},
};

// Services whose requests without X-Amz-Target are the query protocol.
constexpr std::array<std::string_view, 10> kQueryServices{
    "sqs", "sns", "sts", "iam", "monitoring", "ses", "ec2", "cloudformation", "rds", "autoscaling",
};

// The query protocol's actions, for a request that names no service otherwise. SNS shares
// AddPermission and RemovePermission with SQS; those count as SQS's.
constexpr std::array<std::string_view, 23> kSqsActions{
    "AddPermission",
    "CancelMessageMoveTask",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "CreateQueue",
    "DeleteMessage",
    "DeleteMessageBatch",
    "DeleteQueue",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListMessageMoveTasks",
    "ListQueueTags",
    "ListQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "RemovePermission",
    "SendMessage",
    "SendMessageBatch",
    "SetQueueAttributes",
    "StartMessageMoveTask",
    "TagQueue",
    "UntagQueue",
};
constexpr std::array<std::string_view, 20> kSnsActions{
    "ConfirmSubscription",
    "CreatePlatformApplication",
    "CreateTopic",
    "DeleteTopic",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "Publish",
    "PublishBatch",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
    "GetDataProtectionPolicy",
    "PutDataProtectionPolicy",
};

// X-Ray's REST paths (its operations are POSTs to /OperationName-like paths).
constexpr std::array<std::string_view, 9> kXrayPaths{
    "/TraceSegments",   "/TelemetryRecords", "/GetSamplingRules",
    "/SamplingTargets", "/TraceSummaries",   "/Traces",
    "/TraceGraph",      "/ServiceGraph",     "/CreateSamplingRule",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

const Target* TargetOf(std::string_view target) {
  for (const Target& t : kTargets) {
    if (target.starts_with(t.prefix)) return &t;
  }
  return nullptr;
}

// Lambda's paths start with an API date: /2015-03-31/functions, /2019-09-25/..., /2021-10-31/...
bool LambdaPath(std::string_view path) {
  if (path.size() < 12 || path[0] != '/' || path[11] != '/') return false;
  for (size_t i = 1; i <= 10; ++i) {
    bool dash = i == 5 || i == 8;
    char c = path[i];
    if (dash ? c != '-' : (c < '0' || c > '9')) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> QueryAction(const Request& request) {
  if (auto action = FormValue(request.query, "Action")) return action;
  auto type = request.headers.Get("Content-Type");
  if (request.method == "POST" && type && type->starts_with("application/x-www-form-urlencoded")) {
    return FormValue(request.body, "Action");
  }
  return std::nullopt;
}

std::string SignatureCredential(const Request& request) {
  if (auto auth = request.headers.Get("Authorization")) {
    size_t pos = auth->find("Credential=");
    if (pos == std::string_view::npos) return "";
    std::string_view rest = auth->substr(pos + 11);
    return std::string(rest.substr(0, rest.find_first_of(", ")));
  }
  return request.QueryParam("X-Amz-Credential").value_or("");
}

std::string_view ScopeService(std::string_view credential) {
  // AKID/DATE/REGION/SERVICE/aws4_request
  for (int i = 0; i < 3; ++i) {
    size_t slash = credential.find('/');
    if (slash == std::string_view::npos) return "";
    credential.remove_prefix(slash + 1);
  }
  return credential.substr(0, credential.find('/'));
}

Destination Classify(const Request& request) {
  Destination out;
  std::string credential = SignatureCredential(request);
  out.signed_for = std::string(ScopeService(credential));
  if (request.path.starts_with("/thaw/")) {
    out.service = "thaw";
    return out;
  }
  auto target = request.headers.Get("X-Amz-Target");
  const Target* known = target ? TargetOf(*target) : nullptr;
  if (target) out.protocol = Protocol::kJson;
  if (!out.signed_for.empty()) {
    out.service = out.signed_for;
    if (known) {
      if (known->signed_as != out.signed_for) {
        out.error = "Credential should be scoped to correct service: '" +
                    std::string(known->signed_as) + "'. ";
      }
      out.service = known->service;
    } else if (!target && Contains(kQueryServices, out.signed_for)) {
      out.protocol = Protocol::kQuery;
    }
    return out;
  }
  if (target) {
    if (known) out.service = known->service;
    return out;
  }
  if (auto action = QueryAction(request)) {
    out.protocol = Protocol::kQuery;
    if (Contains(kSqsActions, *action)) out.service = "sqs";
    if (Contains(kSnsActions, *action)) out.service = "sns";
    return out;
  }
  if (LambdaPath(request.path)) out.service = "lambda";
  if (Contains(kXrayPaths, request.path)) out.service = "xray";
  if (request.path == "/schedules" || request.path.starts_with("/schedules/")) {
    out.service = "scheduler";
  }
  return out;
}

}  // namespace thaw::http
