// `thaw compare`'s arithmetic: what was measured under each mechanism (docs/compare.md) becomes
// cold-start, warm-latency, throughput, memory and CPU figures, each set against the runtime-api
// mechanism (native aws-lambda-go, the baseline). Also the text table and the JSON.
// Pure functions over values: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "profile/bench_report.h"

namespace thaw::profile {

inline constexpr char kBaselineMechanism[] = "runtime-api";
inline constexpr char kDefaultMechanisms[] = "runtime-api,go1.x,spawn,http-sidecar,shim";
// The same handler in Go (aws-lambda-go on the Runtime API) and in the managed runtimes:
// "python" (python3.12) and "nodejs" (nodejs20.x) are entries like the mechanisms.
inline constexpr char kLanguages[] = "runtime-api,python,nodejs";

// "runtime-api,spawn" -> {"runtime-api", "spawn"}: in the given order, duplicates dropped.
// InvalidArgument for an empty list or a name not in kDefaultMechanisms or kLanguages.
StatusOr<std::vector<std::string>> ParseMechanismList(std::string_view text);

struct CompareConfig {
  int64_t count = 0;        // warm invocations at concurrency 1
  int64_t cold = 0;         // forced cold starts per mechanism
  int concurrency = 1;      // clients of the throughput run
  double throughput_s = 0;  // how long the throughput run starts invocations
  int64_t warmup = 0;       // warm invocations left out before the warm run
  int64_t cpu_samples = 0;  // single invocations sampled for CPU time
  int64_t memory_mb = 0;
};

// What ran under one mechanism.
struct MechanismRun {
  std::string mechanism;
  std::string function;
  std::vector<InvocationRecord> cold;        // the first invocation after each forced cold start
  std::vector<InvocationRecord> warm;        // concurrency 1, after the warm-up
  std::vector<InvocationRecord> throughput;  // concurrency C, after its own warm-up
  int64_t throughput_elapsed_ns = 0;
  std::vector<int64_t> cpu_ns;  // lastCpuNs of the environment after single warm invocations
  std::optional<int64_t> max_memory_kib;  // the warm environment's peak (0 or absent: unknown)
  std::optional<bool> sandboxed;
  std::string error;  // what stopped this mechanism's run early; empty when it finished
};

struct MechanismResult {
  std::string mechanism;
  std::string function;
  std::optional<bool> sandboxed;
  int64_t cold_starts = 0;               // cold invocations whose REPORT had an Init Duration
  std::optional<double> init_ms;         // mean REPORT Init Duration over those
  std::optional<double> cold_client_ms;  // mean client latency of those invocations
  int64_t warm = 0;                      // successful warm invocations in the warm run
  std::optional<double> warm_p50_ms;     // client latency, nearest rank
  std::optional<double> warm_p99_ms;
  std::optional<double> duration_p50_ms;  // REPORT Duration
  std::optional<double> duration_p99_ms;
  int64_t throughput_ok = 0;               // successful invocations of the throughput run
  int64_t throughput_cold = 0;             // of which were cold starts (new environments)
  std::optional<double> throughput_per_s;  // throughput_ok / elapsed
  std::optional<int64_t> max_memory_kib;
  std::optional<int64_t> memory_overhead_kib;  // max_memory_kib minus runtime-api's
  int64_t cpu_samples = 0;
  std::optional<double> cpu_ms;  // mean CPU time of the sandbox per warm invocation
  // This figure over runtime-api's; absent without a baseline or when either is missing.
  std::optional<double> warm_p50_ratio;
  std::optional<double> warm_p99_ratio;
  std::optional<double> init_ratio;
  std::optional<double> throughput_ratio;
  std::optional<double> cpu_ratio;
  int64_t errors = 0;  // failed invocations, over all phases
  std::string first_error;
};

struct CompareReport {
  CompareConfig config;
  std::vector<MechanismResult> mechanisms;  // in run order
  bool baseline = false;                    // runtime-api was among them
  bool interrupted = false;
};

// Summarizes one run (no ratios). InvalidArgument only for non-finite clock readings.
StatusOr<MechanismResult> SummarizeMechanism(const MechanismRun& run);

// SummarizeMechanism for each run, then the ratios and memory overheads against runtime-api.
StatusOr<CompareReport> BuildCompareReport(const CompareConfig& config,
                                           std::vector<MechanismRun> runs);

// {"config":{"count","cold","concurrency","throughput_s","warmup","cpu_samples","memory_mb"},"baseline":
//  "runtime-api"|null,"interrupted","notes":{...},"mechanisms":[{"mechanism","function",
//  "sandboxed","cold":{"count","init_ms","client_ms"},"warm":{"count","client_p50_ms",
//  "client_p99_ms","duration_p50_ms","duration_p99_ms"},"throughput":{"count","cold","per_s"},
//  "memory":{"max_kib","overhead_kib"},"cpu":{"samples","ms_per_invocation"},"ratios":{
//  "warm_p50","warm_p99","init","throughput","cpu"},"errors":{"count","first"}}]}. Figures
//  that were not measured are null.
nlohmann::json ToJson(const CompareReport& report);

// A header, one row per mechanism (cold init and client latency, warm p50/p99 and the p50 ratio,
// REPORT Duration p50/p99, throughput, peak memory and overhead, CPU per invocation, errors) and
// notes on what the columns mean. Ends with '\n'.
std::string FormatText(const CompareReport& report);

}  // namespace thaw::profile
