// The configuration of one function version, as the invoker needs it. Immutable once built:
// share it as std::shared_ptr<const FunctionConfig>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace thaw::lambda {

inline constexpr char kRegion[] = "us-east-1";
inline constexpr char kAccount[] = "000000000000";
inline constexpr char kLatest[] = "$LATEST";

// One of a function's layers (Layers in the configuration), as it was when the function took it:
// deleting the layer version later does not take it away from the function, as on AWS.
struct LayerRef {
  std::string arn;  // the layer version's ARN
  int64_t code_size = 0;
  std::string sha256_hex;  // names the layer's zip and extracted tree in the CodeStore

  bool operator==(const LayerRef&) const = default;
};

struct FunctionConfig {
  std::string name;
  std::string account = kAccount;  // the account the function belongs to
  std::string version = kLatest;   // "$LATEST" or "1", "2", ...
  std::string runtime;
  std::string role;
  std::string handler;
  std::string description;
  int64_t timeout_s = 3;
  int64_t memory_mb = 128;
  int64_t ephemeral_mb = 512;
  std::vector<std::pair<std::string, std::string>> environment;
  std::string architecture = "x86_64";
  std::string package_type = "Zip";
  std::string code_sha256;  // base64, as AWS reports it
  int64_t code_size = 0;
  std::string code_dir;  // absolute path of the extracted code, read-only
  std::string last_modified;
  std::string revision_id;
  std::string tracing_mode = "PassThrough";
  std::string dead_letter_arn;  // DeadLetterConfig.TargetArn; "" for none
  // LoggingConfig: "Text" or "JSON"; the levels apply to JSON only ("" = INFO, AWS's default).
  std::string log_format = "Text";
  std::string application_log_level;
  std::string system_log_level;
  std::map<std::string, std::string> tags;
  // How thaw hands events to the code (docs/mechanisms.md): Runtime go1.x, else the function's
  // thaw:mechanism tag, else the Runtime API. Kept with the configuration so a version keeps it.
  std::string mechanism = "runtime-api";
  // The function's thaw:network tag: "loopback" shares the host's loopback (it can reach thaw's
  // AWS endpoint); "none" gives each environment a network namespace of its own.
  std::string network = "loopback";
  // Layers in order (a later layer's files override an earlier one's at /opt).
  std::vector<LayerRef> layers;
  // Derived from `layers` on the control thread, never stored: the host directory shown at /opt
  // (the layers merged, see opt_tree.h; "" without layers) and the executables in its
  // extensions/ directory, sorted (the external extensions started before the bootstrap).
  std::string opt_dir;
  std::vector<std::string> extensions;
  // Bumped whenever code or configuration changes, so warm environments of an older
  // generation are retired instead of reused.
  uint64_t generation = 0;

  // FunctionKey(account, name): the function's identity inside thaw.
  std::string key() const;
};

using FunctionConfigPtr = std::shared_ptr<const FunctionConfig>;

inline constexpr char kMechanismTag[] = "thaw:mechanism";
// The mechanism for a runtime and tags; InvalidArgument names the allowed values.
StatusOr<std::string> ResolveMechanism(const std::string& runtime,
                                       const std::map<std::string, std::string>& tags);

inline constexpr char kNetworkTag[] = "thaw:network";
// The network for the tags; InvalidArgument names the allowed values.
StatusOr<std::string> ResolveNetwork(const std::map<std::string, std::string>& tags);

// A function's identity inside thaw (registry, state.db rows, invoker pools, async events): the
// same name in two accounts is two functions. In 000000000000 the key is the plain name, so that
// account's stored rows, log groups and `thaw invoke NAME` are what they were before accounts;
// in any other account it is the partial ARN "ACCOUNT:function:NAME", which ParseFunctionRef and
// FunctionArn read back. Names hold no ':', so the two forms never meet.
std::string FunctionKey(std::string_view account, std::string_view name);

// "arn:aws:lambda:us-east-1:ACCOUNT:function:NAME" for a FunctionKey (a plain name is
// 000000000000's).
std::string FunctionArn(const std::string& key);
// FunctionArn plus ":QUALIFIER".
std::string QualifiedArn(const std::string& key, const std::string& qualifier);

// A FunctionName path parameter split into account, name and qualifier. Accepts a name,
// "name:qualifier", a full ARN, or a partial ARN ("000000000000:function:name[:qualifier]").
struct FunctionRef {
  std::string account;  // the ARN's account; empty when the text names none
  std::string name;
  std::string qualifier;  // empty when none was given

  // The key of the function named, in `caller_account` unless the text names an account.
  std::string KeyIn(std::string_view caller_account) const;
};
std::optional<FunctionRef> ParseFunctionRef(const std::string& text);

}  // namespace thaw::lambda
