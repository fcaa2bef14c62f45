#include "esm/stream_source.h"

#include <utility>

#include "base/log.h"
#include "esm/ddb_stream_log.h"
#include "esm/kinesis_stream_log.h"
#include "filter/pattern.h"

namespace thaw::esm {

using nlohmann::json;

namespace {

class StreamReader final : public Reader {
 public:
  StreamReader(boost::asio::io_context& loop, std::unique_ptr<ShardLog> log,
               Checkpoints& checkpoints, const InvokeFn& invoke, const FailureFn& fail,
               const Clock& clock, StreamPoller::Options options, const Mapping& m)
      : log_(std::move(log)),
        poller_(loop, *log_, checkpoints, invoke, fail, clock, StreamSettings(m), options) {
    poller_.Start();
  }
  void Update(const Mapping& m) override { poller_.Update(StreamSettings(m)); }
  std::optional<std::string> last_result() const override {
    std::string r = poller_.last_result();
    if (r.empty()) return std::nullopt;
    return r;
  }
  json Stats() const override { return StatsJson(poller_.Stats()); }

 private:
  std::unique_ptr<ShardLog> log_;  // before the poller, which reads it
  StreamPoller poller_;
};

}  // namespace

StreamPoller::Settings StreamSettings(const Mapping& m) {
  StreamPoller::Settings s{
      .uuid = m.uuid,
      .function_arn = m.function_arn,
      .event_source_arn = m.event_source_arn,
      .batch_size = m.batch_size,
      .batching_window_ms = m.batching_window_s * 1000,
      .starting_position = m.starting_position,
      .starting_ts_ms = static_cast<int64_t>(m.starting_position_ts.value_or(0) * 1000),
      .bisect = m.bisect,
      .max_retries = m.max_retries,
      .max_record_age_s = m.max_record_age_s,
      .report_item_failures = m.ReportsItemFailures(),
      .on_failure = m.on_failure,
      .filter = {},
      .tumbling_window_s = m.tumbling_window_s,
      .parallelization = m.parallelization,
  };
  if (!m.filter_criteria.is_null()) {
    auto criteria = filter::Criteria::Parse(m.filter_criteria);
    if (!criteria.ok()) {
      THAW_LOG(kWarn, "esm") << m.uuid
                             << ": FilterCriteria ignored: " << criteria.status().ToString();
    } else if (!criteria->empty()) {
      s.filter = [criteria = std::move(*criteria)](const json& record) {
        return criteria.Matches(record);
      };
    }
  }
  return s;
}

json StatsJson(const std::vector<StreamPoller::ShardStats>& stats) {
  json shards = json::array();
  for (const auto& s : stats) {
    shards.push_back({{"ShardId", s.shard},
                      {"ParentShardId", s.parent},
                      {"Checkpoint", s.checkpoint},
                      {"Finished", s.finished},
                      {"WaitingForParent", s.waiting_for_parent},
                      {"IteratorAgeMs", s.iterator_age_ms},
                      {"RecordsBehind", s.behind},
                      {"Batches", s.batches},
                      {"Records", s.records},
                      {"Filtered", s.filtered},
                      {"Retries", s.retries},
                      {"Bisections", s.bisections},
                      {"OnFailure", s.on_failure},
                      {"LastResult", s.last_result},
                      {"Invocations", [&s] {
                         json list = json::array();
                         for (const auto& i : s.invocations) {
                           list.push_back({{"RequestId", i.request_id},
                                           {"FirstSequenceNumber", i.first_seq},
                                           {"LastSequenceNumber", i.last_seq},
                                           {"Records", i.records},
                                           {"Result", i.result}});
                         }
                         return list;
                       }()}});
  }
  return shards;
}

DdbStreamSource::DdbStreamSource(boost::asio::io_context& loop, dynamodb::TableStore& store,
                                 Checkpoints& checkpoints, InvokeFn invoke, FailureFn fail,
                                 const Clock& clock, StreamPoller::Options options)
    : loop_(loop),
      store_(store),
      checkpoints_(checkpoints),
      invoke_(std::move(invoke)),
      fail_(std::move(fail)),
      clock_(clock),
      options_(options) {}

bool DdbStreamSource::Reads(std::string_view arn) const {
  return arn.starts_with("arn:aws:dynamodb:") && arn.find("/stream/") != std::string_view::npos;
}

Status DdbStreamSource::Validate(const Mapping& m, int64_t function_timeout_s) const {
  (void)function_timeout_s;
  if (!store_.FindStream(m.event_source_arn)) {
    return Status::InvalidArgument(
        "Cannot access stream " + m.event_source_arn +
        ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, "
        "and ListStreams Actions on your stream in IAM.");
  }
  return ValidateStream(m, /*at_timestamp=*/false);
}

std::unique_ptr<Reader> DdbStreamSource::Start(const Mapping& m) {
  return std::make_unique<StreamReader>(loop_,
                                        std::make_unique<DdbStreamLog>(store_, m.event_source_arn),
                                        checkpoints_, invoke_, fail_, clock_, options_, m);
}

KinesisStreamSource::KinesisStreamSource(boost::asio::io_context& loop, kinesis::StreamStore& store,
                                         const lambda::Registry& registry, Checkpoints& checkpoints,
                                         InvokeFn invoke, FailureFn fail, const Clock& clock,
                                         StreamPoller::Options options)
    : loop_(loop),
      store_(store),
      registry_(registry),
      checkpoints_(checkpoints),
      invoke_(std::move(invoke)),
      fail_(std::move(fail)),
      clock_(clock),
      options_(options) {}

bool KinesisStreamSource::Reads(std::string_view arn) const {
  return arn.starts_with("arn:aws:kinesis:") && arn.find(":stream/") != std::string_view::npos;
}

Status KinesisStreamSource::Validate(const Mapping& m, int64_t function_timeout_s) const {
  (void)function_timeout_s;
  if (!store_.FindByArn(m.event_source_arn)) {
    return Status::InvalidArgument(
        "Cannot access stream " + m.event_source_arn +
        ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, "
        "ListShards, and ListStreams Actions on your stream in IAM.");
  }
  return ValidateStream(m, /*at_timestamp=*/true);
}

std::unique_ptr<Reader> KinesisStreamSource::Start(const Mapping& m) {
  std::string role;
  if (auto resolved = registry_.Resolve(m.function_arn, ""); resolved.ok()) {
    role = resolved->config->role;
  }
  return std::make_unique<StreamReader>(
      loop_, std::make_unique<KinesisStreamLog>(store_, m.event_source_arn, std::move(role)),
      checkpoints_, invoke_, fail_, clock_, options_, m);
}

}  // namespace thaw::esm
