// How a failed spawn reaches the caller. The launcher's reply (sys::SpawnFailure: the step, its
// errno and its text) becomes a Status for LauncherClient's callback, and Environment turns that
// Status into a Lambda error type and message. A failure of the sandbox's own setup (a mount, a
// privilege drop, a fork) is Sandbox.Failure naming the step and the errno; only the function's
// own exec is Runtime.InvalidEntrypoint. Both directions live here, so the contract between
// them (setup failures are FailedPrecondition, which ErrnoStatus never returns) is in one place.
// A setup failure's text names host paths (the state directory, the sandbox's root): the caller
// sees only each path's last component, and the server logs the whole text.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/lambda_error.h"
#include "base/status.h"
#include "sys/launcher_protocol.h"

namespace thaw::invoker {

// The Status a spawn's callback gets for the launcher's failure reply: for kExec, the exec's
// ErrnoStatus (NotFound for ENOENT, PermissionDenied for EACCES); for every other step,
// FailedPrecondition with the step, errno and text in the message.
Status SpawnFailureStatus(const sys::SpawnFailure& failure);

struct SpawnError {
  LambdaError type;
  std::string message;  // the errorMessage callers see
  std::string detail;   // for the server's log: the message with host paths in full
};

// The error for a spawn that failed with `status`. `mechanism` is the function's thaw:mechanism:
// "runtime-api" execs the bootstrap itself, the others exec thaw-host.
SpawnError ClassifySpawnFailure(const Status& status, std::string_view mechanism);

}  // namespace thaw::invoker
