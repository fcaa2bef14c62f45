// Building a Go main package into a Lambda zip: finding the toolchain, the GOARCH of a Lambda
// architecture, and `go build` for each mechanism (docs/mechanisms.md). Blocks while go runs;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::cli {

// The first executable "go" on path_env (a PATH value), else /usr/local/go/bin/go; NotFound with
// "Go toolchain not found; install golang-go" otherwise.
StatusOr<std::string> FindGoToolchain(std::string_view path_env);

// "amd64" for "x86_64", "arm64" for "arm64"; nullopt otherwise.
std::optional<std::string> GoArch(std::string_view lambda_arch);

// Runs `go build -tags lambda.norpc -trimpath -o TMP/bootstrap .` in package_dir for linux and
// the Lambda architecture (CGO off) and returns the zip with bootstrap (mode 0755) at its root.
// FailedPrecondition carrying the compiler output when the build fails.
StatusOr<std::string> BuildGoBootstrapZip(const std::string& package_dir, std::string_view arch);

// How a mechanism's Go package is built and named (docs/mechanisms.md).
struct MechanismBuild {
  std::string runtime;    // go1.x for go1.x, else provided.al2023
  std::string handler;    // the zip entry the Handler names
  bool norpc = true;      // -tags lambda.norpc (not for go1.x, which serves net/rpc)
  bool c_shared = false;  // shim: -buildmode=c-shared with cgo
};
// Unknown mechanisms give InvalidArgument listing the known ones.
StatusOr<MechanismBuild> MechanismBuildFor(const std::string& mechanism);
// As BuildGoBootstrapZip, for a mechanism: the zip holds build.handler.
StatusOr<std::string> BuildGoZip(const std::string& package_dir, std::string_view arch,
                                 const MechanismBuild& build);

}  // namespace thaw::cli
