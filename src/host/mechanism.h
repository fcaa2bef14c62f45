// Mechanism: how thaw-host, running inside an environment in place of a native bootstrap, hands an
// event to the function and gets its result (the seed's ways of running Go on Lambda: go1.x RPC,
// spawn per request, HTTP sidecar, c-shared shim). thaw-host speaks the Runtime API to thaw and
// calls a Mechanism for each event. Single-threaded: thaw-host's one thread calls Init once and
// then Invoke for one event at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/lambda_error.h"
#include "base/status.h"

namespace thaw::host {

// One event, as the Runtime API's /next delivered it.
struct Invocation {
  std::string request_id;
  int64_t deadline_ms = 0;  // Unix epoch milliseconds
  std::string function_arn;
  std::string trace_id;        // Lambda-Runtime-Trace-Id
  std::string client_context;  // JSON text, or empty
  std::string cognito_identity;
  std::string payload;
};

struct Outcome {
  enum class Kind {
    kResponse,       // body is the function's response
    kError,          // body is Lambda's error JSON ({"errorMessage","errorType","stackTrace"});
                     // error_type its errorType (Lambda-Runtime-Function-Error-Type)
    kErrorThenExit,  // as kError, and then thaw-host exits with exit_status (a Go panic)
    kExited,         // the function's process ended before answering; thaw-host ends the same way
  };
  Kind kind = Kind::kResponse;
  std::string body;
  std::string error_type;
  int wait_status = 0;  // kExited / kErrorThenExit: a waitpid status thaw-host reproduces
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  // Starts the function (or loads it). An error here is reported through /init/error with
  // error_type and the status message, so it must say what to fix.
  virtual Status Init() = 0;
  // The errorType reported through /init/error when Init fails.
  virtual std::string InitErrorType() const { return Name(LambdaError::kRuntimeInitError); }
  virtual Outcome Invoke(const Invocation& inv) = 0;
};

// The function's entry point: the Handler setting resolved against LAMBDA_TASK_ROOT
// (/var/task/<handler>), or /var/task/bootstrap when the handler is empty.
std::string EntryPath();

// Lambda's error JSON: {"errorMessage":m,"errorType":t} (stackTrace only when given, a JSON array).
std::string ErrorJson(const std::string& type, const std::string& message,
                      const std::string& stack_trace_json = "");

// The mechanisms. Each reads its settings from the environment (see docs/mechanisms.md).
std::unique_ptr<Mechanism> NewGo1xMechanism();
std::unique_ptr<Mechanism> NewSpawnMechanism();
std::unique_ptr<Mechanism> NewSidecarMechanism();
std::unique_ptr<Mechanism> NewShimMechanism();

}  // namespace thaw::host
