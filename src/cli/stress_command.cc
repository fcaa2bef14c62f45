// `thaw stress`: deploys each function of the stress suite (examples/functions/go/stress, built
// to stress-<name>.zip by scripts/build-examples.sh) on a running thaw server, makes it
// misbehave, compares what the Invoke API answers with what Lambda answers, then checks that a
// normal invocation of the same function still works. Runs on the main thread.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
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
#include "cli/stress_checks.h"
#include "cli/tables.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

constexpr char kCommand[] = "stress";
constexpr char kFunctionPrefix[] = "thaw-stress-";
constexpr int64_t kLongTimeoutS = 60;       // for behaviours that end on their own
constexpr int64_t kInvokeSlackMs = 60'000;  // client timeout beyond the function's
constexpr int kMaxLeakInvocations = 10;
constexpr int64_t kIdleGapMs = 2000;        // goroutines: idle time between invocations
constexpr int64_t kShutdownLimitMs = 2500;  // ignoreterm: 500 ms budget plus slack
constexpr int64_t kPollMs = 20;
constexpr char kOkEvent[] = R"({"ok":true})";

struct StressFlags {
  std::string examples;
  std::vector<std::string> only;
  std::string json_file;
  int64_t memory_mb = 128;
  int64_t timeout_s = 2;
};

int64_t NowMs() { return SystemClock::Get().MonotonicNanos() / 1'000'000; }

void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Talks to the server for one run of the suite.
class Suite {
 public:
  Suite(http::Client& client, const StressFlags& flags) : client_(client), flags_(flags) {}

  const StressFlags& flags() const { return flags_; }
  http::Client& client() { return client_; }

  Status Deploy(const std::string& function, std::string zip, int64_t memory_mb,
                int64_t timeout_s) {
    THAW_ASSIGN_OR_RETURN(std::optional<json> existing, FindFunction(client_, function));
    DeploySpec spec;
    spec.name = function;
    spec.zip = std::move(zip);
    spec.memory_mb = memory_mb;
    spec.timeout_s = timeout_s;
    return DeployFunction(client_, spec, existing, nullptr).status();
  }

  // A synchronous Invoke with LogType=Tail; any HTTP answer is an observation.
  StatusOr<Observation> Invoke(const std::string& function, const std::string& payload,
                               int64_t timeout_s) {
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("X-Amz-Log-Type", "Tail");
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(client_, "POST", FunctionTarget(function, "/invocations"), payload,
                               headers, timeout_s * 1000 + kInvokeSlackMs));
    return Observe(response);
  }

  // The server's introspection: GET /thaw/environments, those of `function`.
  StatusOr<std::vector<json>> Environments(const std::string& function) {
    THAW_ASSIGN_OR_RETURN(json body, CallJson(client_, "GET", "/thaw/environments"));
    std::vector<json> out;
    if (!body.is_object() || !body.contains("environments") || !body["environments"].is_array()) {
      return Status::Internal("/thaw/environments answered without an environments list");
    }
    for (const json& e : body["environments"]) {
      if (JsonString(e, "function") == function) out.push_back(e);
    }
    return out;
  }

  // The messages of one log stream of /aws/lambda/<function>, joined with '\n'.
  StatusOr<std::string> StreamText(const std::string& function, const std::string& stream) {
    http::Headers headers;
    headers.Set("X-Amz-Target", "Logs_20140328.FilterLogEvents");
    headers.Set("Content-Type", "application/x-amz-json-1.1");
    json request = {{"logGroupName", "/aws/lambda/" + function},
                    {"logStreamNames", json::array({stream})}};
    THAW_ASSIGN_OR_RETURN(http::Response response,
                          Send(client_, "POST", "/", DumpJson(request), headers));
    THAW_RETURN_IF_ERROR(ResponseStatus(response));
    json body = json::parse(response.body, nullptr, false);
    std::string text;
    if (body.is_object() && body.contains("events") && body["events"].is_array()) {
      for (const json& event : body["events"]) text += JsonString(event, "message") + "\n";
    }
    return text;
  }

 private:
  http::Client& client_;
  const StressFlags& flags_;
};

// ---- The behaviours --------------------------------------------------------------------------

using RunFn = StatusOr<Verdict> (*)(Suite&, const std::string& function);

struct Behaviour {
  const char* name;
  const char* expected;   // Lambda's outcome, for the EXPECTED column
  bool short_timeout;     // deployed with --timeout instead of kLongTimeoutS
  int64_t min_memory_mb;  // deployed with at least this MemorySize (0: --memory)
  RunFn run;
};

StatusOr<Verdict> RunTimeout(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", s.flags().timeout_s));
  return CheckTimeout(o, s.flags().timeout_s);
}

