// SQS's operations over a QueueStore, with AWS's validation and error texts. Input and output
// are the JSON protocol's shapes (protocol.h turns query requests into them and back), so both
// protocols share this one execution layer.
// Loop thread only (as QueueStore).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "auth/policy_eval.h"
#include "sqs/protocol.h"
#include "sqs/queue_store.h"

namespace thaw::sqs {

struct Context {
  std::string account = "000000000000";
  std::string host = "localhost";  // for queue URLs: http://HOST/ACCOUNT/NAME
  std::string sender_id;           // SenderId of sent messages
  // The request's X-Amzn-Trace-Id: a sent message's AWSTraceHeader unless the message sets one
  // (an SDK inside a function passes its _X_AMZN_TRACE_ID, Lineage and all, this way).
  std::string trace_header = {};
};

struct Outcome {
  nlohmann::json output = nlohmann::json::object();
  std::optional<Error> error;
};

bool IsOperation(std::string_view operation);
// True for the operations a function's role may call on its account's queues (the data plane).
bool IsDataPlane(std::string_view operation);

// Runs `operation`; `done` is called on the loop, after the changes are committed.
void Execute(QueueStore& store, const Context& context, std::string_view operation,
             const nlohmann::json& input, std::function<void(Outcome)> done);

// nullopt when the queue's Policy allows `request` (an action such as "sqs:SendMessage" on the
// queue, by an account's principal or by a service such as sns.amazonaws.com with its
// aws:SourceArn); else AccessDenied with AWS's text. Who is of the queue's account needs no
// policy: callers check that first.
std::optional<Error> AuthorizeQueue(const Queue& queue, const auth::AccessRequest& request);

// The account and name in a queue URL ("http://host:port/123456789012/name"), or nullopt.
std::optional<std::pair<std::string, std::string>> ParseQueueUrl(std::string_view url);

}  // namespace thaw::sqs
