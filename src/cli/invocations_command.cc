// `thaw invocations [FUNCTION] [--limit N] [--cold|--warm] [--errors] [--since 10m] [--json]`:
// lists invocation records, newest first, through GET /thaw/invocations on the thaw server.
// The attempts of an Event invoke (same request id) are numbered, with the wait before each.
// Runs on the main thread.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/codec.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"
#include "logs/log_tail.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "invocations";

struct InvocationsFlags {
  std::string function;
  int64_t limit = 20;
  bool cold = false;
  bool warm = false;
  bool errors = false;
  std::string since;
  bool json = false;
};

std::string Fixed(double value, const char* format) {
  char buf[32];
  snprintf(buf, sizeof buf, format, value);
  return buf;
}

std::string Millis(int64_t ns) { return Fixed(static_cast<double>(ns) / 1e6, "%.2f ms"); }

double JsonNumber(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

// The attempts of each Event invoke (its records share the request id), in order: for each
// record, "N" and the wait since the previous attempt ended ("2 (+600 ms)"); "-" for the others.
std::vector<std::string> Attempts(const nlohmann::json& records) {
  std::map<std::string, std::vector<std::pair<double, size_t>>> by_request;  // (start, index)
  for (size_t i = 0; i < records.size(); ++i) {
    if (JsonString(records[i], "invocationType") != "Event") continue;
    by_request[JsonString(records[i], "requestId")].emplace_back(
        JsonNumber(records[i], "startTime"), i);
  }
  std::vector<std::string> out(records.size(), "-");
  for (auto& [id, attempts] : by_request) {
    std::sort(attempts.begin(), attempts.end());
    for (size_t n = 0; n < attempts.size(); ++n) {
      std::string text = std::to_string(n + 1);
      if (n > 0) {
        const nlohmann::json& prev = records[attempts[n - 1].second];
        double ended = attempts[n - 1].first + JsonNumber(prev, "durationMs");
        text += " (+" + Fixed(attempts[n].first - ended, "%.0f") + " ms)";
      }
      out[attempts[n].second] = text;
    }
  }
  return out;
}

// An event source mapping's batch in one cell: "SHARD ..FIRST-..LAST n=N try K half" (sequence
// numbers cut to their last 8 digits; --json has them whole), or "QUEUE n=N" for SQS.
std::string SourceCell(const nlohmann::json& r) {
  auto src = r.find("eventSource");
  if (src == r.end() || !src->is_object()) return "-";
  auto tail = [](std::string seq) {
    return seq.size() > 8 ? ".." + seq.substr(seq.size() - 8) : seq;
  };
  std::string out;
  if (std::string shard = JsonString(*src, "shardId"); !shard.empty()) {
    out = shard + " " + tail(JsonString(*src, "startSequenceNumber")) + "-" +
          tail(JsonString(*src, "endSequenceNumber"));
  } else {
    std::string arn = JsonString(*src, "eventSourceArn");
    out = arn.substr(arn.rfind(':') + 1);
  }
  out += " n=" + std::to_string(JsonInt(*src, "batchSize"));
  out += " try " + std::to_string(JsonInt(*src, "attempt"));
  auto bisected = src->find("bisected");
  if (bisected != src->end() && bisected->is_boolean() && bisected->get<bool>()) out += " half";
  return out;
}

std::string FormatRecords(const nlohmann::json& records) {
  std::vector<std::vector<std::string>> rows = {{"START", "FUNCTION", "REQUEST ID", "KIND",
                                                 "ATTEMPT", "STATUS", "DURATION", "BILLED",
                                                 "MEMORY", "INIT", "CPU", "LATENCY", "COST"}};
  // The mapping column only when some invocation came from one.
  bool sources = std::any_of(records.begin(), records.end(), [](const nlohmann::json& r) {
    return r.is_object() && r.contains("eventSource");
  });
  if (sources) rows[0].push_back("EVENT SOURCE");
  std::vector<std::string> attempts = Attempts(records);
  size_t index = 0;
  for (const nlohmann::json& r : records) {
    std::string status = JsonString(r, "status");
    if (!JsonString(r, "errorType").empty()) status += " (" + JsonString(r, "errorType") + ")";
    auto phases = r.find("phases");
    int64_t init_ns = phases != r.end() ? JsonInt(*phases, "initNs") : 0;
    auto cold = r.find("cold");
    bool is_cold = cold != r.end() && cold->is_boolean() && cold->get<bool>();
    rows.push_back({JsonString(r, "start"), JsonString(r, "function"), JsonString(r, "requestId"),
                    is_cold ? "cold" : "warm", attempts[index++], status,
                    Fixed(JsonNumber(r, "durationMs"), "%.2f ms"),
                    std::to_string(JsonInt(r, "billedDurationMs")) + " ms",
                    std::to_string(JsonInt(r, "maxMemoryUsedMB")) + "/" +
                        std::to_string(JsonInt(r, "memorySizeMB")) + " MB",
                    init_ns > 0 ? Millis(init_ns) : "-", Millis(JsonInt(r, "cpuTimeNs")),
                    Millis(JsonInt(r, "latencyNs")), Fixed(JsonNumber(r, "costUsd"), "$%.10f")});
    if (sources) rows.back().push_back(SourceCell(r));
  }
  return FormatTable(rows);
}

void RunInvocations(CommandContext& ctx, const InvocationsFlags& flags) {
  if (!flags.function.empty() && !IsValidFunctionName(flags.function)) {
    return ReportError(ctx, kCommand,
                       Status::InvalidArgument("invalid function name '" + flags.function + "'"),
                       kExitUsage);
  }
  std::string target = "/thaw/invocations?limit=" + std::to_string(flags.limit);
  if (!flags.function.empty()) target += "&function=" + http::PercentEncode(flags.function);
  if (flags.cold) target += "&cold=true";
  if (flags.warm) target += "&cold=false";
  if (flags.errors) target += "&status=error,timeout";
  if (!flags.since.empty()) {
    StatusOr<int64_t> since = logs::ParseSince(flags.since, SystemClock::Get().RealtimeMillis());
    if (!since.ok()) return ReportError(ctx, kCommand, since.status(), kExitUsage);
    target += "&since=" + std::to_string(*since);
  }
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  StatusOr<nlohmann::json> body = CallJson(**client, "GET", target);
  if (!body.ok()) return ReportError(ctx, kCommand, body.status());
  auto found = body->find("invocations");
  nlohmann::json records =
      found != body->end() && found->is_array() ? *found : nlohmann::json::array();
  if (flags.json) {
    PrintLine(std::cout, DumpJson(records, 2));
  } else if (records.empty()) {
    std::cerr << "no invocations recorded" << (flags.function.empty() ? "" : " for ")
              << flags.function << "\n";
  } else {
    std::cout << FormatRecords(records) << std::flush;
  }
  if (int64_t dropped = JsonInt(*body, "dropped"); dropped > 0 && !flags.json) {
    std::cerr << dropped << " records were dropped (the record ring was full)\n";
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddInvocationsCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<InvocationsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "invocations", "List invocation records (phases, REPORT figures, cost), newest first");
  cmd->add_option("FUNCTION", flags->function, "only this function");
  cmd->add_option("-n,--limit", flags->limit, "at most this many records")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  auto* cold = cmd->add_flag("--cold", flags->cold, "only cold starts");
  cmd->add_flag("--warm", flags->warm, "only warm invocations")->excludes(cold);
  cmd->add_flag("--errors", flags->errors, "only failed invocations (error or timeout)");
  cmd->add_option("--since", flags->since, "only invocations newer than this, like 30s, 10m, 2h");
  cmd->add_flag("--json", flags->json, "print the records as JSON");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, flags] { RunInvocations(ctx, *flags); });
}

}  // namespace thaw::cli
