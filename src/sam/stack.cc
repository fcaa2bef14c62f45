#include "sam/stack.h"

#include <algorithm>
#include <ostream>
#include <utility>
#include <vector>

#include "base/codec.h"
#include "sam/coerce.h"
#include "sam/template.h"

namespace thaw::sam {

namespace {

using nlohmann::json;

// CloudFormation's name length limits for the names it makes, by type.
size_t NameLimit(const std::string& type) {
  if (type == "AWS::Lambda::Function") return 64;
  if (type == "AWS::SQS::Queue") return 80;
  if (type == "AWS::SNS::Topic") return 256;
  if (type == "AWS::Kinesis::Stream") return 128;
  if (type == "AWS::Lambda::LayerVersion") return 140;
  if (type == "AWS::IAM::Role") return 64;
  return 255;
}

void Say(std::ostream* progress, const std::string& line) {
  if (progress != nullptr) *progress << line << "\n";
}

Status DeleteOne(ResourceApi& api, StackState& state, const std::string& id,
                 std::ostream* progress) {
  const StackState::Entry& e = state.resources.at(id);
  Say(progress, "delete " + id + " " + e.type);
  Status s = api.Delete(e.type, e.made);
  // Already gone is what we wanted.
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  state.resources.erase(id);
  return Status::Ok();
}

std::vector<std::string> ReverseCreationOrder(const StackState& state,
                                              const std::set<std::string>& ids) {
  std::vector<std::string> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end(), [&state](const std::string& a, const std::string& b) {
    return state.resources.at(a).order > state.resources.at(b).order;
  });
  return out;
}

}  // namespace

Status ResourceApi::Prepare(const Step&, json&) { return Status::Ok(); }

json StackState::ToJson() const {
  json r = json::object();
  for (const auto& [id, e] : resources) {
    r[id] = {{"Type", e.type},
             {"PhysicalId", e.made.physical_id},
             {"Attributes", e.made.attributes},
             {"Properties", e.properties},
             {"Hash", e.hash},
             {"Suffix", e.suffix},
             {"Order", e.order}};
  }
  return {{"StackName", stack_name}, {"Resources", r}, {"Outputs", outputs}};
}

StatusOr<StackState> StackState::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("Resources") || !j["Resources"].is_object()) {
    return Status::InvalidArgument("the stack's state has no Resources");
  }
  StackState s;
  s.stack_name = j.value("StackName", "");
  s.outputs = j.value("Outputs", json::object());
  for (const auto& [id, e] : j["Resources"].items()) {
    if (!e.is_object()) return Status::InvalidArgument("the stack's state is malformed at " + id);
    Entry entry;
    entry.type = e.value("Type", "");
    entry.made.physical_id = e.value("PhysicalId", "");
    entry.made.attributes = e.value("Attributes", json::object());
    entry.properties = e.value("Properties", json::object());
    entry.hash = e.value("Hash", "");
    entry.suffix = e.value("Suffix", "");
    entry.order = e.value("Order", int64_t{0});
    s.resources[id] = std::move(entry);
  }
  return s;
}

