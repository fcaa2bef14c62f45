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
};

// Parses the JSON body and checks the model's ranges (ValidationException texts).
StatusOr<MappingRequest> ParseMappingRequest(std::string_view body, bool create);
// Applies the given fields of `request` to `m` (not FunctionName or EventSourceArn).
void ApplySettings(const MappingRequest& request, Mapping& m);
// AWS's checks that depend on the source: BatchSize with the batching window, FIFO limits.
Status ValidateSqs(const Mapping& m, bool fifo);

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
