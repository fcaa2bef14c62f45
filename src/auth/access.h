// Who is calling the front door, and what each caller may do. The caller is found from the
// connection (the peer socket), never from the key it signs with: the operator (anyone outside
// the functions: the CLI, SDKs, tests) may do everything; a function acts as its execution role
// with the permissions of Lambda's basic execution role plus invoke: the data plane of its
// account, its own configuration, and nothing of the control plane or of thaw's own routes,
// unless it is allowed to manage (tag thaw:control-plane=allow, or serve --functions-may-manage).
// Also the credentials thaw gives a function. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace thaw::auth {

inline constexpr char kAccount[] = "000000000000";
inline constexpr char kControlPlaneTag[] = "thaw:control-plane";
inline constexpr char kControlPlaneAllow[] = "allow";

struct Caller {
  enum class Kind { kOperator, kFunction };
  Kind kind = Kind::kOperator;
  std::string function;  // a function's name; empty when a sandbox process was not matched
  std::string role;      // the execution role's name ("lambda-role")
  bool may_manage = false;
  std::string account;  // a function's account; empty is 000000000000

  static Caller Operator() { return {}; }
  bool is_function() const { return kind == Kind::kFunction; }
};

// arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION (Lambda's session name is the function).
std::string CallerArn(const Caller& caller);

// The role name from a role ARN ("arn:aws:iam::1:role/path/name" -> "name").
std::string RoleName(std::string_view role_arn);

// What a request would do, as IAM names it.
struct Operation {
  enum class Plane {
    kData,          // Invoke, CloudWatch Logs writes, X-Ray PutTraceSegments
    kReadFunction,  // reads of one function's configuration (allowed on the caller's own)
    kControl,       // every other Lambda or Logs operation
    kThaw,          // thaw's own /thaw/* routes
  };
  Plane plane = Plane::kControl;
  std::string action;    // "lambda:UpdateFunctionCode"
  std::string resource;  // an ARN, or "*"
  std::string function;  // kReadFunction: the function read
};

// nullopt when `caller` may do `op`; otherwise AWS's AccessDeniedException message.
std::optional<std::string> Authorize(const Caller& caller, const Operation& op);

// arn:aws:lambda:us-east-1:ACCOUNT:function:NAME[:QUALIFIER] (empty ACCOUNT: 000000000000); a
// name that already is an ARN is returned as it is.
std::string FunctionArn(std::string_view name, std::string_view qualifier = "",
                        std::string_view account = "");

// The temporary credentials a function's environment gets (AWS_ACCESS_KEY_ID "ASIA...",
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), derived from the function's ARN and the server's
// secret key, so they are stable for one server and differ between functions.
Credentials FunctionCredentials(std::string_view function_arn, std::string_view server_key);

// The key thaw presigns its own downloads with. --verify-signatures accepts it only for those
// (GET /thaw/code/..., signed for s3).
inline constexpr char kCodeLocationKeyId[] = "AKIATHAWCODELOCATION";
inline constexpr char kCodeLocationSecret[] = "thaw-code-location-key";

// "http://HOST/PATH?X-Amz-Algorithm=...&X-Amz-Signature=...": a presigned URL for one of thaw's
// own downloads (GetFunction's Code.Location), as S3's are, valid for 10 minutes.
std::string PresignedUrl(std::string_view host, std::string_view path, int64_t unix_seconds);

}  // namespace thaw::auth
