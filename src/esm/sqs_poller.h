// SqsPoller: reads an SQS queue for one event source mapping and invokes its function with
// batches, as Lambda's SQS pollers do. Workers long-poll the in-process QueueStore (a parked
// callback, no thread), gather up to BatchSize messages or until the batching window closes,
// invoke synchronously, then delete what succeeded: the whole batch, or with
// ReportBatchItemFailures all but the failed items. A failed message stays in flight until its
// visibility timeout ends; the queue's redrive policy moves it to the DLQ after maxReceiveCount.
// One worker starts; a worker whose batch came back full starts another, up to
// MaximumConcurrency; a worker whose long poll found nothing retires unless it is the last.
// FIFO order is kept by the queue itself: a group with a message in flight is not received.
// Threads: loop thread only; QueueStore and the invoke callback answer there too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "records/record.h"
#include "sqs/queue_store.h"

namespace thaw::esm {

struct InvokeOutcome {
  enum class Kind {
    kOk,             // the function returned (body is its response)
    kFunctionError,  // it failed (error, timeout, crash)
    kNotInvoked,     // throttled, or the function is gone
  };
  Kind kind = Kind::kOk;
  std::string body;
  std::string request_id;  // the invocation's (its record in thaw invocations); "" if none
};
// What a poller tells the invoke besides the payload.
struct InvokeMeta {
  std::string trace_header = {};     // the message's AWSTraceHeader; "" starts a new trace
  records::EventSource source = {};  // the mapping's batch, for the invocation record
};
// Invokes `function_arn` synchronously; `done` runs later on the loop, exactly once.
using InvokeFn = std::function<void(const std::string& function_arn, std::string payload,
                                    InvokeMeta meta, std::function<void(InvokeOutcome)> done)>;
// The one place a message meets the mapping's FilterCriteria: false drops (deletes) it, as
// Lambda does with SQS messages that match no filter.
using MessageFilter = std::function<bool(const sqs::Delivered&)>;

class SqsPoller {
 public:
  struct Settings {
    std::string uuid;  // the mapping's, for invocation records
    std::string function_arn;
    int64_t batch_size = 10;
    int64_t batching_window_ms = 0;
    bool report_item_failures = false;
    int64_t max_concurrency = 1000;
    MessageFilter filter;  // empty: every message
  };
  struct Options {
    int64_t long_poll_s = 20;   // one receive's wait
    int64_t backoff_ms = 1000;  // after a throttle, a failed receive or a missing queue
    // Lambda's delays times `delay_scale` (thaw serve --retry-delay-scale), at least 1 ms.
    static Options Scaled(double delay_scale);
  };
  struct Stats {
    int64_t batches = 0;
    int64_t messages = 0;
    int64_t deleted = 0;
    int64_t failed_batches = 0;
  };

  // `store` must outlive every callback this poller hands it (the server destroys pollers
  // before the QueueStore).
  SqsPoller(boost::asio::io_context& loop, sqs::QueueStore& store, std::string queue_arn,
            InvokeFn invoke, Settings settings, Options options);
  SqsPoller(boost::asio::io_context& loop, sqs::QueueStore& store, std::string queue_arn,
            InvokeFn invoke, Settings settings)
      : SqsPoller(loop, store, std::move(queue_arn), std::move(invoke), std::move(settings),
                  Options{}) {}
  // Stops: workers end at their next step; messages received after this go back to the queue.
  ~SqsPoller();
  SqsPoller(const SqsPoller&) = delete;
  SqsPoller& operator=(const SqsPoller&) = delete;

  void Start();
  // New settings apply from each worker's next batch.
  void Update(Settings settings);
  int64_t workers() const;
  const Stats& stats() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace thaw::esm
