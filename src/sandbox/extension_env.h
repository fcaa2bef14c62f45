// The environment of an external extension, derived from the runtime's: Lambda gives
// extensions the function's variables except the runtime-only ones it lists
// (AWS_EXECUTION_ENV, the log group and stream, X-Ray's, LAMBDA_RUNTIME_DIR,
// LAMBDA_TASK_ROOT, _HANDLER, ...), and rapid drops every "_"-prefixed key. Pure, thread-safe
// (and safe in the shell between fork and exec: it only copies strings).
#pragma once

#include <string>
#include <vector>

namespace thaw::sandbox {

// `runtime_env` holds "KEY=VALUE" strings.
std::vector<std::string> ExtensionEnv(const std::vector<std::string>& runtime_env);

}  // namespace thaw::sandbox
