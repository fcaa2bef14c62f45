#include "esm/sqs_source.h"

#include <utility>

#include "base/log.h"
#include "esm/sqs_event.h"
#include "filter/pattern.h"

namespace thaw::esm {

namespace {

SqsPoller::Settings SettingsOf(const Mapping& m) {
  return {
      .uuid = m.uuid,
      .function_arn = m.function_arn,
      .batch_size = m.batch_size,
      .batching_window_ms = m.batching_window_s * 1000,
      .report_item_failures = m.ReportsItemFailures(),
      // Without ScalingConfig, Lambda scales SQS pollers up to 1,250; the function's and the
      // account's concurrency limit them first (a throttle retires a worker).
      .max_concurrency = m.maximum_concurrency.value_or(1000),
      .filter = SqsFilter(m),
  };
}

class SqsReader final : public Reader {
 public:
  SqsReader(boost::asio::io_context& loop, sqs::QueueStore& store, const InvokeFn& invoke,
            SqsPoller::Options options, const Mapping& m)
      : poller_(loop, store, m.event_source_arn, invoke, SettingsOf(m), options) {
    poller_.Start();
  }
  void Update(const Mapping& m) override { poller_.Update(SettingsOf(m)); }

 private:
  SqsPoller poller_;
};

}  // namespace

MessageFilter SqsFilter(const Mapping& m) {
  if (m.filter_criteria.is_null()) return {};
  auto criteria = filter::Criteria::Parse(m.filter_criteria);
  if (!criteria.ok()) {
    // Validated when it was stored; a mapping stored by an older build may not have been.
    THAW_LOG(kWarn, "esm") << m.uuid
                           << ": FilterCriteria ignored: " << criteria.status().ToString();
    return {};
  }
  if (criteria->empty()) return {};
  bool fifo = m.event_source_arn.ends_with(".fifo");
  return
      [criteria = std::move(*criteria), arn = m.event_source_arn, fifo](const sqs::Delivered& d) {
        return criteria.Matches(filter::SqsRecordView(SqsRecord(d, arn, fifo)));
      };
}

SqsSource::SqsSource(boost::asio::io_context& loop, sqs::QueueStore& store, InvokeFn invoke,
                     SqsPoller::Options options)
    : loop_(loop), store_(store), invoke_(std::move(invoke)), options_(options) {}

bool SqsSource::Reads(std::string_view arn) const { return arn.starts_with("arn:aws:sqs:"); }

Status SqsSource::Validate(const Mapping& m, int64_t function_timeout_s) const {
  sqs::Queue* queue = store_.FindArn(m.event_source_arn);
  if (!queue) {
    return Status::InvalidArgument(
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist.");
  }
  if (queue->visibility_timeout_s < function_timeout_s) {
    // A batch still running would become visible again and be delivered twice.
    return Status::InvalidArgument(
        "Queue visibility timeout: " + std::to_string(queue->visibility_timeout_s) +
        " seconds is less than Function timeout: " + std::to_string(function_timeout_s) +
        " seconds");
  }
  return ValidateSqs(m, queue->fifo);
}

std::unique_ptr<Reader> SqsSource::Start(const Mapping& m) {
  return std::make_unique<SqsReader>(loop_, store_, invoke_, options_, m);
}

}  // namespace thaw::esm
