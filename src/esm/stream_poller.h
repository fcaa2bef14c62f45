// StreamPoller: reads a stream (any ShardLog) for one event source mapping and invokes its
// function, as Lambda's stream pollers do. One poller per shard: a shard's records go to the
// function in order, one batch at a time; while a batch is retried that shard waits and the
// others go on; a child shard is read only after its parent is finished. A batch closes at
// BatchSize, at the end of the batching window, or at the 6 MB payload limit.
// Errors: a failing batch is retried (MaximumRetryAttempts; throttles do not count) until it
// succeeds, is too old (MaximumRecordAgeInSeconds) or runs out of retries; then its metadata goes
// to OnFailure and the shard moves on. With BisectBatchOnFunctionError a failing batch is split
// in two, each half with its own retry count, down to the poison record. With
// ReportBatchItemFailures the shard resumes at the lowest failed sequence number.
// Checkpoints (Checkpoints) are durable: one is saved after each batch succeeds or is given up.
// The shard's next batch starts while that checkpoint commits (group committed with the other
// shards' and mappings'), but not before the one of the batch before it has committed, so a crash
// redelivers at most the batch in flight and the one before it.
// Tumbling windows: records are grouped by the window their arrival falls in; each invocation
// carries `window`, the `state` the previous one returned, and `isFinalInvokeForWindow`, true
// for the last one of a window (made with no records once the window has ended). A response
// without `state` fails the batch. The open window and its state are saved with the checkpoint.
// New records are noticed through the log's listener (no sleep loop) unless poll_interval_ms
// asks for AWS's timing.
// Threads: loop thread only; the invoke, the OnFailure send and checkpoint saves answer there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "esm/checkpoints.h"
#include "esm/shard_log.h"
#include "esm/sqs_poller.h"

namespace thaw::esm {

// Sends an OnFailure record to `destination` (an SQS queue or SNS topic ARN).
using FailureFn = std::function<void(const std::string& destination, std::string message,
                                     std::function<void(Status)> done)>;
using RecordFilter = std::function<bool(const nlohmann::json& record)>;

class StreamPoller {
 public:
  struct Settings {
    std::string uuid;
    std::string function_arn;
    std::string event_source_arn;
    int64_t batch_size = 100;
    int64_t batching_window_ms = 0;
    std::string starting_position = "TRIM_HORIZON";  // or LATEST, AT_TIMESTAMP
    int64_t starting_ts_ms = 0;
    bool bisect = false;
    int64_t max_retries = -1;
    int64_t max_record_age_s = -1;
    bool report_item_failures = false;
    std::string on_failure;         // "" for none
    RecordFilter filter;            // empty: every record
    int64_t tumbling_window_s = 0;  // 0: no windows
    int64_t parallelization = 1;    // concurrent batches per shard
  };
  struct Options {
    int64_t poll_interval_ms = 0;   // 0: woken by the log's listener
    int64_t retry_delay_ms = 1000;  // before a failed batch is invoked again
    int64_t max_payload_bytes = int64_t{6} * 1024 * 1024;
  };
  // One invocation of a batch: the link from an invocation record (by request id) to the
  // mapping, its shard and the sequence range.
  struct Invocation {
    std::string request_id;
    std::string first_seq;
    std::string last_seq;
    int64_t records = 0;
    std::string result;  // "OK", "FunctionError", "Throttled", "PartialFailure", "BadResponse"
  };
  struct ShardStats {
    std::string shard;
    std::string parent;
    std::string adjacent_parent;
    std::string checkpoint;
    bool finished = false;
    bool waiting_for_parent = false;
    int64_t batches = 0;  // invocations
    int64_t records = 0;  // records delivered successfully
    int64_t filtered = 0;
    int64_t retries = 0;
    int64_t bisections = 0;
    int64_t on_failure = 0;  // batches given up
    int64_t iterator_age_ms = 0;
    int64_t behind = 0;
    std::string last_result;
    std::vector<Invocation> invocations;  // the last kKeptInvocations, oldest first
  };
  static constexpr size_t kKeptInvocations = 20;
  // Records one invocation of a batch (the invocation records' link to mapping and shard).
  using InvokedFn = std::function<void(const std::string& shard, const std::string& first_seq,
                                       const std::string& last_seq, size_t records)>;

  // Every reference must outlive the poller's callbacks (the server destroys pollers first).
  StreamPoller(boost::asio::io_context& loop, ShardLog& log, Checkpoints& checkpoints,
               InvokeFn invoke, FailureFn fail, const Clock& clock, Settings settings,
               Options options);
  // Stops: a batch in flight is not checkpointed (it comes again).
  ~StreamPoller();
  StreamPoller(const StreamPoller&) = delete;
  StreamPoller& operator=(const StreamPoller&) = delete;

  void Start();
  void Update(Settings settings);
  // LastProcessingResult: "" before any batch, "OK" or "PROBLEM: Function call failed".
  std::string last_result() const;
  std::vector<ShardStats> Stats() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

// Lambda's OnFailure record for a stream batch given up: requestContext, responseContext,
// version, timestamp and `info_name` (DDBStreamBatchInfo / KinesisBatchInfo) with the shard, the
// sequence range and the arrival times. `invokes` 0: never invoked (no responseContext).
nlohmann::json StreamFailureRecord(std::string_view info_name, const std::string& function_arn,
                                   const std::string& stream_arn, const std::string& shard,
                                   const std::vector<LogRecord>& records,
                                   std::string_view condition, int64_t invokes, int64_t now_ms);

}  // namespace thaw::esm
