// Mapping: one event source mapping (Lambda's EventSourceMappingConfiguration), its validation
// and its state machine. The record and the checks common to every source live here; what a
// source adds (SQS's batch limits, a stream's StartingPosition) is in its Source. Pure values and
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::esm {

enum class SourceKind { kSqs, kKinesis, kDynamoDbStreams };

// Lambda's states. Creating, Enabling, Disabling, Updating and Deleting are transitional: they
// settle after a delay (Settle).
enum class State { kCreating, kEnabling, kEnabled, kDisabling, kDisabled, kUpdating, kDeleting };

std::string_view StateName(State s);
std::optional<State> ParseState(std::string_view name);
bool Transitional(State s);

struct Mapping {
  std::string uuid;
  SourceKind kind = SourceKind::kSqs;
  std::string event_source_arn;
  std::string function_arn;  // qualified when the caller named a version or alias
  bool enabled = true;
  int64_t batch_size = 10;
  int64_t batching_window_s = 0;
  std::vector<std::string> function_response_types;  // [] or ["ReportBatchItemFailures"]
  std::optional<int64_t> maximum_concurrency;        // ScalingConfig
  nlohmann::json filter_criteria;                    // null when none
  State state = State::kCreating;
  std::string state_reason = "USER_INITIATED";
  int64_t last_modified_ms = 0;
  // Streams only (Kinesis, DynamoDB Streams).
  std::string starting_position;               // TRIM_HORIZON, LATEST or AT_TIMESTAMP
  std::optional<double> starting_position_ts;  // epoch seconds, with AT_TIMESTAMP
  int64_t parallelization = 1;
  bool bisect = false;
  int64_t max_retries = -1;  // -1: until the records expire
  int64_t max_record_age_s = -1;
  std::string on_failure;  // DestinationConfig.OnFailure.Destination; "" for none
  int64_t tumbling_window_s = 0;
  std::string last_result = "No records processed";  // LastProcessingResult

  bool IsStream() const { return kind != SourceKind::kSqs; }
  bool ReportsItemFailures() const;
  std::string Arn() const;  // EventSourceMappingArn, in the function's account
};

// What CreateEventSourceMapping and UpdateEventSourceMapping carry (absent: not given).
struct MappingRequest {
  std::optional<std::string> function_name;
  std::optional<std::string> event_source_arn;
  std::optional<bool> enabled;
  std::optional<int64_t> batch_size;
  std::optional<int64_t> batching_window_s;
  std::optional<std::vector<std::string>> function_response_types;
  std::optional<std::optional<int64_t>> maximum_concurrency;  // {} given empty: cleared
  std::optional<nlohmann::json> filter_criteria;              // json null: cleared
  std::optional<std::string> starting_position;
  std::optional<double> starting_position_ts;
  std::optional<int64_t> parallelization;
  std::optional<bool> bisect;
  std::optional<int64_t> max_retries;
  std::optional<int64_t> max_record_age_s;
  std::optional<std::string> on_failure;  // "" given empty: cleared
  bool on_success = false;                // OnSuccess given (refused for streams)
  std::optional<int64_t> tumbling_window_s;
};

// Parses the JSON body and checks the model's ranges (ValidationException texts).
StatusOr<MappingRequest> ParseMappingRequest(std::string_view body, bool create);
// Applies the given fields of `request` to `m` (not FunctionName or EventSourceArn).
void ApplySettings(const MappingRequest& request, Mapping& m);
// AWS's checks that depend on the source: BatchSize with the batching window, FIFO limits.
Status ValidateSqs(const Mapping& m, bool fifo);
// The checks every stream mapping gets (Kinesis and DynamoDB): a StartingPosition (AT_TIMESTAMP
// only when `at_timestamp`), a StartingPositionTimestamp only with it, an SQS or SNS OnFailure,
// MaximumRecordAgeInSeconds -1 or at least 60.
Status ValidateStream(const Mapping& m, bool at_timestamp);
// What CreateEventSourceMapping and UpdateEventSourceMapping refuse whatever the source:
// OnSuccess on a stream.
Status ValidateRequest(const Mapping& m, const MappingRequest& request, bool create);

// The API's JSON for a mapping.
nlohmann::json ToJson(const Mapping& m);
// The stored form (ToJson plus what the API does not show) and back.
std::string Store(const Mapping& m);
StatusOr<Mapping> Load(std::string_view stored);

// The state after a transitional one settles; nullopt for Deleting (the mapping is gone).
std::optional<State> Settle(const Mapping& m);
// The state an update moves an idle mapping to: Enabling, Disabling or Updating.
State AfterUpdate(bool was_enabled, bool enabled);
// Whether messages are read in this state.
bool Polls(const Mapping& m);

}  // namespace thaw::esm
