// KinesisStreamLog: a stream of the in-process Kinesis StreamStore as a ShardLog, and its records
// as Lambda's Kinesis event has them (events.KinesisEvent: base64 data, arrival time in epoch
// seconds with a fraction, eventID "shardId:sequenceNumber", the function's role as
// invokeIdentityArn). Loop thread only.
#pragma once

#include <memory>
#include <string>

#include "esm/shard_log.h"
#include "kinesis/stream_store.h"

namespace thaw::esm {

class KinesisStreamLog final : public ShardLog {
 public:
  // `store` must outlive this object. `role_arn`: the function's execution role.
  KinesisStreamLog(kinesis::StreamStore& store, std::string stream_arn, std::string role_arn)
      : store_(store), arn_(std::move(stream_arn)), role_(std::move(role_arn)) {}
  std::string_view batch_info_name() const override { return "KinesisBatchInfo"; }
  bool Exists() override;
  std::vector<ShardInfo> Shards() override;
  std::vector<LogRecord> Read(const std::string& shard, const std::string& after,
                              size_t max) override;
  std::string Latest(const std::string& shard) override;
  std::string AtTimestamp(const std::string& shard, int64_t ms) override;
  bool Finished(const std::string& shard, const std::string& after) override;
  int64_t Behind(const std::string& shard, const std::string& after) override;
  std::shared_ptr<void> Listen(std::function<void()> wake) override;

 private:
  kinesis::StreamStore& store_;
  std::string arn_;
  std::string role_;
};

// One Kinesis event record as JSON text (LogRecord::text), and parsed (for the unit test).
std::string KinesisEventText(const kinesis::RecordView& r, const std::string& shard_id,
                             const std::string& stream_arn, const std::string& role_arn);
nlohmann::json KinesisEventRecord(const kinesis::RecordView& r, const std::string& shard_id,
                                  const std::string& stream_arn, const std::string& role_arn);

}  // namespace thaw::esm
