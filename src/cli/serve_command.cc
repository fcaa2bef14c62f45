// `thaw serve`: flags into a Server (cli/server.h, which owns the subsystems, their threads and
// their start and stop order), SIGINT and SIGTERM into its Stop. The main thread runs the loop.
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "cli/command.h"
#include "cli/server.h"
#include "sys/launcher_protocol.h"

namespace thaw::cli {

namespace asio = boost::asio;

namespace {

// The flags that are not a Server option as they are.
struct ServeFlags {
  std::string listen = "127.0.0.1:9001";
  std::string api_listen;  // "": no API routes listener
  bool verbose = false;
  bool no_sandbox = false;
  bool no_freeze = false;
  bool no_records = false;
  Server::Options server;  // the rest
};

// One line for the operator: what is enforced, and plainly what is not.
std::string DescribeSandbox(uint32_t f) {
  std::vector<std::string> on, off;
  auto item = [&](uint32_t bit, const char* name) { ((f & bit) ? on : off).emplace_back(name); };
  item(sys::kFeatureNamespaces, "namespaces+read-only root");
  item(sys::kFeatureUnprivileged, "unprivileged uid");
  item(sys::kFeatureSeccomp, "seccomp");
  item(sys::kFeatureMemory, "memory limit");
  item(sys::kFeatureCpu, "cpu share");
  item(sys::kFeaturePids, "pids limit");
  item(sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1, "freeze between invocations");
  item(sys::kFeatureTmpLimit, "/tmp size limit");
  std::string text;
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  if (!on.empty()) text += "enforced: " + join(on);
  if (!off.empty()) text += std::string(text.empty() ? "" : "; ") + "NOT enforced: " + join(off);
  if (f & sys::kFeatureFreezeV2) text += " (freezer: cgroup v2)";
  if (f & sys::kFeatureFreezeV1) text += " (freezer: cgroup v1)";
  return text;
}

// The operator's lines at start: what the sandbox enforces, and loudly when functions run as root.
void ReportSandbox(uint32_t features, bool freeze) {
  uint32_t enforced = features;
  if (!freeze) enforced &= ~(sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1);
  std::cerr << "thaw: sandbox: " << DescribeSandbox(enforced) << "\n";
  if (geteuid() == 0 && !(features & sys::kFeatureUnprivileged)) {
    bool color = isatty(STDERR_FILENO) != 0;
    std::cerr << (color ? "\033[1;31m" : "")
              << "thaw: WARNING: functions run as root (no sandbox, and its uid cannot reach the "
                 "state dir; see thaw-launcher's line above)"
              << (color ? "\033[0m" : "") << "\n";
  }
}

StatusOr<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen must be HOST:PORT, got " + listen);
  }
  auto port = ParseInt(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return Status::InvalidArgument("--listen has a bad port: " + listen);
  }
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(*port));
}