StatusOr<DeploySummary> DeployStack(const Plan& plan, const Template& t, Scope scope,
                                    ResourceApi& api, StackState& state, std::ostream* progress) {
  // Refs and GetAtts read what this deploy (or an earlier one) made.
  scope.resource = [&state](const std::string& id, const std::string& attr) -> StatusOr<json> {
    auto it = state.resources.find(id);
    if (it == state.resources.end()) {
      return Status::InvalidArgument("'" + id + "' is not a resource or parameter");
    }
    if (attr.empty()) return json(it->second.made.physical_id);
    const json& attrs = it->second.made.attributes;
    if (!attrs.contains(attr)) {
      return Status::InvalidArgument("Fn::GetAtt " + id + "." + attr +
                                     ": thaw knows no attribute " + attr + " of " +
                                     it->second.type);
    }
    return attrs[attr];
  };

  DeploySummary summary;
  int64_t next_order = 0;
  for (const auto& [id, e] : state.resources) next_order = std::max(next_order, e.order + 1);

  // Resources of the old state that the plan no longer has, or whose type changed, go first
  // when they are in the way (same logical id, new type); the others after the new ones exist.
  std::set<std::string> planned;
  for (const Step& step : plan.steps) planned.insert(step.logical_id);

  // Code is built before anything changes, as `sam build` runs before a deploy, so a build that
  // fails leaves the stack as it was. Only what a build reads is evaluated here; code whose
  // build properties need a resource this deploy makes is built in the loop below.
  for (const Step& step : plan.steps) {
    if (step.type != "AWS::Lambda::Function" && step.type != "AWS::Lambda::LayerVersion") continue;
    json build = json::object();
    for (const char* key : {"CodeUri", "ContentUri", "Runtime", "Handler", "Architectures"}) {
      if (step.properties.contains(key)) build[key] = step.properties[key];
    }
    StatusOr<json> evaluated = Evaluate(build, scope);
    if (!evaluated.ok()) continue;
    json props = CoerceTypes(*evaluated);
    THAW_RETURN_IF_ERROR(api.Prepare(step, props));
  }

  std::set<std::string> replaced;
  for (const Step& step : plan.steps) {
    StatusOr<json> evaluated = Evaluate(step.properties, scope);
    if (!evaluated.ok()) {
      return Status(evaluated.status().code(),
                    "Resources." + step.logical_id + ": " + evaluated.status().message());
    }
    json props = CoerceTypes(*evaluated);
    THAW_RETURN_IF_ERROR(api.Prepare(step, props));
    std::string hash = Sha256Base64(step.type + "\n" + props.dump());

    auto it = state.resources.find(step.logical_id);
    // What refers to a replaced resource is redone even when its properties read the same (a
    // topic made again under its given name has lost its subscriptions).
    bool after_replacement = false;
    for (const std::string& dep : step.needs) after_replacement |= replaced.contains(dep);
    if (it != state.resources.end() && it->second.type == step.type && it->second.hash == hash &&
        !after_replacement) {
      ++summary.unchanged;
      continue;
    }
    std::string suffix = it != state.resources.end() ? it->second.suffix : RandomSuffix();
    std::string name =
        PhysicalName(state.stack_name, step.logical_id, suffix, NameLimit(step.type));
    if (it != state.resources.end() && it->second.type == step.type) {
      Say(progress, "update " + step.logical_id + " " + step.type);
      THAW_ASSIGN_OR_RETURN(std::optional<Made> made,
                            api.Update(step, props, it->second.properties, it->second.made));
      if (made) {
        it->second.made = std::move(*made);
        it->second.properties = props;
        it->second.hash = hash;
        ++summary.updated;
        continue;
      }
    }
    bool replacing = it != state.resources.end();
    if (replacing) {
      THAW_RETURN_IF_ERROR(DeleteOne(api, state, step.logical_id, progress));
      // A new generated name, as CloudFormation gives a replacement.
      suffix = RandomSuffix();
      name = PhysicalName(state.stack_name, step.logical_id, suffix, NameLimit(step.type));
      replaced.insert(step.logical_id);
    }
    Say(progress, "create " + step.logical_id + " " + step.type);
    THAW_ASSIGN_OR_RETURN(Made made, api.Create(step, props, name));
    StackState::Entry entry;
    entry.type = step.type;
    entry.made = std::move(made);
    entry.properties = props;
    entry.hash = hash;
    entry.suffix = suffix;
    entry.order = next_order++;
    state.resources[step.logical_id] = std::move(entry);
    ++(replacing ? summary.replaced : summary.created);
  }

  std::set<std::string> removed;
  for (const auto& [id, e] : state.resources) {
    if (!planned.contains(id)) removed.insert(id);
  }
  for (const std::string& id : ReverseCreationOrder(state, removed)) {
    THAW_RETURN_IF_ERROR(DeleteOne(api, state, id, progress));
    ++summary.deleted;
  }

  state.outputs = json::object();
  for (const auto& [name, output] : t.outputs.items()) {
    if (!output.is_object() || !output.contains("Value")) {
      return Status::InvalidArgument("Outputs." + name + " needs a Value");
    }
    if (output.contains("Condition") && output["Condition"].is_string()) {
      auto c = scope.conditions.find(output["Condition"].get<std::string>());
      if (c == scope.conditions.end() || !c->second) continue;
    }
    StatusOr<json> value = Evaluate(output["Value"], scope);
    if (!value.ok()) {
      // An output naming something thaw does not make (SAM's implicit API) is reported, not
      // fatal: the resources are deployed by now.
      state.outputs[name] = "(unavailable: " + value.status().message() + ")";
      continue;
    }
    state.outputs[name] = *value;
  }
  return summary;
}

Status DeleteStack(ResourceApi& api, StackState& state, std::ostream* progress) {
  std::set<std::string> all;
  for (const auto& [id, e] : state.resources) all.insert(id);
  for (const std::string& id : ReverseCreationOrder(state, all)) {
    THAW_RETURN_IF_ERROR(DeleteOne(api, state, id, progress));
  }
  state.outputs = json::object();
  return Status::Ok();
}

}  // namespace thaw::sam
