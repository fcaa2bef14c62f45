#include "cli/stress_streams.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "base/status.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/deploy.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/run_support.h"
#include "cli/stress_checks.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

constexpr char kMappingsPath[] = "/2015-03-31/event-source-mappings";
constexpr char kFunctionPrefix[] = "thaw-stress-";
constexpr int kMaxRetryAttempts = 2;
constexpr int64_t kSlackMs = 30'000;         // beyond a scenario's expected end
constexpr int64_t kBombSampleMs = 250;       // selfsend: /thaw/esm every 250 ms ...
constexpr int64_t kBombEnabledMs = 4000;     // ... for 4 s while enabled
constexpr int64_t kBombStoppedGapMs = 1500;  // then two samples this far apart once disabled
constexpr int kPanicRecords = 6;             // the batch of panic; record 3 is the poison
constexpr int kPoisonIndex = 3;
// leak: touching twice its memory takes over a second on a loaded host; the OOM kill must come
// before the timeout.
constexpr int64_t kLeakTimeoutS = 10;

int64_t NowMs() { return SystemClock::Get().MonotonicNanos() / 1'000'000; }
void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Merges b into a: the observations joined with "; ", the mismatches appended.
void Merge(Verdict& a, const Verdict& b) {
  if (!b.observed.empty()) a.observed += (a.observed.empty() ? "" : "; ") + b.observed;
  a.mismatches.insert(a.mismatches.end(), b.mismatches.begin(), b.mismatches.end());
}

// One behaviour's run: its function, stream or table, OnFailure queue and mapping, deleted at
// the end.
class StreamRun {
 public:
  StreamRun(http::Client& client, const StreamStressOptions& options, std::string function)
      : client_(client), options_(options), function_(std::move(function)) {
    name_ =
        function_ + "-" + std::to_string(::getpid()) + "-" + std::to_string(NowMs() % 1'000'000);
  }
  ~StreamRun() {
    if (!uuid_.empty()) (void)Send(client_, "DELETE", kMappingsPath + ("/" + uuid_));
    if (source_created_) {
      if (kinesis()) {
        (void)Call("Kinesis_20131202.", "DeleteStream",
                   {{"StreamName", name_}, {"EnforceConsumerDeletion", true}});
      } else {
        (void)Call("DynamoDB_20120810.", "DeleteTable", {{"TableName", name_}});
      }
    }
    if (!queue_url_.empty()) (void)Call("AmazonSQS.", "DeleteQueue", {{"QueueUrl", queue_url_}});
  }
  StreamRun(const StreamRun&) = delete;
  StreamRun& operator=(const StreamRun&) = delete;

  bool kinesis() const { return options_.via == "kinesis"; }
  const std::string& function() const { return function_; }
  const std::string& stream_arn() const { return stream_arn_; }
  const std::string& function_arn() const { return function_arn_; }
  const std::string& uuid() const { return uuid_; }
  const StreamStressOptions& options() const { return options_; }
  http::Client& client() { return client_; }

