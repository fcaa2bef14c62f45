// DdbStreamLog: a DynamoDB stream of the in-process TableStore as a ShardLog, and the records as
// Lambda's DynamoDB event has them (events.DynamoDBEvent: the Streams API record plus
// eventSourceARN; userIdentity with lower-case keys). Loop thread only.
#pragma once

#include <memory>
#include <string>

#include "dynamodb/table_store.h"
#include "esm/shard_log.h"

namespace thaw::esm {

class DdbStreamLog final : public ShardLog {
 public:
  // `store` must outlive this object.
  DdbStreamLog(dynamodb::TableStore& store, std::string stream_arn)
      : store_(store), arn_(std::move(stream_arn)) {}
  std::string_view batch_info_name() const override { return "DDBStreamBatchInfo"; }
  bool Exists() override { return Find() != nullptr; }
  std::vector<ShardInfo> Shards() override;
  std::vector<LogRecord> Read(const std::string& shard, const std::string& after,
                              size_t max) override;
  std::string Latest(const std::string& shard) override;
  std::string AtTimestamp(const std::string& shard, int64_t ms) override;
  bool Finished(const std::string& shard, const std::string& after) override;
  int64_t Behind(const std::string& shard, const std::string& after) override;
  std::shared_ptr<void> Listen(std::function<void()> wake) override;

 private:
  dynamodb::Stream* Find();
  // The first and last readable sequence numbers of `shard` after `after`; false if none.
  bool Range(dynamodb::Stream& s, const dynamodb::Shard& shard, const std::string& after,
             int64_t& from, int64_t& last) const;

  dynamodb::TableStore& store_;
  std::string arn_;
};

}  // namespace thaw::esm