StatusOr<Verdict> RunEventBomb(Suite& s, const std::string& function) {
  json event = {{"mb", 2 * s.flags().memory_mb}};
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, event.dump(), kLongTimeoutS));
  return CheckOutOfMemory(o);
}

StatusOr<Verdict> RunLeak(Suite& s, const std::string& function) {
  json event = {{"mb", std::max<int64_t>(40, s.flags().memory_mb / 4)}};
  Observation last;
  for (int i = 1; i <= kMaxLeakInvocations; ++i) {
    THAW_ASSIGN_OR_RETURN(last, s.Invoke(function, event.dump(), kLongTimeoutS));
    if (last.http_status != 200 || !last.function_error.empty()) {
      Verdict v = CheckOutOfMemory(last);
      v.observed = "invoke " + std::to_string(i) + ": " + v.observed;
      return v;
    }
  }
  return Verdict{
      "no error in " + std::to_string(kMaxLeakInvocations) + " invokes: " + Describe(last),
      {"no OOM kill: the function kept every allocation (no memory limit)"}};
}

StatusOr<Verdict> RunPanic(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoPanic(o, "string", "boom");
}

StatusOr<Verdict> RunNilDeref(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoPanic(o, "errorString",
                      "runtime error: invalid memory address or nil pointer dereference");
}

StatusOr<Verdict> RunExit(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckExitError(o, 1);
}

StatusOr<Verdict> RunForkBomb(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckForkBomb(o);
}

StatusOr<Verdict> RunGoroutines(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation first, s.Invoke(function, "{}", kLongTimeoutS));
  Verdict v = CheckSuccess(first);
  if (!v.pass()) return v;
  SleepMs(kIdleGapMs);
  THAW_ASSIGN_OR_RETURN(Observation second, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckGoroutinesFrozen(second);
}

StatusOr<Verdict> RunFlood(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, R"({"mb":20})", kLongTimeoutS));
  Verdict v = CheckSuccess(o);
  int64_t written = o.json.is_object() ? JsonInt(o.json, "written", 0) : 0;
  if (written < (20 << 20)) v.mismatches.push_back("wrote " + std::to_string(written) + " bytes");
  if (v.pass()) v.observed = "ok, " + std::to_string(written >> 20) + " MiB of stdout";
  return v;
}

StatusOr<Verdict> RunBigResponse(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckResponseTooLarge(o);
}

StatusOr<Verdict> RunTmpFill(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation o, s.Invoke(function, "{}", kLongTimeoutS));
  return CheckTmpFill(o);
}

// Warms one environment, then changes the configuration, which makes the server shut it down:
// SIGTERM (the function registered for it), which the function ignores, then SIGKILL at the end
// of the shutdown budget. Observed through GET /thaw/environments and the environment's log.
StatusOr<Verdict> RunIgnoreTerm(Suite& s, const std::string& function) {
  THAW_ASSIGN_OR_RETURN(Observation first, s.Invoke(function, "{}", kLongTimeoutS));
  Verdict v = CheckSuccess(first);
  if (!v.pass()) return v;
  json env;
  for (int64_t deadline = NowMs() + 5000; env.is_null() && NowMs() < deadline; SleepMs(kPollMs)) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, s.Environments(function));
    for (const json& e : envs) {
      if (JsonString(e, "state") == "idle") env = e;
    }
  }
  if (env.is_null()) return Verdict{"no idle environment", {"no idle environment after 5 s"}};
  std::string id = JsonString(env, "id");

  int64_t start = NowMs();
  json config = {{"Description", "thaw stress: shut down at " + std::to_string(start)}};
  THAW_RETURN_IF_ERROR(
      CallJson(s.client(), "PUT", FunctionTarget(function, "/configuration"), &config).status());
  int64_t gone_ms = -1;
  while (gone_ms < 0 && NowMs() - start < 2 * kShutdownLimitMs) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, s.Environments(function));
    bool present = false;
    for (const json& e : envs) present = present || JsonString(e, "id") == id;
    if (!present) gone_ms = NowMs() - start;
    if (gone_ms < 0) SleepMs(kPollMs);
  }
  bool logged = false;
  for (int64_t deadline = NowMs() + 2000; !logged && NowMs() < deadline; SleepMs(50)) {
    THAW_ASSIGN_OR_RETURN(std::string text, s.StreamText(function, JsonString(env, "logStream")));
    logged = text.find("SIGTERM received") != std::string::npos;
  }
  char gone[64];
  std::snprintf(gone, sizeof(gone), "gone after %.2f s", static_cast<double>(gone_ms) / 1000);
  v.observed = std::string(logged ? "SIGTERM logged, " : "no SIGTERM in log, ") +
               (gone_ms < 0 ? "still there after 5 s" : gone);
  if (!logged) v.mismatches.emplace_back("the SIGTERM hook's line is not in the log stream");
  if (gone_ms < 0 || gone_ms > kShutdownLimitMs) {
    v.mismatches.emplace_back("the environment was not gone within 2.5 s of the shutdown");
  }
  return v;
}

