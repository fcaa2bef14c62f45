// The verdicts of `thaw stress`: what one Invoke answer shows (status, X-Amz-Function-Error, the
// error body, the REPORT line of the log tail) and the checks that compare it with what Lambda
// does for each misbehaviour; with --via event|sqs|sns, the checks of what the async queue, an
// SQS trigger and an SNS topic did (attempts and their timing, destination and DLQ records,
// recursion, the events.SNSEvent a function got). Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.h"

namespace thaw::cli {

// The REPORT line of one invocation, e.g.
// "REPORT RequestId: ID\tDuration: 2000.00 ms\t...\tMemory Size: 128 MB\tMax Memory Used: 7 MB
//  \tStatus: error\tError Type: Runtime.OutOfMemory\t".
struct ReportLine {
  bool found = false;
  std::string status;      // "timeout", "error"; empty on success
  std::string error_type;  // "Runtime.ExitError", ...; empty when absent
  int64_t memory_size_mb = -1;
  int64_t max_memory_used_mb = -1;
};

// The last REPORT line for request_id in a log tail; found = false when there is none.
ReportLine ParseReportLine(std::string_view log_tail, std::string_view request_id);

// What a synchronous Invoke with LogType=Tail answered.
struct Observation {
  int http_status = 0;
  std::string request_id;      // x-amzn-RequestId
  std::string function_error;  // X-Amz-Function-Error ("Unhandled"), empty on success
  std::string body;
  nlohmann::json json;  // the body parsed; discarded (is_discarded()) when it is not JSON
  std::string log_tail;
  ReportLine report;

