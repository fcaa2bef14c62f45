// `thaw tune`'s arithmetic, after AWS Lambda Power Tuning: the invocations run at each memory
// size become duration percentiles, a cost per invocation (pricing.h) and a cold start, and the
// sizes are ranked for cost, speed and Power Tuning's balanced score. Also the text table, the
// ASCII chart and the JSON. Pure functions over values: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "profile/bench_report.h"
#include "profile/pricing.h"
#include "profile/stats.h"

namespace thaw::profile {

// Lambda gives a function one vCPU at 1,769 MB and CPU in proportion below and above that.
inline constexpr int64_t kMbPerVcpu = 1769;
inline constexpr int64_t kMinMemoryMb = 128;
inline constexpr int64_t kMaxMemoryMb = 10240;
inline constexpr char kDefaultMemorySizes[] = "128,256,512,1024,1769,3008";
// Power Tuning's averageDuration drops this fraction of the samples at each end.
inline constexpr double kTrimFraction = 0.2;

enum class Strategy { kCost, kSpeed, kBalanced };

// "cost", "speed", "balanced"; nullopt otherwise.
std::optional<Strategy> ParseStrategy(std::string_view name);
std::string_view StrategyName(Strategy strategy);

// "128,256,1769" -> {128, 256, 1769}: ascending, duplicates dropped. InvalidArgument for an
// empty list, a non-integer or a size outside [128, 10240] MB.
StatusOr<std::vector<int64_t>> ParseMemoryList(std::string_view text);

// The mean of the values left after dropping floor(n x fraction) at each end (Power Tuning's
// averageDuration with fraction 0.2). 0 for no values.
double TrimmedMean(std::vector<double> values, double fraction);

struct TuneConfig {
  std::string function;
  Architecture arch = Architecture::kX86_64;
  int64_t count = 0;    // measured invocations per size
  int concurrency = 1;  // clients invoking back to back
  int64_t warmup = 0;   // warm invocations left out after the cold round, per size
  Strategy strategy = Strategy::kCost;
  double balanced_weight = 0.5;  // 1: cheapest, 0: fastest
  int64_t payload_bytes = 0;
};

// What ran at one memory size. The cold round (one invocation per client right after the
// configuration change) and the warm-up are left out of the figures, except that every cold
// start, wherever it fell, is counted as one.
struct SizeRun {
  int64_t memory_mb = 0;
  std::vector<InvocationRecord> warmup;    // the cold round and the warm-up
  std::vector<InvocationRecord> measured;  // the --count invocations
};

struct ColdStart {
  int64_t count = 0;
  // Means over the cold starts (meaningful when count > 0).
  double init_duration_ms = 0;  // REPORT Init Duration
  double duration_ms = 0;       // REPORT Duration of that first invocation
  double billed_ms = 0;         // custom runtimes bill init too: ceil(Init + Duration)
  double cost = 0;              // per cold invocation, request included
};

struct SizeResult {
  int64_t memory_mb = 0;
  double vcpu = 0;          // memory_mb / 1769
  int64_t invocations = 0;  // measured ones
  int64_t warm = 0;         // measured, successful, warm, with a REPORT line: the figures below
  int64_t cold = 0;         // measured invocations that were cold anyway (left out)
  int64_t errors = 0;       // measured invocations that failed
  std::string first_error;
  Summary duration;                // REPORT Duration, p50/p90/p99
  double duration_ms = 0;          // Power Tuning's averageDuration: TrimmedMean(Duration, 0.2)
  Summary client;                  // client-side latency, p50/p90/p99
  double billed_ms = 0;            // mean Billed Duration
  double compute_cost = 0;         // mean duration part of the price (Power Tuning's averagePrice)
  double cost = 0;                 // mean per invocation, request included
  ColdStart cold_start;            // over the cold round, the warm-up and the measured invocations
  int64_t max_memory_used_mb = 0;  // the highest REPORT Max Memory Used
  std::optional<double> balanced_score;

  // Only sizes where every measured invocation succeeded can be recommended.
  bool eligible() const { return warm > 0 && errors == 0; }
};

// Indexes into TuneReport::sizes; nullopt when no size is eligible.
struct Recommendations {
  std::optional<size_t> cost;      // lowest mean cost, then the faster
  std::optional<size_t> speed;     // lowest duration_ms, then the cheaper
  std::optional<size_t> balanced;  // lowest balanced score, then the smaller size
};

struct TuneReport {
  TuneConfig config;
  std::vector<SizeResult> sizes;  // ascending memory
  Recommendations best;
  // Filled in by the command.
  std::optional<int64_t> original_memory_mb;
  bool restored = false;
  std::optional<bool> sandboxed;  // whether the server sandboxes (and so limits CPU)
  bool interrupted = false;

  // The recommendation of config.strategy.
  std::optional<size_t> chosen() const;
};

// Summarizes one size. InvalidArgument only for non-finite readings.
StatusOr<SizeResult> SummarizeSize(const TuneConfig& config, const SizeRun& run);

// Power Tuning's balanced score, minimized: weight x cost / max cost + (1 - weight) x
// duration / max duration, with cost the duration part of the price (compute_cost) and the
// maxima over the eligible sizes. A zero maximum contributes 0.
double BalancedScore(double weight, double cost, double max_cost, double duration,
                     double max_duration);

// Scores the eligible sizes (setting balanced_score) and picks the three recommendations.
Recommendations Recommend(std::vector<SizeResult>& sizes, double balanced_weight);

// SummarizeSize for each run (sorted by memory), then Recommend.
StatusOr<TuneReport> BuildTuneReport(const TuneConfig& config, std::vector<SizeRun> runs);

// {"function","architecture","prices":{"source","region","gb_second","per_request"},"count",
//  "concurrency","warmup","payload_bytes","strategy","balanced_weight","original_memory_mb",
//  "restored","sandboxed","interrupted","sizes":[{"memory_mb","vcpu","invocations","warm",
//  "cold","errors","first_error","duration_ms":{"p50","p90","p99","mean","trimmed_mean","min",
//  "max"},"client_latency_ms":{"p50","p90","p99","mean"},"billed_ms_mean","cost":{
//  "per_invocation","compute_per_invocation","per_million"},"cold_start":{"count",
//  "init_duration_ms","duration_ms","billed_ms","cost"},"max_memory_used_mb",
//  "balanced_score"}],"recommendations":{"cost","speed","balanced":{"memory_mb","duration_ms",
//  "cost_per_invocation","cost_per_million"[,"score"]}|null,"strategy","chosen_memory_mb"}}.
// Figures that were not measured (no warm invocation, no cold start) are null.
nlohmann::json ToJson(const TuneReport& report);

// A header, one row per size (vCPU, warm count, p50/p90/p99, trimmed mean, billed, $ per
// invocation and per 1M, cold start, max memory, errors) and the recommendations. Ends with '\n'.
std::string FormatText(const TuneReport& report);

// Two horizontal bars per size, duration and cost per 1M invocations, each scaled to its own
// maximum, with the recommendations marked. Ends with '\n'; empty when no size has figures.
std::string FormatChart(const TuneReport& report);

}  // namespace thaw::profile
