#include "sns/query.h"

#include <algorithm>
#include <map>

#include "base/codec.h"
#include "base/xml.h"

namespace thaw::sns {

std::string Get(const Params& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

bool Has(const Params& p, const std::string& key) { return p.count(key) > 0; }

std::string Element(const std::string& name, const std::string& value) {
  return "<" + name + ">" + XmlEscape(value) + "</" + name + ">";
}

std::string Entries(const std::map<std::string, std::string>& map) {
  std::string xml = "<Attributes>";
  for (const auto& [k, v] : map) {
    xml += "<entry>" + Element("key", k) + Element("value", v) + "</entry>";
  }
  return xml + "</Attributes>";
}

Outcome Result(std::string xml) {
  Outcome o;
  o.result = std::move(xml);
  o.has_result = true;
  return o;
}

Outcome Empty() { return Outcome{}; }

Outcome Fail(std::string code, std::string message) {
  Outcome o;
  o.error = MakeError(std::move(code), std::move(message));
  return o;
}

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Outcome Page(const Params& p, const std::string& list,
             const std::vector<std::pair<std::string, std::string>>& members) {
  constexpr size_t kPageSize = 100;
  std::string after;
  if (Has(p, "NextToken")) {
    auto decoded = Base64Decode(Get(p, "NextToken"));
    if (!decoded) return Fail("InvalidParameter", "Invalid parameter: NextToken");
    after = *decoded;
  }
  std::string xml = "<" + list + ">";
  size_t n = 0;
  std::string last;
  bool more = false;
  for (const auto& [key, member] : members) {
    if (!after.empty() && key <= after) continue;
    if (n == kPageSize) {
      more = true;
      break;
    }
    xml += "<member>" + member + "</member>";
    last = key;
    ++n;
  }
  xml += "</" + list + ">";
  if (more) xml += Element("NextToken", Base64Encode(last));
  return Result(std::move(xml));
}

bool ValidTopicName(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (!base.ends_with(".fifo")) return false;
    base.resize(base.size() - 5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsDigits(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c));
         });
}

Error MakeError(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  if (e.code == "NotFound" || e.code == "ResourceNotFound") e.status = 404;
  if (e.code == "AuthorizationError" || e.code == "TopicLimitExceeded" ||
      e.code == "SubscriptionLimitExceeded" || e.code == "FilterPolicyLimitExceeded" ||
      e.code == "AccessDenied") {
    e.status = 403;
  }
  if (e.code == "Throttled") e.status = 429;
  if (e.code == "InternalError") {
    e.status = 500;
    e.sender = false;
  }
  return e;
}

std::vector<Params> Members(const Params& params, const std::string& prefix) {
  std::map<int64_t, Params> by_index;
  const std::string head = prefix + ".";
  for (auto it = params.lower_bound(head); it != params.end() && it->first.starts_with(head);
       ++it) {
    std::string rest = it->first.substr(head.size());
    auto dot = rest.find('.');
    if (dot == std::string::npos) continue;
    auto n = ParseInt(rest.substr(0, dot));
    if (!n || *n < 1) continue;
    by_index[*n].emplace(rest.substr(dot + 1), it->second);
  }
  std::vector<Params> out;
  out.reserve(by_index.size());
  for (auto& [n, m] : by_index) out.push_back(std::move(m));
  return out;
}

std::vector<std::string> ScalarMembers(const Params& params, const std::string& prefix) {
  std::map<int64_t, std::string> by_index;
  const std::string head = prefix + ".";
  for (auto it = params.lower_bound(head); it != params.end() && it->first.starts_with(head);
       ++it) {
    auto n = ParseInt(it->first.substr(head.size()));
    if (n && *n >= 1) by_index[*n] = it->second;
  }
  std::vector<std::string> out;
  out.reserve(by_index.size());
  for (auto& [n, v] : by_index) out.push_back(v);
  return out;
}

std::optional<TopicArnParts> ParseTopicArn(const std::string& arn) {
  // arn:aws:sns:REGION:ACCOUNT:NAME
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string name = arn.substr(start);
  if (parts[0] != "arn" || parts[1].empty() || parts[2] != "sns" || parts[3].empty() ||
      !IsDigits(parts[4], 12) || !ValidTopicName(name, name.ends_with(".fifo"))) {
    return std::nullopt;
  }
  return TopicArnParts{parts[3], parts[4], name};
}

}  // namespace thaw::sns
