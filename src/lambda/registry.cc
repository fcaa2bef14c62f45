#include "lambda/registry.h"

#include "base/codec.h"

namespace thaw::lambda {

void Registry::Put(const std::string& name, FunctionEntry entry) {
  MutexLock lock(&mu_);
  auto& slot = functions_[name];
  total_reserved_ += entry.reserved_concurrency.value_or(0) - slot.reserved_concurrency.value_or(0);
  for (const auto& [qualifier, url] : slot.urls) url_keys_.erase(url.url_id);
  for (const auto& [qualifier, url] : entry.urls) url_keys_[url.url_id] = name;
  slot = std::move(entry);
}

void Registry::Remove(const std::string& name) {
  MutexLock lock(&mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return;
  total_reserved_ -= it->second.reserved_concurrency.value_or(0);
  for (const auto& [qualifier, url] : it->second.urls) url_keys_.erase(url.url_id);
  functions_.erase(it);
}

std::optional<FunctionEntry> Registry::Get(const std::string& name) const {
  MutexLock lock(&mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Registry::Names() const {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(functions_.size());
  for (const auto& [name, _] : functions_) out.push_back(name);
  return out;
}

int64_t Registry::TotalReserved() const {
  MutexLock lock(&mu_);
  return total_reserved_;
}

std::optional<UrlTarget> Registry::FindUrl(const std::string& url_id) const {
  MutexLock lock(&mu_);
  auto key = url_keys_.find(url_id);
  if (key == url_keys_.end()) return std::nullopt;
  auto it = functions_.find(key->second);
  if (it == functions_.end()) return std::nullopt;
  for (const auto& [qualifier, url] : it->second.urls) {
    if (url.url_id == url_id) return UrlTarget{key->second, qualifier, url};
  }
  return std::nullopt;
}

StatusOr<Resolved> Registry::Resolve(const std::string& function_name, const std::string& qualifier,
                                     const std::string& account) const {
  auto ref = ParseFunctionRef(function_name);
  if (!ref) {
    return Status::InvalidArgument(
        "1 validation error detected: Value '" + function_name +
        "' at 'functionName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
        "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  }
  std::string q = ref->qualifier;
  if (!qualifier.empty()) {
    if (!q.empty() && q != qualifier) {
      return Status::InvalidArgument(
          "The derived qualifier from the function name does not "
          "match the specified qualifier.");
    }
    q = qualifier;
  }
  const std::string key = ref->KeyIn(account);
  std::string arn = q.empty() ? FunctionArn(key) : QualifiedArn(key, q);
  MutexLock lock(&mu_);
  auto it = functions_.find(key);
  if (it == functions_.end()) return Status::NotFound("Function not found: " + arn);
  const FunctionEntry& e = it->second;
  Resolved out;
  out.invoked_arn = arn;
  out.reserved_concurrency = e.reserved_concurrency;
  out.allow_recursive_loop = e.allow_recursive_loop;
  if (auto p = e.policies.find(q == kLatest ? "" : q); p != e.policies.end())
    out.policy = p->second;
  if (q.empty() || q == kLatest) {
    out.config = e.latest;
    out.executed_version = kLatest;
    return out;
  }
  std::string version = q;
  if (auto a = e.aliases.find(q); a != e.aliases.end()) version = a->second.function_version;
  if (version == kLatest) {
    out.config = e.latest;
    out.executed_version = kLatest;
    return out;
  }
  auto n = ParseInt(version);
  if (!n) return Status::NotFound("Function not found: " + arn);
  auto v = e.versions.find(*n);
  if (v == e.versions.end()) return Status::NotFound("Function not found: " + arn);
  out.config = v->second;
  out.executed_version = version;
  return out;
}

}  // namespace thaw::lambda
