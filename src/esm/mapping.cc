#include "esm/mapping.h"

#include <utility>

#include "auth/accounts.h"
#include "filter/pattern.h"
#include "lambda/api_error.h"
#include "lambda/function.h"

namespace thaw::esm {

using nlohmann::json;

namespace {

void RangeCheck(int64_t v, int64_t lo, int64_t hi, std::string_view field,
                std::vector<std::string>& violations) {
  if (v < lo) {
    violations.push_back(lambda::ConstraintViolation(
        std::to_string(v), field,
        "Member must have value greater than or equal to " + std::to_string(lo)));
  } else if (v > hi) {
    violations.push_back(lambda::ConstraintViolation(
        std::to_string(v), field,
        "Member must have value less than or equal to " + std::to_string(hi)));
  }
}

StatusOr<int64_t> Int(const json& v, std::string_view name) {
  if (!v.is_number_integer()) {
    return lambda::BadRequestContent(std::string(name) + " must be an integer");
  }
  return v.get<int64_t>();
}

// FilterCriteria: {"Filters": [{"Pattern": "<a JSON object>"}, ...]}, at most 5 filters.
Status CheckFilterCriteria(const json& fc) {
  if (!fc.is_object()) return lambda::BadRequestContent("FilterCriteria must be an object");
  if (!fc.contains("Filters")) return Status::Ok();
  const json& filters = fc["Filters"];
  if (!filters.is_array()) return lambda::BadRequestContent("Filters must be a list");
  if (filters.size() > 5) {
    return lambda::ValidationError(filters.dump(), "filterCriteria.filters",
                                   "Member must have length less than or equal to 5");
  }
  // Each Pattern must parse as Lambda's filter rules; AWS says only which text it refused.
  return filter::Criteria::Parse(fc).status();
}

}  // namespace

std::string_view StateName(State s) {
  switch (s) {
    case State::kCreating:
      return "Creating";
    case State::kEnabling:
      return "Enabling";
    case State::kEnabled:
      return "Enabled";
    case State::kDisabling:
      return "Disabling";
    case State::kDisabled:
      return "Disabled";
    case State::kUpdating:
      return "Updating";
    case State::kDeleting:
      return "Deleting";
  }
  return "Disabled";
}

std::optional<State> ParseState(std::string_view name) {
  for (State s : {State::kCreating, State::kEnabling, State::kEnabled, State::kDisabling,
                  State::kDisabled, State::kUpdating, State::kDeleting}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

bool Transitional(State s) { return s != State::kEnabled && s != State::kDisabled; }

bool Mapping::ReportsItemFailures() const {
  for (const auto& t : function_response_types) {
    if (t == "ReportBatchItemFailures") return true;
  }
  return false;
}

std::string Mapping::Arn() const {
  std::string account = auth::ArnAccount(function_arn);
  if (account.empty()) account = lambda::kAccount;
  return "arn:aws:lambda:us-east-1:" + account + ":event-source-mapping:" + uuid;
}

StatusOr<MappingRequest> ParseMappingRequest(std::string_view body, bool create) {
  json in = json::parse(body.empty() ? std::string_view("{}") : body, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return lambda::BadRequestContent("the body is not a JSON object");
  }
  MappingRequest r;
  std::vector<std::string> violations;
  if (in.contains("FunctionName")) {
    if (!in["FunctionName"].is_string()) return lambda::BadRequestContent("FunctionName");
    r.function_name = in["FunctionName"].get<std::string>();
    if (r.function_name->empty() || r.function_name->size() > 140) {
      violations.push_back(lambda::ConstraintViolation(
          *r.function_name, "functionName",
          r.function_name->empty() ? "Member must have length greater than or equal to 1"
                                   : "Member must have length less than or equal to 140"));
    }
  } else if (create) {
    return lambda::MissingMember("functionName");
  }
  if (in.contains("EventSourceArn")) {
    if (!create) return lambda::BadRequestContent("EventSourceArn cannot be updated");
    if (!in["EventSourceArn"].is_string()) return lambda::BadRequestContent("EventSourceArn");
    r.event_source_arn = in["EventSourceArn"].get<std::string>();
  }
  if (in.contains("Enabled")) {
    if (!in["Enabled"].is_boolean()) return lambda::BadRequestContent("Enabled must be a boolean");
    r.enabled = in["Enabled"].get<bool>();
  }
  if (in.contains("BatchSize")) {
    THAW_ASSIGN_OR_RETURN(int64_t v, Int(in["BatchSize"], "BatchSize"));
    RangeCheck(v, 1, 10000, "batchSize", violations);
    r.batch_size = v;
  }
  if (in.contains("MaximumBatchingWindowInSeconds")) {
    THAW_ASSIGN_OR_RETURN(
        int64_t v, Int(in["MaximumBatchingWindowInSeconds"], "MaximumBatchingWindowInSeconds"));
    RangeCheck(v, 0, 300, "maximumBatchingWindowInSeconds", violations);
    r.batching_window_s = v;
  }
  if (in.contains("FunctionResponseTypes")) {
    const json& types = in["FunctionResponseTypes"];
    if (!types.is_array()) return lambda::BadRequestContent("FunctionResponseTypes");
    std::vector<std::string> out;
    for (const json& t : types) {
      if (!t.is_string() || t.get<std::string>() != "ReportBatchItemFailures") {
        violations.push_back(lambda::ConstraintViolation(
            types.dump(), "functionResponseTypes",
            "Member must satisfy constraint: [Member must satisfy enum value set: "
            "[ReportBatchItemFailures]]"));
        break;
      }
      out.push_back(t.get<std::string>());
    }
    r.function_response_types = std::move(out);
  }
  if (in.contains("ScalingConfig")) {
    const json& sc = in["ScalingConfig"];
    if (!sc.is_object()) return lambda::BadRequestContent("ScalingConfig must be an object");
    if (sc.contains("MaximumConcurrency") && !sc["MaximumConcurrency"].is_null()) {
      THAW_ASSIGN_OR_RETURN(int64_t v, Int(sc["MaximumConcurrency"], "MaximumConcurrency"));
      RangeCheck(v, 2, 1000, "scalingConfig.maximumConcurrency", violations);
      r.maximum_concurrency = std::optional<int64_t>(v);
    } else {
      r.maximum_concurrency = std::optional<int64_t>();
    }
  }
  if (in.contains("StartingPosition")) {
    if (!create) return lambda::BadRequestContent("StartingPosition cannot be updated");
    const json& v = in["StartingPosition"];
    std::string pos = v.is_string() ? v.get<std::string>() : v.dump();
    if (pos != "TRIM_HORIZON" && pos != "LATEST" && pos != "AT_TIMESTAMP") {
      violations.push_back(lambda::ConstraintViolation(
          pos, "startingPosition",
          "Member must satisfy enum value set: [AT_TIMESTAMP, LATEST, TRIM_HORIZON]"));
    }
    r.starting_position = pos;
  }
  if (in.contains("StartingPositionTimestamp")) {
    const json& v = in["StartingPositionTimestamp"];
    if (!v.is_number()) return lambda::BadRequestContent("StartingPositionTimestamp");
    r.starting_position_ts = v.get<double>();
  }
  if (in.contains("ParallelizationFactor")) {
    THAW_ASSIGN_OR_RETURN(int64_t v, Int(in["ParallelizationFactor"], "ParallelizationFactor"));
    RangeCheck(v, 1, 10, "parallelizationFactor", violations);
    r.parallelization = v;
  }
  if (in.contains("BisectBatchOnFunctionError")) {
    if (!in["BisectBatchOnFunctionError"].is_boolean()) {
      return lambda::BadRequestContent("BisectBatchOnFunctionError must be a boolean");
    }
    r.bisect = in["BisectBatchOnFunctionError"].get<bool>();
  }
  if (in.contains("MaximumRetryAttempts")) {
    THAW_ASSIGN_OR_RETURN(int64_t v, Int(in["MaximumRetryAttempts"], "MaximumRetryAttempts"));
    RangeCheck(v, -1, 10000, "maximumRetryAttempts", violations);
    r.max_retries = v;
  }
  if (in.contains("MaximumRecordAgeInSeconds")) {
    THAW_ASSIGN_OR_RETURN(int64_t v,
                          Int(in["MaximumRecordAgeInSeconds"], "MaximumRecordAgeInSeconds"));
    RangeCheck(v, -1, 604800, "maximumRecordAgeInSeconds", violations);
    r.max_record_age_s = v;
  }
  if (in.contains("TumblingWindowInSeconds")) {
    THAW_ASSIGN_OR_RETURN(int64_t v, Int(in["TumblingWindowInSeconds"], "TumblingWindowInSeconds"));
    RangeCheck(v, 0, 900, "tumblingWindowInSeconds", violations);
    r.tumbling_window_s = v;
  }
  if (in.contains("DestinationConfig")) {
    const json& dc = in["DestinationConfig"];
    if (!dc.is_object()) return lambda::BadRequestContent("DestinationConfig must be an object");
    if (dc.contains("OnSuccess") && dc["OnSuccess"].is_object() &&
        dc["OnSuccess"].contains("Destination")) {
      r.on_success = true;
    }
    if (dc.contains("OnFailure")) {
      const json& of = dc["OnFailure"];
      if (!of.is_object()) return lambda::BadRequestContent("OnFailure must be an object");
      const json d = of.value("Destination", json(""));
      if (!d.is_string()) return lambda::BadRequestContent("Destination must be a string");
      r.on_failure = d.get<std::string>();
    }
  }
  if (in.contains("FilterCriteria")) {
    const json& fc = in["FilterCriteria"];
    if (!fc.is_null()) THAW_RETURN_IF_ERROR(CheckFilterCriteria(fc));
    r.filter_criteria = fc;
  }
  if (!violations.empty()) return lambda::ValidationError(violations);
  if (create && !r.event_source_arn) {
    return Status::InvalidArgument("Unrecognized event source.");
  }
  return r;
}

void ApplySettings(const MappingRequest& request, Mapping& m) {
  if (request.enabled) m.enabled = *request.enabled;
  if (request.batch_size) m.batch_size = *request.batch_size;
  if (request.batching_window_s) m.batching_window_s = *request.batching_window_s;
  if (request.function_response_types) m.function_response_types = *request.function_response_types;
  if (request.maximum_concurrency) m.maximum_concurrency = *request.maximum_concurrency;
  if (request.starting_position) m.starting_position = *request.starting_position;
  if (request.starting_position_ts) m.starting_position_ts = *request.starting_position_ts;
  if (request.parallelization) m.parallelization = *request.parallelization;
  if (request.bisect) m.bisect = *request.bisect;
  if (request.max_retries) m.max_retries = *request.max_retries;
  if (request.max_record_age_s) m.max_record_age_s = *request.max_record_age_s;
  if (request.on_failure) m.on_failure = *request.on_failure;
  if (request.tumbling_window_s) m.tumbling_window_s = *request.tumbling_window_s;
  if (request.filter_criteria) {
    const json& fc = *request.filter_criteria;
    // An empty FilterCriteria (or one with no filters) removes the filters, as on AWS.
    bool empty = fc.is_null() || !fc.contains("Filters") || fc["Filters"].empty();
    m.filter_criteria = empty ? json() : fc;
  }
}

Status ValidateSqs(const Mapping& m, bool fifo) {
  if (fifo && m.batch_size > 10) {
    return Status::InvalidArgument("Batch size for SQS FIFO queues must be <= 10");
  }
  if (fifo && m.batching_window_s > 0) {
    return Status::InvalidArgument("Batching window is not supported for FIFO queues");
  }
  if (m.batch_size > 10 && m.batching_window_s < 1) {
    return Status::InvalidArgument(
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10");
  }
  return Status::Ok();
}

Status ValidateStream(const Mapping& m, bool at_timestamp) {
  if (m.starting_position.empty()) {
    return Status::InvalidArgument(
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null.");
  }
  if (m.starting_position == "AT_TIMESTAMP" && !at_timestamp) {
    return Status::InvalidArgument("Unsupported starting position for arn type: " +
                                   m.event_source_arn);
  }
  if (m.starting_position == "AT_TIMESTAMP" && !m.starting_position_ts) {
    return Status::InvalidArgument(
        "StartingPositionTimestamp must be provided with AT_TIMESTAMP starting position");
  }
  if (m.starting_position != "AT_TIMESTAMP" && m.starting_position_ts) {
    return Status::InvalidArgument(
        "StartingPositionTimestamp is only valid with AT_TIMESTAMP starting position");
  }
  if (m.max_record_age_s != -1 && m.max_record_age_s < 60) {
    return Status::InvalidArgument(
        "MaximumRecordAgeInSeconds must be -1 or between 60 and 604800 seconds");
  }
  if (!m.on_failure.empty() && !m.on_failure.starts_with("arn:aws:sqs:") &&
      !m.on_failure.starts_with("arn:aws:sns:")) {
    return Status::InvalidArgument(
        "The provided destination config DestinationConfig(onSuccess="
        "null, onFailure=OnFailure(destination=" +
        m.on_failure + ")) is invalid.");
  }
  if (m.tumbling_window_s > 0 && m.parallelization > 1) {
    return Status::InvalidArgument(
        "TumblingWindowInSeconds is not supported with ParallelizationFactor greater than 1");
  }
  return Status::Ok();
}

Status ValidateRequest(const Mapping& m, const MappingRequest& request, bool create) {
  if (m.IsStream() && request.on_success) {
    return Status::InvalidArgument(
        "Unsupported DestinationConfig parameter for given event source mapping type.");
  }
  (void)create;
  return Status::Ok();
}

json ToJson(const Mapping& m) {
  json out = {
      {"UUID", m.uuid},
      {"BatchSize", m.batch_size},
      {"MaximumBatchingWindowInSeconds", m.batching_window_s},
      {"EventSourceArn", m.event_source_arn},
      {"FunctionArn", m.function_arn},
      // Epoch seconds as a number, unlike FunctionConfiguration's ISO string.
      {"LastModified", static_cast<double>(m.last_modified_ms) / 1000.0},
      {"State", StateName(m.state)},
      {"StateTransitionReason", m.state_reason},
      {"FunctionResponseTypes", m.function_response_types},
      {"EventSourceMappingArn", m.Arn()},
  };
  if (m.maximum_concurrency)
    out["ScalingConfig"] = {{"MaximumConcurrency", *m.maximum_concurrency}};
  if (!m.filter_criteria.is_null()) out["FilterCriteria"] = m.filter_criteria;
  if (m.IsStream()) {
    out["StartingPosition"] = m.starting_position;
    if (m.starting_position_ts) out["StartingPositionTimestamp"] = *m.starting_position_ts;
    out["ParallelizationFactor"] = m.parallelization;
    out["BisectBatchOnFunctionError"] = m.bisect;
    out["MaximumRetryAttempts"] = m.max_retries;
    out["MaximumRecordAgeInSeconds"] = m.max_record_age_s;
    out["TumblingWindowInSeconds"] = m.tumbling_window_s;
    out["DestinationConfig"] = {
        {"OnFailure", m.on_failure.empty() ? json::object() : json{{"Destination", m.on_failure}}}};
    out["LastProcessingResult"] = m.last_result;
  }
  return out;
}

std::string Store(const Mapping& m) {
  json out = ToJson(m);
  out["Enabled"] = m.enabled;
  out["Kind"] = static_cast<int>(m.kind);
  out["LastModifiedMs"] = m.last_modified_ms;
  return out.dump();
}

StatusOr<Mapping> Load(std::string_view stored) {
  json in = json::parse(stored, nullptr, false);
  if (in.is_discarded() || !in.is_object()) return Status::IoError("bad stored mapping");
  Mapping m;
  m.uuid = in.value("UUID", "");
  m.kind = static_cast<SourceKind>(in.value("Kind", 0));
  m.event_source_arn = in.value("EventSourceArn", "");
  m.function_arn = in.value("FunctionArn", "");
  m.enabled = in.value("Enabled", true);
  m.batch_size = in.value("BatchSize", int64_t{10});
  m.batching_window_s = in.value("MaximumBatchingWindowInSeconds", int64_t{0});
  m.function_response_types = in.value("FunctionResponseTypes", std::vector<std::string>{});
  if (in.contains("ScalingConfig") && in["ScalingConfig"].contains("MaximumConcurrency")) {
    m.maximum_concurrency = in["ScalingConfig"]["MaximumConcurrency"].get<int64_t>();
  }
  if (in.contains("FilterCriteria")) m.filter_criteria = in["FilterCriteria"];
  auto state = ParseState(in.value("State", ""));
  if (!state || m.uuid.empty()) return Status::IoError("bad stored mapping " + m.uuid);
  m.state = *state;
  m.state_reason = in.value("StateTransitionReason", "USER_INITIATED");
  m.last_modified_ms = in.value("LastModifiedMs", int64_t{0});
  m.starting_position = in.value("StartingPosition", "");
  if (in.contains("StartingPositionTimestamp")) {
    m.starting_position_ts = in["StartingPositionTimestamp"].get<double>();
  }
  m.parallelization = in.value("ParallelizationFactor", int64_t{1});
  m.bisect = in.value("BisectBatchOnFunctionError", false);
  m.max_retries = in.value("MaximumRetryAttempts", int64_t{-1});
  m.max_record_age_s = in.value("MaximumRecordAgeInSeconds", int64_t{-1});
  m.tumbling_window_s = in.value("TumblingWindowInSeconds", int64_t{0});
  if (in.contains("DestinationConfig")) {
    m.on_failure =
        in["DestinationConfig"].value("OnFailure", json::object()).value("Destination", "");
  }
  m.last_result = in.value("LastProcessingResult", "No records processed");
  return m;
}

std::optional<State> Settle(const Mapping& m) {
  switch (m.state) {
    case State::kDeleting:
      return std::nullopt;
    case State::kCreating:
    case State::kUpdating:
      return m.enabled ? State::kEnabled : State::kDisabled;
    case State::kEnabling:
      return State::kEnabled;
    case State::kDisabling:
      return State::kDisabled;
    case State::kEnabled:
    case State::kDisabled:
      return m.state;
  }
  return m.state;
}

State AfterUpdate(bool was_enabled, bool enabled) {
  if (was_enabled && !enabled) return State::kDisabling;
  if (!was_enabled && enabled) return State::kEnabling;
  return State::kUpdating;
}

bool Polls(const Mapping& m) {
  return m.state == State::kEnabled || (m.state == State::kUpdating && m.enabled);
}

}  // namespace thaw::esm
