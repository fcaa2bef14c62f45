// thaw-host: runs inside an environment in place of a native bootstrap, for functions whose
// mechanism is not the Runtime API itself (go1.x, spawn, http-sidecar, shim). It is the
// environment's runtime: it speaks the Runtime API to thaw and hands each event to the function
// through its mechanism, so isolation, limits, timeouts and logs are the same for every mechanism.
// Usage: thaw-host MECHANISM (or THAW_MECHANISM). Single-threaded.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/lambda_error.h"
#include "host/mechanism.h"
#include "host/process.h"
#include "host/runtime_client.h"

namespace {

using thaw::host::Mechanism;
using thaw::host::Outcome;

std::unique_ptr<Mechanism> Make(const std::string& name) {
  if (name == "go1.x") return thaw::host::NewGo1xMechanism();
  if (name == "spawn") return thaw::host::NewSpawnMechanism();
  if (name == "http-sidecar") return thaw::host::NewSidecarMechanism();
  if (name == "shim") return thaw::host::NewShimMechanism();
  return nullptr;
}

void Fail(const std::string& what) { fprintf(stderr, "thaw-host: %s\n", what.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  // A function that closes its end of a pipe or socket must not end thaw-host.
  signal(SIGPIPE, SIG_IGN);
  const char* env_name = getenv("THAW_MECHANISM");
  std::string name = argc > 1 ? argv[1] : (env_name ? env_name : "");
  const char* api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api) {
    Fail("AWS_LAMBDA_RUNTIME_API is not set; thaw-host runs inside a thaw environment");
    return 2;
  }
  thaw::host::RuntimeClient client(api);
  // The Runtime API is thaw-host's to use: a function process that found it would race thaw-host
  // for events (an aws-lambda-go binary under go1.x would run its own Runtime API loop).
  unsetenv("AWS_LAMBDA_RUNTIME_API");
  std::unique_ptr<Mechanism> mechanism = Make(name);
  if (!mechanism) {
    std::string message =
        "unknown mechanism \"" + name + "\" (one of go1.x, spawn, http-sidecar, shim, runtime-api)";
    Fail(message);
    const char* type = thaw::Name(thaw::LambdaError::kRuntimeInvalidEntrypoint);
    (void)client.PostInitError(type, thaw::host::ErrorJson(type, message));
    return 1;
  }
  if (thaw::Status s = mechanism->Init(); !s.ok()) {
    std::string type = mechanism->InitErrorType();
    Fail(s.message());
    (void)client.PostInitError(type, thaw::host::ErrorJson(type, s.message()));
    return 1;
  }
  for (;;) {
    thaw::StatusOr<thaw::host::Invocation> inv = client.Next();
    if (!inv.ok()) {
      Fail(inv.status().message());
      return 1;
    }
    Outcome out = mechanism->Invoke(*inv);
    thaw::Status posted;
    switch (out.kind) {
      case Outcome::Kind::kResponse:
        posted = client.PostResponse(inv->request_id, out.body);
        break;
      case Outcome::Kind::kError:
        posted = client.PostError(inv->request_id, out.error_type, out.body);
        break;
      case Outcome::Kind::kErrorThenExit:
        (void)client.PostError(inv->request_id, out.error_type, out.body);
        mechanism.reset();
        thaw::host::ExitLike(out.wait_status);
      case Outcome::Kind::kExited:
        mechanism.reset();
        thaw::host::ExitLike(out.wait_status);
    }
    if (!posted.ok()) Fail(posted.message());
  }
}
