// Policy: IAM policy documents, the subset AWS's own resource-policy examples use (Lambda's
// AddPermission statements, SNS topic policies, SQS queue policies), parsed once when stored and
// evaluated per request:
//   - Effect Allow or Deny; an explicit Deny wins over any Allow; nothing matching denies;
//   - Principal "*", {"AWS": ...} (an account id, arn:aws:iam::ACCOUNT:root, any other ARN,
//     or "*"), {"Service": "sns.amazonaws.com"}; one value or a list;
//   - Action and Resource, one or a list, with * and ? wildcards (actions case-insensitive);
//   - Condition with StringEquals, StringLike, ArnEquals, ArnLike (a list of values matches if
//     any does; ForAnyValue: and ForAllValues: prefixes), on any key, compared case-insensitively
//     by name (aws:SourceArn, aws:SourceAccount, aws:SourceOwner, ...). A key the request does
//     not carry fails the condition (ForAllValues: passes).
// Anything else (another condition operator, NotPrincipal, NotAction, NotResource) is refused
// by Parse with a message naming it, so a policy is never half understood.
// Immutable once parsed; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::auth {

// Who asks to do what, on which resource.
struct AccessRequest {
  // An account's caller: its ARN ("arn:aws:iam::111111111111:root", a user or role ARN) and
  // account. A service principal ("sns.amazonaws.com") instead sets `service`.
  std::string principal_arn;
  std::string principal_account;
  std::string service;
  std::string action;    // "lambda:InvokeFunction"
  std::string resource;  // an ARN
  // Condition keys, lower-cased ("aws:sourcearn"), and their values.
  std::map<std::string, std::string> context;
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };

// * matches any run of characters, ? one.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case = false);
// ArnLike: each of the six colon-separated parts matched on its own.
bool ArnMatch(std::string_view pattern, std::string_view arn);

class Policy {
 public:
  // A document ({"Statement": [...] or {...}}) or a bare list of statements.
  static StatusOr<Policy> Parse(const nlohmann::json& document);
  static StatusOr<Policy> ParseText(std::string_view text);

  Decision Evaluate(const AccessRequest& request) const;
  size_t size() const { return statements_.size(); }

 private:
  struct Condition {
    enum class Op { kStringEquals, kStringLike, kArnLike };
    enum class Set { kSingle, kAnyValue, kAllValues };
    Op op = Op::kStringEquals;
    Set set = Set::kSingle;
    std::string key;  // lower-cased
    std::vector<std::string> values;
  };
  struct Statement {
    bool allow = true;
    bool any_principal = false;
    std::vector<std::string> aws;       // account ids, ARNs, "*"
    std::vector<std::string> services;  // "sns.amazonaws.com"
    std::vector<std::string> actions;
    std::vector<std::string> resources;
    std::vector<Condition> conditions;
  };
  static StatusOr<Statement> ParseStatement(const nlohmann::json& statement);
  static bool Applies(const Statement& s, const AccessRequest& request);
  static bool PrincipalMatches(const Statement& s, const AccessRequest& request);
  static bool ConditionHolds(const Condition& c, const AccessRequest& request);

  std::vector<Statement> statements_;
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace thaw::auth
