// `thaw tune NAME`: AWS Lambda Power Tuning, locally. For each memory size it sets MemorySize
// (UpdateFunctionConfiguration), waits for LastUpdateStatus Successful, runs a cold round (one
// invocation per client: the first after a configuration change starts a new environment), a
// warm-up and --count measured invocations with the log tail, and reads Duration, Billed
// Duration, Init Duration and Max Memory Used from each REPORT line. It then restores the original
// MemorySize (also after an error or Ctrl-C) and prints the table, the chart and the
// recommendations (profile/tune.h); --json writes every figure.
// Threads: the main thread drives the sizes and the control-plane calls; each batch of
// invocations runs one thread per client (each with its own http::Client) sharing only an atomic
// counter, a stop flag and the first fatal error (under a mutex). The SIGINT handler only sets a
// flag.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
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
#include "cli/invoke_batch.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"
#include "profile/pricing.h"
#include "profile/report_line.h"
#include "profile/tune.h"

namespace thaw::cli {

namespace {

using json = nlohmann::json;

constexpr char kCommand[] = "tune";
constexpr int64_t kDefaultCount = 50;
constexpr int64_t kDefaultWarmup = 2;
constexpr int kMaxClients = 256;

struct TuneFlags {
  std::string name;
  std::string memory = profile::kDefaultMemorySizes;
  int64_t count = kDefaultCount;
  int64_t warmup = kDefaultWarmup;
  int concurrency = 1;
  std::string payload_file;
  std::string payload_json;
  std::string strategy = "cost";
  double balanced_weight = 0.5;
  std::string json_file;
  std::string arch;
};

Status SetMemory(http::Client& client, const std::string& name, int64_t memory_mb) {
  json body = {{"MemorySize", memory_mb}};
  THAW_RETURN_IF_ERROR(
      CallJson(client, "PUT", FunctionTarget(name, "/configuration"), &body).status());
  return WaitSettled(client, name, memory_mb);
}

// Puts the function's MemorySize back once it has been changed: explicitly through Restore(),
// or, on a path that forgot to, when destroyed.
class MemoryRestorer {
 public:
  // `client` must outlive this object.
  MemoryRestorer(http::Client& client, std::string name, int64_t original_mb)
      : client_(client), name_(std::move(name)), original_mb_(original_mb) {}
  ~MemoryRestorer() {
    if (Status status = Restore(); !status.ok()) {
      std::cerr << "thaw tune: could not restore MemorySize " << original_mb_
                << " MB: " << status.message() << "\n";
    }
  }
  MemoryRestorer(const MemoryRestorer&) = delete;
  MemoryRestorer& operator=(const MemoryRestorer&) = delete;

  // Called before the first change.
  void Arm() { armed_ = true; }
  bool armed() const { return armed_; }

  // Sets the original MemorySize and waits for it; Ok (and nothing done) when never armed.
  Status Restore() {
    if (!armed_) return Status::Ok();
    armed_ = false;
    return SetMemory(client_, name_, original_mb_);
  }

