// Deploying a function as `thaw deploy` does: create it, or update its code and configuration,
// waiting for it to settle between steps, then publish. Blocks on the calls; thread-compatible
// (one thread per http::Client).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/arguments.h"
#include "http/client.h"

namespace thaw::cli {

inline constexpr char kLocalRole[] = "arn:aws:iam::000000000000:role/thaw-local";
inline constexpr char kDefaultRuntime[] = "provided.al2023";

struct DeploySpec {
  std::string name;
  std::string zip;  // the deployment package bytes
  std::string runtime = kDefaultRuntime;
  // Configuration given on the command line; unset fields keep the function's current value
  // on update and AWS's defaults on create.
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> timeout_s;
  std::optional<EnvVars> environment;  // replaces all variables, as AWS does
  std::optional<std::string> architecture;
  bool runtime_given = false;
  bool publish = false;
  // --mechanism: sets Handler (and Runtime for go1.x) and the thaw:mechanism tag.
  std::optional<std::string> mechanism;
  std::string handler = "bootstrap";
  // Waiting for State/LastUpdateStatus to settle between steps (AWS refuses an update while
  // one is in progress).
  int poll_interval_ms = 250;
  int max_polls = 480;
};

struct DeployResult {
  bool created = false;
  std::string code_sha256;
  int64_t code_size = 0;
  std::string version = "$LATEST";  // the published version with --publish
};

// The architecture to build for: the requested one, else the existing function's, else x86_64.
std::string ResolveArchitecture(const std::optional<std::string>& requested,
                                const std::optional<nlohmann::json>& existing);

// With no `existing` configuration CreateFunction; otherwise UpdateFunctionCode and, when any
// configuration was given, UpdateFunctionConfiguration. Waits for the function to settle after
// each step, then publishes a version when asked. Progress lines go to `progress` when not null.
StatusOr<DeployResult> DeployFunction(http::Client& client, const DeploySpec& spec,
                                      const std::optional<nlohmann::json>& existing,
                                      std::ostream* progress);

// "deployed NAME (created): CodeSha256=... CodeSize=N Version=$LATEST".
std::string FormatDeploySummary(const std::string& name, const DeployResult& result);

}  // namespace thaw::cli
