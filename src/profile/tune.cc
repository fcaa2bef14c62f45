#include "profile/tune.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <numeric>
#include <utility>

#include "profile/table.h"

namespace thaw::profile {

namespace {

using json = nlohmann::json;

const SummaryOptions& TuneSummaryOptions() {
  static const SummaryOptions options = [] {
    SummaryOptions o;
    o.percentiles = {0.5, 0.9, 0.99};
    o.max_cdf_points = 2;  // unused here; the minimum Summarize accepts
    return o;
  }();
  return options;
}

constexpr int kBarWidth = 30;

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

double PercentileOf(const Summary& s, double p) {
  const PercentileEstimate* e = s.Percentile(p);
  return e == nullptr ? 0 : e->value;
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

json NullOr(double value, bool present) { return present ? json(value) : json(nullptr); }

json RecommendationJson(const std::vector<SizeResult>& sizes, std::optional<size_t> index,
                        bool with_score) {
  if (!index) return nullptr;
  const SizeResult& s = sizes[*index];
  json out = {{"memory_mb", s.memory_mb},
              {"duration_ms", s.duration_ms},
              {"cost_per_invocation", s.cost},
              {"cost_per_million", PerMillion(s.cost)}};
  if (with_score) out["score"] = NullOr(s.balanced_score.value_or(0), s.balanced_score.has_value());
  return out;
}

std::string Mb(int64_t mb) { return std::to_string(mb) + " MB"; }
std::string Dollars(double value) { return Printf("%.4f", value); }

// "cost, balanced*": the recommendations that picked this size; * marks --strategy's.
std::string Marks(const TuneReport& report, size_t index) {
  std::string out;
  auto add = [&](std::optional<size_t> pick, Strategy strategy) {
    if (pick != index) return;
    if (!out.empty()) out += ", ";
    out += StrategyName(strategy);
    if (report.config.strategy == strategy) out += "*";
  };
  add(report.best.cost, Strategy::kCost);
  add(report.best.speed, Strategy::kSpeed);
  add(report.best.balanced, Strategy::kBalanced);
  return out;
}

std::string Bar(double value, double max) {
  auto n = max > 0 ? static_cast<size_t>(std::lround(value / max * kBarWidth)) : 0;
  if (value > 0 && n == 0) n = 1;
  n = std::min<size_t>(n, kBarWidth);
  return "|" + std::string(n, '#') + std::string(kBarWidth - n, ' ');
}

}  // namespace

std::optional<Strategy> ParseStrategy(std::string_view name) {
  if (name == "cost") return Strategy::kCost;
  if (name == "speed") return Strategy::kSpeed;
  if (name == "balanced") return Strategy::kBalanced;
  return std::nullopt;
}

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kCost:
      return "cost";
    case Strategy::kSpeed:
      return "speed";
    case Strategy::kBalanced:
      return "balanced";
  }
  return "cost";
}

StatusOr<std::vector<int64_t>> ParseMemoryList(std::string_view text) {
  std::vector<int64_t> sizes;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    int64_t mb = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), mb);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
      return Status::InvalidArgument(
          "--memory must be a comma-separated list of sizes in MB, got '" + std::string(item) +
          "'");
    }
    if (mb < kMinMemoryMb || mb > kMaxMemoryMb) {
      return Status::InvalidArgument("memory size " + std::to_string(mb) +
                                     " MB is outside Lambda's range, 128 to 10240 MB");
    }
    sizes.push_back(mb);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

double TrimmedMean(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto drop = static_cast<size_t>(std::floor(static_cast<double>(values.size()) * fraction));
  if (2 * drop >= values.size()) drop = (values.size() - 1) / 2;
  double sum = std::accumulate(values.begin() + static_cast<std::ptrdiff_t>(drop),
                               values.end() - static_cast<std::ptrdiff_t>(drop), 0.0);
  return sum / static_cast<double>(values.size() - 2 * drop);
}

std::optional<size_t> TuneReport::chosen() const {
  switch (config.strategy) {
    case Strategy::kCost:
      return best.cost;
    case Strategy::kSpeed:
      return best.speed;
    case Strategy::kBalanced:
      return best.balanced;
  }
  return best.cost;
}

