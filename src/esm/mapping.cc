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
