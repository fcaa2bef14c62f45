// Destinations: where a finished Event invoke goes. It is the async queue's AsyncSink: on
// Success the OnSuccess destination, on RetriesExhausted or EventAgeExceeded the OnFailure
// destination and the function's DeadLetterConfig (both may fire), as Lambda does. Destinations
// come from the event invoke configuration of the qualifier the event was invoked with; the
// dead-letter queue from the configuration of the version that ran it.
// A destination gets Lambda's invocation record (DestinationRecord); a dead-letter queue gets the
// original event with the RequestID, ErrorCode and ErrorMessage attributes. The event is
// released (deleted from events.db) only once every send is durable, so a kill -9 in between
// sends again after the restart rather than losing the record.
// The sends go through Sinks: the server's are its SQS queues and its async queue
// (ServerSinks); unit tests fake them.
// Threads: loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "invoker/async_queue.h"
#include "lambda/invoke_permission.h"
#include "lambda/registry.h"
#include "sqs/message.h"
#include "sqs/queue_store.h"

namespace thaw::delivery {

// Publishes to an SNS topic; sns::SnsService is one. Loop thread.
class TopicSink {
 public:
  virtual ~TopicSink() = default;
  // `done` once the message is accepted (its deliveries committed), or failed.
  virtual void PublishToTopic(const std::string& topic_arn, std::string message,
                              sqs::MessageAttributes attributes,
                              std::function<void(Status)> done) = 0;
};

class Sinks {
 public:
  virtual ~Sinks() = default;
  // Sends a message to the SQS queue `queue_arn`; `done` once it is committed (or failed).
  virtual void SendToQueue(const std::string& queue_arn, std::string body,
                           sqs::MessageAttributes attributes, std::function<void(Status)> done) = 0;
  // Queues an Event invoke of `function_arn`; `done` once it is stored (or failed).
  virtual void InvokeAsync(const std::string& function_arn, std::string payload,
                           std::function<void(Status)> done) = 0;
  // Publishes to the SNS topic `topic_arn`; `done` once it is accepted (or failed).
  virtual void PublishToTopic(const std::string& topic_arn, std::string message,
                              sqs::MessageAttributes attributes,
                              std::function<void(Status)> done) = 0;

  // A service delivering for its resource (SNS for a topic: lambda::InvokePrincipal::Service).
  // Sends `message` (body, attributes; group and deduplication ids for a FIFO queue) to the
  // queue `queue_arn`. A queue of another account than the resource's takes it only if its
  // Policy allows `who` sqs:SendMessage (aws:SourceArn the resource); else PermissionDenied.
  virtual void SendToQueueAs(const lambda::InvokePrincipal& who, const std::string& queue_arn,
                             sqs::Message message, std::function<void(Status)> done) = 0;
  // An Event invoke as Lambda receives one from the service (invoker::EnqueueEvent): the
  // function's resource policy must allow `who`, even in its own account. `trace_header` is
  // the X-Amzn-Trace-Id the service passes on (its Lineage counts toward recursive loop
  // detection); empty starts a new trace. `done` with PermissionDenied when the policy does
  // not allow it, NotFound for no such function.
  virtual void InvokeAsyncAs(const lambda::InvokePrincipal& who, const std::string& function_arn,
                             std::string payload, std::string trace_header,
                             std::function<void(Status)> done) = 0;
};

// The server's sinks: the in-process SQS store and async queue (both must outlive it).
class ServerSinks final : public Sinks {
 public:
  ServerSinks(sqs::QueueStore& queues, invoker::AsyncQueue& events, const Clock& clock)
      : queues_(queues), events_(events), clock_(clock) {}
  // Where topics are published (SNS starts after the sinks); must outlive this object.
  void SetTopics(TopicSink* topics) { topics_ = topics; }
  // With a registry, an invoke of a function that does not exist fails NotFound at once.
  void SetRegistry(const lambda::Registry* registry) { registry_ = registry; }
  void SendToQueue(const std::string& queue_arn, std::string body,
                   sqs::MessageAttributes attributes, std::function<void(Status)> done) override;
  void InvokeAsync(const std::string& function_arn, std::string payload,
                   std::function<void(Status)> done) override;
  void PublishToTopic(const std::string& topic_arn, std::string message,
                      sqs::MessageAttributes attributes, std::function<void(Status)> done) override;
  void SendToQueueAs(const lambda::InvokePrincipal& who, const std::string& queue_arn,
                     sqs::Message message, std::function<void(Status)> done) override;
  void InvokeAsyncAs(const lambda::InvokePrincipal& who, const std::string& function_arn,
                     std::string payload, std::string trace_header,
                     std::function<void(Status)> done) override;

 private:
  TopicSink* topics_ = nullptr;
  const lambda::Registry* registry_ = nullptr;
  sqs::QueueStore& queues_;
  invoker::AsyncQueue& events_;
  const Clock& clock_;
};

// Lambda's invocation record for a destination: version, timestamp, requestContext (requestId,
// functionArn, condition, approximateInvokeCount), requestPayload, responseContext (statusCode,
// executedVersion, functionError) and responsePayload (the last two only if the function ran).
nlohmann::json DestinationRecord(const invoker::QueuedEvent& event,
                                 const invoker::FinalOutcome& outcome, int64_t now_ms);

// The dead-letter message's attributes: RequestID (String), ErrorCode (Number, the HTTP status)
// and ErrorMessage (String, at most 1 KB).
sqs::MessageAttributes DeadLetterAttributes(const invoker::QueuedEvent& event,
                                            const invoker::FinalOutcome& outcome);

class Destinations final : public invoker::AsyncSink {
 public:
  // Every reference must outlive this object. A failed send is counted in `counts` (the
  // invoker's) when given.
  Destinations(const lambda::Registry& registry, Sinks& sinks, const Clock& clock,
               invoker::DeliveryCounts* counts = nullptr)
      : registry_(registry), sinks_(sinks), clock_(clock), counts_(counts) {}
  void Finish(const invoker::QueuedEvent& event, const invoker::FinalOutcome& outcome,
              std::function<void()> stored) override;

 private:
  const lambda::Registry& registry_;
  Sinks& sinks_;
  const Clock& clock_;
  invoker::DeliveryCounts* counts_;
};

}  // namespace thaw::delivery
