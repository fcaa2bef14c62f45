#include "invoker/spawn_error.h"

#include <cerrno>
#include <cstring>

namespace thaw::invoker {

Status SpawnFailureStatus(const sys::SpawnFailure& failure) {
  if (failure.step == sys::SpawnStep::kExec) return ErrnoStatus("exec", "", failure.err);
  std::string message = std::string("Sandbox setup failed at step '") +
                        sys::SpawnStepName(failure.step) + "' (errno " +
                        std::to_string(failure.err) + ", " + std::strerror(failure.err) + ")";
  if (!failure.text.empty()) message += ": " + failure.text;
  return Status::FailedPrecondition(std::move(message));
}

SpawnError ClassifySpawnFailure(const Status& status, std::string_view mechanism) {
  if (status.code() == StatusCode::kFailedPrecondition) {
    return {LambdaError::kSandboxFailure, status.message()};
  }
  std::string reason;
  if (mechanism != "runtime-api") {
    reason = "thaw-host (the " + std::string(mechanism) +
             " mechanism's host) failed to start: " + status.message();
  } else if (status.code() == StatusCode::kNotFound) {
    reason = "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]";
  } else if (status.code() == StatusCode::kPermissionDenied) {
    reason = "fork/exec /var/task/bootstrap: permission denied";
  } else if (status.message() == ErrnoStatus("exec", "", ENOEXEC).message()) {
    reason = "fork/exec /var/task/bootstrap: exec format error";
  } else {
    reason = "fork/exec /var/task/bootstrap: " + status.message();
  }
  return {LambdaError::kRuntimeInvalidEntrypoint, reason};
}

}  // namespace thaw::invoker
