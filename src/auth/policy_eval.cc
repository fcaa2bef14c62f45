#include "auth/policy_eval.h"

#include <cctype>

#include "auth/accounts.h"
#include "base/codec.h"

namespace thaw::auth {

using nlohmann::json;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A string or a list of strings (numbers and booleans as text, as IAM reads them).
StatusOr<std::vector<std::string>> Strings(const json& value, std::string_view what) {
  std::vector<std::string> out;
  auto one = [&out](const json& v) -> bool {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_number() || v.is_boolean()) {
      out.push_back(v.dump());
    } else {
      return false;
    }
    return true;
  };
  bool ok = value.is_array() ? !value.empty() : one(value);
  if (value.is_array()) {
    for (const json& v : value) ok = ok && one(v);
  }
  if (!ok) {
    return Status::InvalidArgument("Policy: " + std::string(what) +
                                   " must be a string or a list of strings");
  }
  return out;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto same = [ignore_case](char a, char b) {
    if (!ignore_case) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  // Greedy with backtracking to the last '*': linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool ArnMatch(std::string_view pattern, std::string_view arn) {
  // The first five separators split the parts; the sixth part (the resource) keeps its colons.
  auto split = [](std::string_view s) {
    std::vector<std::string_view> parts;
    for (int i = 0; i < 5; ++i) {
      size_t colon = s.find(':');
      if (colon == std::string_view::npos) break;
      parts.push_back(s.substr(0, colon));
      s.remove_prefix(colon + 1);
    }
    parts.push_back(s);
    return parts;
  };
  if (pattern == "*") return true;
  auto want = split(pattern), have = split(arn);
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!WildcardMatch(want[i], have[i])) return false;
  }
  return true;
}

StatusOr<Policy> Policy::ParseText(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("Policy: not valid JSON");
  return Parse(doc);
}

StatusOr<Policy> Policy::Parse(const json& document) {
  const json* statements = &document;
  if (document.is_object()) {
    auto it = document.find("Statement");
    if (it == document.end()) return Status::InvalidArgument("Policy: missing Statement");
    statements = &*it;
  }
  Policy out;
  if (statements->is_object()) {
    THAW_ASSIGN_OR_RETURN(Statement s, ParseStatement(*statements));
    out.statements_.push_back(std::move(s));
  } else if (statements->is_array()) {
    for (const json& one : *statements) {
      THAW_ASSIGN_OR_RETURN(Statement s, ParseStatement(one));
      out.statements_.push_back(std::move(s));
    }
  } else {
    return Status::InvalidArgument("Policy: Statement must be an object or a list");
  }
  return out;
}