  // One call of a JSON protocol service: `prefix` is the X-Amz-Target's ("Kinesis_20131202.").
  StatusOr<json> Call(const std::string& prefix, const std::string& action, const json& request) {
    http::Headers headers;
    headers.Set("X-Amz-Target", prefix + action);
    headers.Set("Content-Type", prefix == "Kinesis_20131202." ? "application/x-amz-json-1.1"
                                                              : "application/x-amz-json-1.0");
    http::Client* client = &client_;
    if (prefix != "AmazonSQS.") {
      // Kinesis and DynamoDB want requests signed for their own service.
      const bool kinesis_call = prefix == "Kinesis_20131202.";
      std::unique_ptr<http::Client>& signed_client = kinesis_call ? kinesis_client_ : ddb_client_;
      if (!signed_client) {
        THAW_ASSIGN_OR_RETURN(signed_client,
                              Connect(options_.endpoint, kinesis_call ? "kinesis" : "dynamodb"));
      }
      client = signed_client.get();
    }
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(*client, "POST", "/", DumpJson(request), headers));
    THAW_RETURN_IF_ERROR(ResponseStatus(response));
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) return Status::Internal(prefix + action + " answered non-JSON");
    return body;
  }

  // Deploys the function with the stream's or table's name in STREAM_NAME or TABLE_NAME.
  Status Deploy(const std::string& zip_path) {
    THAW_ASSIGN_OR_RETURN(std::string zip, ReadFileOrStdin(zip_path));
    THAW_ASSIGN_OR_RETURN(std::optional<json> existing, FindFunction(client_, function_));
    DeploySpec spec;
    spec.name = function_;
    spec.zip = std::move(zip);
    spec.memory_mb = options_.memory_mb;
    spec.timeout_s = options_.timeout_s;
    spec.environment = EnvVars{{kinesis() ? "STREAM_NAME" : "TABLE_NAME", name_}};
    THAW_RETURN_IF_ERROR(DeployFunction(client_, spec, existing, nullptr).status());
    THAW_ASSIGN_OR_RETURN(std::optional<json> config, FindFunction(client_, function_));
    if (!config) return Status::NotFound("function " + function_ + " is gone");
    function_arn_ = JsonString(*config, "FunctionArn");
    return Status::Ok();
  }

  // A Kinesis stream of one shard, or a table with a NEW_IMAGE stream; waits for ACTIVE.
  Status CreateSource() {
    if (kinesis()) {
      THAW_RETURN_IF_ERROR(
          Call("Kinesis_20131202.", "CreateStream", {{"StreamName", name_}, {"ShardCount", 1}})
              .status());
    } else {
      json request = {
          {"TableName", name_},
          {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
          {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
          {"BillingMode", "PAY_PER_REQUEST"},
          {"StreamSpecification", {{"StreamEnabled", true}, {"StreamViewType", "NEW_IMAGE"}}}};
      THAW_RETURN_IF_ERROR(Call("DynamoDB_20120810.", "CreateTable", request).status());
    }
    source_created_ = true;
    for (int64_t deadline = NowMs() + kSlackMs; NowMs() < deadline; SleepMs(100)) {
      if (kinesis()) {
        THAW_ASSIGN_OR_RETURN(
            json got, Call("Kinesis_20131202.", "DescribeStreamSummary", {{"StreamName", name_}}));
        json summary = got.value("StreamDescriptionSummary", json::object());
        if (JsonString(summary, "StreamStatus") == "ACTIVE") {
          stream_arn_ = JsonString(summary, "StreamARN");
          return Status::Ok();
        }
      } else {
        THAW_ASSIGN_OR_RETURN(json got,
                              Call("DynamoDB_20120810.", "DescribeTable", {{"TableName", name_}}));
        json table = got.value("Table", json::object());
        if (JsonString(table, "TableStatus") == "ACTIVE") {
          stream_arn_ = JsonString(table, "LatestStreamArn");
          return Status::Ok();
        }
      }
    }
    return Status::DeadlineExceeded(name_ + " did not become ACTIVE");
  }

  // Puts records {"key":K, ...data} (a Kinesis record's data, or an item with pk K and data's
  // members as attributes) in order and returns their sequence numbers.
  StatusOr<std::vector<std::string>> Put(const std::vector<json>& records) {
    std::vector<std::string> seqs;
    for (size_t i = 0; i < records.size(); ++i) {
      std::string key = "k" + std::to_string(i);
      if (kinesis()) {
        json data = records[i];
        data["key"] = key;
        THAW_ASSIGN_OR_RETURN(json put, Call("Kinesis_20131202.", "PutRecord",
                                             {{"StreamName", name_},
                                              {"PartitionKey", key},
                                              {"Data", Base64Encode(data.dump())}}));
        seqs.push_back(JsonString(put, "SequenceNumber"));
        continue;
      }
      json item = {{"pk", {{"S", key}}}};
      for (const auto& [name, value] : records[i].items()) {
        if (value.is_boolean()) item[name] = {{"BOOL", value.get<bool>()}};
        if (value.is_number()) item[name] = {{"N", value.dump()}};
      }
      THAW_RETURN_IF_ERROR(
          Call("DynamoDB_20120810.", "PutItem", {{"TableName", name_}, {"Item", item}}).status());
    }
    if (kinesis()) return seqs;
    return DdbSequenceNumbers(records.size());
  }

  // An SQS queue for OnFailure; returns its ARN.
  StatusOr<std::string> CreateQueue() {
    THAW_ASSIGN_OR_RETURN(json created, Call("AmazonSQS.", "CreateQueue", {{"QueueName", name_}}));
    queue_url_ = JsonString(created, "QueueUrl");
    THAW_ASSIGN_OR_RETURN(json got,
                          Call("AmazonSQS.", "GetQueueAttributes",
                               {{"QueueUrl", queue_url_}, {"AttributeNames", {"QueueArn"}}}));
    return JsonString(got.value("Attributes", json::object()), "QueueArn");
  }

  // The first message of the OnFailure queue (deleted), or nullopt by `deadline_ms`.
  StatusOr<std::optional<std::string>> ReceiveOne(int64_t deadline_ms) {
    while (true) {
      int64_t left_s = std::clamp<int64_t>((deadline_ms - NowMs()) / 1000, 0, 5);
      THAW_ASSIGN_OR_RETURN(json got, Call("AmazonSQS.", "ReceiveMessage",
                                           {{"QueueUrl", queue_url_},
                                            {"MaxNumberOfMessages", 1},
                                            {"WaitTimeSeconds", left_s}}));
      if (got.contains("Messages") && got["Messages"].is_array() && !got["Messages"].empty()) {
        const json& m = got["Messages"][0];
        THAW_RETURN_IF_ERROR(
            Call("AmazonSQS.", "DeleteMessage",
                 {{"QueueUrl", queue_url_}, {"ReceiptHandle", JsonString(m, "ReceiptHandle")}})
                .status());
        return std::optional<std::string>(JsonString(m, "Body"));
      }
      if (NowMs() >= deadline_ms) return std::optional<std::string>();
    }
  }

  // The stream mapping, from TRIM_HORIZON, once it is Enabled.
  Status CreateMapping(json request) {
    request["EventSourceArn"] = stream_arn_;
    request["FunctionName"] = function_;
    request["StartingPosition"] = "TRIM_HORIZON";
    THAW_ASSIGN_OR_RETURN(json created, CallJson(client_, "POST", kMappingsPath, &request));
    uuid_ = JsonString(created, "UUID");
    return AwaitState("Enabled");
  }

  Status Disable() {
    json request = {{"Enabled", false}};
    THAW_RETURN_IF_ERROR(
        CallJson(client_, "PUT", kMappingsPath + ("/" + uuid_), &request).status());
    return AwaitState("Disabled");
  }

  // The mapping's shards in GET /thaw/esm.
  StatusOr<json> Shards() {
    THAW_ASSIGN_OR_RETURN(json stats, CallJson(client_, "GET", "/thaw/esm"));
    for (const json& m : stats.value("EventSourceMappings", json::array())) {
      if (JsonString(m, "UUID") != uuid_) continue;
      json shards = m.value("Shards", json());
      return shards.is_array() ? shards : json::array();
    }
    return Status::NotFound("mapping " + uuid_ + " is not in /thaw/esm");
  }

  // Every invocation of the mapping's shards, oldest first within a shard.
  StatusOr<std::vector<ShardInvocation>> Invocations() {
    THAW_ASSIGN_OR_RETURN(json shards, Shards());
    std::vector<ShardInvocation> out;
    for (const json& s : shards) {
      std::vector<ShardInvocation> some = ParseShardInvocations(s);
      out.insert(out.end(), some.begin(), some.end());
    }
    return out;
  }

  // Polls Invocations() until `done` holds of them or `wait_ms` passed.
  template <typename Done>
  StatusOr<std::vector<ShardInvocation>> AwaitInvocations(Done done, int64_t wait_ms) {
    for (int64_t deadline = NowMs() + wait_ms;; SleepMs(100)) {
      THAW_ASSIGN_OR_RETURN(std::vector<ShardInvocation> got, Invocations());
      if (done(got) || NowMs() >= deadline) return got;
    }
  }

  // The invocation records of the function (GET /thaw/invocations).
  StatusOr<std::vector<AttemptRecord>> Records() {
    THAW_ASSIGN_OR_RETURN(json got, CallJson(client_, "GET",
                                             "/thaw/invocations?limit=1000&function=" +
                                                 http::PercentEncode(function_)));
    std::vector<AttemptRecord> out;
    for (const json& r : got.value("invocations", json::array())) {
      out.push_back(ParseAttemptRecord(r));
    }
    return out;
  }

 private:
  Status AwaitState(const std::string& state) {
    for (int64_t deadline = NowMs() + kSlackMs; NowMs() < deadline; SleepMs(50)) {
      THAW_ASSIGN_OR_RETURN(json got, CallJson(client_, "GET", kMappingsPath + ("/" + uuid_)));
      if (JsonString(got, "State") == state) return Status::Ok();
    }
    return Status::DeadlineExceeded("event source mapping " + uuid_ + " did not become " + state);
  }

  // The sequence numbers of the first `count` records of the table's stream (DynamoDB Streams'
  // GetRecords), which PutItem does not answer.
  StatusOr<std::vector<std::string>> DdbSequenceNumbers(size_t count) {
    const std::string streams = "DynamoDBStreams_20120810.";
    std::vector<std::string> seqs;
    for (int64_t deadline = NowMs() + kSlackMs; NowMs() < deadline; SleepMs(100)) {
      seqs.clear();
      THAW_ASSIGN_OR_RETURN(json described,
                            Call(streams, "DescribeStream", {{"StreamArn", stream_arn_}}));
      json description = described.value("StreamDescription", json::object());
      for (const json& shard : description.value("Shards", json::array())) {
        THAW_ASSIGN_OR_RETURN(json it, Call(streams, "GetShardIterator",
                                            {{"StreamArn", stream_arn_},
                                             {"ShardId", JsonString(shard, "ShardId")},
                                             {"ShardIteratorType", "TRIM_HORIZON"}}));
        THAW_ASSIGN_OR_RETURN(json got, Call(streams, "GetRecords",
                                             {{"ShardIterator", JsonString(it, "ShardIterator")}}));
        for (const json& r : got.value("Records", json::array())) {
          seqs.push_back(JsonString(r.value("dynamodb", json::object()), "SequenceNumber"));
        }
      }
      if (seqs.size() >= count) return seqs;
    }
    return Status::DeadlineExceeded("the stream of " + name_ + " did not show its records");
  }

  http::Client& client_;
  std::unique_ptr<http::Client> kinesis_client_;  // signed for "kinesis"; made by the first call
  std::unique_ptr<http::Client> ddb_client_;      // signed for "dynamodb"
  const StreamStressOptions& options_;
  std::string function_;
  std::string name_;  // of the stream or table, and of the queue
  std::string stream_arn_;
  std::string function_arn_;
  std::string queue_url_;
  std::string uuid_;
  bool source_created_ = false;
};

std::string InfoName(const StreamRun& r) {
  return r.kinesis() ? "KinesisBatchInfo" : "DDBStreamBatchInfo";
}

// Whether every seq of `seqs` was delivered in an OK invocation.
bool AllDelivered(const std::vector<ShardInvocation>& invocations,
                  const std::vector<std::string>& seqs) {
  return std::all_of(seqs.begin(), seqs.end(), [&](const std::string& seq) {
    return std::any_of(invocations.begin(), invocations.end(), [&](const ShardInvocation& i) {
      return i.result == "OK" && !SequenceLess(seq, i.first_seq) && !SequenceLess(i.last_seq, seq);
    });
  });
}

// loop and leak: a failing record at the head of the shard, then two good ones; BatchSize 1,
// MaximumRetryAttempts 2, an OnFailure queue. `status`/`error_type`: each attempt's record.
StatusOr<Verdict> RunBlocked(StreamRun& r, const json& failing, const std::string& status,
                             const std::string& error_type) {
  THAW_ASSIGN_OR_RETURN(std::string queue_arn, r.CreateQueue());
  THAW_ASSIGN_OR_RETURN(std::vector<std::string> seqs,
                        r.Put({failing, {{"good", 1}}, {{"good", 2}}}));
  THAW_RETURN_IF_ERROR(
      r.CreateMapping({{"BatchSize", 1},
                       {"MaximumRetryAttempts", kMaxRetryAttempts},
                       {"DestinationConfig", {{"OnFailure", {{"Destination", queue_arn}}}}}}));
  int64_t deadline =
      NowMs() + (kMaxRetryAttempts + 1) * (r.options().timeout_s * 1000 + 5000) + kSlackMs;
  THAW_ASSIGN_OR_RETURN(std::optional<std::string> record, r.ReceiveOne(deadline));
  std::vector<std::string> later(seqs.begin() + 1, seqs.end());
  THAW_ASSIGN_OR_RETURN(
      std::vector<ShardInvocation> invocations,
      r.AwaitInvocations(
          [&](const std::vector<ShardInvocation>& got) { return AllDelivered(got, later); },
          kSlackMs / 2));
  Verdict v = CheckShardBlocked(invocations, seqs[0], later, kMaxRetryAttempts);
  // Each attempt failed as Lambda's would.
  THAW_ASSIGN_OR_RETURN(std::vector<AttemptRecord> records, r.Records());
  for (size_t i = 0; i < invocations.size() && invocations[i].first_seq == seqs[0]; ++i) {
    auto it = std::find_if(records.begin(), records.end(), [&](const AttemptRecord& a) {
      return a.request_id == invocations[i].request_id;
    });
    std::string which = "attempt " + std::to_string(i + 1);
    if (it == records.end()) {
      v.mismatches.push_back(which + ": no invocation record " + invocations[i].request_id);
    } else if (it->status != status || it->error_type != error_type) {
      v.mismatches.push_back(which + ": got " + it->status + " " + it->error_type + ", want " +
                             status + " " + error_type);
    } else if (i == 0) {
      v.observed = status + (error_type.empty() ? "" : " " + error_type) + ": " + v.observed;
    }
  }
  if (!record) {
    v.mismatches.emplace_back("no OnFailure record");
    v.observed += "; no OnFailure record";
    return v;
  }
  Merge(v, CheckStreamFailureRecord(
               *record, {InfoName(r), r.function_arn(), r.stream_arn(), "RetryAttemptsExhausted",
                         seqs[0], seqs[0], 1, kMaxRetryAttempts + 1}));
  return v;
}

StatusOr<Verdict> RunLoop(StreamRun& r) { return RunBlocked(r, {{"poison", true}}, "timeout", ""); }

StatusOr<Verdict> RunLeak(StreamRun& r) {
  return RunBlocked(r, {{"poison", true}, {"mb", 2 * r.options().memory_mb}}, "error",
                    "Runtime.OutOfMemory");
}

// A batch of kPanicRecords with one poison record, bisected with MaximumRetryAttempts 0.
StatusOr<Verdict> RunPanic(StreamRun& r) {
  THAW_ASSIGN_OR_RETURN(std::string queue_arn, r.CreateQueue());
  std::vector<json> records;
  for (int i = 0; i < kPanicRecords; ++i) {
    records.push_back(i == kPoisonIndex ? json{{"poison", true}} : json{{"good", i}});
  }
  THAW_ASSIGN_OR_RETURN(std::vector<std::string> seqs, r.Put(records));
  THAW_RETURN_IF_ERROR(
      r.CreateMapping({{"BatchSize", 10},
                       {"MaximumRetryAttempts", 0},
                       {"BisectBatchOnFunctionError", true},
                       {"DestinationConfig", {{"OnFailure", {{"Destination", queue_arn}}}}}}));
  THAW_ASSIGN_OR_RETURN(std::optional<std::string> record,
                        r.ReceiveOne(NowMs() + 8 * r.options().timeout_s * 1000 + kSlackMs));
  std::vector<std::string> others = seqs;
  others.erase(others.begin() + kPoisonIndex);
  THAW_ASSIGN_OR_RETURN(
      std::vector<ShardInvocation> invocations,
      r.AwaitInvocations(
          [&](const std::vector<ShardInvocation>& got) { return AllDelivered(got, others); },
          kSlackMs / 2));
  THAW_ASSIGN_OR_RETURN(json shards, r.Shards());
  int64_t bisections = 0;
  for (const json& s : shards) bisections += JsonInt(s, "Bisections", 0);
  Verdict v = CheckBisected(invocations, seqs[kPoisonIndex], others, bisections);
  if (!record) {
    v.mismatches.emplace_back("no OnFailure record");
    v.observed += "; no OnFailure record";
    return v;
  }
  // The poison record's batch was invoked once (MaximumRetryAttempts 0).
  Merge(v, CheckStreamFailureRecord(
               *record, {InfoName(r), r.function_arn(), r.stream_arn(), "RetryAttemptsExhausted",
                         seqs[kPoisonIndex], seqs[kPoisonIndex], 1, 1}));
  return v;
}

// The mapping's shards summed into one sample.
StatusOr<ShardSample> Sample(StreamRun& r, int64_t start_ms) {
  THAW_ASSIGN_OR_RETURN(json shards, r.Shards());
  ShardSample sum{NowMs() - start_ms, 0, 0, 0, 0};
  for (const json& s : shards) {
    ShardSample one = ParseShardSample(s, sum.at_ms);
    sum.records += one.records;
    sum.behind += one.behind;
    sum.iterator_age_ms = std::max(sum.iterator_age_ms, one.iterator_age_ms);
    sum.batches += one.batches;
  }
  return sum;
}

// selfsend: two seed records {"hop":0}; each record makes two more on the same stream.
StatusOr<Verdict> RunBomb(StreamRun& r) {
  THAW_RETURN_IF_ERROR(r.Put({{{"hop", 0}}, {{"hop", 0}}}).status());
  THAW_RETURN_IF_ERROR(r.CreateMapping({{"BatchSize", 10}, {"MaximumRetryAttempts", 0}}));
  int64_t start = NowMs();
  std::vector<ShardSample> enabled;
  while (NowMs() - start < kBombEnabledMs) {
    THAW_ASSIGN_OR_RETURN(ShardSample s, Sample(r, start));
    enabled.push_back(s);
    SleepMs(kBombSampleMs);
  }
  THAW_RETURN_IF_ERROR(r.Disable());
  SleepMs(r.options().timeout_s * 1000);  // a batch in flight when disabled ends
  std::vector<ShardSample> stopped;
  THAW_ASSIGN_OR_RETURN(ShardSample first, Sample(r, start));
  stopped.push_back(first);
  SleepMs(kBombStoppedGapMs);
  THAW_ASSIGN_OR_RETURN(ShardSample second, Sample(r, start));
  stopped.push_back(second);
  return CheckBombGrowth(enabled, stopped);
}

struct StreamBehaviour {
  const char* name;
  const char* expected;  // Lambda's outcome; {info} is the batch info's name
  StatusOr<Verdict> (*run)(StreamRun&);
  int64_t min_timeout_s;  // deployed with at least this Timeout (0: --timeout)
};

constexpr StreamBehaviour kStreamBehaviours[] = {
    {"loop",
     "timeout x3 (MaximumRetryAttempts 2) blocking the shard, then OnFailure "
     "RetryAttemptsExhausted + {info}; the shard moves on",
     RunLoop, 0},
    {"panic",
     "bisected (BisectBatchOnFunctionError, MaximumRetryAttempts 0): the poison record alone to "
     "OnFailure ({info}), the rest delivered",
     RunPanic, 0},
    {"leak",
     "Runtime.OutOfMemory x3 blocking the shard, then OnFailure RetryAttemptsExhausted + {info}; "
     "the shard moves on",
     RunLeak, kLeakTimeoutS},
    {"selfsend",
     "event bomb on its own stream, not stopped (no loop detection for streams): records and "
     "iterator age grow until the mapping is disabled",
     RunBomb, 0},
};

std::string Expected(const StreamBehaviour& b, const std::string& info) {
  std::string out = b.expected;
  size_t at = out.find("{info}");
  if (at != std::string::npos) out.replace(at, 6, info);
  return out;
}

// The recovery invocation: a plain RequestResponse {"ok":true}.
bool Recover(StreamRun& r, std::vector<std::string>& details) {
  http::Headers headers;
  headers.Set("Content-Type", "application/json");
  StatusOr<http::Response> response =
      Send(r.client(), "POST", FunctionTarget(r.function(), "/invocations"), R"({"ok":true})",
           headers, r.options().timeout_s * 1000 + 60'000);
  if (!response.ok()) {
    details.push_back("recovery invoke: " + response.status().message());
    return false;
  }
  Observation o = Observe(*response);
  if (Recovered(o)) return true;
  details.push_back("recovery invoke: " + Describe(o));
  return false;
}

}  // namespace

bool IsStreamVia(std::string_view via) { return via == "kinesis" || via == "dynamodb"; }

std::vector<std::string> StreamBehaviourNames() {
  std::vector<std::string> out;
  for (const StreamBehaviour& b : kStreamBehaviours) out.emplace_back(b.name);
  return out;
}

StreamStressResult RunStreamBehaviour(const StreamStressOptions& options,
                                      const std::string& behaviour) {
  StreamStressResult result;
  const StreamBehaviour* b = nullptr;
  for (const StreamBehaviour& v : kStreamBehaviours) b = behaviour == v.name ? &v : b;
  if (b == nullptr) {
    result.observed = "unknown behaviour";
    return result;
  }
  result.expected =
      Expected(*b, options.via == "kinesis" ? "KinesisBatchInfo" : "DDBStreamBatchInfo");
  StreamStressOptions own = options;
  own.timeout_s = std::max(options.timeout_s, b->min_timeout_s);
  StatusOr<std::unique_ptr<http::Client>> client = Connect(options.endpoint);
  if (!client.ok()) {
    result.observed = "not connected";
    result.details.push_back(client.status().message());
    return result;
  }
  FunctionCleanup cleanup(**client, /*keep=*/false);
  StreamRun run(**client, own, std::string(kFunctionPrefix) + options.via + "-" + b->name);
  Status ready = run.Deploy(options.examples + "/stress-" + b->name + ".zip");
  if (ready.ok()) {
    cleanup.Add(run.function());
    ready = run.CreateSource();
  }
  if (!ready.ok()) {
    result.observed = "not deployed";
    result.details.push_back(ready.message());
    return result;
  }
  StatusOr<Verdict> verdict = b->run(run);
  if (!verdict.ok()) {
    result.observed = "no answer";
    result.details.push_back(verdict.status().message());
    return result;
  }
  result.observed = verdict->observed;
  result.details = verdict->mismatches;
  result.recovered = Recover(run, result.details);
  result.pass = verdict->pass() && result.recovered;
  return result;
}

}  // namespace thaw::cli
