// An invocation record: what one invocation leaves behind. The loop fills an InvocationRecord
// (views of strings the invocation and its environment hold, and CLOCK_MONOTONIC nanoseconds)
// and hands it to the RecordStore, which encodes it at once (record_codec.h); queries get
// DecodedRecords back. Plain data: thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trace/hlc.h"

namespace thaw::records {

enum class RecordStatus : uint8_t { kSuccess, kError, kTimeout };

// The event source mapping batch an invocation delivered (stream or SQS pollers); empty
// `mapping` for an invocation that came from no mapping. Times are Unix milliseconds.
template <typename Text>
struct BasicSource {
  Text mapping = {};     // the mapping's UUID
  Text source_arn = {};  // the stream's or queue's ARN
  Text shard = {};       // streams: the shard id
  Text first_seq = {};   // streams: the batch's first and last sequence numbers
  Text last_seq = {};
  int64_t batch_size = 0;
  int64_t attempt = 0;           // 1 for a batch's first invoke, 2 for its first retry, ...
  bool bisected = false;         // a half of a failed batch (BisectBatchOnFunctionError)
  int64_t invoked_ms = 0;        // when the poller invoked
  int64_t first_arrival_ms = 0;  // ApproximateArrivalTimestamp of the first and last record
  int64_t last_arrival_ms = 0;

  bool empty() const { return mapping.empty(); }
};

using EventSource = BasicSource<std::string>;

template <typename Text>
struct BasicRecord {
  // Identity. The environment id determines function .. memory_mb.
  Text request_id = {};
  Text function = {};
  Text version = {};
  Text mechanism = {};
  Text architecture = {};
  Text environment = {};
  int64_t memory_mb = 0;
  Text error_type = {};  // Lambda's error type, or the one the runtime posted to /error
  Text trace = {};       // the caller's X-Amzn-Trace-Id (without Hlc); this span is
                         // trace::SpanIdFor(request_id)
  bool cold = false;     // the environment ran init for this invocation
  bool async = false;    // an Event invocation (from the async queue)
  RecordStatus status = RecordStatus::kSuccess;

  // Monotonic timestamps; 0 when the step did not happen (an init that failed, say).
  int64_t arrived_ns = 0;    // at the Invoke API (Event: when it was queued)
  int64_t acquired_ns = 0;   // the invoker took an environment
  int64_t ready_ns = 0;      // the environment could take the event: thawed, or init done
  int64_t sent_ns = 0;       // the event was handed to the runtime (Duration starts)
  int64_t responded_ns = 0;  // /response or /error came in (or the failure was found)
  int64_t answered_ns = 0;   // the caller's answer went to the front door (before its write)
  int64_t ended_ns = 0;      // the runtime's next /next: END and REPORT
  int64_t init_ns = 0;       // init run for this invocation (cold start or re-init after a reset)
  int64_t freeze_ns = 0;     // the freeze write after it

  // Lambda's REPORT figures.
  int64_t duration_ns = 0;
  int64_t billed_ms = 0;
  int64_t max_memory_mb = 0;
  int64_t cpu_ns = 0;  // CPU time of the environment's processes (0 without a cgroup)

  // The server's hybrid logical clock when the invoke arrived (after taking in the caller's
  // stamp) and when its answer went out; empty for records written before thaw had them.
  trace::HlcStamp hlc_arrived = {};
  trace::HlcStamp hlc_answered = {};

  BasicSource<Text> source = {};
};

using InvocationRecord = BasicRecord<std::string_view>;
using DecodedRecord = BasicRecord<std::string>;

}  // namespace thaw::records
