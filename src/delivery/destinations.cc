#include "delivery/destinations.h"

#include <memory>
#include <utility>
#include <vector>

#include "base/codec.h"
#include "base/log.h"
#include "invoker/invoke_api.h"
#include "lambda/event_invoke_config.h"
#include "lambda/function.h"
#include "sqs/operations.h"
#include "sqs/queue_store.h"

namespace thaw::delivery {

using nlohmann::json;

namespace {

// A payload as it appears inside the record: JSON as JSON, anything else as a string.
json Embedded(const std::string& payload) {
  if (payload.empty()) return nullptr;
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return payload;
  return j;
}

std::string InvokedArn(const invoker::QueuedEvent& event) {
  return lambda::QualifiedArn(event.function_name,
                              event.qualifier.empty() ? lambda::kLatest : event.qualifier);
}

// The error text of a failed event: the function's errorMessage, or why it never ran.
std::string ErrorMessage(const invoker::FinalOutcome& outcome) {
  if (!outcome.last) return "Event age exceeded before the function ran";
  if (!outcome.last->error_message.empty()) return outcome.last->error_message;
  return outcome.last->response;
}

// The SenderId of the messages SNS sends to SQS.
constexpr char kSnsSenderId[] = "AIDAIT2UOQQY3AUEKVGXU";

}  // namespace

void ServerSinks::SendToQueue(const std::string& queue_arn, std::string body,
                              sqs::MessageAttributes attributes, std::function<void(Status)> done) {
  sqs::Queue* queue = queues_.FindArn(queue_arn);
  if (!queue) {
    done(Status::NotFound("queue " + queue_arn + " does not exist"));
    return;
  }
  if (queue->fifo) {
    done(Status::InvalidArgument("queue " + queue_arn + " is a FIFO queue"));
    return;
  }
  sqs::Message m;
  m.body = std::move(body);
  m.attributes = std::move(attributes);
  m.sender_id = "AROAAAAAAAAAAAAAAAAAA:awslambda";
  m.visible_at_ms = clock_.RealtimeMillis() + int64_t{queue->delay_s} * 1000;
  queues_.Send(*queue, std::move(m));
  queues_.AfterCommit(std::move(done));
}

void ServerSinks::InvokeAsync(const std::string& function_arn, std::string payload,
                              std::function<void(Status)> done) {
  auto ref = lambda::ParseFunctionRef(function_arn);
  if (!ref) {
    done(Status::InvalidArgument("not a function ARN: " + function_arn));
    return;
  }
  if (registry_ && !registry_->Get(ref->KeyIn(""))) {
    done(Status::NotFound("Function not found: " + function_arn));
    return;
  }
  invoker::QueuedEvent e;
  e.request_id = NewUuid();
  e.function_name = ref->KeyIn("");
  e.qualifier = ref->qualifier;
  e.payload = std::move(payload);
  e.received_ms = clock_.RealtimeMillis();
  events_.Enqueue(std::move(e), std::move(done));
}

void ServerSinks::PublishToTopic(const std::string& topic_arn, std::string message,
                                 sqs::MessageAttributes attributes,
                                 std::function<void(Status)> done) {
  if (!topics_) {
    done(Status::NotFound("topic " + topic_arn + " does not exist"));
    return;
  }
  topics_->PublishToTopic(topic_arn, std::move(message), std::move(attributes), std::move(done));
}

void ServerSinks::SendToQueueAs(const lambda::InvokePrincipal& who, const std::string& queue_arn,
                                sqs::Message message, std::function<void(Status)> done) {
  sqs::Queue* queue = queues_.FindArn(queue_arn);
  if (!queue) {
    done(Status::NotFound("queue " + queue_arn + " does not exist"));
    return;
  }
  if (queue->account != who.source_account) {
    auth::AccessRequest request;
    request.service = who.service;
    request.action = "sqs:SendMessage";
    request.resource = queue_arn;
    request.context["aws:sourcearn"] = who.source_arn;
    request.context["aws:sourceaccount"] = who.source_account;
    request.context["aws:sourceowner"] = who.source_account;
    if (auto denied = sqs::AuthorizeQueue(*queue, request)) {
      done(Status::PermissionDenied(denied->message));
      return;
    }
  }
  if (queue->fifo && message.group_id.empty()) {
    done(Status::InvalidArgument("queue " + queue_arn + " is a FIFO queue"));
    return;
  }
  if (!queue->fifo) {
    message.group_id.clear();
    message.dedup_id.clear();
  }
  message.sender_id = kSnsSenderId;
  message.visible_at_ms = clock_.RealtimeMillis() + int64_t{queue->delay_s} * 1000;
  queues_.Send(*queue, std::move(message));
  queues_.AfterCommit(std::move(done));
}

void ServerSinks::InvokeAsyncAs(const lambda::InvokePrincipal& who, const std::string& function_arn,
                                std::string payload, std::string trace_header,
                                std::function<void(Status)> done) {
  if (!registry_) {
    done(Status::NotFound("Function not found: " + function_arn));
    return;
  }
  invoker::EnqueueEvent(events_, *registry_, clock_, who, function_arn, std::move(payload),
                        std::move(trace_header), std::move(done));
}

json DestinationRecord(const invoker::QueuedEvent& event, const invoker::FinalOutcome& outcome,
                       int64_t now_ms) {
  json record = {
      {"version", "1.0"},
      {"timestamp", FormatIsoMillis(now_ms)},
      {"requestContext",
       {{"requestId", event.request_id},
        {"functionArn", InvokedArn(event)},
        {"condition", std::string(invoker::ConditionName(outcome.condition))},
        {"approximateInvokeCount", event.attempts}}},
      {"requestPayload", Embedded(event.payload)},
  };
  if (outcome.last) {
    json response = {{"statusCode", 200}, {"executedVersion", outcome.last->executed_version}};
    if (outcome.last->function_error) response["functionError"] = "Unhandled";
    record["responseContext"] = std::move(response);
    record["responsePayload"] = Embedded(outcome.last->response);
  }
  return record;
}

sqs::MessageAttributes DeadLetterAttributes(const invoker::QueuedEvent& event,
                                            const invoker::FinalOutcome& outcome) {
  std::string message = ErrorMessage(outcome);
  if (message.size() > 1024) message.resize(1024);
  return {
      {"RequestID", {"String", event.request_id}},
      {"ErrorCode", {"Number", outcome.last ? "200" : "429"}},
      {"ErrorMessage", {"String", message}},
  };
}

void Destinations::Finish(const invoker::QueuedEvent& event, const invoker::FinalOutcome& outcome,
                          std::function<void()> stored) {
  using Send = std::function<void(std::function<void(Status)>)>;
  struct Target {
    std::string arn;
    bool dead_letter = false;
    Send send;
  };
  std::vector<Target> sends;
  const bool success = outcome.condition == invoker::Condition::kSuccess;
  const std::string qualifier = event.qualifier.empty() ? lambda::kLatest : event.qualifier;
  if (auto entry = registry_.Get(event.function_name)) {
    if (auto it = entry->event_invoke_configs.find(qualifier);
        it != entry->event_invoke_configs.end()) {
      const std::string target = success ? it->second.on_success : it->second.on_failure;
      if (!target.empty()) {
        std::string record = DestinationRecord(event, outcome, clock_.RealtimeMillis())
                                 .dump(-1, ' ', false, json::error_handler_t::replace);
        if (lambda::KindOf(target) == lambda::DestinationKind::kFunction) {
          sends.push_back({target, false, [this, target, record](std::function<void(Status)> done) {
                             sinks_.InvokeAsync(target, record, std::move(done));
                           }});
        } else if (lambda::KindOf(target) == lambda::DestinationKind::kTopic) {
          sends.push_back({target, false, [this, target, record](std::function<void(Status)> done) {
                             sinks_.PublishToTopic(target, record, {}, std::move(done));
                           }});
        } else {
          sends.push_back({target, false, [this, target, record](std::function<void(Status)> done) {
                             sinks_.SendToQueue(target, record, {}, std::move(done));
                           }});
        }
      }
    }
  }
  if (!success) {
    auto resolved = registry_.Resolve(event.function_name, event.qualifier);
    if (resolved.ok() && !resolved->config->dead_letter_arn.empty()) {
      const std::string dlq = resolved->config->dead_letter_arn;
      sends.push_back(
          {dlq, true, [this, dlq, event, outcome](std::function<void(Status)> done) {
             if (lambda::KindOf(dlq) == lambda::DestinationKind::kTopic) {
               sinks_.PublishToTopic(dlq, event.payload, DeadLetterAttributes(event, outcome),
                                     std::move(done));
             } else {
               sinks_.SendToQueue(dlq, event.payload, DeadLetterAttributes(event, outcome),
                                  std::move(done));
             }
           }});
    }
  }
  if (sends.empty()) {
    stored();
    return;
  }
  // The event is released once every send has ended. A failed send is logged, counted and
  // dropped, as Lambda counts DeadLetterErrors / DestinationDeliveryFailures and moves on.
  auto left = std::make_shared<size_t>(sends.size());
  auto release = std::make_shared<std::function<void()>>(std::move(stored));
  for (Target& t : sends) {
    t.send([this, left, release, target = t.arn, dead_letter = t.dead_letter,
            function = event.function_name, request_id = event.request_id](Status s) {
      if (!s.ok()) {
        THAW_LOG(kWarn, "async") << "cannot deliver event " << request_id << " to " << target
                                 << ": " << s.ToString();
        if (counts_) {
          ++(dead_letter ? counts_->dead_letter_errors
                         : counts_->destination_delivery_failures)[function];
        }
      }
      if (--*left == 0) (*release)();
    });
  }
}

}  // namespace thaw::delivery
