// SqsSource: event source mappings on SQS queues of the in-process QueueStore, read by
// SqsPoller. Loop thread only.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "esm/source.h"
#include "esm/sqs_poller.h"
#include "sqs/queue_store.h"

namespace thaw::esm {

// The mapping's FilterCriteria as a message test (Lambda's event filtering, filter/pattern.h);
// empty without filters. A message no filter matches is deleted unseen, as Lambda does.
MessageFilter SqsFilter(const Mapping& m);

class SqsSource final : public Source {
 public:
  // Every reference must outlive the source and its readers.
  SqsSource(boost::asio::io_context& loop, sqs::QueueStore& store, InvokeFn invoke,
            SqsPoller::Options options = {});
  SourceKind kind() const override { return SourceKind::kSqs; }
  bool Reads(std::string_view arn) const override;
  int64_t default_batch_size() const override { return 10; }
  Status Validate(const Mapping& m, int64_t function_timeout_s) const override;
  std::unique_ptr<Reader> Start(const Mapping& m) override;

 private:
  boost::asio::io_context& loop_;
  sqs::QueueStore& store_;
  InvokeFn invoke_;
  SqsPoller::Options options_;
};

}  // namespace thaw::esm