// Each sleeping child of forkbomb holds about 0.9 MB (a Go runtime and 3 threads), so at 128 MB
// the memory limit would stop it first; at 1024 MB the 1,024 pids limit does, as intended.
constexpr int64_t kForkBombMemoryMb = 1024;

constexpr Behaviour kBehaviours[] = {
    {"loop", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"sleep", "Unhandled Sandbox.Timedout; REPORT timeout", true, 0, RunTimeout},
    {"eventbomb",
     "Unhandled Runtime.OutOfMemory; REPORT error Runtime.OutOfMemory; max used = size", false, 0,
     RunEventBomb},
    {"leak", "Runtime.OutOfMemory (as eventbomb) within 10 invokes", false, 0, RunLeak},
    {"panic", "Unhandled string \"boom\" + Go stackTrace", false, 0, RunPanic},
    {"nilderef", "Unhandled errorString \"runtime error: invalid memory...\" + Go stackTrace",
     false, 0, RunNilDeref},
    {"exit", "Unhandled Runtime.ExitError exit status 1; REPORT error Runtime.ExitError", false, 0,
     RunExit},
    {"forkbomb", "EAGAIN at the 1024 pids limit (or Sandbox.Timedout); at >= 1024 MB", false,
     kForkBombMemoryMb, RunForkBomb},
    {"goroutines", "frozen while idle: counter advances < 50 in 2 s", false, 0, RunGoroutines},
    {"flood", "success", false, 0, RunFlood},
    {"bigresponse", "Unhandled Function.ResponseSizeTooLarge", false, 0, RunBigResponse},
    {"tmpfill", "ENOSPC after 400-520 MiB (/tmp is 512 MB)", false, 0, RunTmpFill},
    {"ignoreterm", "SIGTERM, then SIGKILL after the 500 ms shutdown budget", false, 0,
     RunIgnoreTerm},
};

// ---- Running and reporting -------------------------------------------------------------------

struct Row {
  std::string name;
  std::string expected;
  std::string observed;
  bool recovered = false;
  bool pass = false;
  std::vector<std::string> details;
  int64_t memory_mb = 0;
  double seconds = 0;
};

Row RunBehaviour(Suite& s, const Behaviour& b, const std::string& zip_path) {
  int64_t start = NowMs();
  Row row{b.name, b.expected, "", false, false, {}, 0, 0};
  std::string function = std::string(kFunctionPrefix) + b.name;
  int64_t timeout_s = b.short_timeout ? s.flags().timeout_s : kLongTimeoutS;
  StatusOr<std::string> zip = ReadFileOrStdin(zip_path);
  row.memory_mb = std::max(s.flags().memory_mb, b.min_memory_mb);
  Status deployed = zip.ok() ? s.Deploy(function, std::move(zip).value(), row.memory_mb, timeout_s)
                             : zip.status();
  if (!deployed.ok()) {
    row.observed = "not deployed";
    row.details.push_back(deployed.message());
  } else {
    StatusOr<Verdict> verdict = b.run(s, function);
    if (!verdict.ok()) {
      row.observed = "no answer";
      row.details.push_back(verdict.status().message());
    } else {
      row.observed = verdict->observed;
      row.details = verdict->mismatches;
      StatusOr<Observation> after = s.Invoke(function, kOkEvent, timeout_s);
      row.recovered = after.ok() && Recovered(*after);
      if (!row.recovered) {
        row.details.push_back("recovery invoke: " +
                              (after.ok() ? Describe(*after) : after.status().message()));
      }
      row.pass = verdict->pass() && row.recovered;
    }
  }
  row.seconds = static_cast<double>(NowMs() - start) / 1000;
  return row;
}

json RowsJson(const std::vector<Row>& rows, const CommandContext& ctx, const StressFlags& flags) {
  json results = json::array();
  int passed = 0;
  for (const Row& r : rows) {
    passed += r.pass ? 1 : 0;
    results.push_back({{"behaviour", r.name},
                       {"function", std::string(kFunctionPrefix) + r.name},
                       {"expected", r.expected},
                       {"observed", r.observed},
                       {"recovered", r.recovered},
                       {"verdict", r.pass ? "pass" : "FAIL"},
                       {"details", r.details},
                       {"memoryMb", r.memory_mb},
                       {"seconds", r.seconds}});
  }
  return {{"endpoint", ctx.endpoint},
          {"memoryMb", flags.memory_mb},
          {"timeoutS", flags.timeout_s},
          {"passed", passed},
          {"failed", static_cast<int>(rows.size()) - passed},
          {"results", results}};
}