 private:
  http::Client& client_;
  std::string name_;
  int64_t original_mb_;
  bool armed_ = false;
};

// Whether the server sandboxes this function's environments (and so limits their CPU), from
// GET /thaw/environments; nullopt when it cannot tell.
std::optional<bool> Sandboxed(http::Client& client, const std::string& name) {
  StatusOr<json> answer = CallJson(client, "GET", "/thaw/environments");
  if (!answer.ok() || !answer->is_object() || !answer->contains("environments")) {
    return std::nullopt;
  }
  std::optional<bool> sandboxed;
  for (const json& e : (*answer)["environments"]) {
    if (JsonString(e, "function") != name) continue;
    auto it = e.find("sandboxed");
    if (it == e.end() || !it->is_boolean()) continue;
    sandboxed = sandboxed.value_or(true) && it->get<bool>();
  }
  return sandboxed;
}

// Redraws one status line on stderr (a terminal only).
class Progress {
 public:
  Progress() : on_(::isatty(STDERR_FILENO) == 1) {}
  ~Progress() {
    if (on_) std::cerr << "\r\033[K" << std::flush;
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void Show(const std::string& text) {
    if (on_) std::cerr << "\r\033[K" << text << std::flush;
  }

 private:
  bool on_;
};

struct TuneRun {
  std::vector<profile::SizeRun> runs;  // the sizes that finished
  std::optional<bool> sandboxed;
};

// Runs every size in turn. Returns a fatal Status with the finished sizes in `result`.
Status RunSizes(http::Client& control, std::vector<std::unique_ptr<http::Client>>& clients,
                const TuneFlags& flags, const std::string& payload,
                const std::vector<int64_t>& sizes, MemoryRestorer& restorer, TuneRun& result) {
  std::string target = FunctionTarget(flags.name, "/invocations");
  Progress progress;
  for (size_t i = 0; i < sizes.size() && !Interrupted(); ++i) {
    std::string step = "[" + std::to_string(i + 1) + "/" + std::to_string(sizes.size()) + "] " +
                       std::to_string(sizes[i]) + " MB: ";
    profile::SizeRun run;
    run.memory_mb = sizes[i];
    progress.Show(step + "updating MemorySize");
    restorer.Arm();
    THAW_RETURN_IF_ERROR(SetMemory(control, flags.name, sizes[i]));
    progress.Show(step + "cold start");
    THAW_RETURN_IF_ERROR(
        RunBatch(clients, {target, payload, static_cast<int64_t>(clients.size())}, run.warmup));
    if (!result.sandboxed) result.sandboxed = Sandboxed(control, flags.name);
    progress.Show(step + "warm-up");
    THAW_RETURN_IF_ERROR(RunBatch(clients, {target, payload, flags.warmup}, run.warmup));
    progress.Show(step + std::to_string(flags.count) + " invocations");
    THAW_RETURN_IF_ERROR(RunBatch(clients, {target, payload, flags.count}, run.measured));
    if (Interrupted()) break;  // a size cut short is left out
    result.runs.push_back(std::move(run));
  }
  return Status::Ok();
}

Status WithHint(const Status& status, const std::string& name) {
  if (status.code() != StatusCode::kNotFound) return status;
  return Status(status.code(), status.message() + "; deploy it with `thaw deploy DIR --name " +
                                   name + "` or see `thaw functions`");
}

void RunTune(CommandContext& ctx, const TuneFlags& flags) {
  StatusOr<std::vector<int64_t>> sizes = profile::ParseMemoryList(flags.memory);
  if (!sizes.ok()) return ReportError(ctx, kCommand, sizes.status(), kExitUsage);
  std::string payload = "{}";
  if (!flags.payload_json.empty()) payload = flags.payload_json;
  if (!flags.payload_file.empty()) {
    StatusOr<std::string> text = ReadFileOrStdin(flags.payload_file);
    if (!text.ok()) return ReportError(ctx, kCommand, text.status(), kExitUsage);
    payload = std::move(text).value();
  }
  if (!json::accept(payload)) {
    return ReportError(ctx, kCommand, Status::InvalidArgument("the payload is not valid JSON"),
                       kExitUsage);
  }

  StatusOr<std::unique_ptr<http::Client>> control = Connect(ctx.endpoint);
  if (!control.ok()) return ReportError(ctx, kCommand, control.status(), kExitUsage);
  StatusOr<json> config = CallJson(**control, "GET", FunctionTarget(flags.name, "/configuration"));
  if (!config.ok()) return ReportError(ctx, kCommand, WithHint(config.status(), flags.name));
  int64_t original_mb = JsonInt(*config, "MemorySize", -1);
  if (original_mb < 0) {
    return ReportError(ctx, kCommand,
                       Status::Internal("GetFunctionConfiguration answered without MemorySize"));
  }
  std::string arch_name =
      flags.arch.empty() ? ResolveArchitecture(std::nullopt, *config) : flags.arch;

  profile::TuneConfig tune;
  tune.function = flags.name;
  tune.arch = profile::ParseArchitecture(arch_name).value_or(profile::Architecture::kX86_64);
  tune.count = flags.count;
  tune.concurrency = flags.concurrency;
  tune.warmup = flags.warmup;
  tune.strategy = profile::ParseStrategy(flags.strategy).value_or(profile::Strategy::kCost);
  tune.balanced_weight = flags.balanced_weight;
  tune.payload_bytes = static_cast<int64_t>(payload.size());

  std::vector<std::unique_ptr<http::Client>> clients;
  for (int i = 0; i < flags.concurrency; ++i) {
    StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
    if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
    clients.push_back(std::move(client).value());
  }

  TuneRun run;
  Status fatal;
  Status restored;
  bool changed = false;
  bool interrupted = false;
  {
    MemoryRestorer restorer(**control, flags.name, original_mb);
    InterruptGuard guard;
    // A deploy may still be settling; AWS refuses an update until it has.
    fatal = WaitSettled(**control, flags.name);
    if (fatal.ok()) fatal = RunSizes(**control, clients, flags, payload, *sizes, restorer, run);
    interrupted = Interrupted();
    changed = restorer.armed();
    restored = restorer.Restore();
  }

  StatusOr<profile::TuneReport> report = profile::BuildTuneReport(tune, std::move(run.runs));
  if (!report.ok()) return ReportError(ctx, kCommand, report.status());
  report->original_memory_mb = original_mb;
  report->restored = changed && restored.ok();
  report->sandboxed = run.sandboxed;
  report->interrupted = interrupted;

  if (!report->sizes.empty()) {
    if (flags.json_file == "-") {
      PrintLine(std::cout, DumpJson(profile::ToJson(*report), 2));
    } else {
      std::cout << profile::FormatText(*report) << "\n" << profile::FormatChart(*report);
      if (report->restored) std::cout << "\nMemorySize restored to " << original_mb << " MB\n";
      std::cout << std::flush;
      if (!flags.json_file.empty()) {
        if (Status s = WriteJsonFile(flags.json_file, profile::ToJson(*report)); !s.ok()) {
          return ReportError(ctx, kCommand, s, kExitFailure);
        }
      }
    }
  }
  if (!restored.ok()) {
    return ReportError(
        ctx, kCommand,
        Status(restored.code(), "could not restore MemorySize " + std::to_string(original_mb) +
                                    " MB: " + restored.message()));
  }
  if (!fatal.ok()) {
    return ReportError(ctx, kCommand,
                       Status(fatal.code(), "stopped: " + WithHint(fatal, flags.name).message()));
  }
  if (interrupted && report->sizes.empty()) {
    return ReportError(ctx, kCommand,
                       Status::Unavailable("interrupted before any memory size finished"),
                       kExitFailure);
  }
  if (interrupted) {
    std::cerr << "thaw tune: interrupted; the figures cover the sizes that finished\n";
  }
  if (!report->best.cost) {
    std::string first;
    for (const profile::SizeResult& s : report->sizes) {
      if (first.empty()) first = s.first_error;
    }
    return ReportError(ctx, kCommand,
                       Status::Internal("no memory size ran without errors" +
                                        (first.empty() ? std::string() : "; first: " + first)),
                       kExitFailure);
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddTuneCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<TuneFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Find the memory size that makes a function cheapest, fastest or both (AWS Lambda Power "
      "Tuning, locally): run it at each size and price every invocation's Billed Duration");
  cmd->add_option("NAME", flags->name, "function name or ARN ($LATEST is tuned)")->required();
  cmd->add_option("--memory,-m", flags->memory, "memory sizes in MB, comma-separated")
      ->capture_default_str();
  cmd->add_option("--count,-n", flags->count, "measured invocations per size")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--warmup", flags->warmup,
                  "warm invocations per size to leave out after the cold round")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--concurrency,-c", flags->concurrency,
                  "clients invoking back to back; each size starts with one cold start per client")
      ->check(CLI::Range(1, kMaxClients))
      ->capture_default_str();
  CLI::Option* file =
      cmd->add_option("--payload", flags->payload_file, "file (or - for stdin) with the event JSON")
          ->check(CLI::ExistingFile | CLI::IsMember({"-"}));
  cmd->add_option("--payload-json", flags->payload_json, "the event JSON itself (default {})")
      ->excludes(file);
  cmd->add_option("--strategy", flags->strategy,
                  "which recommendation to mark: cost (cheapest), speed (fastest) or balanced")
      ->check(CLI::IsMember({"cost", "speed", "balanced"}))
      ->capture_default_str();
  cmd->add_option("--balanced-weight", flags->balanced_weight,
                  "balanced: weight of cost against duration, 0 (speed) to 1 (cost)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--arch", flags->arch,
                  "price as this architecture (default: the function's Architectures)")
      ->check(CLI::IsMember({"x86_64", "arm64"}));
  cmd->add_option("--json", flags->json_file,
                  "also write every size's figures and the recommendations as JSON to this file "
                  "(- prints the JSON instead of the table)");
  cmd->footer(
      "CPU follows memory as on Lambda: 1,769 MB is one vCPU, which thaw enforces with a cgroup "
      "CPU quota, so a CPU-bound function really runs faster with more memory. Absolute times "
      "are this machine's; the ratios between sizes are what carry over (docs/tune.md). Prices: " +
      std::string(profile::kPriceSource) +
      ". The function's MemorySize is restored at the end, also after an error or a first "
      "Ctrl-C (which stops after the invocations in flight; a second one kills).\n" +
      std::string(kExitCodesFooter) + " 1 also when no size ran without errors.");
  cmd->callback([&ctx, flags] { RunTune(ctx, *flags); });
}

}  // namespace thaw::cli
