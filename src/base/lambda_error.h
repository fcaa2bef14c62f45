// The closed set of error types Lambda itself reports (Runtime.*, Function.*, Sandbox.*,
// Extension.*), and the filter Lambda applies to a type a runtime or extension reports.
// Shared by the server and thaw-host. Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace thaw {

enum class LambdaError {
  // Runtime errors.
  kRuntimeExitError,
  kRuntimeInvalidEntrypoint,
  kRuntimeInvalidWorkingDir,
  kRuntimeInitError,
  kRuntimeOutOfMemory,
  kRuntimeTruncatedResponse,
  kRuntimeInvalidResponseModeHeader,
  kRuntimeUnknown,
  // thaw-host's Go mechanisms: the net/rpc call failed, or the binary could not be started.
  kRuntimeGoRpcError,
  kRuntimeSpawnError,
  // Function errors.
  kFunctionResponseSizeTooLarge,
  kFunctionUnknown,
  // Sandbox errors: the environment could not be set up or was stopped (Failure), or the
  // invocation ran past its timeout (Timedout, as Lambda spells it in the invoke answer).
  kSandboxFailure,
  kSandboxTimedout,
  // Extension errors.
  kExtensionInitError,
  kExtensionExitError,
  kExtensionCrash,
  kExtensionLaunchError,
};

// "Runtime.ExitError" and so on: the text callers see in errorType and in log lines.
const char* Name(LambdaError error);

// The enum for a name Lambda itself uses; nullopt for anything else.
std::optional<LambdaError> ParseLambdaError(std::string_view name);

// The type Lambda keeps from a runtime's Lambda-Runtime-Function-Error-Type header: a
// "Runtime.X" or "Function.X" with X starting in a capital is kept as is; anything else
// becomes Function.Unknown if it starts "Function.", else Runtime.Unknown (rapid's
// GetValidRuntimeOrFunctionErrorType).
std::string FromRuntime(std::string_view reported);

// The same filter for an extension's /extension/init/error and /exit/error: "Extension.X"
// is kept, anything else becomes Extension.InitError.
std::string FromExtension(std::string_view reported);

}  // namespace thaw
