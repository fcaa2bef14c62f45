// `thaw trace ID [--format text|json|chrome|otlp] [-o FILE]`: one trace's invocations (the
// hops thaw ran) and segments (what functions and hosts sent with PutTraceSegments) as a tree
// in causal order, with the spans whose clocks contradict it; or the trace as Chrome/Perfetto
// trace JSON (open it in ui.perfetto.dev) or OTLP/JSON. Through GET /thaw/traces/ID.
// Runs on the main thread.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "trace";

struct TraceFlags {
  std::string id;
  std::string format = "text";
  std::string output;
};

// Accepts the X-Ray root ("1-5759e988-bd862e3fe1be46a994272793") or a whole trace header.
std::string RootOf(const std::string& id) {
  constexpr std::string_view kRoot = "Root=";
  size_t at = id.find(kRoot);
  if (at == std::string::npos) return id;
  std::string rest = id.substr(at + kRoot.size());
  return rest.substr(0, rest.find(';'));
}

void RunTrace(CommandContext& ctx, const TraceFlags& flags) {
  std::string root = RootOf(flags.id);
  if (root.empty() || root.find_first_of("/?&# ") != std::string::npos) {
    return ReportError(ctx, kCommand,
                       Status::InvalidArgument("give a trace id like "
                                               "1-5759e988-bd862e3fe1be46a994272793"),
                       kExitUsage);
  }
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  StatusOr<http::Response> response =
      Send(**client, "GET", "/thaw/traces/" + root + "?format=" + flags.format);
  if (!response.ok()) return ReportError(ctx, kCommand, response.status());
  if (Status s = ResponseStatus(*response); !s.ok()) return ReportError(ctx, kCommand, s);
  std::string body = response->body;
  if (flags.format != "text") {
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (!parsed.is_discarded()) body = DumpJson(parsed, 2) + "\n";
  }
  if (flags.output.empty()) {
    std::cout << body << std::flush;
  } else {
    std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
    out << body;
    out.close();
    if (!out) {
      return ReportError(ctx, kCommand, Status::Internal("could not write " + flags.output));
    }
    std::cerr << "wrote " << flags.output << "\n";
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddTraceCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "trace", "Show one trace as a causal tree (hybrid logical clocks), or export it");
  cmd->add_option("ID", flags->id, "the trace id (X-Ray root, or a whole X-Amzn-Trace-Id)")
      ->required();
  cmd->add_option("--format", flags->format,
                  "text (tree), json, chrome (Perfetto / chrome://tracing) or otlp (OTLP/JSON)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json", "chrome", "otlp"}));
  cmd->add_option("-o,--output", flags->output, "write to this file instead of stdout");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, flags] { RunTrace(ctx, *flags); });
}

}  // namespace thaw::cli
