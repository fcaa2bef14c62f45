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

namespace {

// "mount /srv/s/tmp/e1.img on /run/x/root/tmp: ..." -> "mount .../e1.img on .../tmp: ...".
std::string WithoutHostPaths(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool starts_word = i == 0 || text[i - 1] == ' ' || text[i - 1] == '(';
    if (text[i] != '/' || !starts_word) {
      out += text[i++];
      continue;
    }
    size_t end = text.find_first_of(" :,)", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view path = text.substr(i, end - i);
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    out += ".../";
    out += path.substr(path.rfind('/') + 1);
    i = end;
  }
  return out;
}

}  // namespace

SpawnError ClassifySpawnFailure(const Status& status, std::string_view mechanism) {
  if (status.code() == StatusCode::kFailedPrecondition) {
    return {LambdaError::kSandboxFailure, WithoutHostPaths(status.message()), status.message()};
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
  return {LambdaError::kRuntimeInvalidEntrypoint, reason, reason};
}

}  // namespace thaw::invoker
