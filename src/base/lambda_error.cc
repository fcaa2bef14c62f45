#include "base/lambda_error.h"

#include <cctype>

namespace thaw {
namespace {

constexpr LambdaError kAll[] = {
    LambdaError::kRuntimeExitError,
    LambdaError::kRuntimeInvalidEntrypoint,
    LambdaError::kRuntimeInvalidWorkingDir,
    LambdaError::kRuntimeInitError,
    LambdaError::kRuntimeOutOfMemory,
    LambdaError::kRuntimeTruncatedResponse,
    LambdaError::kRuntimeInvalidResponseModeHeader,
    LambdaError::kRuntimeUnknown,
    LambdaError::kRuntimeGoRpcError,
    LambdaError::kRuntimeSpawnError,
    LambdaError::kFunctionResponseSizeTooLarge,
    LambdaError::kFunctionUnknown,
    LambdaError::kSandboxFailure,
    LambdaError::kSandboxTimedout,
    LambdaError::kExtensionInitError,
    LambdaError::kExtensionExitError,
    LambdaError::kExtensionCrash,
    LambdaError::kExtensionLaunchError,
};

// "<prefix>X..." where X is a capital and the rest are letters.
bool IsCategoryType(std::string_view type, std::string_view prefix) {
  if (type.substr(0, prefix.size()) != prefix) return false;
  std::string_view reason = type.substr(prefix.size());
  if (reason.size() < 2 || !std::isupper(static_cast<unsigned char>(reason[0]))) return false;
  for (char c : reason) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const char* Name(LambdaError error) {
  switch (error) {
    case LambdaError::kRuntimeExitError:
      return "Runtime.ExitError";
    case LambdaError::kRuntimeInvalidEntrypoint:
      return "Runtime.InvalidEntrypoint";
    case LambdaError::kRuntimeInvalidWorkingDir:
      return "Runtime.InvalidWorkingDir";
    case LambdaError::kRuntimeInitError:
      return "Runtime.InitError";
    case LambdaError::kRuntimeOutOfMemory:
      return "Runtime.OutOfMemory";
    case LambdaError::kRuntimeTruncatedResponse:
      return "Runtime.TruncatedResponse";
    case LambdaError::kRuntimeInvalidResponseModeHeader:
      return "Runtime.InvalidResponseModeHeader";
    case LambdaError::kRuntimeUnknown:
      return "Runtime.Unknown";
    case LambdaError::kRuntimeGoRpcError:
      return "Runtime.GoRPCError";
    case LambdaError::kRuntimeSpawnError:
      return "Runtime.SpawnError";
    case LambdaError::kFunctionResponseSizeTooLarge:
      return "Function.ResponseSizeTooLarge";
    case LambdaError::kFunctionUnknown:
      return "Function.Unknown";
    case LambdaError::kSandboxFailure:
      return "Sandbox.Failure";
    case LambdaError::kSandboxTimedout:
      return "Sandbox.Timedout";
    case LambdaError::kExtensionInitError:
      return "Extension.InitError";
    case LambdaError::kExtensionExitError:
      return "Extension.ExitError";
    case LambdaError::kExtensionCrash:
      return "Extension.Crash";
    case LambdaError::kExtensionLaunchError:
      return "Extension.LaunchError";
  }
  return "Runtime.Unknown";
}

std::optional<LambdaError> ParseLambdaError(std::string_view name) {
  for (LambdaError e : kAll) {
    if (name == Name(e)) return e;
  }
  return std::nullopt;
}

std::string FromRuntime(std::string_view reported) {
  if (IsCategoryType(reported, "Runtime.") || IsCategoryType(reported, "Function.")) {
    return std::string(reported);
  }
  if (reported.substr(0, 9) == "Function.") return Name(LambdaError::kFunctionUnknown);
  return Name(LambdaError::kRuntimeUnknown);
}

std::string FromExtension(std::string_view reported) {
  if (IsCategoryType(reported, "Extension.")) return std::string(reported);
  return Name(LambdaError::kExtensionInitError);
}

}  // namespace thaw
