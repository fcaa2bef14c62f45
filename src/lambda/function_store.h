// FunctionStore: the durable record of every function ($LATEST configuration, published
// versions, aliases, tags, reserved concurrency) in the state database's lambda_* tables.
// Callers group writes in a store::Transaction; a change is durable once it commits. Functions
// are named by their FunctionKey (function.h); the account is a column of lambda_functions
// (a state.db from before accounts gains it, holding 000000000000).
// Thread-compatible: used only on the control thread, which owns the Database.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "lambda/function.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::lambda {

// One function as stored: the registry entry plus the bookkeeping the registry does not need.
struct StoredFunction {
  FunctionEntry entry;       // latest->tags holds the function's tags
  int64_t last_version = 0;  // highest version number ever published; AWS never reuses one
};

class FunctionStore {
 public:
  // `db` must outlive the store.
  explicit FunctionStore(store::Database& db) : db_(db) {}
  FunctionStore(const FunctionStore&) = delete;
  FunctionStore& operator=(const FunctionStore&) = delete;

  // Creates the tables if needed.
  Status Init();
  // Every function, sorted by key. IoError on SQLite failures, Internal on a corrupt row.
  StatusOr<std::vector<StoredFunction>> LoadAll();

  // Inserts or replaces a function's $LATEST configuration; tags and the version counter are
  // written by their own calls.
  Status PutLatest(const FunctionConfig& latest);
  Status PutVersion(const FunctionConfig& version);  // version->version is "1", "2", ...
  Status DeleteVersion(const std::string& key, int64_t version);
  Status SetLastVersion(const std::string& key, int64_t last_version);
  Status PutAlias(const std::string& key, const Alias& alias);
  Status DeleteAlias(const std::string& key, const std::string& alias);
  Status SetTags(const std::string& key, const std::map<std::string, std::string>& tags);
  Status SetReservedConcurrency(const std::string& key, std::optional<int64_t> reserved);
  // Event invoke configurations, by qualifier ("$LATEST", a version or an alias).
  Status PutEventInvokeConfig(const std::string& key, const std::string& qualifier,
                              const EventInvokeConfig& config);
  Status DeleteEventInvokeConfig(const std::string& key, const std::string& qualifier);
  Status PutFunctionUrl(const std::string& key, const std::string& qualifier,
                        const FunctionUrlConfig& config);
  Status DeleteFunctionUrl(const std::string& key, const std::string& qualifier);
  // PutFunctionRecursionConfig: Allow (true) or Terminate.
  Status SetRecursiveLoop(const std::string& key, bool allow);
  // Removes the function with its versions, aliases, tags and event invoke configurations.
  Status DeleteFunction(const std::string& key);
  // Returns a number larger than any returned before, across restarts (FunctionConfig's
  // generation). Call it inside the transaction that stores the new configuration.
  StatusOr<uint64_t> NextGeneration();

 private:
  store::Database& db_;
};

// The storage form of a configuration (JSON text; tags are stored apart). Exposed for tests.
std::string ConfigToStorage(const FunctionConfig& config);
StatusOr<FunctionConfig> ConfigFromStorage(const std::string& text);

}  // namespace thaw::lambda
