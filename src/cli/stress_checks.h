// The verdicts of `thaw stress`: what one Invoke answer shows (status, X-Amz-Function-Error, the
// error body, the REPORT line of the log tail) and the checks that compare it with what Lambda
// does for each misbehaviour; with --via event|sqs|sns, the checks of what the async queue, an
// SQS trigger and an SNS topic did (attempts and their timing, destination and DLQ records,
// recursion, the events.SNSEvent a function got); with --via kinesis|dynamodb, what a stream
// mapping did (a shard blocked by a failing record, bisection, the OnFailure record with its
// batch info, an event bomb's growth). Pure functions; thread-compatible.
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
// A managed runtime's uncaught exception thrown by `handler` with message "boom": Unhandled, and
// the runtime client's body. python: errorType "Exception" and a stackTrace of strings, one of
// them `File "/var/task/app.py", ... in HANDLER`; nodejs: errorType "Error" and a trace of strings
// starting "Error: boom", one of them at /var/task/index.js.
Verdict CheckScriptError(const Observation& o, std::string_view language, std::string_view handler);
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

// ---- Through a stream (--via kinesis, --via dynamodb) -------------------------------------------

// One invocation of a shard as GET /thaw/esm lists it (Shards[].Invocations[], oldest first).
struct ShardInvocation {
  std::string request_id;
  std::string first_seq;
  std::string last_seq;
  int64_t records = 0;
  std::string result;  // "OK", "FunctionError", ...
};
std::vector<ShardInvocation> ParseShardInvocations(const nlohmann::json& shard);

// Sequence numbers are decimal strings of any length: a < b as numbers.
bool SequenceLess(std::string_view a, std::string_view b);

// A failing record at the head of a shard with MaximumRetryAttempts N: the first 1 + N
// invocations are its batch (starting at `failing_seq`), each failed; no record after it was
// delivered before the last of them; then every seq in `later` was delivered (result OK).
Verdict CheckShardBlocked(const std::vector<ShardInvocation>& invocations,
                          const std::string& failing_seq, const std::vector<std::string>& later,
                          int max_retry_attempts);

// A batch with one poison record, BisectBatchOnFunctionError and MaximumRetryAttempts 0: the
// shard bisected (`bisections` > 0), an invocation of the poison record alone failed, and every
// seq of `others` was delivered in an OK invocation.
Verdict CheckBisected(const std::vector<ShardInvocation>& invocations,
                      const std::string& poison_seq, const std::vector<std::string>& others,
                      int64_t bisections);

// What a stream mapping's OnFailure record should say.
struct StreamFailure {
  std::string info_name;  // "KinesisBatchInfo" or "DDBStreamBatchInfo"
  std::string function_arn;
  std::string stream_arn;
  std::string condition;  // "RetryAttemptsExhausted"
  std::string start_seq;
  std::string end_seq;
  int64_t batch_size = 1;
  int64_t invokes = 0;  // approximateInvokeCount
};
// Lambda's stream failure record: version, timestamp, requestContext {functionArn, condition,
// approximateInvokeCount}, responseContext {functionError Unhandled}, and the batch info
// {shardId, streamArn, startSequenceNumber, endSequenceNumber, batchSize, arrival times}.
Verdict CheckStreamFailureRecord(const std::string& body, const StreamFailure& want);

// One look at a shard through GET /thaw/esm.
struct ShardSample {
  int64_t at_ms = 0;  // since the first sample
  int64_t records = 0;
  int64_t behind = 0;
  int64_t iterator_age_ms = 0;
  int64_t batches = 0;
};
ShardSample ParseShardSample(const nlohmann::json& shard, int64_t at_ms);

// An event bomb on its own stream, which Lambda does not stop: while enabled, the records
// delivered grew and so did the backlog (records behind, or the iterator age); after the mapping
// was disabled no batch ran between the `stopped` samples.
Verdict CheckBombGrowth(const std::vector<ShardSample>& enabled,
                        const std::vector<ShardSample>& stopped);

}  // namespace thaw::cli
