// Registry: the live view of every function, its published versions, aliases and reserved
// concurrency, read by the invoke path and written by the control plane after each commit.
// Thread-safe (one mutex; reads copy out shared_ptrs, so the critical sections are tiny).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/policy_eval.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "lambda/event_invoke_config.h"
#include "lambda/function.h"
#include "lambda/function_url.h"

namespace thaw::lambda {

struct Alias {
  std::string name;
  std::string function_version;
  std::string description;
  std::string revision_id;
};

struct FunctionEntry {
  FunctionConfigPtr latest;
  std::map<int64_t, FunctionConfigPtr> versions;  // published versions by number
  std::map<std::string, Alias> aliases;
  std::optional<int64_t> reserved_concurrency;
  // Event invoke configurations by qualifier ("$LATEST", a version number or an alias).
  std::map<std::string, EventInvokeConfig> event_invoke_configs;
  // PutFunctionRecursionConfig: Allow. The default, Terminate, drops a recursive loop's
  // invocation past trace::kMaxRecursiveInvocations.
  bool allow_recursive_loop = false;
  // Resource-based policies (AddPermission) by qualifier: "" for the unqualified function (and
  // $LATEST), else the version number or alias they were added for.
  std::map<std::string, auth::PolicyPtr> policies;
  // Function URLs by qualifier: "" for the unqualified function, else an alias.
  std::map<std::string, FunctionUrlConfig> urls;
};

// What a function URL id names.
struct UrlTarget {
  std::string key;        // FunctionKey
  std::string qualifier;  // "" or an alias
  FunctionUrlConfig config;
};

// What an invoke resolved to.
struct Resolved {
  FunctionConfigPtr config;
  std::string executed_version;  // "$LATEST" or a number
  std::string invoked_arn;       // the ARN the caller used, qualified if they qualified it
  std::optional<int64_t> reserved_concurrency;
  bool allow_recursive_loop = false;
  // The resource policy of the ARN invoked (null: none): a permission applies only to the ARN it
  // was added for, so an alias's does not cover its version, nor the function's an alias.
  auth::PolicyPtr policy;
};

// Functions are kept by FunctionKey (function.h): Put, Remove and Get take keys.
class Registry {
 public:
  void Put(const std::string& key, FunctionEntry entry);
  void Remove(const std::string& key);
  std::optional<FunctionEntry> Get(const std::string& key) const;
  std::vector<std::string> Names() const;  // every key
  // Resolves a FunctionName path value (a name, an ARN, or a key) plus optional ?Qualifier= to
  // a version's config: in the account the ARN names, else in `account` (the caller's; empty
  // is 000000000000). NotFound carries AWS's message ("Function not found: arn:...");
  // InvalidArgument covers malformed names and a qualifier that disagrees with the one inside
  // the name.
  StatusOr<Resolved> Resolve(const std::string& function_name, const std::string& qualifier,
                             const std::string& account = "") const;
  // Sum of every function's reserved concurrency; O(1), as the invoke path asks on every call.
  int64_t TotalReserved() const;
  // The function URL with this id, if any.
  std::optional<UrlTarget> FindUrl(const std::string& url_id) const;

 private:
  mutable Mutex mu_;
  std::map<std::string, FunctionEntry> functions_ GUARDED_BY(mu_);
  int64_t total_reserved_ GUARDED_BY(mu_) = 0;  // sum of reserved concurrency, kept on every change
  std::map<std::string, std::string> url_keys_ GUARDED_BY(mu_);  // URL id -> FunctionKey
};

}  // namespace thaw::lambda
