// `thaw bench NAME`: drives a function through the Invoke API with a closed loop of N clients
// or an open loop of Poisson arrivals, tells cold from warm invocations by the REPORT line of
// each invocation's log tail, and prints latency statistics (profile/bench_report.h); --json
// writes everything, histograms and CDFs included. --stream invokes through
// InvokeWithResponseStream and adds the time to first byte (the first PayloadChunk).
// Threads: the main thread parses, checks the function, starts one thread per client (each
// with its own http::Client), and on a terminal one progress thread; they share only atomics,
// the open-loop schedule (under a mutex) and the first fatal error (under a mutex). The
// SIGINT handler only sets a flag.
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/invoke_batch.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"
#include "http/event_stream.h"
#include "profile/arrivals.h"
#include "profile/bench_report.h"
#include "profile/report_line.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "bench";
constexpr int64_t kDefaultCount = 1000;
constexpr int kDefaultOpenLoopClients = 64;
constexpr int kMaxClients = 1024;
// Open loop: sleep until this close to an arrival, then yield-spin, because a timed sleep
// wakes tens of microseconds late and that lateness would be measured as latency.
constexpr int64_t kSpinNs = 50'000;
constexpr int64_t kStopCheckNs = 100'000'000;
constexpr int64_t kProgressIntervalMs = 100;
constexpr int kProgressWidth = 30;

struct BenchFlags {
  std::string name;
  std::string qualifier;
  int concurrency = 1;
  double rate = 0;
  int64_t count = 0;
  std::string duration;
  std::string payload_file;
  int64_t warmup = -1;
  std::string json_file;
  bool no_tail = false;
  bool stream = false;
  uint64_t seed = 1;
  CLI::Option* concurrency_option = nullptr;
};

// "10s", "500ms", "2m", "1h" or plain seconds ("2.5"); must be > 0.
StatusOr<int64_t> ParseDurationNanos(const std::string& text) {
  std::string_view rest = text;
  double factor = 1e9;
  if (rest.ends_with("ms")) {
    factor = 1e6;
    rest.remove_suffix(2);
  } else if (rest.ends_with("s")) {
    rest.remove_suffix(1);
  } else if (rest.ends_with("m")) {
    factor = 60e9;
    rest.remove_suffix(1);
  } else if (rest.ends_with("h")) {
    factor = 3600e9;
    rest.remove_suffix(1);
  }
  double value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() || !(value > 0) ||
      value * factor > 1e18) {
    return Status::InvalidArgument("--duration must look like 10s, 500ms, 2m or 1h, got '" + text +
                                   "'");
  }
  return static_cast<int64_t>(value * factor);
}

