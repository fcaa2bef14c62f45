// `thaw latency`: the seed's latency experiment, done right (docs/latency.md). Deploys latency-a
// and latency-b with their clock skew in Environment.Variables, starts the test host (a network
// namespace with latency-host in it) for --via http, or an HTTP API route to latency-b on the
// server's --api-listen for --via api (the seed's path: HTTP to API Gateway to the function), then
// invokes latency-a --calls times per way, one call at a time as the seed did. Each answer is a
// four-timestamp exchange; the analysis (profile/clock_sync.h) gives the raw T2-T1 distribution and
// its negative fraction beside the seed's, NTP's offset estimate with its bound, and the corrected
// distribution. Everything it made (functions it created, the namespace, the host process) is
// removed at the end, also after an error or Ctrl-C. It is a simulation, and says so. Runs on the
// main thread; the SIGINT/SIGTERM handler only sets a flag.
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/deploy.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/run_support.h"
#include "cli/tables.h"
#include "cli/test_host.h"
#include "profile/latency_experiment.h"

namespace thaw::cli {

namespace {

using json = nlohmann::json;

constexpr char kCommand[] = "latency";
constexpr char kCaller[] = "latency-a";
constexpr char kCallee[] = "latency-b";
constexpr int64_t kWarmup = 20;
constexpr int64_t kMaxFailuresInARow = 20;
constexpr int64_t kInvokeTimeoutMs = 30'000;

// Defaults: an NTP-disciplined fleet of functions (sub-millisecond offsets, drift of ppm to tens
// of ppm) and a host that is synchronised worse (milliseconds, tens of ppm); docs/latency.md.
struct LatencyFlags {
  std::string zips;
  int64_t calls = 10'000;
  std::string via = "both";
  double a_offset_ms = 0.2;
  double a_drift_ppm = 5;
  double b_offset_ms = -0.3;
  double b_drift_ppm = -10;
  double host_offset_ms = -2.0;
  double host_drift_ppm = 40;
  int port = 8080;
  int64_t memory_mb = 1769;
  std::string json_file;
  bool keep = false;
};

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnLatencyInterrupt(int) { g_interrupted.store(true); }

// Routes SIGINT and SIGTERM to a flag for the run (a second one kills), then restores them, so
// the destructors that remove the test host run.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction action {};
    action.sa_handler = OnLatencyInterrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_int_);
    ::sigaction(SIGTERM, &action, &previous_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    ::sigaction(SIGTERM, &previous_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

int64_t Nanos(double ms) { return static_cast<int64_t>(std::llround(ms * 1e6)); }

std::string Decimal(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.6f", value);
  return text;
}

EnvVars SkewVariables(const profile::SkewConfig& skew) {
  return {{"THAW_SKEW_OFFSET_NS", std::to_string(skew.offset_ns)},
          {"THAW_SKEW_DRIFT_PPM", Decimal(skew.drift_ppm)},
          {"THAW_SKEW_EPOCH_NS", std::to_string(skew.epoch_ns)}};
}

// examples/go beside the thaw binary when it holds latency-a.zip, else ./build/examples/go.
std::filesystem::path DefaultZipsDir() { return DefaultExamplesDir("latency-a.zip"); }

Status Deploy(http::Client& control, const std::filesystem::path& zips, const std::string& name,
              const profile::SkewConfig& skew, int64_t memory_mb, FunctionCleanup& cleanup) {
  DeploySpec spec;
  spec.name = name;
  THAW_ASSIGN_OR_RETURN(spec.zip, ReadFileOrStdin((zips / (name + ".zip")).string()));
  spec.memory_mb = memory_mb;
  spec.timeout_s = 30;
  spec.environment = SkewVariables(skew);
  THAW_ASSIGN_OR_RETURN(std::optional<json> existing, FindFunction(control, spec.name));
  THAW_ASSIGN_OR_RETURN(DeployResult result, DeployFunction(control, spec, existing, nullptr));
  if (result.created) cleanup.Add(name);
  return Status::Ok();
}

// The HTTP API route to latency-b that --via api calls through, removed when this goes.
class ApiRoute {
 public:
  static constexpr char kId[] = "thaw-latency-b";

  // The route's URL on the server's --api-listen; FailedPrecondition without one.
  static StatusOr<std::unique_ptr<ApiRoute>> Create(http::Client& control) {
    THAW_ASSIGN_OR_RETURN(json listed, CallJson(control, "GET", "/thaw/api-routes"));
    if (!listed.is_object() || !listed.value("Listener", json(nullptr)).is_string()) {
      return Status::FailedPrecondition(
          "--via api needs a server with API routes: start it with thaw serve --api-listen "
          "127.0.0.1:PORT");
    }
    json route = {{"Kind", "HTTP"},
                  {"ApiId", "thaw-latency"},
                  {"Method", "POST"},
                  {"Path", "/b"},
                  {"FunctionName", kCallee}};
    THAW_RETURN_IF_ERROR(
        CallJson(control, "PUT", std::string("/thaw/api-routes/") + kId, &route).status());
    return std::unique_ptr<ApiRoute>(
        new ApiRoute(control, listed["Listener"].get<std::string>() + "/b"));
  }
  ~ApiRoute() { (void)Send(control_, "DELETE", std::string("/thaw/api-routes/") + kId); }
  ApiRoute(const ApiRoute&) = delete;
  ApiRoute& operator=(const ApiRoute&) = delete;

  const std::string& url() const { return url_; }

 private:
  ApiRoute(http::Client& control, std::string url) : control_(control), url_(std::move(url)) {}
  http::Client& control_;
  std::string url_;
};

// One call of latency-a; the answer, or why there is none.
StatusOr<profile::LatencyAnswer> CallOnce(http::Client& client, const std::string& payload) {
  http::Headers headers;
  headers.Set("Content-Type", "application/json");
  THAW_ASSIGN_OR_RETURN(http::Response response,
                        Send(client, "POST", FunctionTarget(kCaller, "/invocations"), payload,
                             headers, kInvokeTimeoutMs));
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  if (auto error = response.headers.Get("X-Amz-Function-Error")) {
    return Status::Internal("latency-a: function error (" + std::string(*error) +
                            "): " + response.body.substr(0, 300));
  }
  json body = json::parse(response.body, nullptr, false);
  return profile::ParseLatencyAnswer(body);
}

// Warm-up calls (cold starts, first connections) are left out; then `calls` sequential calls.
// Stops on Ctrl-C and after kMaxFailuresInARow failures in a row; Unavailable stops at once.
Status RunWay(http::Client& client, const std::string& payload, int64_t calls, Progress& progress,
              profile::LatencyRun& run) {
  const Clock& clock = SystemClock::Get();
  int64_t in_a_row = 0;
  int64_t start = clock.MonotonicNanos();
  Status stop;
  for (int64_t i = -kWarmup; i < calls && stop.ok() && !g_interrupted.load(); ++i) {
    if (i == 0) start = clock.MonotonicNanos();
    StatusOr<profile::LatencyAnswer> answer = CallOnce(client, payload);
    if (!answer.ok() && answer.status().code() == StatusCode::kUnavailable) {
      stop = answer.status();
    } else if (i < 0) {
      if (!answer.ok() && i == -1) {  // still failing after the warm-up
        stop = Status(answer.status().code(),
                      "latency-a could not reach " + run.callee + ": " + answer.status().message());
      }
    } else if (answer.ok()) {
      in_a_row = 0;
      run.answers.push_back(*answer);
    } else {
      ++run.failed;
      if (run.first_error.empty()) run.first_error = answer.status().message();
      if (++in_a_row >= kMaxFailuresInARow) stop = answer.status();
    }
    if (i >= 0 && (i + 1) % 250 == 0) {
      progress.Show(run.via + ": " + std::to_string(i + 1) + " of " + std::to_string(calls));
    }
  }
  run.elapsed_s = static_cast<double>(clock.MonotonicNanos() - start) / 1e9;
  return stop;
}

std::string Machine() {
  std::string text = std::to_string(std::thread::hardware_concurrency()) + " CPUs";
  struct utsname u {};
  if (::uname(&u) == 0) text += ", Linux " + std::string(u.release) + " " + u.machine;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      text += ", " + line.substr(line.find(':') + 2);
      break;
    }
  }
  return text;
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

void RunLatency(CommandContext& ctx, const LatencyFlags& flags) {
  bool via_invoke = flags.via == "invoke" || flags.via == "both" || flags.via == "all";
  bool via_http = flags.via == "http" || flags.via == "both" || flags.via == "all";
  bool via_api = flags.via == "api" || flags.via == "all";
  std::filesystem::path zips =
      flags.zips.empty() ? DefaultZipsDir() : std::filesystem::path(flags.zips);
  std::error_code ec;
  for (const char* name : {"latency-a.zip", "latency-b.zip", "latency-host"}) {
    if (std::string(name) == "latency-host" && !via_http) continue;
    if (!std::filesystem::is_regular_file(zips / name, ec)) {
      return ReportError(ctx, kCommand,
                         Status::NotFound((zips / name).string() +
                                          " is missing; run scripts/build-examples.sh or pass "
                                          "--zips DIR"),
                         kExitUsage);
    }
  }
  std::string ip;
  if (via_http) {
    if (::geteuid() != 0) {
      return ReportError(ctx, kCommand,
                         Status::PermissionDenied("--via http needs root: the test host is a "
                                                  "network namespace (ip netns add, a veth pair); "
                                                  "run as root or use --via invoke"),
                         kExitUsage);
    }
    StatusOr<std::string> found = FindIpBinary();
    if (!found.ok()) return ReportError(ctx, kCommand, found.status(), kExitUsage);
    ip = *found;
    RemoveStaleTestHosts(ip);
  }

  profile::LatencyConfig config;
  config.calls = flags.calls;
  config.warmup = kWarmup;
  config.memory_mb = flags.memory_mb;
  config.epoch_ns = SystemClock::Get().RealtimeNanos();
  config.a = {Nanos(flags.a_offset_ms), flags.a_drift_ppm, config.epoch_ns};
  config.b = {Nanos(flags.b_offset_ms), flags.b_drift_ppm, config.epoch_ns};
  config.host = {Nanos(flags.host_offset_ms), flags.host_drift_ppm, config.epoch_ns};
  config.generated_at = UtcNow();
  config.machine = Machine();

  StatusOr<std::unique_ptr<http::Client>> control = Connect(ctx.endpoint);
  if (!control.ok()) return ReportError(ctx, kCommand, control.status(), kExitUsage);
  StatusOr<std::unique_ptr<http::Client>> caller = Connect(ctx.endpoint);
  if (!caller.ok()) return ReportError(ctx, kCommand, caller.status(), kExitUsage);

  std::vector<profile::LatencyRun> runs;
  Status failed;
  {
    FunctionCleanup cleanup(**control, flags.keep);
    InterruptGuard guard;
    Progress progress;
    progress.Show("deploying latency-a and latency-b");
    failed = Deploy(**control, zips, kCallee, config.b, flags.memory_mb, cleanup);
    if (failed.ok()) failed = Deploy(**control, zips, kCaller, config.a, flags.memory_mb, cleanup);
    std::unique_ptr<TestHost> host;
    if (failed.ok() && via_http) {
      progress.Show("starting the test host");
      TestHostOptions options;
      options.ip_binary = ip;
      options.host_binary = std::filesystem::absolute(zips / "latency-host").string();
      options.port = flags.port;
      options.offset_ns = config.host.offset_ns;
      options.drift_ppm = config.host.drift_ppm;
      options.epoch_ns = config.epoch_ns;
      StatusOr<std::unique_ptr<TestHost>> started = TestHost::Start(options);
      if (started.ok()) {
        host = std::move(started).value();
      } else {
        failed = started.status();
      }
    }
    if (failed.ok() && via_invoke && !g_interrupted.load()) {
      profile::LatencyRun run;
      run.via = "invoke";
      run.callee = kCallee;
      run.caller_skew = config.a;
      run.callee_skew = config.b;
      json payload = {{"via", "invoke"}, {"target", kCallee}};
      failed = RunWay(**caller, payload.dump(), flags.calls, progress, run);
      runs.push_back(std::move(run));
    }
    std::unique_ptr<ApiRoute> route;
    if (failed.ok() && via_api) {
      StatusOr<std::unique_ptr<ApiRoute>> made = ApiRoute::Create(**control);
      if (made.ok()) {
        route = std::move(made).value();
      } else {
        failed = made.status();
      }
    }
    if (failed.ok() && via_api && !g_interrupted.load()) {
      profile::LatencyRun run;
      run.via = "api";
      run.callee = route->url();
      run.caller_skew = config.a;
      run.callee_skew = config.b;
      json payload = {{"via", "http"}, {"url", route->url()}};
      failed = RunWay(**caller, payload.dump(), flags.calls, progress, run);
      runs.push_back(std::move(run));
    }
    if (failed.ok() && via_http && !g_interrupted.load()) {
      profile::LatencyRun run;
      run.via = "http";
      run.callee = host->url();
      run.caller_skew = config.a;
      run.callee_skew = config.host;
      json payload = {{"via", "http"}, {"url", host->url()}};
      failed = RunWay(**caller, payload.dump(), flags.calls, progress, run);
      runs.push_back(std::move(run));
    }
    config.interrupted = g_interrupted.load();
    progress.Show("removing the test host and the functions");
  }  // the test host, the functions and the signal handlers go here

  json report = profile::LatencyJson(config, runs);
  if (flags.json_file == "-") {
    PrintLine(std::cout, DumpJson(report, 2));
  } else {
    if (!runs.empty()) std::cout << profile::FormatLatencyText(report) << std::flush;
    if (!flags.json_file.empty()) {
      std::ofstream file(flags.json_file, std::ios::trunc);
      file << DumpJson(report) << "\n";
      file.close();
      if (!file) {
        return ReportError(ctx, kCommand,
                           Status::IoError("cannot write --json file " + flags.json_file));
      }
    }
  }
  if (!failed.ok()) return ReportError(ctx, kCommand, failed);
  bool any_failed = false;
  for (const profile::LatencyRun& run : runs) any_failed = any_failed || run.failed > 0;
  ctx.exit_code = any_failed || config.interrupted ? kExitFailure : kExitOk;
}

}  // namespace

void AddLatencyCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<LatencyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "latency",
      "The seed's latency experiment, as a simulation: function A stamps T1 and calls B (Invoke "
      "API) or a test host in a network namespace (HTTP); T2-T1 with injected clock skew, NTP's "
      "offset estimate with its bound, and the corrected distribution");
  cmd->add_option("--endpoint", ctx.endpoint, "thaw server endpoint (as before the subcommand)");
  cmd->add_option("--calls,-n", flags->calls, "calls per way (after 20 warm-up calls)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--via", flags->via,
                  "invoke, http (the test host), api (an API route to B), both (invoke and "
                  "http) or all")
      ->check(CLI::IsMember({"invoke", "http", "api", "both", "all"}))
      ->capture_default_str();
  cmd->add_option("--a-offset-ms", flags->a_offset_ms, "latency-a's clock offset")
      ->capture_default_str();
  cmd->add_option("--a-drift-ppm", flags->a_drift_ppm, "latency-a's clock drift")
      ->capture_default_str();
  cmd->add_option("--b-offset-ms", flags->b_offset_ms, "latency-b's clock offset")
      ->capture_default_str();
  cmd->add_option("--b-drift-ppm", flags->b_drift_ppm, "latency-b's clock drift")
      ->capture_default_str();
  cmd->add_option("--host-offset-ms", flags->host_offset_ms, "the test host's clock offset")
      ->capture_default_str();
  cmd->add_option("--host-drift-ppm", flags->host_drift_ppm, "the test host's clock drift")
      ->capture_default_str();
  cmd->add_option("--port", flags->port, "latency-host's port inside its namespace")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  cmd->add_option("--memory", flags->memory_mb,
                  "MemorySize of both functions in MB; CPU follows it (1769 MB is one vCPU)")
      ->check(CLI::Range(int64_t{128}, int64_t{10240}))
      ->capture_default_str();
  cmd->add_option("--zips", flags->zips,
                  "directory with latency-a.zip, latency-b.zip and latency-host (default: "
                  "examples/go beside the thaw binary, else ./build/examples/go)");
  cmd->add_option("--json", flags->json_file,
                  "also write the report as JSON (the input of thaw report --latency); - prints "
                  "it instead of the table");
  cmd->add_flag("--keep", flags->keep, "keep latency-a and latency-b at the end");
  cmd->footer(
      "A simulation: one machine has one clock, so each hop adds its configured offset (at the "
      "start of the run) and drift to its own timestamps. --via http needs root and iproute2: "
      "the test host is a network namespace joined by a veth pair, removed at the end, also "
      "after an error or Ctrl-C. docs/latency.md explains the estimator and the output.\n" +
      std::string(kExitCodesFooter) + " 1 also when a call failed.");
  cmd->callback([&ctx, flags] { RunLatency(ctx, *flags); });
}

}  // namespace thaw::cli
