#include "lambda/policy.h"

#include <algorithm>
#include <vector>

#include "lambda/api_error.h"
#include "lambda/function.h"
#include "lambda/function_request.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS lambda_policies (
  name TEXT NOT NULL REFERENCES lambda_functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  statements TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (name, qualifier)
);
)sql";

bool AllOf(const std::string& s, bool (*ok)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), ok);
}

bool IsSidChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsValidAction(const std::string& a) {
  if (a == "*" || a == "lambda:*") return true;
  return a.rfind("lambda:", 0) == 0 && AllOf(a.substr(7), IsLetter);
}

json PrincipalOf(const std::string& p) {
  if (p == "*") return "*";
  if (p.size() == 12 && AllOf(p, IsDigit)) return {{"AWS", "arn:aws:iam::" + p + ":root"}};
  if (p.find(".amazonaws.com") != std::string::npos || p.find(".amazon.com") != std::string::npos) {
    return {{"Service", p}};
  }
  return {{"AWS", p}};
}

}  // namespace

StatusOr<json> BuildStatement(const json& body, const std::string& resource_arn) {
  THAW_ASSIGN_OR_RETURN(auto sid, OptionalString(body, "StatementId"));
  THAW_ASSIGN_OR_RETURN(auto action, OptionalString(body, "Action"));
  THAW_ASSIGN_OR_RETURN(auto principal, OptionalString(body, "Principal"));
  THAW_ASSIGN_OR_RETURN(auto source_arn, OptionalString(body, "SourceArn"));
  THAW_ASSIGN_OR_RETURN(auto source_account, OptionalString(body, "SourceAccount"));
  THAW_ASSIGN_OR_RETURN(auto org, OptionalString(body, "PrincipalOrgID"));
  THAW_ASSIGN_OR_RETURN(auto token, OptionalString(body, "EventSourceToken"));
  THAW_ASSIGN_OR_RETURN(auto url_auth, OptionalString(body, "FunctionUrlAuthType"));
  if (!sid) return MissingMember("statementId");
  if (!action) return MissingMember("action");
  if (!principal) return MissingMember("principal");
  std::vector<std::string> violations;
  if (sid->size() > 100) {
    violations.push_back(ConstraintViolation(*sid, "statementId",
                                             "Member must have length less than or equal to 100"));
  } else if (!AllOf(*sid, IsSidChar)) {
    violations.push_back(ConstraintViolation(
        *sid, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"));
  }
  if (!IsValidAction(*action)) {
    violations.push_back(ConstraintViolation(
        *action, "action",
        "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])"));
  }
  if (principal->empty() || principal->find_first_of(" \t\r\n") != std::string::npos) {
    violations.push_back(ConstraintViolation(*principal, "principal",
                                             "Member must satisfy regular expression pattern: "
                                             "[^\\s]+"));
  }
  if (source_account && !(source_account->size() == 12 && AllOf(*source_account, IsDigit))) {
    violations.push_back(
        ConstraintViolation(*source_account, "sourceAccount",
                            "Member must satisfy regular expression pattern: \\d{12}"));
  }
  if (url_auth && *url_auth != "NONE" && *url_auth != "AWS_IAM") {
    violations.push_back(ConstraintViolation(*url_auth, "functionUrlAuthType",
                                             "Member must satisfy enum value set: [NONE, "
                                             "AWS_IAM]"));
  }
  if (!violations.empty()) return ValidationError(violations);
  if (org) {
    // Organizations are not modelled: a statement thaw could not enforce is refused.
    return Status::InvalidArgument(
        "PrincipalOrgID is not supported by thaw (it has no "
        "organizations); grant the accounts instead");
  }
  json statement = {{"Sid", *sid},
                    {"Effect", "Allow"},
                    {"Principal", PrincipalOf(*principal)},
                    {"Action", *action},
                    {"Resource", resource_arn}};
  json condition = json::object();
  if (source_arn) condition["ArnLike"]["AWS:SourceArn"] = *source_arn;
  if (source_account) condition["StringEquals"]["AWS:SourceAccount"] = *source_account;
  if (org) condition["StringEquals"]["aws:PrincipalOrgID"] = *org;
  if (token) condition["StringEquals"]["lambda:EventSourceToken"] = *token;
  if (url_auth) condition["StringEquals"]["lambda:FunctionUrlAuthType"] = *url_auth;
  if (!condition.empty()) statement["Condition"] = std::move(condition);
  return statement;
}

std::string PolicyDocument(const Policy& policy) {
  json doc = {{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", policy.statements}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status PolicyStore::Init() { return db_.Exec(kSchema); }

StatusOr<std::map<std::pair<std::string, std::string>, Policy>> PolicyStore::LoadAll() {
  std::map<std::pair<std::string, std::string>, Policy> out;
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("SELECT name, qualifier, statements, revision_id FROM lambda_policies"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    json statements = json::parse(st.Text(2), nullptr, /*allow_exceptions=*/false);
    if (statements.is_discarded() || !statements.is_array()) {
      return Status::Internal("corrupt policy row");
    }
    out[{st.Text(0), st.Text(1)}] = Policy{std::move(statements), st.Text(3)};
  }
  return out;
}

Status PolicyStore::Put(const std::string& name, const std::string& qualifier,
                        const Policy& policy) {
  if (policy.statements.empty()) return Delete(name, qualifier);
  THAW_ASSIGN_OR_RETURN(auto st, db_.Prepare("INSERT OR REPLACE INTO lambda_policies (name, "
                                             "qualifier, statements, revision_id) VALUES (?1, "
                                             "?2, ?3, ?4)"));
  st.Bind(1, name)
      .Bind(2, qualifier)
      .Bind(3, policy.statements.dump(-1, ' ', false, json::error_handler_t::replace))
      .Bind(4, policy.revision_id);
  return st.Run();
}

Status PolicyStore::Delete(const std::string& name, const std::string& qualifier) {
  THAW_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("DELETE FROM lambda_policies WHERE name = ?1 AND qualifier = ?2"));
  st.Bind(1, name).Bind(2, qualifier);
  return st.Run();
}

}  // namespace thaw::lambda