StatusOr<SizeResult> SummarizeSize(const TuneConfig& config, const SizeRun& run) {
  SizeResult r;
  r.memory_mb = run.memory_mb;
  r.vcpu = static_cast<double>(run.memory_mb) / static_cast<double>(kMbPerVcpu);
  r.invocations = static_cast<int64_t>(run.measured.size());
  std::vector<double> durations;
  std::vector<double> latencies;
  std::vector<double> billed;
  std::vector<double> init;
  std::vector<double> cold_durations;
  std::vector<double> cold_billed;
  auto note = [&](const InvocationRecord& record) {
    if (!record.report) return;
    r.max_memory_used_mb = std::max(r.max_memory_used_mb, record.report->max_memory_used_mb);
    if (record.report->cold()) {
      init.push_back(*record.report->init_duration_ms);
      cold_durations.push_back(record.report->duration_ms);
      cold_billed.push_back(static_cast<double>(record.report->billed_duration_ms));
    }
  };
  for (const InvocationRecord& record : run.warmup) note(record);
  for (const InvocationRecord& record : run.measured) {
    note(record);
    if (record.outcome != Outcome::kOk) {
      ++r.errors;
      if (r.first_error.empty()) r.first_error = record.error;
      continue;
    }
    if (!record.report) continue;  // nothing to bill or time
    if (record.report->cold()) {
      ++r.cold;
      continue;
    }
    ++r.warm;
    durations.push_back(record.report->duration_ms);
    latencies.push_back(MillisFromNanos(record.latency_ns()));
    billed.push_back(static_cast<double>(record.report->billed_duration_ms));
  }
  r.duration_ms = TrimmedMean(durations, kTrimFraction);
  THAW_ASSIGN_OR_RETURN(r.duration, Summarize(std::move(durations), TuneSummaryOptions()));
  THAW_ASSIGN_OR_RETURN(r.client, Summarize(std::move(latencies), TuneSummaryOptions()));
  // The price is linear in Billed Duration, so the mean cost is the cost of the mean.
  r.billed_ms = Mean(billed);
  double gb_seconds = r.billed_ms * static_cast<double>(r.memory_mb) / 1024.0 / 1000.0;
  if (r.warm > 0) {
    r.compute_cost = gb_seconds * PricePerGbSecond(config.arch);
    r.cost = r.compute_cost + kPricePerRequest;
  }
  r.cold_start.count = static_cast<int64_t>(init.size());
  if (!init.empty()) {
    r.cold_start.init_duration_ms = Mean(init);
    r.cold_start.duration_ms = Mean(cold_durations);
    r.cold_start.billed_ms = Mean(cold_billed);
    r.cold_start.cost = r.cold_start.billed_ms * static_cast<double>(r.memory_mb) / 1024.0 /
                            1000.0 * PricePerGbSecond(config.arch) +
                        kPricePerRequest;
  }
  return r;
}

double BalancedScore(double weight, double cost, double max_cost, double duration,
                     double max_duration) {
  double score = 0;
  if (max_cost > 0) score += weight * cost / max_cost;
  if (max_duration > 0) score += (1 - weight) * duration / max_duration;
  return score;
}

Recommendations Recommend(std::vector<SizeResult>& sizes, double balanced_weight) {
  double weight = std::clamp(balanced_weight, 0.0, 1.0);
  double max_cost = 0;
  double max_duration = 0;
  for (SizeResult& s : sizes) {
    s.balanced_score.reset();
    if (!s.eligible()) continue;
    max_cost = std::max(max_cost, s.compute_cost);
    max_duration = std::max(max_duration, s.duration_ms);
  }
  Recommendations best;
  // Each pick keeps the earlier (smaller) size on a full tie.
  auto better = [&](std::optional<size_t> current, size_t candidate, auto key) {
    return !current || key(sizes[candidate]) < key(sizes[*current]);
  };
  for (size_t i = 0; i < sizes.size(); ++i) {
    SizeResult& s = sizes[i];
    if (!s.eligible()) continue;
    s.balanced_score = BalancedScore(weight, s.compute_cost, max_cost, s.duration_ms, max_duration);
    if (better(best.cost, i,
               [](const SizeResult& x) { return std::pair(x.cost, x.duration_ms); })) {
      best.cost = i;
    }
    if (better(best.speed, i,
               [](const SizeResult& x) { return std::pair(x.duration_ms, x.cost); })) {
      best.speed = i;
    }
    if (better(best.balanced, i, [](const SizeResult& x) { return *x.balanced_score; })) {
      best.balanced = i;
    }
  }
  return best;
}

StatusOr<TuneReport> BuildTuneReport(const TuneConfig& config, std::vector<SizeRun> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const SizeRun& a, const SizeRun& b) { return a.memory_mb < b.memory_mb; });
  TuneReport report;
  report.config = config;
  for (const SizeRun& run : runs) {
    THAW_ASSIGN_OR_RETURN(SizeResult size, SummarizeSize(config, run));
    report.sizes.push_back(std::move(size));
  }
  report.best = Recommend(report.sizes, config.balanced_weight);
  return report;
}

