#include "cli/go_build.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "cli/deploy.h"
#include "cli/run_process.h"
#include "cli/zip_builder.h"
#include "sys/read_file.h"
#include "sys/temp_dir.h"

namespace thaw::cli {

namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

StatusOr<std::string> FindGoToolchain(std::string_view path_env) {
  if (std::optional<std::string> go = FindOnPath("go", path_env)) return *go;
  if (IsExecutableFile("/usr/local/go/bin/go")) return std::string("/usr/local/go/bin/go");
  return Status::NotFound("Go toolchain not found; install golang-go");
}

std::optional<std::string> GoArch(std::string_view lambda_arch) {
  if (lambda_arch == "x86_64") return "amd64";
  if (lambda_arch == "arm64") return "arm64";
  return std::nullopt;
}

StatusOr<std::string> BuildGoBootstrapZip(const std::string& package_dir, std::string_view arch) {
  MechanismBuild native;
  native.runtime = kDefaultRuntime;
  native.handler = "bootstrap";
  return BuildGoZip(package_dir, arch, native);
}

StatusOr<MechanismBuild> MechanismBuildFor(const std::string& mechanism) {
  MechanismBuild b;
  b.runtime = kDefaultRuntime;
  if (mechanism == "runtime-api") {
    b.handler = "bootstrap";
  } else if (mechanism == "go1.x") {
    b.runtime = "go1.x";
    b.handler = "handler";
    b.norpc = false;
  } else if (mechanism == "spawn" || mechanism == "http-sidecar") {
    b.handler = "handler";
  } else if (mechanism == "shim") {
    b.handler = "handler.so";
    b.c_shared = true;
  } else {
    return Status::InvalidArgument("unknown mechanism '" + mechanism +
                                   "'; use runtime-api, go1.x, spawn, http-sidecar or shim");
  }
  return b;
}

StatusOr<std::string> BuildGoZip(const std::string& package_dir, std::string_view arch,
                                 const MechanismBuild& build) {
  std::optional<std::string> go_arch = GoArch(arch);
  if (!go_arch) {
    return Status::InvalidArgument("unknown architecture '" + std::string(arch) +
                                   "'; use x86_64 or arm64");
  }
  const char* path_env = std::getenv("PATH");
  THAW_ASSIGN_OR_RETURN(std::string go, FindGoToolchain(path_env ? path_env : ""));
  THAW_ASSIGN_OR_RETURN(sys::TempDir temp, sys::TempDir::Create("thaw-deploy-"));
  std::string output = temp.path() + "/" + build.handler;

  std::vector<std::string> overrides = {build.c_shared ? "CGO_ENABLED=1" : "CGO_ENABLED=0",
                                        "GOOS=linux", "GOARCH=" + *go_arch};
  // Without HOME, go has no default build or module cache; give it private ones.
  if (std::getenv("HOME") == nullptr) {
    if (!std::getenv("GOCACHE") && !std::getenv("XDG_CACHE_HOME")) {
      overrides.push_back("GOCACHE=" + temp.path() + "/gocache");
    }
    if (!std::getenv("GOPATH") && !std::getenv("GOMODCACHE")) {
      overrides.push_back("GOPATH=" + temp.path() + "/gopath");
    }
  }
  // -s drops the symbol table only; Go's stack traces come from pclntab and stay intact.
  std::vector<std::string> argv = {go, "build"};
  if (build.norpc) argv.insert(argv.end(), {"-tags", "lambda.norpc"});
  if (build.c_shared) argv.push_back("-buildmode=c-shared");
  argv.insert(argv.end(), {"-trimpath", "-ldflags=-s", "-o", output, "."});
  THAW_ASSIGN_OR_RETURN(ProcessResult built,
                        RunProcess(argv, MergeEnvironment(overrides), package_dir));
  if (built.exit_code != 0) {
    std::string text = built.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return Status::FailedPrecondition("go build in " + package_dir + " failed (exit " +
                                      std::to_string(built.exit_code) + "):\n" + text);
  }
  THAW_ASSIGN_OR_RETURN(std::string binary, sys::ReadFile(output));
  return BuildZip({ZipEntry{build.handler, std::move(binary), build.c_shared ? 0644u : 0755u}});
}

}  // namespace thaw::cli