  std::string ErrorType() const;     // body errorType, or ""
  std::string ErrorMessage() const;  // body errorMessage, or ""
};

Observation Observe(const http::Response& response);

// One line for the OBSERVED column: "Unhandled Sandbox.Timedout; REPORT timeout" or "ok {...}".
std::string Describe(const Observation& o);

// The outcome of one check: pass when no mismatch was found.
struct Verdict {
  std::string observed;                 // for the OBSERVED column
  std::vector<std::string> mismatches;  // "errorType: got X, want Y"
  bool pass() const { return mismatches.empty(); }
};

// Lambda's timeout: Unhandled Sandbox.Timedout, "RequestId: ID Error: Task timed out after
// 2.00 seconds", REPORT Status: timeout.
Verdict CheckTimeout(const Observation& o, int64_t timeout_s);
// Lambda's cgroup OOM kill: Unhandled Runtime.OutOfMemory, "RequestId: ID Error: Runtime exited
// with error: signal: killed", REPORT Status: error Error Type: Runtime.OutOfMemory with Max
// Memory Used equal to Memory Size.
Verdict CheckOutOfMemory(const Observation& o);
// aws-lambda-go's panic body: Unhandled, errorType and errorMessage exactly, and a non-empty
// stackTrace of {path,line,label} frames that includes the function's own handler.
Verdict CheckGoPanic(const Observation& o, std::string_view error_type,
                     std::string_view error_message);
// The runtime exited: Unhandled Runtime.ExitError "RequestId: ID Error: Runtime exited with
// error: exit status N", REPORT Status: error Error Type: Runtime.ExitError.
Verdict CheckExitError(const Observation& o, int exit_status);
// Unhandled Function.ResponseSizeTooLarge with Lambda's message.
Verdict CheckResponseTooLarge(const Observation& o);
// A handled result whose "error" mentions EAGAIN (the pids limit), or Sandbox.Timedout.
Verdict CheckForkBomb(const Observation& o);
// A handled result whose "error" mentions ENOSPC, with "written" within [400, 520] MiB.
Verdict CheckTmpFill(const Observation& o);
// The second invocation of stress-goroutines: counter_at_start - previous < 50.
Verdict CheckGoroutinesFrozen(const Observation& o);
// A plain success (no X-Amz-Function-Error, HTTP 200).
Verdict CheckSuccess(const Observation& o);
// The recovery invocation: success with body {"ok":true}.
bool Recovered(const Observation& o);

// ---- Through a queue (--via event, --via sqs) --------------------------------------------------

// One invocation as GET /thaw/invocations lists it.
struct AttemptRecord {
  std::string request_id;
  int64_t start_ms = 0;
  double duration_ms = 0;
  std::string status;  // "success", "error", "timeout"
  std::string error_type;
};
AttemptRecord ParseAttemptRecord(const nlohmann::json& record);

// A message as ReceiveMessage gives it; attributes are name -> {DataType, StringValue}.
struct QueueMessage {
  std::string body;
  std::map<std::string, std::pair<std::string, std::string>> attributes;
  int64_t receive_count = 0;  // ApproximateReceiveCount
};
QueueMessage ParseQueueMessage(const nlohmann::json& message);

// What Lambda does with an Event invoke whose every attempt fails the same way.
struct AsyncFailure {
  std::string request_id;
  std::string function_arn;  // qualified: arn:aws:lambda:...:function:NAME:$LATEST
  nlohmann::json payload;    // the event as sent
  std::string status;        // each attempt's record status: "error" or "timeout"
  std::string report_error;  // each attempt's REPORT Error Type ("" for a timeout)
  std::string error_type;    // the response's errorType
  int max_retry_attempts = 2;
  double delay_scale = 1;  // the server's --retry-delay-scale
};

// 1 + MaximumRetryAttempts attempts (oldest first), each failed as expected (status and REPORT
// Error Type), each retry starting
// Lambda's delay (~1 min, then ~2 min, times the scale) after the previous attempt ended.
Verdict CheckAsyncAttempts(const std::vector<AttemptRecord>& attempts, const AsyncFailure& want);
// The OnFailure destination's record (an SQS message body) in Lambda's shape: version,
// timestamp, requestContext {requestId, functionArn, condition RetriesExhausted,
// approximateInvokeCount}, requestPayload, responseContext {statusCode, executedVersion,
// functionError}, responsePayload with the errorType.
Verdict CheckFailureRecord(const std::string& body, const AsyncFailure& want);
// The function's DeadLetterConfig queue: the event unchanged, with the message attributes
// RequestID (String), ErrorCode (Number, 200 for a function error) and ErrorMessage (String).
Verdict CheckDeadLetter(const QueueMessage& m, const AsyncFailure& want);

// A poison message on an SQS trigger: invoked maxReceiveCount times, each failed as expected,
// one visibility timeout apart, then moved to the queue's DLQ.
struct PoisonCycle {
  int max_receive_count = 3;
  int64_t visibility_timeout_s = 2;
  std::string status;        // each invocation's record status
  std::string report_error;  // and its REPORT Error Type
};
Verdict CheckPoisonCycles(const std::vector<AttemptRecord>& invocations,
                          const QueueMessage* dead_letter, const PoisonCycle& want);

// The stress-selfsend chain: the function ran exactly 16 times (trace::kMaxRecursiveInvocations),
// RecursiveInvocationsDropped grew, and the 17th hop's event ({"hop":17}) reached the DLQ.
Verdict CheckRecursionStopped(int64_t invocations, int64_t drops_before, int64_t drops_after,
                              const QueueMessage* dead_letter);

// ---- Through an SNS topic (--via sns) ----------------------------------------------------------

// The text of the first <tag>...</tag> of a query protocol answer, entities decoded; "" when
// there is none.
std::string XmlElementText(std::string_view xml, std::string_view tag);

// What one Publish should have handed a Lambda subscription.
struct SnsDelivery {
  std::string topic_arn;
  std::string subscription_arn;
  std::string message_id;  // Publish's MessageId
  std::string message;
  std::string subject;  // "": published without one (the event says null)
  std::map<std::string, std::pair<std::string, std::string>> attributes;  // name -> {Type, Value}
};

// The event in aws-lambda-go's events.SNSEvent shape, as Lambda hands it over (event-sources.md
// 1.1): one record, EventVersion 1.0, EventSource aws:sns, EventSubscriptionArn, and Sns with
// Type Notification, MessageId, TopicArn, Subject (null when absent), Message, Timestamp with
// milliseconds, SignatureVersion 1, a Signature, the SigningCertUrl and UnsubscribeUrl
// spellings and MessageAttributes as {Type, Value}.
Verdict CheckSnsEvent(const nlohmann::json& event, const SnsDelivery& want);

// Records[0].Sns.Message of an SNS event, or nullopt when `event` is not one.
std::optional<std::string> SnsMessage(const nlohmann::json& event);

}  // namespace thaw::cli
