// `thaw invoke NAME`: calls the Invoke API on the thaw server and prints the function's answer.
// Runs on the main thread.
#include <iostream>
#include <memory>
#include <string>

#include "base/codec.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "invoke";

struct InvokeFlags {
  std::string name;
  std::string payload;
  std::string payload_file;
  std::string qualifier;
  std::string type = "RequestResponse";
  bool log_tail = false;
  std::string trace_id;
  CLI::Option* payload_option = nullptr;
  CLI::Option* payload_file_option = nullptr;
};

// Adds a hint to the errors a user can act on.
Status WithHint(const Status& status, const InvokeFlags& flags) {
  if (status.code() != StatusCode::kNotFound) return status;
  std::string hint =
      flags.qualifier.empty()
          ? "; deploy it with `thaw deploy DIR --name " + flags.name + "` or see `thaw functions`"
          : "; `thaw deploy DIR --name " + flags.name + " --publish` publishes numbered versions";
  return Status(status.code(), status.message() + hint);
}

void RunInvoke(CommandContext& ctx, const InvokeFlags& flags) {
  std::string payload = "{}";
  if (flags.payload_file_option->count() > 0) {
    StatusOr<std::string> text = ReadFileOrStdin(flags.payload_file);
    if (!text.ok()) return ReportError(ctx, kCommand, text.status(), kExitUsage);
    payload = std::move(text).value();
  } else if (flags.payload_option->count() > 0) {
    payload = flags.payload;
  }

  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  http::Headers headers;
  headers.Set("Content-Type", "application/json");
  headers.Set("X-Amz-Invocation-Type", flags.type);
  if (flags.log_tail) headers.Set("X-Amz-Log-Type", "Tail");
  if (!flags.trace_id.empty()) headers.Set("X-Amzn-Trace-Id", flags.trace_id);
  // No timeout: a function may run for up to 900 s.
  StatusOr<http::Response> response =
      Send(**client, "POST", FunctionTarget(flags.name, "/invocations", flags.qualifier), payload,
           headers, /*timeout_ms=*/0);
  if (!response.ok()) return ReportError(ctx, kCommand, response.status());
  if (Status status = ResponseStatus(*response); !status.ok()) {
    return ReportError(ctx, kCommand, WithHint(status, flags));
  }

  if (auto log = response->headers.Get("X-Amz-Log-Result"); log && !log->empty()) {
    std::optional<std::string> text = Base64Decode(*log);
    if (text) {
      PrintLine(std::cerr, *text);
    } else {
      std::cerr << "thaw invoke: X-Amz-Log-Result is not valid base64\n";
    }
  }
  if (flags.type == "Event") {
    PrintLine(std::cout, "queued (" + std::to_string(response->status) + ")");
  } else if (flags.type == "DryRun") {
    PrintLine(std::cout, "dry run ok (" + std::to_string(response->status) + ")");
  } else {
    PrintLine(std::cout, response->body);
  }
  if (auto error = response->headers.Get("X-Amz-Function-Error")) {
    std::cerr << "function error (" << *error << ")\n";
    ctx.exit_code = kExitFailure;
    return;
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddInvokeCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<InvokeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "invoke", "Invoke a function and print its response to stdout (exit 1 on a function error)");
  cmd->add_option("NAME", flags->name, "function name, name:qualifier or ARN")->required();
  flags->payload_option = cmd->add_option("--payload", flags->payload, "event JSON (default: {})");
  flags->payload_file_option = cmd->add_option("--payload-file", flags->payload_file,
                                               "read the event JSON from a file, "
                                               "or from stdin for -")
                                   ->excludes(flags->payload_option);
  cmd->add_option("--qualifier", flags->qualifier, "version or alias to invoke");
  cmd->add_option("--type", flags->type, "invocation type")
      ->check(CLI::IsMember({"RequestResponse", "Event", "DryRun"}))
      ->capture_default_str();
  cmd->add_flag("--log-tail", flags->log_tail,
                "print the last 4 KB of the invocation's log to stderr");
  cmd->add_option("--trace-id", flags->trace_id,
                  "X-Amzn-Trace-Id to send, e.g. Root=1-5759e988-bd862e3fe1be46a994272793;"
                  "Parent=53995c3f42cd8ad8;Sampled=1 (see thaw trace)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, flags] { RunInvoke(ctx, *flags); });
}

}  // namespace thaw::cli
