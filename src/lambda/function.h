// The configuration of one function version, as the invoker needs it. Immutable once built:
// share it as std::shared_ptr<const FunctionConfig>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
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
  std::string version = kLatest;  // "$LATEST" or "1", "2", ...
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
};

using FunctionConfigPtr = std::shared_ptr<const FunctionConfig>;

inline constexpr char kMechanismTag[] = "thaw:mechanism";
// The mechanism for a runtime and tags; InvalidArgument names the allowed values.
StatusOr<std::string> ResolveMechanism(const std::string& runtime,
                                       const std::map<std::string, std::string>& tags);

inline constexpr char kNetworkTag[] = "thaw:network";
// The network for the tags; InvalidArgument names the allowed values.
StatusOr<std::string> ResolveNetwork(const std::map<std::string, std::string>& tags);

// "arn:aws:lambda:us-east-1:000000000000:function:NAME".
std::string FunctionArn(const std::string& name);
// FunctionArn plus ":QUALIFIER".
std::string QualifiedArn(const std::string& name, const std::string& qualifier);

// A FunctionName path parameter split into name and qualifier. Accepts a name, "name:qualifier",
// a full ARN, or a partial ARN ("000000000000:function:name[:qualifier]").
struct FunctionRef {
  std::string name;
  std::string qualifier;  // empty when none was given
};
std::optional<FunctionRef> ParseFunctionRef(const std::string& text);

}  // namespace thaw::lambda
