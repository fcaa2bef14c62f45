// ControlService: AddPermission, GetPolicy and RemovePermission (a function's resource-based
// policy, one per qualifier).
#include <utility>

#include "base/codec.h"
#include "base/log.h"
#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_request.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

Status NoPolicy() { return Status::NotFound("The resource you requested does not exist."); }

}  // namespace

StatusOr<std::pair<std::string, std::string>> ControlService::PolicyKey(
    const Route& route, const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(ref));
  if (!ref.qualifier.empty()) {
    if (ref.qualifier == kLatest) {
      return Status::InvalidArgument("We currently do not support adding policies for $LATEST.");
    }
    THAW_RETURN_IF_ERROR(Resolve(*state, ref.KeyIn(account_), ref.qualifier).status());
  }
  return std::make_pair(ref.KeyIn(account_), ref.qualifier);
}

StatusOr<http::Response> ControlService::AddPermission(const Route& route,
                                                       const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto revision, OptionalString(body, "RevisionId"));
  THAW_ASSIGN_OR_RETURN(auto key, PolicyKey(route, request));
  std::string resource =
      key.second.empty() ? FunctionArn(key.first) : QualifiedArn(key.first, key.second);
  THAW_ASSIGN_OR_RETURN(json statement, BuildStatement(body, resource));
  Policy policy;
  if (auto it = policies_.find(key); it != policies_.end()) policy = it->second;
  if (!policy.revision_id.empty())
    THAW_RETURN_IF_ERROR(CheckRevision(revision, policy.revision_id));
  for (const auto& existing : policy.statements) {
    if (existing.value("Sid", "") == statement["Sid"]) {
      return Status::AlreadyExists("The statement id (" + statement["Sid"].get<std::string>() +
                                   ") provided already exists. Please provide a new statement "
                                   "id, or remove the existing statement.");
    }
  }
  policy.statements.push_back(statement);
  policy.revision_id = NewUuid();
  THAW_RETURN_IF_ERROR(Transact([&] { return policy_store_.Put(key.first, key.second, policy); }));
  policies_[key] = std::move(policy);
  RepublishPolicies(key.first);
  return JsonResponse(
      201, {{"Statement", statement.dump(-1, ' ', false, json::error_handler_t::replace)}});
}

StatusOr<http::Response> ControlService::GetPolicy(const Route& route,
                                                   const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(ref));
  if (!ref.qualifier.empty() && ref.qualifier != kLatest) {
    THAW_RETURN_IF_ERROR(Resolve(*state, ref.KeyIn(account_), ref.qualifier).status());
  }
  std::string qualifier = ref.qualifier == kLatest ? "" : ref.qualifier;
  auto it = policies_.find({ref.KeyIn(account_), qualifier});
  if (it == policies_.end() || it->second.statements.empty()) return NoPolicy();
  return JsonResponse(
      200, {{"Policy", PolicyDocument(it->second)}, {"RevisionId", it->second.revision_id}});
}

StatusOr<http::Response> ControlService::RemovePermission(const Route& route,
                                                          const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(auto key, PolicyKey(route, request));
  auto it = policies_.find(key);
  if (it == policies_.end()) return NoPolicy();
  THAW_RETURN_IF_ERROR(CheckRevision(request.QueryParam("RevisionId"), it->second.revision_id));
  Policy policy = it->second;
  json kept = json::array();
  for (const auto& s : policy.statements) {
    if (s.value("Sid", "") != route.statement_id) kept.push_back(s);
  }
  if (kept.size() == policy.statements.size()) {
    return Status::NotFound("Statement " + route.statement_id +
                            " is not found in resource policy.");
  }
  policy.statements = std::move(kept);
  policy.revision_id = NewUuid();
  THAW_RETURN_IF_ERROR(Transact([&] { return policy_store_.Put(key.first, key.second, policy); }));
  if (policy.statements.empty()) {
    policies_.erase(it);
  } else {
    it->second = std::move(policy);
  }
  RepublishPolicies(key.first);
  return http::Response{204, {}, {}};
}

void ControlService::ForgetPolicies(const std::string& name, const std::string* qualifier) {
  for (auto it = policies_.begin(); it != policies_.end();) {
    bool match = it->first.first == name && (!qualifier || it->first.second == *qualifier);
    it = match ? policies_.erase(it) : std::next(it);
  }
}

std::map<std::string, auth::PolicyPtr> ControlService::ParsedPolicies(
    const std::string& name) const {
  std::map<std::string, auth::PolicyPtr> out;
  for (auto it = policies_.lower_bound({name, ""});
       it != policies_.end() && it->first.first == name; ++it) {
    auto parsed = auth::Policy::Parse(it->second.statements);
    if (!parsed.ok()) {
      // Our own statements always parse; one that does not allows nothing.
      THAW_LOG(kWarn, "lambda") << "policy of " << name << ":" << it->first.second
                                << " is not enforceable: " << parsed.status().message();
      continue;
    }
    out[it->first.second] = std::make_shared<const auth::Policy>(std::move(*parsed));
  }
  return out;
}

void ControlService::RepublishPolicies(const std::string& name) {
  auto it = functions_.find(name);
  if (it == functions_.end()) return;
  it->second.entry.policies = ParsedPolicies(name);
  options_.registry.Put(name, it->second.entry);
}

}  // namespace thaw::lambda
