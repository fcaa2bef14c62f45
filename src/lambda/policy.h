// Resource-based policies of functions (AddPermission, GetPolicy, RemovePermission): building a
// statement from an AddPermission body as AWS writes it, and PolicyStore, the durable copy
// (lambda_policies: one document per function and qualifier, "" for the unqualified function).
// BuildStatement is pure and thread-safe; PolicyStore is control-thread only (SQLite).
#pragma once

#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/sqlite.h"

namespace thaw::lambda {

struct Policy {
  nlohmann::json statements = nlohmann::json::array();
  std::string revision_id;
};

// The statement AddPermission adds for `body` on `resource_arn`: Sid, Effect, Principal
// ({"Service": ...} for a service, {"AWS": "arn:aws:iam::ACCOUNT:root"} for an account id),
// Action, Resource and a Condition for SourceArn / SourceAccount / PrincipalOrgID /
// EventSourceToken / FunctionUrlAuthType. Validation errors carry AWS's messages.
StatusOr<nlohmann::json> BuildStatement(const nlohmann::json& body,
                                        const std::string& resource_arn);

// {"Version":"2012-10-17","Id":"default","Statement":[...]} as compact JSON text.
std::string PolicyDocument(const Policy& policy);

class PolicyStore {
 public:
  explicit PolicyStore(store::Database& db) : db_(db) {}
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  Status Init();
  // Every policy, by (function name, qualifier).
  StatusOr<std::map<std::pair<std::string, std::string>, Policy>> LoadAll();
  // Stores the policy, or removes it when it has no statement left.
  Status Put(const std::string& name, const std::string& qualifier, const Policy& policy);
  Status Delete(const std::string& name, const std::string& qualifier);

 private:
  store::Database& db_;
};

}  // namespace thaw::lambda
