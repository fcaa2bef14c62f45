// ShimMechanism: the function is a Go library built with `go build -buildmode=c-shared` (a Go
// plugin can be loaded only by a Go program). thaw-host dlopens it and calls its small C ABI once
// per event, in process, as eawsy's and Sparta's Python shims did. Single-threaded, as every
// Mechanism: Init once, then one Invoke at a time, all from one thread.
//
// The C ABI (docs/shim-abi.md has the details):
//
//   int  thaw_shim_invoke(const char* ctx_json, size_t ctx_len, const char* event,
//                         size_t event_len, char** out, size_t* out_len);
//   void thaw_shim_free(char* p);
//   int  thaw_shim_init(char** out, size_t* out_len);  // optional
//
// thaw_shim_invoke returns 0 with the response in out, 1 with Lambda's error JSON
// ({"errorMessage","errorType","stackTrace"}) in out, or 2 with the error JSON when the process
// must then exit with status 1 (a recovered panic, as aws-lambda-go exits after posting one).
// ctx_json is
// {"requestId","deadlineMs","invokedFunctionArn","traceId","clientContext","cognitoIdentity"}; the
// last two are the Runtime API headers' JSON text, or "". out (may be null when out_len is 0) is
// allocated by the library and handed back to thaw_shim_free. thaw_shim_init, when exported, is
// called once from Init: 0 = ready, anything else = init failed with the error JSON in out.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/lambda_error.h"
#include "host/mechanism.h"

namespace thaw::host {

using ShimInitFn = int (*)(char** out, size_t* out_len);
using ShimInvokeFn = int (*)(const char* ctx_json, size_t ctx_len, const char* event,
                             size_t event_len, char** out, size_t* out_len);
using ShimFreeFn = void (*)(char* p);

// thaw_shim_invoke's result codes.
inline constexpr int kShimResponse = 0;
inline constexpr int kShimError = 1;
inline constexpr int kShimErrorThenExit = 2;

struct ShimAbi {
  ShimInitFn init = nullptr;  // optional
  ShimInvokeFn invoke = nullptr;
  ShimFreeFn free = nullptr;
};

class ShimMechanism : public Mechanism {
 public:
  // Loads the library at path in Init.
  explicit ShimMechanism(std::string path);
  // Calls abi directly, without a library.
  static std::unique_ptr<ShimMechanism> ForTest(ShimAbi abi);
  ~ShimMechanism() override;
  ShimMechanism(const ShimMechanism&) = delete;
  ShimMechanism& operator=(const ShimMechanism&) = delete;

  // Loads the library and calls thaw_shim_init. NotFound when the file is missing,
  // FailedPrecondition when it is no loadable shared object or lacks a symbol (the message says
  // how to build it) or when thaw_shim_init fails (the message is its errorMessage).
  Status Init() override;
  // Runtime.InvalidEntrypoint for a library that cannot be loaded; thaw_shim_init's errorType.
  std::string InitErrorType() const override { return init_error_type_; }
  Outcome Invoke(const Invocation& inv) override;

 private:
  Status Load();

  std::string path_;
  void* library_ = nullptr;  // dlopen handle, closed by the destructor
  ShimAbi abi_;
  std::string init_error_type_ = Name(LambdaError::kRuntimeInvalidEntrypoint);
};

// The ctx_json argument of thaw_shim_invoke for inv.
std::string ShimContextJson(const Invocation& inv);

}  // namespace thaw::host