Status UnknownBehaviour(const std::string& name) {
  std::string message = "unknown behaviour '" + name + "'; known:";
  for (const Behaviour& b : kBehaviours) {
    message += " ";
    message += b.name;
  }
  return Status::InvalidArgument(message);
}

void RunStress(CommandContext& ctx, StressFlags& flags) {
  std::vector<const Behaviour*> selected;
  for (const Behaviour& b : kBehaviours) {
    bool wanted = flags.only.empty();
    for (const std::string& name : flags.only) wanted = wanted || name == b.name;
    if (wanted) selected.push_back(&b);
  }
  for (const std::string& name : flags.only) {
    bool known = false;
    for (const Behaviour& b : kBehaviours) known = known || name == b.name;
    if (!known) return ReportError(ctx, kCommand, UnknownBehaviour(name), kExitUsage);
  }
  if (flags.examples.empty()) flags.examples = DefaultExamplesDir();
  for (const Behaviour* b : selected) {
    std::string zip = flags.examples + "/stress-" + b->name + ".zip";
    if (::access(zip.c_str(), R_OK) != 0) {
      return ReportError(ctx, kCommand,
                         Status::NotFound(zip + " is missing; run scripts/build-examples.sh or "
                                                "pass --examples DIR"),
                         kExitUsage);
    }
  }

  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  // The suite needs thaw's introspection endpoint (ignoreterm); it also tells us it is up.
  if (Status up = CallJson(**client, "GET", "/thaw/environments").status(); !up.ok()) {
    return ReportError(ctx, kCommand, up);
  }

  Suite suite(**client, flags);
  std::vector<Row> rows;
  for (const Behaviour* b : selected) {
    std::cerr << "stress: " << b->name << " ..." << std::flush;
    rows.push_back(RunBehaviour(suite, *b, flags.examples + "/stress-" + b->name + ".zip"));
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", rows.back().seconds);
    std::cerr << " " << (rows.back().pass ? "pass" : "FAIL") << " (" << seconds << " s)\n";
  }

  std::vector<std::vector<std::string>> table = {
      {"BEHAVIOUR", "EXPECTED (Lambda)", "OBSERVED", "RECOVERED", "VERDICT"}};
  bool all_pass = true;
  for (const Row& r : rows) {
    table.push_back(
        {r.name, r.expected, r.observed, r.recovered ? "yes" : "no", r.pass ? "pass" : "FAIL"});
    all_pass = all_pass && r.pass;
  }
  std::cout << FormatTable(table);
  for (const Row& r : rows) {
    for (const std::string& d : r.details) std::cout << "  " << r.name << ": " << d << "\n";
  }
  ctx.exit_code = all_pass ? kExitOk : kExitFailure;
  if (!flags.json_file.empty()) {
    std::ofstream out(flags.json_file);
    out << DumpJson(RowsJson(rows, ctx, flags), 2) << "\n";
    if (!out) {
      ReportError(ctx, kCommand, Status::IoError("cannot write " + flags.json_file), kExitFailure);
    }
  }
}

}  // namespace

void AddStressCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<StressFlags>();
  CLI::App* cmd = app.add_subcommand(
      "stress",
      "Run the misbehaving functions of the stress suite on a thaw server and compare each "
      "outcome with Lambda's (exit 1 if any differs)");
  cmd->add_option("--examples", flags->examples,
                  "directory of the stress-<name>.zip files (default: examples/go beside the "
                  "thaw binary, else build/examples/go)");
  cmd->add_option("--only", flags->only, "run only these behaviours (NAME[,NAME...])")
      ->delimiter(',');
  cmd->add_option("--json", flags->json_file, "also write the results as JSON to FILE");
  cmd->add_option("--memory", flags->memory_mb, "MemorySize of the functions (MB)")
      ->check(CLI::Range(128, 10240))
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout_s, "Timeout of loop and sleep (seconds)")
      ->check(CLI::Range(1, 900))
      ->capture_default_str();
  cmd->footer(
      "Behaviours: loop sleep eventbomb leak panic nilderef exit forkbomb goroutines flood "
      "bigresponse tmpfill ignoreterm. Functions are named thaw-stress-<name>.\n" +
      std::string(kExitCodesFooter));
  cmd->callback([&ctx, flags] { RunStress(ctx, *flags); });
}

}  // namespace thaw::cli
