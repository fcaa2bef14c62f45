// Route: maps an HTTP method and path to one Lambda control-plane operation. Pure functions,
// thread-safe. Paths that are not control-plane routes (the invoke path, other services) map to
// nothing so the front door can offer them to another Api.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace thaw::lambda {

enum class Op {
  kCreateFunction,
  kListFunctions,
  kGetFunction,
  kDeleteFunction,
  kGetFunctionConfiguration,
  kUpdateFunctionConfiguration,
  kUpdateFunctionCode,
  kPublishVersion,
  kListVersionsByFunction,
  kCreateAlias,
  kListAliases,
  kGetAlias,
  kUpdateAlias,
  kDeleteAlias,
  kPutFunctionConcurrency,
  kGetFunctionConcurrency,
  kDeleteFunctionConcurrency,
  kPutFunctionRecursionConfig,
  kGetFunctionRecursionConfig,
  kGetAccountSettings,
  kListTags,
  kTagResource,
  kUntagResource,
  kPublishLayerVersion,
  kListLayerVersions,
  kGetLayerVersion,
  kDeleteLayerVersion,
  kListLayers,  // GetLayerVersionByArn too: the same path with ?find=LayerVersion
  kAddPermission,
  kGetPolicy,
  kRemovePermission,
  kPutFunctionEventInvokeConfig,
  kUpdateFunctionEventInvokeConfig,
  kGetFunctionEventInvokeConfig,
  kDeleteFunctionEventInvokeConfig,
  kListFunctionEventInvokeConfigs,
  kCreateFunctionUrlConfig,
  kGetFunctionUrlConfig,
  kUpdateFunctionUrlConfig,
  kDeleteFunctionUrlConfig,
  kListFunctionUrlConfigs,
  kGetCodeZip,        // thaw's own download route behind GetFunction's Code.Location
  kUnknownOperation,  // a control-plane path with a method it does not support
};

struct Route {
  Op op = Op::kUnknownOperation;
  std::string function_name;  // the {FunctionName} path value, percent-decoded
  std::string alias;          // {Name} of the alias routes
  std::string resource;       // {ARN} of the tag routes, or the sha256 hex of kGetCodeZip
  std::string layer;          // {LayerName} of the layer routes
  std::string layer_version;  // {VersionNumber}, unparsed
  std::string statement_id;   // {StatementId} of RemovePermission
};

// nullopt when the path does not belong to the control plane.
std::optional<Route> MatchRoute(std::string_view method, std::string_view path);

// The operation's name as AWS spells it ("CreateFunction"), for logs and error messages.
std::string_view OpName(Op op);

}  // namespace thaw::lambda