// Sleeps until the monotonic time deadline_ns (SystemClock's CLOCK_MONOTONIC), in slices of at
// most kStopCheckNs so that a stop is noticed. False when stopped first.
template <typename StopFn>
bool SleepUntil(const Clock& clock, int64_t deadline_ns, StopFn stopped) {
  for (;;) {
    if (stopped()) return false;
    int64_t wake_ns = std::min(deadline_ns - kSpinNs, clock.MonotonicNanos() + kStopCheckNs);
    if (clock.MonotonicNanos() >= wake_ns) break;
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(wake_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(wake_ns % 1'000'000'000);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }
  while (clock.MonotonicNanos() < deadline_ns) std::this_thread::yield();
  return true;
}

struct RunSpec {
  std::string endpoint;
  std::string target;         // POST target of the Invoke API
  std::string config_target;  // GetFunctionConfiguration of the same function and qualifier
  std::string payload;
  bool tail = true;
  bool stream = false;  // target is InvokeWithResponseStream's
  bool open_loop = false;
  int clients = 1;
  double rate = 0;
  uint64_t seed = 1;
  int64_t count = 0;        // 0: no limit
  int64_t duration_ns = 0;  // 0: no limit
};

// An InvokeWithResponseStream answer as Invoke's, for ClassifyAnswer: the chunks joined,
// InvokeComplete's ErrorCode as X-Amz-Function-Error and its LogResult as X-Amz-Log-Result.
StatusOr<http::Response> FromEventStream(StatusOr<http::Response> response) {
  if (!response.ok() || response->status != 200) return response;
  http::Response out;
  out.headers = response->headers;
  std::string_view rest = response->body;
  bool complete = false;
  while (!rest.empty()) {
    size_t used = 0;
    std::optional<http::EventMessage> message = http::DecodeEventMessage(rest, &used);
    if (!message) return Status::Internal("malformed event stream in the answer");
    rest.remove_prefix(used);
    std::string type;
    for (const auto& [k, v] : message->headers) {
      if (k == ":event-type") type = v;
    }
    if (type == "PayloadChunk") out.body += message->payload;
    if (type != "InvokeComplete") continue;
    complete = true;
    auto json = nlohmann::json::parse(message->payload, nullptr, false);
    if (!json.is_object()) continue;
    std::string code = json.value("ErrorCode", std::string());
    if (!code.empty()) {
      out.headers.Set("X-Amz-Function-Error", code);
      out.body = json.value("ErrorDetails", std::string());
    }
    std::string log = json.value("LogResult", std::string());
    if (!log.empty()) out.headers.Set("X-Amz-Log-Result", log);
  }
  if (!complete) return Status::Internal("the event stream ended without InvokeComplete");
  return out;
}

// One load run: the clients, their records and what stops them.
class Run {
 public:
  explicit Run(const RunSpec& spec)
      : spec_(spec),
        clock_(SystemClock::Get()),
        arrivals_(spec.rate > 0 ? spec.rate : 1, spec.seed) {}

  // Runs to the end (count, duration, Ctrl-C or a fatal answer). A fatal Status is returned
  // with the records gathered until then in records().
  Status Execute(bool progress) {
    std::latch ready(spec_.clients);
    std::latch go(1);
    std::vector<std::vector<profile::InvocationRecord>> per_client(spec_.clients);
    std::vector<std::thread> threads;
    threads.reserve(spec_.clients);
    for (int i = 0; i < spec_.clients; ++i) {
      threads.emplace_back([this, &ready, &go, &per_client, i] {
        Client(ready, go, per_client[static_cast<size_t>(i)]);
      });
    }
    ready.wait();
    start_ns_ = clock_.MonotonicNanos();
    go.count_down();
    std::thread progress_thread;
    if (progress) progress_thread = std::thread([this] { Progress(); });
    for (std::thread& t : threads) t.join();
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    finished_cv_.notify_all();
    if (progress_thread.joinable()) progress_thread.join();
    for (auto& records : per_client) {
      for (auto& r : records) {
        elapsed_ns_ = std::max(elapsed_ns_, r.done_ns);
        records_.push_back(std::move(r));
      }
    }
    std::lock_guard lock(mu_);
    return fatal_;
  }

  std::vector<profile::InvocationRecord>& records() { return records_; }
  int64_t elapsed_ns() const { return elapsed_ns_; }
  bool interrupted() const { return Interrupted(); }

 private:
  void Client(std::latch& ready, std::latch& go, std::vector<profile::InvocationRecord>& out) {
    // Sleeps in the open loop should end on time, not up to 50 us late (the default slack).
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    StatusOr<std::unique_ptr<http::Client>> client = Connect(spec_.endpoint);
    if (client.ok()) {
      // Opens the keep-alive connection before the clock starts.
      StatusOr<http::Response> warm = Send(**client, "GET", spec_.config_target);
      if (!warm.ok()) Fail(warm.status());
    } else {
      Fail(client.status());
    }
    ready.count_down();
    go.wait();
    if (!client.ok()) return;
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("X-Amz-Invocation-Type", "RequestResponse");
    if (spec_.tail) headers.Set("X-Amz-Log-Type", "Tail");
    for (;;) {
      if (stop_.load() || Interrupted()) return;
      profile::InvocationRecord record;
      if (!NextSlot(record)) return;
      if (spec_.open_loop && !SleepUntil(clock_, start_ns_ + record.scheduled_ns,
                                         [this] { return stop_.load() || Interrupted(); })) {
        return;
      }
      record.sent_ns = clock_.MonotonicNanos() - start_ns_;
      if (!spec_.open_loop) record.scheduled_ns = record.sent_ns;
      // No timeout: a function may run for up to 900 s.
      StatusOr<http::Response> response =
          Send(**client, "POST", spec_.target, spec_.payload, headers, /*timeout_ms=*/0);
      record.done_ns = clock_.MonotonicNanos() - start_ns_;
      if (spec_.stream) {
        if (int64_t first = (*client)->first_body_ns(); first > 0) {
          record.first_byte_ns = first - start_ns_;
        }
        response = FromEventStream(std::move(response));
      }
      Status fatal = ClassifyAnswer(response, spec_.tail, record);
      if (record.outcome != profile::Outcome::kOk) errors_.fetch_add(1);
      done_.fetch_add(1);
      out.push_back(std::move(record));
      if (!fatal.ok()) {
        Fail(fatal);
        return;
      }
    }
  }

  // Claims the next invocation: its index and, in the open loop, its arrival time. False when
  // the count or the duration is used up.
  bool NextSlot(profile::InvocationRecord& record) {
    if (!spec_.open_loop) {
      record.index = next_index_.fetch_add(1);
      if (spec_.count > 0 && record.index >= spec_.count) return false;
      return spec_.duration_ns == 0 || clock_.MonotonicNanos() - start_ns_ < spec_.duration_ns;
    }
    std::lock_guard lock(mu_);
    record.index = next_index_.fetch_add(1);
    if (spec_.count > 0 && record.index >= spec_.count) return false;
    record.scheduled_ns = arrivals_.Next();
    return spec_.duration_ns == 0 || record.scheduled_ns < spec_.duration_ns;
  }

  void Fail(const Status& status) {
    std::lock_guard lock(mu_);
    if (fatal_.ok()) fatal_ = status;
    stop_.store(true);
  }

  // Redraws one status line on stderr until the clients are done, then erases it.
  void Progress() {
    std::unique_lock lock(mu_);
    while (!finished_) {
      finished_cv_.wait_for(lock, std::chrono::milliseconds(kProgressIntervalMs));
      if (finished_) break;
      lock.unlock();
      double elapsed = static_cast<double>(clock_.MonotonicNanos() - start_ns_) / 1e9;
      int64_t done = done_.load();
      double fraction = 0;
      if (spec_.count > 0) {
        fraction = static_cast<double>(done) / static_cast<double>(spec_.count);
      }
      if (spec_.duration_ns > 0) {
        fraction = std::max(fraction, elapsed * 1e9 / static_cast<double>(spec_.duration_ns));
      }
      fraction = std::clamp(fraction, 0.0, 1.0);
      auto filled = static_cast<int>(fraction * kProgressWidth);
      char line[160];
      std::snprintf(line, sizeof(line), "\r[%s%s] %3.0f%%  %lld invocations  %lld errors  %.1f s",
                    std::string(static_cast<size_t>(filled), '#').c_str(),
                    std::string(static_cast<size_t>(kProgressWidth - filled), '.').c_str(),
                    fraction * 100, static_cast<long long>(done),
                    static_cast<long long>(errors_.load()), elapsed);
      std::cerr << line << std::flush;
      lock.lock();
    }
    std::cerr << "\r\033[K" << std::flush;
  }

  const RunSpec& spec_;
  const Clock& clock_;
  int64_t start_ns_ = 0;
  std::atomic<int64_t> next_index_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  profile::PoissonArrivals arrivals_;  // guarded by mu_
  Status fatal_;                       // guarded by mu_
  bool finished_ = false;              // guarded by mu_
  std::condition_variable finished_cv_;
  std::vector<profile::InvocationRecord> records_;
  int64_t elapsed_ns_ = 0;
};

// Adds the next steps to the errors a user can act on.
Status WithHint(const Status& status, const BenchFlags& flags) {
  if (status.code() != StatusCode::kNotFound) return status;
  return Status(status.code(), status.message() + "; deploy it with `thaw deploy DIR --name " +
                                   flags.name + "` or see `thaw functions`");
}

void RunBench(CommandContext& ctx, const BenchFlags& flags) {
  bool open_loop = flags.rate > 0;
  RunSpec spec;
  spec.endpoint = ctx.endpoint;
  spec.target = FunctionTarget(flags.name, "/invocations", flags.qualifier);
  spec.stream = flags.stream;
  if (flags.stream) {
    spec.target = "/2021-11-15/functions/" + http::PercentEncode(flags.name) +
                  "/response-streaming-invocations";
    if (!flags.qualifier.empty())
      spec.target += "?Qualifier=" + http::PercentEncode(flags.qualifier);
  }
  spec.config_target = FunctionTarget(flags.name, "/configuration", flags.qualifier);
  spec.tail = !flags.no_tail;
  spec.open_loop = open_loop;
  spec.rate = flags.rate;
  spec.seed = flags.seed;
  spec.clients = flags.concurrency_option->count() > 0 || !open_loop ? flags.concurrency
                                                                     : kDefaultOpenLoopClients;
  spec.count = flags.count;
  spec.payload = "{}";
  if (!flags.payload_file.empty()) {
    StatusOr<std::string> text = ReadFileOrStdin(flags.payload_file);
    if (!text.ok()) return ReportError(ctx, kCommand, text.status(), kExitUsage);
    spec.payload = std::move(text).value();
  }
  if (!flags.duration.empty()) {
    StatusOr<int64_t> nanos = ParseDurationNanos(flags.duration);
    if (!nanos.ok()) return ReportError(ctx, kCommand, nanos.status(), kExitUsage);
    spec.duration_ns = *nanos;
  }
  if (spec.count == 0 && spec.duration_ns == 0) spec.count = kDefaultCount;

  // The function must exist before any thread starts; this is also the reachability check.
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  StatusOr<http::Response> config = Send(**client, "GET", spec.config_target);
  if (!config.ok()) return ReportError(ctx, kCommand, config.status());
  if (Status status = ResponseStatus(*config); !status.ok()) {
    return ReportError(ctx, kCommand, WithHint(status, flags));
  }

  Status fatal;
  Run run(spec);
  {
    InterruptGuard guard;
    fatal = run.Execute(::isatty(STDERR_FILENO) == 1);
  }
  profile::BenchConfig config_out;
  config_out.function = flags.name;
  config_out.qualifier = flags.qualifier;
  config_out.open_loop = open_loop;
  config_out.concurrency = spec.clients;
  config_out.rate_per_second = flags.rate;
  config_out.seed = flags.seed;
  config_out.requested_count = spec.count;
  config_out.requested_duration_s = static_cast<double>(spec.duration_ns) / 1e9;
  if (flags.warmup >= 0) config_out.warmup = flags.warmup;
  config_out.tail = spec.tail;
  config_out.stream = spec.stream;
  config_out.payload_bytes = static_cast<int64_t>(spec.payload.size());
  StatusOr<profile::BenchReport> report =
      profile::Aggregate(config_out, std::move(run.records()), run.elapsed_ns());
  if (!report.ok()) return ReportError(ctx, kCommand, report.status());

  if (flags.json_file == "-") {
    PrintLine(std::cout, DumpJson(profile::ToJson(*report), 2));
  } else {
    std::cout << profile::FormatText(*report) << std::flush;
    if (!flags.json_file.empty()) {
      std::ofstream file(flags.json_file, std::ios::trunc);
      file << DumpJson(profile::ToJson(*report), 2) << "\n";
      file.close();
      if (!file) {
        return ReportError(ctx, kCommand,
                           Status::IoError("cannot write --json file " + flags.json_file),
                           kExitFailure);
      }
    }
  }
  if (!fatal.ok()) {
    return ReportError(ctx, kCommand, Status(fatal.code(), "stopped: " + fatal.message()));
  }
  if (run.interrupted()) std::cerr << "thaw bench: interrupted; the numbers cover the run so far\n";
  if (report->total > 0 && report->errors() == report->total) {
    return ReportError(ctx, kCommand,
                       Status::Internal("every invocation failed; first: " + report->first_error),
                       kExitFailure);
  }
  ctx.exit_code = report->total > 0 ? kExitOk : kExitFailure;
}

}  // namespace

void AddBenchCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Invoke a function many times and print latency statistics: percentiles with 95% "
      "confidence intervals, cold and warm starts apart, REPORT durations, errors, a histogram");
  cmd->add_option("NAME", flags->name, "function name or ARN")->required();
  cmd->add_option("--qualifier", flags->qualifier, "version or alias to invoke");
  flags->concurrency_option =
      cmd->add_option("--concurrency,-c", flags->concurrency,
                      "closed loop: clients invoking back to back (default 1); with --rate: "
                      "most invocations in flight (default 64)")
          ->check(CLI::Range(1, kMaxClients));
  cmd->add_option("--rate", flags->rate,
                  "open loop: Poisson arrivals at this mean rate per second; latency counts "
                  "from each arrival's scheduled time, so a backlog is not hidden")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--count,-n", flags->count,
                  "invocations, warm-up included (default 1000 unless --duration)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  cmd->add_option("--duration", flags->duration,
                  "run this long (10s, 500ms, 2m); with --count, whichever ends first");
  cmd->add_option("--payload", flags->payload_file, "file (or - for stdin) with the event JSON")
      ->check(CLI::ExistingFile | CLI::IsMember({"-"}));
  cmd->add_option("--warmup", flags->warmup,
                  "warm invocations to leave out, in issue order (default 10% of the "
                  "invocations, at most 100); cold starts are always kept")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", flags->seed, "seed of the --rate arrival schedule")
      ->capture_default_str();
  cmd->add_option("--json", flags->json_file,
                  "also write every statistic, histograms and CDFs as JSON to this file "
                  "(- prints the JSON instead of the table)");
  cmd->add_flag("--stream", flags->stream,
                "invoke with InvokeWithResponseStream and also measure the time to first byte "
                "(the first PayloadChunk), for functions that stream their response");
  cmd->add_flag("--no-tail", flags->no_tail,
                "do not ask for the log tail: no cold/warm split and no REPORT figures. The "
                "tail makes each answer wait for the runtime's next /next (as on Lambda) and "
                "carry up to 5.5 KB more: on a 2-vCPU box about the same p50, +0.1 ms p90 and "
                "~15% fewer invocations/s at -c 1 (BENCHMARKS.md). Without it, -c 1 may start "
                "more environments: the next invoke can come before the last one has ended");
  cmd->footer(
      "Each invocation asks for X-Amz-Log-Type: Tail; an Init Duration in its REPORT line marks "
      "a cold start. Errors: function errors (X-Amz-Function-Error) and throttles (429) are "
      "counted apart; a missing function, a refused payload or a lost server stops the run. "
      "A progress bar goes to stderr on a terminal; Ctrl-C stops early and prints what ran.\n" +
      std::string(kExitCodesFooter) + " 1 also when every invocation failed.");
  cmd->callback([&ctx, flags] { RunBench(ctx, *flags); });
}

}  // namespace thaw::cli
