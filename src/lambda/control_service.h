// ControlService: the logic of the Lambda control plane (functions, code, versions, aliases,
// reserved concurrency, recursion config, tags, account settings). It keeps an in-memory copy of
// every function, writes each change to the FunctionStore in one transaction, and only after the
// commit swaps its copy, republishes the function to the Registry and reports code/config changes.
// Each request acts in its caller's account (http::Request::account): functions are kept by
// FunctionKey, and a FunctionName or resource ARN naming another account is refused
// (AccessDeniedException), as AWS refuses what no resource policy grants; thaw's resource
// policies grant invoke only.
// Control thread only: it does SQLite and zip work, so it must never run on the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "http/message.h"
#include "lambda/code_store.h"
#include "lambda/function_store.h"
#include "lambda/layer_store.h"
#include "lambda/policy.h"
#include "lambda/registry.h"
#include "lambda/route.h"
#include "store/sqlite.h"

namespace thaw::lambda {

struct ServiceOptions {
  std::string state_dir;
  store::Database& db;  // must outlive the service
  Registry& registry;   // must outlive the service
  const Clock& clock;   // must outlive the service
  int64_t account_concurrency_limit = 1000;
  int64_t unreserved_minimum = 100;
  // Called on the control thread after a committed change to a function's code or
  // configuration, or its deletion (also of one version).
  std::function<void(const std::string& name)> on_function_changed;
  // The front door's address as configured (--listen), for Code.Location URLs: never the
  // request's Host header, which the caller controls. A wildcard host becomes 127.0.0.1; port 0
  // means the port the request arrived on.
  std::string endpoint_host = "127.0.0.1";
  uint16_t endpoint_port = 0;
};

class ControlService {
 public:
  explicit ControlService(ServiceOptions options);
  ControlService(const ControlService&) = delete;
  ControlService& operator=(const ControlService&) = delete;

  // Creates the tables, loads every function and publishes it to the Registry.
  Status Start();

  // Runs one routed request to completion; errors become AWS error responses. A request that
  // may have left code unreferenced (an update, a delete, a failed create) ends with
  // CollectGarbage.
  http::Response Handle(const Route& route, const http::Request& request);

  // Removes stored zips, code trees and merged /opt trees that nothing references: no
  // function's $LATEST or version, no layer version, and no configuration retired since that
  // something still holds (a running environment has that tree mounted). With
  // `only_if_released`, does nothing unless a retired configuration was released since the
  // last pass. Failures are logged: the next pass tries again.
  void CollectGarbage(bool only_if_released = false);
  // True while retired configurations are still held, so a later pass may free more.
  bool HasDeferredGarbage() const { return !retired_.empty(); }

 private:
  struct FunctionState {
    FunctionEntry entry;
    int64_t last_version = 0;
  };

  StatusOr<http::Response> Dispatch(const Route& route, const http::Request& request);