json ToJson(const TuneReport& report) {
  const TuneConfig& c = report.config;
  json sizes = json::array();
  for (const SizeResult& s : report.sizes) {
    bool warm = s.warm > 0;
    bool cold = s.cold_start.count > 0;
    sizes.push_back({
        {"memory_mb", s.memory_mb},
        {"vcpu", s.vcpu},
        {"invocations", s.invocations},
        {"warm", s.warm},
        {"cold", s.cold},
        {"errors", s.errors},
        {"first_error", s.first_error.empty() ? json(nullptr) : json(s.first_error)},
        {"duration_ms",
         {{"p50", NullOr(PercentileOf(s.duration, 0.5), warm)},
          {"p90", NullOr(PercentileOf(s.duration, 0.9), warm)},
          {"p99", NullOr(PercentileOf(s.duration, 0.99), warm)},
          {"mean", NullOr(s.duration.mean, warm)},
          {"trimmed_mean", NullOr(s.duration_ms, warm)},
          {"min", NullOr(s.duration.min, warm)},
          {"max", NullOr(s.duration.max, warm)}}},
        {"client_latency_ms",
         {{"p50", NullOr(PercentileOf(s.client, 0.5), warm)},
          {"p90", NullOr(PercentileOf(s.client, 0.9), warm)},
          {"p99", NullOr(PercentileOf(s.client, 0.99), warm)},
          {"mean", NullOr(s.client.mean, warm)}}},
        {"billed_ms_mean", NullOr(s.billed_ms, warm)},
        {"cost",
         {{"per_invocation", NullOr(s.cost, warm)},
          {"compute_per_invocation", NullOr(s.compute_cost, warm)},
          {"per_million", NullOr(PerMillion(s.cost), warm)}}},
        {"cold_start",
         {{"count", s.cold_start.count},
          {"init_duration_ms", NullOr(s.cold_start.init_duration_ms, cold)},
          {"duration_ms", NullOr(s.cold_start.duration_ms, cold)},
          {"billed_ms", NullOr(s.cold_start.billed_ms, cold)},
          {"cost", NullOr(s.cold_start.cost, cold)}}},
        {"max_memory_used_mb", s.max_memory_used_mb},
        {"balanced_score", NullOr(s.balanced_score.value_or(0), s.balanced_score.has_value())},
    });
  }
  std::optional<size_t> chosen = report.chosen();
  json out;
  out["function"] = c.function;
  out["architecture"] = ArchitectureName(c.arch);
  out["prices"] = {{"source", kPriceSource},
                   {"region", kPriceRegion},
                   {"gb_second", PricePerGbSecond(c.arch)},
                   {"per_request", kPricePerRequest}};
  out["count"] = c.count;
  out["concurrency"] = c.concurrency;
  out["warmup"] = c.warmup;
  out["payload_bytes"] = c.payload_bytes;
  out["strategy"] = StrategyName(c.strategy);
  out["balanced_weight"] = std::clamp(c.balanced_weight, 0.0, 1.0);
  out["original_memory_mb"] =
      report.original_memory_mb ? json(*report.original_memory_mb) : json(nullptr);
  out["restored"] = report.restored;
  out["sandboxed"] = report.sandboxed ? json(*report.sandboxed) : json(nullptr);
  out["interrupted"] = report.interrupted;
  out["sizes"] = std::move(sizes);
  out["recommendations"] = {
      {"cost", RecommendationJson(report.sizes, report.best.cost, false)},
      {"speed", RecommendationJson(report.sizes, report.best.speed, false)},
      {"balanced", RecommendationJson(report.sizes, report.best.balanced, true)},
      {"strategy", StrategyName(c.strategy)},
      {"chosen_memory_mb", chosen ? json(report.sizes[*chosen].memory_mb) : json(nullptr)}};
  return out;
}

