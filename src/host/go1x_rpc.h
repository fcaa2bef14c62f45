// go1x_rpc: AWS Lambda's legacy go1.x protocol. A function built with aws-lambda-go (without
// -tags lambda.norpc) serves Go net/rpc with the gob codec on _LAMBDA_SERVER_PORT; its service
// "Function" has Ping and Invoke (lambda/messages). GoRpcClient is a blocking client for it; the
// mechanism that runs such a binary is in go1x.cc. Thread-compatible: one call at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "host/gob.h"
#include "sys/unique_fd.h"

namespace thaw::host {

// messages.InvokeRequest.
struct GoInvokeRequest {
  std::string payload;
  std::string request_id;
  std::string trace_id;  // XAmznTraceId
  int64_t deadline_seconds = 0;
  int64_t deadline_nanos = 0;
  std::string invoked_function_arn;
  std::string cognito_identity_id;
  std::string cognito_identity_pool_id;
  std::string client_context;
};

// messages.InvokeResponse_Error_StackFrame.
struct GoStackFrame {
  std::string path;
  int32_t line = 0;
  std::string label;
};

// messages.InvokeResponse_Error.
struct GoInvokeError {
  std::string message;
  std::string type;
  std::vector<GoStackFrame> stack_trace;
  bool should_exit = false;  // set after a panic: the process must not serve again
};

// messages.InvokeResponse: Error set means the handler failed.
struct GoInvokeResponse {
  std::string payload;
  std::optional<GoInvokeError> error;
};

// The body aws-lambda-go posts to /error for `error`: Go's json.Marshal of InvokeResponse_Error
// (errorMessage, errorType, then stackTrace only when it has frames; Go's string escaping).
std::string GoErrorJson(const GoInvokeError& error);

class GoRpcClient {
 public:
  // `conn` is a connected stream socket to the function's net/rpc server.
  explicit GoRpcClient(sys::UniqueFd conn);
  GoRpcClient(const GoRpcClient&) = delete;
  GoRpcClient& operator=(const GoRpcClient&) = delete;

  // Errors: Unavailable when the connection ended or broke (the function is gone);
  // DeadlineExceeded when a socket timeout set on fd() expired; InvalidArgument when the reply is
  // not what net/rpc sends (the stream is then unusable); FailedPrecondition with the server's
  // message when net/rpc answered with an error (the stream is still usable).
  Status Ping();
  StatusOr<GoInvokeResponse> Invoke(const GoInvokeRequest& request);
  // Any method with an empty struct argument (Function.Ping's type).
  StatusOr<gob::Value> CallEmpty(std::string_view method);

  int fd() const { return conn_.get(); }

 private:
  StatusOr<gob::Value> Call(std::string_view method, gob::TypeId args_type, const gob::Value& args);
  StatusOr<size_t> Read(char* data, size_t size);

  sys::UniqueFd conn_;
  gob::Encoder encoder_;
  gob::Decoder decoder_;
  gob::TypeId request_type_;
  gob::TypeId ping_type_;
  gob::TypeId invoke_type_;
  uint64_t seq_ = 0;
  std::string buffer_;  // bytes read from conn_ and not decoded yet
  size_t buffer_pos_ = 0;
};

}  // namespace thaw::host
