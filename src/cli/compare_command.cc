// `thaw compare`: deploys the mechanism example (examples/functions/go/mech, one handler) under
// each mechanism as compare-<mechanism> and measures, per mechanism: cold starts (each forced by a
// configuration change), warm latency at concurrency 1, throughput at concurrency C, the
// environment's peak memory and its CPU time per invocation (docs/compare.md). Prints the table
// and writes JSON (profile/compare.h); deletes the functions it created unless --keep, also
// after an error or Ctrl-C.
// Threads: the main thread deploys, reconfigures and samples; a batch of invocations runs one
// thread per client (each with its own http::Client) sharing an atomic counter, a stop flag and
// the first fatal error (under a mutex). The SIGINT handler only sets a flag.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/codec.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/deploy.h"
#include "cli/go_build.h"
#include "cli/invoke_batch.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/run_support.h"
#include "cli/tables.h"
#include "profile/compare.h"
#include "profile/report_line.h"

namespace thaw::cli {

namespace {

using json = nlohmann::json;

constexpr char kCommand[] = "compare";
constexpr char kPayload[] = R"({"action":"echo"})";
constexpr char kColdVariable[] = "THAW_COMPARE_COLD";
constexpr int64_t kWarmup = 10;
constexpr int64_t kCpuSamples = 20;
constexpr int kMaxClients = 256;
constexpr int kPollIntervalMs = 5;
constexpr int kMaxPolls = 12'000;  // 60 s for an environment to settle

struct CompareFlags {
  std::string zips;
  std::string mechanisms = profile::kDefaultMechanisms;
  int64_t count = 200;
  int concurrency = 4;
  int64_t cold = 5;
  double throughput_s = 2;
  // One vCPU: the CPU quota follows MemorySize, and below one vCPU it would be measured instead
  // of the mechanisms.
  int64_t memory_mb = 1769;
  std::string json_file;
  bool keep = false;
  bool languages = false;  // --languages: kLanguages instead of --mechanisms
};

// go1.x -> compare-go1x: a function name allows no dot.
std::string FunctionName(const std::string& mechanism) {
  std::string name = "compare-";
  for (char c : mechanism) {
    if (c != '.') name += c;
  }
  return name;
}

// The managed runtime an entry of kLanguages runs in, with its Handler; nullopt for the Go
// mechanisms.
struct Managed {
  const char* runtime;
  const char* handler;
};
std::optional<Managed> ManagedEntry(const std::string& entry) {
  if (entry == "python") return Managed{"python3.12", "app.handler"};
  if (entry == "nodejs") return Managed{"nodejs20.x", "index.handler"};
  return std::nullopt;
}

// DIR/mech-runtime-api.zip and the others, DIR/lang-python.zip and lang-nodejs.zip, built by
// scripts/build-examples.sh.
std::filesystem::path ZipPath(const std::string& dir, const std::string& mechanism) {
  std::string prefix = ManagedEntry(mechanism) ? "lang-" : "mech-";
  return std::filesystem::path(dir) / (prefix + mechanism + ".zip");
}

// examples/go beside the thaw binary holding the first mechanism's zip, else ./build/examples/go.
std::string DefaultZipsDir(const std::string& mechanism) {
  return DefaultExamplesDir(ZipPath("", mechanism).string());
}

// The function's environments from GET /thaw/environments.
StatusOr<std::vector<json>> EnvironmentsOf(http::Client& client, const std::string& name) {
  THAW_ASSIGN_OR_RETURN(json answer, CallJson(client, "GET", "/thaw/environments"));
  std::vector<json> out;
  if (!answer.is_object() || !answer.contains("environments")) return out;
  for (const json& e : answer["environments"]) {
    if (JsonString(e, "function") == name) out.push_back(e);
  }
  return out;
}

// Invocations run so far by each environment, by id.
std::map<std::string, int64_t> InvocationsById(const std::vector<json>& envs) {
  std::map<std::string, int64_t> out;
  for (const json& e : envs) out[JsonString(e, "id")] = JsonInt(e, "invocations");
  return out;
}

// Waits until an environment of `name` has run more invocations than in `before` and is idle
// again (that invocation has ended: its CPU reading is in), and returns it. Retired environments
// leave the list meanwhile, so totals would not do.
StatusOr<json> WaitIdleAfter(http::Client& client, const std::string& name,
                             const std::map<std::string, int64_t>& before) {
  for (int i = 0; i < kMaxPolls && !Interrupted(); ++i) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, EnvironmentsOf(client, name));
    for (const json& e : envs) {
      auto it = before.find(JsonString(e, "id"));
      int64_t ran = it == before.end() ? 0 : it->second;
      if (JsonString(e, "state") == "idle" && JsonInt(e, "invocations") > ran) return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  return Status::DeadlineExceeded("the environment of " + name + " did not become idle");
}

// Creates or updates the function for `mechanism` from its zip at the flags' memory size.
Status Deploy(http::Client& control, const CompareFlags& flags, const std::string& zips,
              const std::string& mechanism, FunctionCleanup& cleanup) {
  DeploySpec spec;
  spec.name = FunctionName(mechanism);
  THAW_ASSIGN_OR_RETURN(spec.zip, ReadFileOrStdin(ZipPath(zips, mechanism).string()));
  if (std::optional<Managed> managed = ManagedEntry(mechanism)) {
    spec.runtime = managed->runtime;
    spec.handler = managed->handler;
    spec.runtime_given = true;
  } else {
    THAW_ASSIGN_OR_RETURN(MechanismBuild build, MechanismBuildFor(mechanism));
    spec.runtime = build.runtime;
    spec.handler = build.handler;
    spec.mechanism = mechanism;
  }
  spec.memory_mb = flags.memory_mb;
  spec.environment = EnvVars{{kColdVariable, "0"}};
  THAW_ASSIGN_OR_RETURN(std::optional<json> existing, FindFunction(control, spec.name));
  THAW_ASSIGN_OR_RETURN(DeployResult result, DeployFunction(control, spec, existing, nullptr));
  if (result.created) cleanup.Add(spec.name);
  return Status::Ok();
}

// Retires the function's environments with a configuration change, so the next invocation
// starts a new one.
Status ForceColdStart(http::Client& control, const std::string& name, int64_t serial) {
  json body = {{"Environment", {{"Variables", {{kColdVariable, std::to_string(serial)}}}}}};
  THAW_RETURN_IF_ERROR(
      CallJson(control, "PUT", FunctionTarget(name, "/configuration"), &body).status());
  return WaitSettled(control, name);
}

// Single warm invocations, each followed by the environment's lastCpuNs once it is idle again;
// then its peak memory and whether it is sandboxed.
Status SampleEnvironment(http::Client& control, std::vector<std::unique_ptr<http::Client>>& clients,
                         const std::string& target, int64_t samples, profile::MechanismRun& run) {
  for (int64_t i = 0; i < samples && !Interrupted(); ++i) {
    THAW_ASSIGN_OR_RETURN(std::vector<json> envs, EnvironmentsOf(control, run.function));
    std::vector<profile::InvocationRecord> records;
    THAW_RETURN_IF_ERROR(RunBatch(clients, {target, kPayload, 1, 0, 1}, records));
    if (records.empty() || records[0].outcome != profile::Outcome::kOk) continue;
    THAW_ASSIGN_OR_RETURN(json used, WaitIdleAfter(control, run.function, InvocationsById(envs)));
    run.cpu_ns.push_back(JsonInt(used, "lastCpuNs"));
  }
  THAW_ASSIGN_OR_RETURN(std::vector<json> envs, EnvironmentsOf(control, run.function));
  for (const json& e : envs) {
    if (JsonString(e, "state") != "idle") continue;  // retired ones on their way out
    run.max_memory_kib = std::max(run.max_memory_kib.value_or(0), JsonInt(e, "maxMemoryKiB"));
    if (auto it = e.find("sandboxed"); it != e.end() && it->is_boolean()) {
      run.sandboxed = run.sandboxed.value_or(true) && it->get<bool>();
    }
  }
  return Status::Ok();
}

// Deploys and measures one mechanism; a failure is kept in run.error with what ran before it.
Status Measure(http::Client& control, std::vector<std::unique_ptr<http::Client>>& clients,
               const CompareFlags& flags, const std::string& zips, FunctionCleanup& cleanup,
               Progress& progress, profile::MechanismRun& run) {
  std::string target = FunctionTarget(run.function, "/invocations");
  std::string step = run.mechanism + ": ";
  progress.Show(step + "deploying");
  THAW_RETURN_IF_ERROR(Deploy(control, flags, zips, run.mechanism, cleanup));
  for (int64_t i = 0; i < flags.cold && !Interrupted(); ++i) {
    progress.Show(step + "cold start " + std::to_string(i + 1));
    THAW_RETURN_IF_ERROR(ForceColdStart(control, run.function, i + 1));
    THAW_RETURN_IF_ERROR(RunBatch(clients, {target, kPayload, 1, 0, 1}, run.cold));
  }
  progress.Show(step + "warm-up");
  std::vector<profile::InvocationRecord> left_out;
  THAW_RETURN_IF_ERROR(RunBatch(clients, {target, kPayload, kWarmup, 0, 1}, left_out));
  progress.Show(step + std::to_string(flags.count) + " warm invocations");
  THAW_RETURN_IF_ERROR(RunBatch(clients, {target, kPayload, flags.count, 0, 1}, run.warm));
  progress.Show(step + "CPU and memory");
  THAW_RETURN_IF_ERROR(
      SampleEnvironment(control, clients, target, std::min(flags.count, kCpuSamples), run));
  // Warms one environment per client first, so that their cold starts stay out of the figure.
  progress.Show(step + "throughput");
  THAW_RETURN_IF_ERROR(
      RunBatch(clients, {target, kPayload, 2 * flags.concurrency, 0, 0}, left_out));
  return RunBatch(clients, {target, kPayload, 0, static_cast<int64_t>(flags.throughput_s * 1e9), 0},
                  run.throughput, &run.throughput_elapsed_ns);
}

void RunCompare(CommandContext& ctx, const CompareFlags& flags) {
  StatusOr<std::vector<std::string>> mechanisms =
      profile::ParseMechanismList(flags.languages ? profile::kLanguages : flags.mechanisms);
  if (!mechanisms.ok()) return ReportError(ctx, kCommand, mechanisms.status(), kExitUsage);
  std::string zips = flags.zips.empty() ? DefaultZipsDir(mechanisms->front()) : flags.zips;
  for (const std::string& m : *mechanisms) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ZipPath(zips, m), ec)) {
      return ReportError(ctx, kCommand,
                         Status::NotFound(ZipPath(zips, m).string() +
                                          " is missing; run scripts/build-examples.sh or pass "
                                          "--zips DIR"),
                         kExitUsage);
    }
  }

  StatusOr<std::unique_ptr<http::Client>> control = Connect(ctx.endpoint);
  if (!control.ok()) return ReportError(ctx, kCommand, control.status(), kExitUsage);
  std::vector<std::unique_ptr<http::Client>> clients;
  for (int i = 0; i < flags.concurrency; ++i) {
    StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
    if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
    clients.push_back(std::move(client).value());
  }

  profile::CompareConfig config;
  config.count = flags.count;
  config.cold = flags.cold;
  config.concurrency = flags.concurrency;
  config.throughput_s = flags.throughput_s;
  config.warmup = kWarmup;
  config.cpu_samples = std::min(flags.count, kCpuSamples);
  config.memory_mb = flags.memory_mb;

  std::vector<profile::MechanismRun> runs;
  Status cleaned;
  bool interrupted = false;
  {
    FunctionCleanup cleanup(**control, flags.keep);
    InterruptGuard guard;
    Progress progress;
    for (const std::string& mechanism : *mechanisms) {
      if (Interrupted()) break;
      profile::MechanismRun run;
      run.mechanism = mechanism;
      run.function = FunctionName(mechanism);
      Status s = Measure(**control, clients, flags, zips, cleanup, progress, run);
      if (s.code() == StatusCode::kUnavailable) {
        return ReportError(ctx, kCommand, Status(s.code(), "stopped: " + s.message()));
      }
      if (!s.ok()) run.error = s.message();
      runs.push_back(std::move(run));
    }
    interrupted = Interrupted();
    progress.Show("deleting the functions");
    cleaned = cleanup.Run();
  }

  StatusOr<profile::CompareReport> report = profile::BuildCompareReport(config, std::move(runs));
  if (!report.ok()) return ReportError(ctx, kCommand, report.status());
  report->interrupted = interrupted;
  if (flags.json_file == "-") {
    PrintLine(std::cout, DumpJson(profile::ToJson(*report), 2));
  } else {
    std::cout << profile::FormatText(*report) << std::flush;
    if (!flags.json_file.empty()) {
      if (Status s = WriteJsonFile(flags.json_file, profile::ToJson(*report)); !s.ok()) {
        return ReportError(ctx, kCommand, s, kExitFailure);
      }
    }
  }
  if (!cleaned.ok()) {
    return ReportError(ctx, kCommand,
                       Status(cleaned.code(), "could not delete a function: " + cleaned.message()));
  }
  bool failed = std::any_of(
      report->mechanisms.begin(), report->mechanisms.end(),
      [](const profile::MechanismResult& m) { return m.errors > 0 || !m.first_error.empty(); });
  ctx.exit_code = failed || interrupted ? kExitFailure : kExitOk;
}

}  // namespace

void AddCompareCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Run one handler under every mechanism (runtime-api, go1.x, spawn, http-sidecar, shim), "
      "or in Go, Python and Node.js (--languages), and compare cold start, warm latency, "
      "throughput, memory and CPU per invocation");
  cmd->add_option("--zips", flags->zips,
                  "directory with mech-<mechanism>.zip and lang-<language>.zip (default: "
                  "examples/go beside the thaw "
                  "binary, else ./build/examples/go; scripts/build-examples.sh builds them)");
  CLI::Option* mechanisms =
      cmd->add_option("--mechanisms", flags->mechanisms,
                      "mechanisms to run, comma-separated (also python and nodejs)")
          ->capture_default_str();
  cmd->add_flag("--languages", flags->languages,
                "the same handler in Go, Python and Node.js: --mechanisms " +
                    std::string(profile::kLanguages))
      ->excludes(mechanisms);
  cmd->add_option("--count,-n", flags->count, "warm invocations at concurrency 1")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--concurrency,-c", flags->concurrency, "clients of the throughput run")
      ->check(CLI::Range(1, kMaxClients))
      ->capture_default_str();
  cmd->add_option("--throughput-time", flags->throughput_s,
                  "seconds of invocations at --concurrency for throughput")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_option("--cold", flags->cold, "cold starts per mechanism")
      ->check(CLI::Range(int64_t{0}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_option("--memory", flags->memory_mb,
                  "MemorySize in MB; CPU follows it (1769 MB is one vCPU)")
      ->check(CLI::Range(int64_t{128}, int64_t{10240}))
      ->capture_default_str();
  cmd->add_option("--json", flags->json_file,
                  "also write every figure as JSON to this file (- prints the JSON instead of "
                  "the table)");
  cmd->add_flag("--keep", flags->keep, "keep the compare-<mechanism> functions at the end");
  cmd->footer(
      "Functions are named compare-<mechanism> (compare-go1x for go1.x), created or updated, and "
      "deleted at the end unless --keep (only those this run created), also after an error or a "
      "first Ctrl-C. Each cold start follows a configuration change, which retires the "
      "environments. Memory and CPU come from GET /thaw/environments and need a sandboxing "
      "server (root). docs/compare.md explains every figure.\n" +
      std::string(kExitCodesFooter) + " 1 also when any invocation failed.");
  cmd->callback([&ctx, flags] { RunCompare(ctx, *flags); });
}

}  // namespace thaw::cli