std::string FormatText(const TuneReport& report) {
  const TuneConfig& c = report.config;
  std::string out = "thaw tune " + c.function + ": " + std::to_string(report.sizes.size()) +
                    " memory sizes, " + std::to_string(c.count) + " invocations each (" +
                    std::to_string(c.concurrency) + (c.concurrency == 1 ? " client" : " clients") +
                    ", cold round and " + std::to_string(c.warmup) + " warm-up left out), " +
                    std::string(ArchitectureName(c.arch)) + " prices of " + kPriceRegion + "\n";
  out +=
      "CPU follows memory as on Lambda (1,769 MB = 1 vCPU), enforced with a cgroup CPU quota, so "
      "the curve is real;\nabsolute times are this machine's, not Lambda's: compare the ratios.\n";
  if (report.sandboxed == false) {
    out +=
        "WARNING: this server does not sandbox environments, so CPU is not limited and durations "
        "will not follow memory\n";
  }
  std::vector<std::vector<std::string>> rows = {{"memory", "vCPU", "warm", "p50 ms", "p90 ms",
                                                 "p99 ms", "avg ms", "billed ms", "$/invocation",
                                                 "$/1M", "cold init ms", "max mem", "errors", ""}};
  for (size_t i = 0; i < report.sizes.size(); ++i) {
    const SizeResult& s = report.sizes[i];
    bool warm = s.warm > 0;
    auto ms = [warm](double v) { return warm ? Printf("%.2f", v) : std::string("-"); };
    rows.push_back({Mb(s.memory_mb), Printf("%.3f", s.vcpu), std::to_string(s.warm),
                    ms(PercentileOf(s.duration, 0.5)), ms(PercentileOf(s.duration, 0.9)),
                    ms(PercentileOf(s.duration, 0.99)), ms(s.duration_ms), ms(s.billed_ms),
                    warm ? Printf("%.3e", s.cost) : "-", warm ? Dollars(PerMillion(s.cost)) : "-",
                    s.cold_start.count > 0 ? Printf("%.2f", s.cold_start.init_duration_ms) : "-",
                    Mb(s.max_memory_used_mb), std::to_string(s.errors), Marks(report, i)});
  }
  out += "\n" + FormatColumns(rows, {13});
  out +=
      "  durations are REPORT Duration of warm invocations; avg is the mean of the middle 60% "
      "(Power Tuning's);\n  cost is each invocation's Billed Duration x MemorySize at " +
      Printf("$%.10f", PricePerGbSecond(c.arch)) + " per GB-s, plus $0.20 per 1M requests\n";
  for (const SizeResult& s : report.sizes) {
    if (s.errors > 0) {
      out += "  " + Mb(s.memory_mb) + ": " + std::to_string(s.errors) +
             " failed, not recommended; first: " + s.first_error + "\n";
    } else if (s.warm == 0) {
      out += "  " + Mb(s.memory_mb) + ": no warm invocation with a REPORT line, not recommended\n";
    }
  }

  double weight = std::clamp(c.balanced_weight, 0.0, 1.0);
  std::vector<std::vector<std::string>> picks = {
      {"recommendation", "memory", "avg ms", "$/1M", ""}};
  auto add = [&](std::optional<size_t> pick, Strategy strategy, const std::string& note) {
    std::string label(StrategyName(strategy));
    if (c.strategy == strategy) label += "*";
    if (!pick) {
      picks.push_back({label, "-", "-", "-", "no size ran without errors"});
      return;
    }
    const SizeResult& s = report.sizes[*pick];
    picks.push_back(
        {label, Mb(s.memory_mb), Printf("%.2f", s.duration_ms), Dollars(PerMillion(s.cost)), note});
  };
  add(report.best.cost, Strategy::kCost, "lowest cost");
  add(report.best.speed, Strategy::kSpeed, "lowest avg");
  std::string formula = "lowest " + Printf("%g", weight) + " x cost/max cost + " +
                        Printf("%g", 1 - weight) + " x avg/max avg";
  if (report.best.balanced) {
    formula += Printf(" = %.3f", *report.sizes[*report.best.balanced].balanced_score);
  }
  add(report.best.balanced, Strategy::kBalanced, formula);
  out += "\n" + FormatColumns(picks, {0, 4});
  out +=
      "  * --strategy; balanced is Power Tuning's formula over the sizes without errors, its cost "
      "without the request price\n";
  return out;
}

std::string FormatChart(const TuneReport& report) {
  double max_duration = 0;
  double max_cost = 0;
  for (const SizeResult& s : report.sizes) {
    if (s.warm == 0) continue;
    max_duration = std::max(max_duration, s.duration_ms);
    max_cost = std::max(max_cost, PerMillion(s.cost));
  }
  if (max_duration == 0 && max_cost == 0) return "";
  std::vector<std::vector<std::string>> rows = {
      {"", "avg duration (ms)", "", "$ per 1M invocations", "", ""}};
  for (size_t i = 0; i < report.sizes.size(); ++i) {
    const SizeResult& s = report.sizes[i];
    if (s.warm == 0) {
      rows.push_back({Mb(s.memory_mb), "|", "-", "|", "-", Marks(report, i)});
      continue;
    }
    double cost = PerMillion(s.cost);
    std::string marks = Marks(report, i);
    rows.push_back({Mb(s.memory_mb), Bar(s.duration_ms, max_duration),
                    Printf("%.2f", s.duration_ms), Bar(cost, max_cost), Dollars(cost),
                    marks.empty() ? "" : "<- " + marks});
  }
  return "duration and cost against memory size (* = --strategy):\n" +
         FormatColumns(rows, {1, 3, 5});
}

}  // namespace thaw::profile
