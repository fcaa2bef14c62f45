// AWS error answers as the CLI shows them: a REST-JSON error parsed into type and message, turned
// into one line, a Status and an exit code. Stateless, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cli/command.h"
#include "http/message.h"

namespace thaw::cli {

// Help footer of every client subcommand.
inline constexpr char kExitCodesFooter[] =
    "Exit codes: 0 ok, 1 failed (service or function error), 2 bad usage, 3 server unreachable.";

// An AWS REST-JSON error answer: status, x-amzn-ErrorType and the body's Message.
struct AwsError {
  int status = 0;
  std::string type;     // "ResourceNotFoundException"; empty when the server sent none
  std::string message;  // body Message/message, or the raw body text (trimmed, shortened)
};

// Reads the error code from x-amzn-ErrorType (text before ':' and after the last '#', as botocore
// does), falling back to a body "__type"/"code"; the message from "Message"/"message".
AwsError ParseAwsError(const http::Response& response);

// One line: "ResourceNotFoundException: Function not found: arn:... (HTTP 404)".
std::string FormatAwsError(const AwsError& error);

// Ok for 2xx. Otherwise a Status with the FormatAwsError text and a code by HTTP status:
// 404 NotFound, 400 InvalidArgument, 403 PermissionDenied, 409 FailedPrecondition,
// 413/429 ResourceExhausted, anything else Internal.
Status ResponseStatus(const http::Response& response);

// kExitUnavailable for Unavailable (the server could not be reached or stopped answering), else
// kExitFailure. Usage errors are reported by the commands themselves with kExitUsage.
int ExitCodeFor(const Status& status);

// Prints "thaw COMMAND: MESSAGE" to stderr and sets ctx.exit_code (ExitCodeFor(status) when
// exit_code is nullopt).
void ReportError(CommandContext& ctx, std::string_view command, const Status& status,
                 std::optional<int> exit_code = std::nullopt);

// `text` on one line (newlines and tabs as spaces, trimmed), cut at `limit` with "...".
std::string OneLine(std::string_view text, size_t limit);

}  // namespace thaw::cli
