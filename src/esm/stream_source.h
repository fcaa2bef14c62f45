// DdbStreamSource and KinesisStreamSource: event source mappings on DynamoDB streams of the
// in-process TableStore and on Kinesis streams of the in-process StreamStore, read by
// StreamPoller through DdbStreamLog or KinesisStreamLog, with checkpoints in state.db.
// Loop thread only.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "dynamodb/table_store.h"
#include "esm/checkpoints.h"
#include "esm/source.h"
#include "esm/stream_poller.h"
#include "kinesis/stream_store.h"
#include "lambda/registry.h"

namespace thaw::esm {

// The mapping's stream settings for a StreamPoller (FilterCriteria compiled).
StreamPoller::Settings StreamSettings(const Mapping& m);
// Per-shard counters as `thaw esm` shows them.
nlohmann::json StatsJson(const std::vector<StreamPoller::ShardStats>& stats);

class DdbStreamSource final : public Source {
 public:
  // Every reference must outlive the source and its readers.
  DdbStreamSource(boost::asio::io_context& loop, dynamodb::TableStore& store,
                  Checkpoints& checkpoints, InvokeFn invoke, FailureFn fail, const Clock& clock,
                  StreamPoller::Options options);
  SourceKind kind() const override { return SourceKind::kDynamoDbStreams; }
  bool Reads(std::string_view arn) const override;
  int64_t default_batch_size() const override { return 100; }
  Status Validate(const Mapping& m, int64_t function_timeout_s) const override;
  std::unique_ptr<Reader> Start(const Mapping& m) override;
  void Deleted(const std::string& uuid) override { checkpoints_.Forget(uuid); }

 private:
  boost::asio::io_context& loop_;
  dynamodb::TableStore& store_;
  Checkpoints& checkpoints_;
  InvokeFn invoke_;
  FailureFn fail_;
  const Clock& clock_;
  StreamPoller::Options options_;
};

class KinesisStreamSource final : public Source {
 public:
  // Every reference must outlive the source and its readers. `registry` gives the function's
  // role, the records' invokeIdentityArn.
  KinesisStreamSource(boost::asio::io_context& loop, kinesis::StreamStore& store,
                      const lambda::Registry& registry, Checkpoints& checkpoints, InvokeFn invoke,
                      FailureFn fail, const Clock& clock, StreamPoller::Options options);
  SourceKind kind() const override { return SourceKind::kKinesis; }
  bool Reads(std::string_view arn) const override;
  int64_t default_batch_size() const override { return 100; }
  Status Validate(const Mapping& m, int64_t function_timeout_s) const override;
  std::unique_ptr<Reader> Start(const Mapping& m) override;
  void Deleted(const std::string& uuid) override { checkpoints_.Forget(uuid); }

 private:
  boost::asio::io_context& loop_;
  kinesis::StreamStore& store_;
  const lambda::Registry& registry_;
  Checkpoints& checkpoints_;
  InvokeFn invoke_;
  FailureFn fail_;
  const Clock& clock_;
  StreamPoller::Options options_;
};

}  // namespace thaw::esm
