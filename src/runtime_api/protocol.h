// Runtime API 2018-06-01 and Extensions API 2020-01-01 wire constants, spelled as on the wire
// (see aws-lambda-cpp src/runtime.cpp and RIE rapi/).
#pragma once

#include <cstddef>

namespace thaw::runtime_api {

inline constexpr char kNextPath[] = "/2018-06-01/runtime/invocation/next";
inline constexpr char kInvocationPrefix[] = "/2018-06-01/runtime/invocation/";
inline constexpr char kInitErrorPath[] = "/2018-06-01/runtime/init/error";
inline constexpr char kExtensionRegisterPath[] = "/2020-01-01/extension/register";
inline constexpr char kExtensionNextPath[] = "/2020-01-01/extension/event/next";
inline constexpr char kExtensionInitErrorPath[] = "/2020-01-01/extension/init/error";
inline constexpr char kExtensionExitErrorPath[] = "/2020-01-01/extension/exit/error";
inline constexpr char kTelemetryPath[] = "/2022-07-01/telemetry";
inline constexpr char kLogsPath[] = "/2020-08-15/logs";

inline constexpr char kHeaderRequestId[] = "Lambda-Runtime-Aws-Request-Id";
inline constexpr char kHeaderDeadlineMs[] = "Lambda-Runtime-Deadline-Ms";
inline constexpr char kHeaderFunctionArn[] = "Lambda-Runtime-Invoked-Function-Arn";
inline constexpr char kHeaderTraceId[] = "Lambda-Runtime-Trace-Id";
inline constexpr char kHeaderClientContext[] = "Lambda-Runtime-Client-Context";
inline constexpr char kHeaderCognitoIdentity[] = "Lambda-Runtime-Cognito-Identity";
inline constexpr char kHeaderErrorType[] = "Lambda-Runtime-Function-Error-Type";
inline constexpr char kHeaderErrorBody[] = "Lambda-Runtime-Function-Error-Body";
inline constexpr char kHeaderResponseMode[] = "Lambda-Runtime-Function-Response-Mode";
inline constexpr char kHeaderExtensionName[] = "Lambda-Extension-Name";
inline constexpr char kHeaderExtensionId[] = "Lambda-Extension-Identifier";
inline constexpr char kHeaderExtensionErrorType[] = "Lambda-Extension-Function-Error-Type";

// The largest /response body a runtime may post: 6 MiB + 100 bytes (RIE interop/model.go).
inline constexpr size_t kMaxResponseBytes = 6 * 1024 * 1024 + 100;
inline constexpr int kMaxExtensions = 10;

// A streamed response (Response-Mode: streaming): at most 200 MB reach the caller (Lambda's
// current limit; the rest is read and dropped, and the invocation fails with
// Function.ResponseSizeTooLarge); the first 6 MB are read as fast as they come, the rest at about
// 2 MiB/s, as Lambda paces a stream (the runtime's writes then block, as they would there).
inline constexpr size_t kMaxStreamedBytes = size_t{200} * 1024 * 1024;
inline constexpr size_t kUnthrottledStreamBytes = size_t{6} * 1024 * 1024;
inline constexpr double kStreamBytesPerSecond = 2.0 * 1024 * 1024;

}  // namespace thaw::runtime_api