int RunServer(const ServeFlags& flags) {
  if (flags.verbose) SetLogLevel(LogLevel::kDebug);
  auto listen = ParseListen(flags.listen);
  if (!listen.ok()) {
    std::cerr << "thaw serve: " << listen.status().message() << "\n";
    return kExitUsage;
  }
  Server::Options options = flags.server;
  std::string api_host;
  options.listen_host = listen->first;
  options.port = listen->second;
  if (!flags.api_listen.empty()) {
    auto api = ParseListen(flags.api_listen);
    if (!api.ok()) {
      std::cerr << "thaw serve: --api-listen: " << api.status().message() << "\n";
      return kExitUsage;
    }
    options.api_listen_host = api_host = api->first;
    options.api_port = api->second;
  }
  options.sandbox = !flags.no_sandbox;
  options.freeze = !flags.no_freeze;
  options.records = !flags.no_records;
  Server server(std::move(options));
  if (Status s = server.Start(); !s.ok()) {
    std::cerr << "thaw serve: " << s.ToString() << "\n";
    return kExitFailure;
  }
  ReportSandbox(server.sandbox_features(), !flags.no_freeze);
  asio::signal_set signals(server.loop(), SIGINT, SIGTERM);
  signals.async_wait([&server](boost::system::error_code ec, int signo) {
    if (ec) return;
    THAW_LOG(kInfo, "serve") << "signal " << signo << ": shutting down";
    server.Stop();
  });
  std::cerr << "thaw: listening on http://" << listen->first << ":" << server.port()
            << " (state in " << server.state_dir() << ")\n";
  if (server.api_port() != 0) {
    std::cerr << "thaw: API routes on http://" << api_host << ":" << server.api_port() << "\n";
  }
  server.Run();
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve",
                                     "Run the thaw server (Lambda, Runtime and "
                                     "CloudWatch Logs APIs) until Ctrl-C or SIGTERM");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (loopback by default)")
      ->capture_default_str();
  cmd->add_option("--api-listen", flags->api_listen,
                  "HOST:PORT serving the deployed stacks' API routes (Api and HttpApi events); "
                  "loopback unless told")
      ->capture_default_str();
  cmd->add_option("--state-dir", flags->server.state_dir, "Where functions, code and logs are kept")
      ->capture_default_str();
  cmd->add_option("--account-concurrency", flags->server.account_concurrency,
                  "Account concurrency limit; more concurrent invokes get 429")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--idle-timeout", flags->server.idle_timeout_s,
                  "Seconds an idle environment is kept before it is reaped")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("-v,--verbose", flags->verbose, "Debug logging");
  cmd->add_flag("--no-freeze", flags->no_freeze,
                "Leave idle environments running (to measure the freezer's cost; Lambda freezes)");
  cmd->add_flag(
      "--no-records", flags->no_records,
      "Keep no invocation records (to measure their cost; `thaw invocations` reads them)");
  cmd->add_flag("--no-sandbox", flags->no_sandbox,
                "Run functions as plain processes: no namespaces, limits or freezing");
  cmd->add_option("--allow-origin", flags->server.allow_origins,
                  "A web origin (http://host:port) whose browser requests the front door accepts; "
                  "repeatable. Without it, any request with an Origin header is refused");
  cmd->add_flag("--functions-may-manage", flags->server.functions_may_manage,
                "Let every function use the control plane and /thaw/* (by default a function may "
                "only invoke, write logs and traces, and read its own configuration; the tag "
                "thaw:control-plane=allow grants it to one function)");
  cmd->add_option("--accounts", flags->server.accounts_file,
                  "A JSON file of access keys and their accounts: {\"keys\": [{\"accessKeyId\": "
                  "..., \"secretAccessKey\": ..., \"account\": \"111111111111\"}]}. Without it "
                  "(and for keys it does not list) a 12-digit key id is that account, any other "
                  "000000000000")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--verify-signatures", flags->server.verify_signatures,
                "Accept only the --accounts file's keys (and functions' own credentials) and "
                "check every SigV4 signature against its secret, as AWS does")
      ->needs("--accounts");
  cmd->add_option("--sandbox-pool", flags->server.sandbox_pool,
                  "Sandbox shells kept ready ahead of demand (namespaces, cgroups, /tmp)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  // Hidden: tests shorten Lambda's 6 h default to see events dropped for their age.
  cmd->add_option("--max-event-age", flags->server.max_event_age_s,
                  "Default MaximumEventAgeInSeconds of Event invokes")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}))
      ->group("");
  // Hidden: tests shorten how long an event source mapping stays Creating, Updating, ...
  cmd->add_option("--esm-transition-ms", flags->server.esm_transition_ms,
                  "How long an event source mapping's transitional states last")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->group("");
  cmd->add_option("--poll-interval", flags->server.poll_interval_ms,
                  "Milliseconds between reads of each stream shard by an event source mapping "
                  "(0: new records are delivered as soon as they are committed; AWS reads a "
                  "DynamoDB stream shard every 250 ms, a Kinesis shard every 1000 ms)")
      ->check(CLI::Range(int64_t{0}, int64_t{60000}))
      ->capture_default_str();
  cmd->add_option("--dynamodb-status-delay-ms", flags->server.dynamodb_status_delay_ms,
                  "How long a DynamoDB table stays CREATING, UPDATING or DELETING (0: ACTIVE as "
                  "soon as CreateTable is answered, which still says CREATING, as AWS does)")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->capture_default_str();
  // Hidden: tests shorten AWS's ~4 h between a stream shard and its child.
  cmd->add_option("--dynamodb-shard-rollover-ms", flags->server.dynamodb_shard_rollover_ms,
                  "How long a DynamoDB stream's shard stays open before a child replaces it")
      ->check(CLI::Range(int64_t{1}, int64_t{7 * 86400000LL}))
      ->group("");
  cmd->add_option("--kinesis-status-delay-ms", flags->server.kinesis_status_delay_ms,
                  "How long a Kinesis stream stays CREATING, UPDATING or DELETING (0: ACTIVE as "
                  "soon as CreateStream is answered)")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->capture_default_str();
  cmd->add_flag("--kinesis-enforce-limits", flags->server.kinesis_enforce_limits,
                "Enforce Kinesis's per-shard throughput limits (writes 1 MiB or 1,000 records/s, "
                "reads 2 MiB or 5 GetRecords calls/s) with ProvisionedThroughputExceededException");
  cmd->add_option("--retry-delay-scale", flags->server.retry_delay_scale,
                  "Multiply every retry and backoff delay of Event invokes by this (Lambda's ~1 "
                  "and ~2 min retries, its 1 s to 5 min throttle backoff); tests use a small value")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--schedule-time-scale", flags->server.schedule_time_scale,
                  "Multiply the wait to every EventBridge rule's and Scheduler schedule's next run "
                  "by this (a rate's period, the time to a cron's next match); for tests")
      ->check(CLI::Range(0.00001, 1000.0))
      ->capture_default_str();
  cmd->callback([flags, &ctx] { ctx.exit_code = RunServer(*flags); });
}

}  // namespace thaw::cli