  // Functions (control_functions.cc).
  StatusOr<http::Response> CreateFunction(const http::Request& request);
  StatusOr<http::Response> GetFunction(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetFunctionConfiguration(const Route& route,
                                                    const http::Request& request);
  StatusOr<http::Response> ListFunctions(const http::Request& request);
  StatusOr<http::Response> UpdateFunctionCode(const Route& route, const http::Request& request);
  StatusOr<http::Response> UpdateFunctionConfiguration(const Route& route,
                                                       const http::Request& request);
  StatusOr<http::Response> DeleteFunction(const Route& route, const http::Request& request);

  // Versions and aliases (control_versions.cc).
  StatusOr<http::Response> PublishVersion(const Route& route, const http::Request& request);
  StatusOr<http::Response> ListVersionsByFunction(const Route& route, const http::Request& request);
  StatusOr<http::Response> CreateAlias(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetAlias(const Route& route);
  StatusOr<http::Response> ListAliases(const Route& route, const http::Request& request);
  StatusOr<http::Response> UpdateAlias(const Route& route, const http::Request& request);
  StatusOr<http::Response> DeleteAlias(const Route& route);

  // Concurrency, recursion config, account settings, tags and the code download
  // (control_account.cc).
  StatusOr<http::Response> PutFunctionConcurrency(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetFunctionConcurrency(const Route& route);
  StatusOr<http::Response> DeleteFunctionConcurrency(const Route& route);
  StatusOr<http::Response> PutFunctionRecursionConfig(const Route& route,
                                                      const http::Request& request);
  StatusOr<http::Response> GetFunctionRecursionConfig(const Route& route);
  StatusOr<http::Response> GetAccountSettings();
  StatusOr<http::Response> ListTags(const Route& route);
  StatusOr<http::Response> TagResource(const Route& route, const http::Request& request);
  StatusOr<http::Response> StoreTags(const std::string& name, const FunctionState& found,
                                     std::shared_ptr<FunctionConfig> config);
  StatusOr<http::Response> UntagResource(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetCodeZip(const Route& route);

  // Layers (control_layers.cc).
  StatusOr<http::Response> PublishLayerVersion(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetLayerVersion(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetLayerVersionByArn(const http::Request& request);
  StatusOr<http::Response> ListLayers(const http::Request& request);
  StatusOr<http::Response> ListLayerVersions(const Route& route, const http::Request& request);
  StatusOr<http::Response> DeleteLayerVersion(const Route& route);
  StatusOr<const LayerVersion*> FindLayerVersion(const std::string& name, int64_t version) const;
  // Resolves a function's Layers (version ARNs) into config->layers and prepares its /opt tree.
  // A version deleted since the function took it stays usable by that function.
  Status ApplyLayers(const std::vector<std::string>& arns, FunctionConfig* config);
  // Sets config->opt_dir and config->extensions from config->layers (building the tree).
  Status PrepareOpt(FunctionConfig* config);

  // Resource-based policies (control_policy.cc).
  StatusOr<http::Response> AddPermission(const Route& route, const http::Request& request);
  StatusOr<http::Response> GetPolicy(const Route& route, const http::Request& request);
  StatusOr<http::Response> RemovePermission(const Route& route, const http::Request& request);
  // (function name, qualifier) of a policy route; the qualifier must exist and not be $LATEST.
  StatusOr<std::pair<std::string, std::string>> PolicyKey(const Route& route,
                                                          const http::Request& request);
  // Drops in-memory policies of a deleted function (qualifier null) or version/alias.
  void ForgetPolicies(const std::string& name, const std::string* qualifier);
  // The function's policies, parsed, for the Registry (the invoke path enforces them).
  std::map<std::string, auth::PolicyPtr> ParsedPolicies(const std::string& name) const;
  // Publishes the function's current policies to the Registry.
  void RepublishPolicies(const std::string& name);

  // Event invoke configurations (control_event_invoke.cc).
  StatusOr<http::Response> PutEventInvokeConfig(const Route& route, const http::Request& request,
                                                bool update);
  StatusOr<http::Response> GetEventInvokeConfig(const Route& route, const http::Request& request);
  StatusOr<http::Response> DeleteEventInvokeConfig(const Route& route,
                                                   const http::Request& request);
  StatusOr<http::Response> ListEventInvokeConfigs(const Route& route, const http::Request& request);
  // (function name, qualifier with "" as $LATEST) of an event-invoke-config route.
  StatusOr<std::pair<std::string, std::string>> EventInvokeKey(const Route& route,
                                                               const http::Request& request,
                                                               bool must_exist);

  // Function URLs (control_urls.cc).
  StatusOr<http::Response> PutFunctionUrl(const Route& route, const http::Request& request,
                                          bool update);
  StatusOr<http::Response> GetFunctionUrl(const Route& route, const http::Request& request);
  StatusOr<http::Response> DeleteFunctionUrl(const Route& route, const http::Request& request);
  StatusOr<http::Response> ListFunctionUrls(const Route& route, const http::Request& request);
  // (function key, qualifier: "" or an alias) of a function URL route; the alias must exist.
  StatusOr<std::pair<std::string, std::string>> UrlKey(const Route& route,
                                                       const http::Request& request);
  uint16_t UrlPort(const http::Request& request) const;

  // Helpers (control_service.cc).
  // The function named by an unqualified FunctionName path value; NotFound otherwise.
  StatusOr<const FunctionState*> Find(const std::string& function_name);
  // The function a parsed (maybe qualified) reference names; NotFound with the qualified ARN.
  StatusOr<const FunctionState*> Find(const FunctionRef& ref);
  // A configuration by qualifier: "" or $LATEST, a version number, or an alias.
  StatusOr<FunctionConfigPtr> Resolve(const FunctionState& state, const std::string& name,
                                      const std::string& qualifier);
  // Runs `work` inside one SQLite transaction and commits it.
  Status Transact(const std::function<Status()>& work);
  // After a commit: adopt the new state and publish it to the Registry.
  void Install(const std::string& name, FunctionState state);
  void Uninstall(const std::string& name);
  void NotifyChanged(const std::string& name);
  // Publishes $LATEST of `state` (a copy the caller will commit) as the next version, or finds
  // the last version when code and configuration are unchanged since it, as AWS does.
  // `created` tells whether the caller must store a new version.
  struct Publication {
    FunctionConfigPtr config;
    bool created = false;
  };
  Publication PrepareVersion(FunctionState* state, const std::optional<std::string>& description);
  // Stores what PrepareVersion created (inside the caller's transaction).
  Status StoreVersion(const FunctionState& state, const Publication& publication);
  std::string Now() const;
  // A presigned http://HOST:PORT/thaw/code/<hex>.zip from the configured endpoint, never the
  // request's Host (GetFunction's Code.Location, a layer version's Content.Location).
  std::string CodeUrl(const http::Request& request, const std::string& sha256_hex) const;
  // Remembers the configurations of `old` that `now` (null for a deleted function) no longer
  // publishes, until whoever still holds them lets go.
  void Retire(const FunctionEntry& old, const FunctionEntry* now);

  // The key of `name` in the account of the request in hand.
  std::string Key(const std::string& name) const { return FunctionKey(account_, name); }
  // AccessDeniedException when the route names a function of an account other than account_.
  Status CheckSameAccount(const Route& route) const;

  ServiceOptions options_;
  std::string account_ = kAccount;  // the caller's account, for the request in hand
  CodeStore code_store_;
  FunctionStore function_store_;
  LayerStore layer_store_;
  PolicyStore policy_store_;
  std::map<std::string, FunctionState> functions_;  // by FunctionKey
  std::map<std::string, StoredLayer> layers_;
  std::map<std::pair<std::string, std::string>, Policy> policies_;  // by (key, qualifier)
  // Configurations replaced or deleted, maybe still held by environments on the loop thread
  // (expiry is all we look at, which is thread-safe).
  std::vector<std::weak_ptr<const FunctionConfig>> retired_;
};

// A JSON response with the given status.
http::Response JsonResponse(int status, const nlohmann::json& body);
// Merges a FunctionName path value with ?Qualifier=; InvalidArgument when they disagree or the
// name is malformed.
StatusOr<FunctionRef> ParseRef(const std::string& function_name,
                               const std::optional<std::string>& qualifier);
// Checks a request's RevisionId (if any) against the current one; 412 on a mismatch.
Status CheckRevision(const std::optional<std::string>& given, const std::string& current);

}  // namespace thaw::lambda