StatusOr<Policy::Statement> Policy::ParseStatement(const json& statement) {
  if (!statement.is_object())
    return Status::InvalidArgument("Policy: a statement is not an object");
  for (const char* unsupported : {"NotPrincipal", "NotAction", "NotResource"}) {
    if (statement.contains(unsupported)) {
      return Status::InvalidArgument(std::string("Policy: ") + unsupported +
                                     " is not supported by thaw");
    }
  }
  Statement s;
  auto effect = statement.find("Effect");
  if (effect == statement.end() || !effect->is_string() ||
      (*effect != "Allow" && *effect != "Deny")) {
    return Status::InvalidArgument("Policy: Effect must be Allow or Deny");
  }
  s.allow = *effect == "Allow";

  auto principal = statement.find("Principal");
  if (principal == statement.end()) return Status::InvalidArgument("Policy: missing Principal");
  if (principal->is_string()) {
    if (*principal != "*") {
      return Status::InvalidArgument("Policy: Principal must be \"*\" or an object");
    }
    s.any_principal = true;
  } else if (principal->is_object()) {
    for (const auto& [kind, value] : principal->items()) {
      THAW_ASSIGN_OR_RETURN(auto values, Strings(value, "Principal." + kind));
      if (kind == "AWS") {
        s.aws = std::move(values);
      } else if (kind == "Service") {
        s.services = std::move(values);
      } else {
        return Status::InvalidArgument("Policy: Principal type " + kind +
                                       " is not supported by thaw (AWS and Service are)");
      }
    }
  } else {
    return Status::InvalidArgument("Policy: Principal must be \"*\" or an object");
  }

  auto action = statement.find("Action");
  if (action == statement.end()) return Status::InvalidArgument("Policy: missing Action");
  THAW_ASSIGN_OR_RETURN(s.actions, Strings(*action, "Action"));
  auto resource = statement.find("Resource");
  if (resource == statement.end()) return Status::InvalidArgument("Policy: missing Resource");
  THAW_ASSIGN_OR_RETURN(s.resources, Strings(*resource, "Resource"));

  if (auto condition = statement.find("Condition"); condition != statement.end()) {
    if (!condition->is_object())
      return Status::InvalidArgument("Policy: Condition must be an object");
    for (const auto& [name, keys] : condition->items()) {
      Condition c;
      std::string_view op = name;
      if (op.starts_with("ForAnyValue:")) {
        c.set = Condition::Set::kAnyValue;
        op.remove_prefix(12);
      } else if (op.starts_with("ForAllValues:")) {
        c.set = Condition::Set::kAllValues;
        op.remove_prefix(13);
      }
      if (op == "StringEquals") {
        c.op = Condition::Op::kStringEquals;
      } else if (op == "StringLike") {
        c.op = Condition::Op::kStringLike;
      } else if (op == "ArnLike" || op == "ArnEquals") {
        // AWS matches both alike: wildcards allowed in each part.
        c.op = Condition::Op::kArnLike;
      } else {
        return Status::InvalidArgument(
            "Policy: condition operator " + name +
            " is not supported by thaw (StringEquals, StringLike, ArnEquals and ArnLike are)");
      }
      if (!keys.is_object() || keys.empty()) {
        return Status::InvalidArgument("Policy: condition " + name + " must map keys to values");
      }
      for (const auto& [key, values] : keys.items()) {
        Condition one = c;
        one.key = Lower(key);
        THAW_ASSIGN_OR_RETURN(one.values, Strings(values, "Condition " + name + "." + key));
        s.conditions.push_back(std::move(one));
      }
    }
  }
  return s;
}

bool Policy::PrincipalMatches(const Statement& s, const AccessRequest& request) {
  if (s.any_principal) return true;
  if (!request.service.empty()) {
    for (const std::string& service : s.services) {
      if (EqualsIgnoreCase(service, request.service)) return true;
    }
    return false;
  }
  for (const std::string& aws : s.aws) {
    if (aws == "*") return true;
    if (IsAccountId(aws) && aws == request.principal_account) return true;
    if (aws == "arn:aws:iam::" + request.principal_account + ":root") return true;
    if (aws == request.principal_arn) return true;
  }
  return false;
}

bool Policy::ConditionHolds(const Condition& c, const AccessRequest& request) {
  auto it = request.context.find(c.key);
  if (it == request.context.end()) return c.set == Condition::Set::kAllValues;
  const std::string& value = it->second;
  for (const std::string& want : c.values) {
    bool match = false;
    switch (c.op) {
      case Condition::Op::kStringEquals:
        match = want == value;
        break;
      case Condition::Op::kStringLike:
        match = WildcardMatch(want, value);
        break;
      case Condition::Op::kArnLike:
        match = ArnMatch(want, value);
        break;
    }
    if (match) return true;
  }
  return false;
}

bool Policy::Applies(const Statement& s, const AccessRequest& request) {
  if (!PrincipalMatches(s, request)) return false;
  bool action = false;
  for (const std::string& a : s.actions) action = action || WildcardMatch(a, request.action, true);
  if (!action) return false;
  bool resource = false;
  for (const std::string& r : s.resources)
    resource = resource || WildcardMatch(r, request.resource);
  if (!resource) return false;
  for (const Condition& c : s.conditions) {
    if (!ConditionHolds(c, request)) return false;
  }
  return true;
}

Decision Policy::Evaluate(const AccessRequest& request) const {
  Decision out = Decision::kImplicitDeny;
  for (const Statement& s : statements_) {
    if (!Applies(s, request)) continue;
    if (!s.allow) return Decision::kExplicitDeny;
    out = Decision::kAllow;
  }
  return out;
}

}  // namespace thaw::auth
