// `thaw logs NAME [--follow] [--since 10m] [--stream S] [--account ID]`: prints a function's log
// events (log group /aws/lambda/NAME) in time order through the CloudWatch Logs API on the thaw
// server (FilterLogEvents, like `aws logs tail`). --follow polls every 500 ms until Ctrl-C. The
// function is 000000000000's unless --account or a function ARN as NAME names another account.
// Runs on the main thread; the SIGINT handler only sets a flag.
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "auth/accounts.h"
#include "base/clock.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "lambda/function.h"
#include "logs/log_tail.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "logs";
constexpr int64_t kPollIntervalMs = 500;
constexpr int64_t kRequestTimeoutMs = 30'000;

struct LogsFlags {
  std::string name;
  bool follow = false;
  std::string since;
  std::string stream;
  std::string account;  // --account, or the ARN's
};

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) { g_interrupted = 1; }

// Routes SIGINT to a flag while following, and restores the previous handler after.
class InterruptGuard {
 public:
  InterruptGuard() : previous_(std::signal(SIGINT, OnInterrupt)) { g_interrupted = 0; }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void (*previous_)(int);
};

// Sleeps up to `ms`, waking early on Ctrl-C.
void SleepUnlessInterrupted(int64_t ms) {
  for (int64_t slept = 0; slept < ms && !g_interrupted; slept += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// One FilterLogEvents call. NotFound means the log group does not exist (yet).
StatusOr<nlohmann::json> FilterLogEvents(http::Client& client, const nlohmann::json& request) {
  http::Headers headers;
  headers.Set("X-Amz-Target", "Logs_20140328.FilterLogEvents");
  headers.Set("Content-Type", "application/x-amz-json-1.1");
  THAW_ASSIGN_OR_RETURN(http::Response response,
                        Send(client, "POST", "/", DumpJson(request), headers, kRequestTimeoutMs));
  if (response.status != 200) {
    AwsError error = ParseAwsError(response);
    if (error.type == "ResourceNotFoundException") return Status::NotFound(error.message);
    return Status::Internal(FormatAwsError(error));
  }
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object()) return Status::Internal("FilterLogEvents answered with non-JSON");
  return body;
}

void PrintMessage(const std::string& message) {
  std::cout << message;
  if (message.empty() || message.back() != '\n') std::cout << '\n';
}

// Reads every page from cursor.start_ms() on, printing the events not seen before.
Status Poll(http::Client& client, const LogsFlags& flags, logs::TailCursor& cursor) {
  nlohmann::json request = {{"logGroupName", "/aws/lambda/" + flags.name}, {"interleaved", true}};
  if (auto start = cursor.start_ms()) request["startTime"] = *start;
  if (!flags.stream.empty()) request["logStreamNames"] = {flags.stream};
  std::string previous_token;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(nlohmann::json page, FilterLogEvents(client, request));
    auto events = page.find("events");
    if (events != page.end() && events->is_array()) {
      for (const nlohmann::json& event : *events) {
        if (cursor.Accept(JsonString(event, "eventId"), JsonInt(event, "timestamp"))) {
          PrintMessage(JsonString(event, "message"));
        }
      }
    }
    std::cout << std::flush;
    std::string token = JsonString(page, "nextToken");
    if (token.empty() || token == previous_token) break;
    previous_token = token;
    request["nextToken"] = token;
  }
  cursor.EndPoll();
  return Status::Ok();
}

Status WithServeHint(const Status& status) {
  if (status.code() != StatusCode::kUnavailable ||
      status.message().find("thaw serve") != std::string::npos) {
    return status;
  }
  return Status(status.code(), status.message() + "; start the server with `thaw serve`");
}

void RunLogs(CommandContext& ctx, LogsFlags flags) {
  if (auto ref = lambda::ParseFunctionRef(flags.name); ref && !ref->account.empty()) {
    if (!flags.account.empty() && flags.account != ref->account) {
      return ReportError(
          ctx, kCommand,
          Status::InvalidArgument("--account " + flags.account +
                                  " disagrees with the ARN's account " + ref->account),
          kExitUsage);
    }
    flags.account = ref->account;
    flags.name = ref->name;
  }
  if (!flags.account.empty() && !auth::IsAccountId(flags.account)) {
    return ReportError(
        ctx, kCommand,
        Status::InvalidArgument("--account must be 12 digits, not '" + flags.account + "'"),
        kExitUsage);
  }
  if (!IsValidFunctionName(flags.name)) {
    return ReportError(ctx, kCommand,
                       Status::InvalidArgument("invalid function name '" + flags.name + "'"),
                       kExitUsage);
  }
  std::optional<int64_t> since;
  if (!flags.since.empty()) {
    StatusOr<int64_t> parsed = logs::ParseSince(flags.since, SystemClock::Get().RealtimeMillis());
    if (!parsed.ok()) return ReportError(ctx, kCommand, parsed.status(), kExitUsage);
    since = *parsed;
  }
  StatusOr<std::unique_ptr<http::Client>> client = ConnectAs(ctx.endpoint, flags.account);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);

  const std::string no_logs = "no logs for function " + flags.name + " yet";
  logs::TailCursor cursor(since);
  if (!flags.follow) {
    Status status = Poll(**client, flags, cursor);
    if (status.code() == StatusCode::kNotFound) {
      return ReportError(ctx, kCommand, Status::NotFound(no_logs), kExitFailure);
    }
    if (!status.ok()) return ReportError(ctx, kCommand, WithServeHint(status));
    ctx.exit_code = kExitOk;
    return;
  }

  InterruptGuard guard;
  bool told_waiting = false;
  while (!g_interrupted) {
    Status status = Poll(**client, flags, cursor);
    if (status.code() == StatusCode::kNotFound) {
      // Following a function that has not run yet: wait for its first invoke.
      if (!told_waiting) std::cerr << no_logs << "; waiting (Ctrl-C to stop)\n";
      told_waiting = true;
    } else if (!status.ok()) {
      return ReportError(ctx, kCommand, WithServeHint(status));
    }
    SleepUnlessInterrupted(kPollIntervalMs);
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddLogsCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<LogsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "logs", "Print a function's logs (CloudWatch log group /aws/lambda/NAME) in time order");
  cmd->add_option("NAME", flags->name, "function name or ARN")->required();
  cmd->add_option("--account", flags->account,
                  "the function's account (12 digits; default 000000000000)");
  cmd->add_flag("-f,--follow", flags->follow, "keep printing new events until Ctrl-C");
  cmd->add_option("--since", flags->since,
                  "only events newer than this, like 30s, 10m, 2h, 1d or 1w (default: all)");
  cmd->add_option("--stream", flags->stream, "only this log stream (one execution environment)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, flags] { RunLogs(ctx, *flags); });
}

}  // namespace thaw::cli
