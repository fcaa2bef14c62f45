#include "profile/bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "profile/table.h"

namespace thaw::profile {

namespace {

constexpr int64_t kDefaultWarmupMax = 100;
constexpr int64_t kDefaultWarmupDivisor = 10;  // 10% of the invocations
constexpr int kHistogramWidth = 40;
constexpr size_t kHistogramMaxRows = 24;

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

std::string Ms(double value) { return Printf("%.3f", value); }

// Bucket edges: three significant digits, no exponent above 0.1 ms.
std::string Edge(double value) {
  if (value >= 100) return Printf("%.0f", value);
  if (value >= 10) return Printf("%.1f", value);
  if (value >= 1) return Printf("%.2f", value);
  if (value >= 0.1) return Printf("%.3f", value);
  return Printf("%.2g", value);
}

std::string Plural(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

nlohmann::json NullOr(double value, bool present) {
  return present ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json GroupJson(const GroupStats& warm, const GroupStats& cold,
                         const GroupStats& unclassified, bool client) {
  auto pick = [client](const GroupStats& g) {
    return ToJson(client ? g.client : g.report_duration);
  };
  return {{"warm", pick(warm)}, {"cold", pick(cold)}, {"unclassified", pick(unclassified)}};
}

// Adds a group's row (and, for client latency, its row of 95% intervals). Returns whether an
// interval fell short of 95%.
bool AddRows(std::vector<std::vector<std::string>>& rows, const std::string& label,
             const Summary& s, bool with_intervals) {
  if (s.count == 0) return false;
  std::vector<std::string> row = {label, std::to_string(s.count), Ms(s.min), Ms(s.mean),
                                  s.count > 1 ? Ms(s.stddev) : "-"};
  for (const PercentileEstimate& e : s.percentiles) row.push_back(Ms(e.value));
  row.push_back(Ms(s.max));
  rows.push_back(std::move(row));
  if (!with_intervals || s.count < 2) return false;
  bool short_coverage = false;
  std::vector<std::string> ci = {"  95% CI", "", "", "", ""};
  for (const PercentileEstimate& e : s.percentiles) {
    std::string cell = Ms(e.ci_low) + "-" + Ms(e.ci_high);
    if (e.ci_coverage < kConfidence) {
      cell += "*";
      short_coverage = true;
    }
    ci.push_back(std::move(cell));
  }
  rows.push_back(std::move(ci));
  return short_coverage;
}

std::string Probability(double p) {
  if (p < 1e-300) return "p < 1e-300";
  if (p < 0.001) return Printf("p %.1e", p);
  return Printf("p %.3f", p);
}

std::string ShapeText(const std::string& label, const Summary& s) {
  std::string out = "shape of " + label + ": ";
  if (s.count < 2) return out + "too few samples\n";
  out += "skewness " + Printf("%.2f", s.skewness) + ", excess kurtosis " +
         Printf("%.2f", s.excess_kurtosis);
  if (s.dagostino_k2.tested) {
    out += "; D'Agostino K2 " + Printf("%.1f", s.dagostino_k2.statistic) + " (" +
           Probability(s.dagostino_k2.p_value) + "), Jarque-Bera " +
           Printf("%.1f", s.jarque_bera.statistic) + " (" + Probability(s.jarque_bera.p_value) +
           ")";
  }
  out += ": " + std::string(VerdictName(s.verdict)) + "\n";
  if (s.verdict == NormalityVerdict::kNotNormal) {
    out += "  (mean and stddev describe this sample poorly; read the percentiles)\n";
  }
  return out;
}

std::string HistogramText(const std::string& label, const Summary& s) {
  if (s.count == 0 || s.histogram.buckets.empty()) return "";
  // Merge neighbours so the picture stays short.
  const std::vector<HistogramBucket>& fine = s.histogram.buckets;
  size_t factor = (fine.size() + kHistogramMaxRows - 1) / kHistogramMaxRows;
  std::vector<HistogramBucket> rows;
  for (size_t i = 0; i < fine.size(); i += factor) {
    HistogramBucket merged = fine[i];
    for (size_t j = i + 1; j < std::min(fine.size(), i + factor); ++j) {
      merged.high = fine[j].high;
      merged.count += fine[j].count;
    }
    rows.push_back(merged);
  }
  int64_t peak = 0;
  for (const HistogramBucket& b : rows) peak = std::max(peak, b.count);
  std::vector<std::vector<std::string>> table;
  for (const HistogramBucket& b : rows) {
    auto bar = static_cast<size_t>(
        std::llround(static_cast<double>(b.count) * kHistogramWidth / static_cast<double>(peak)));
    if (b.count > 0 && bar == 0) bar = 1;
    table.push_back(
        {"  " + Edge(b.low) + " - " + Edge(b.high),
         "|" + std::string(bar, '#') + std::string(kHistogramWidth - bar, ' ') + "|",
         std::to_string(b.count),
         Printf("%.1f%%", 100.0 * static_cast<double>(b.count) / static_cast<double>(s.count))});
  }
  return "histogram of " + label + " (ms, log buckets):\n" + FormatColumns(table);
}

}  // namespace

StatusOr<BenchReport> Aggregate(const BenchConfig& config, std::vector<InvocationRecord> records,
                                int64_t elapsed_ns) {
  std::sort(records.begin(), records.end(),
            [](const InvocationRecord& a, const InvocationRecord& b) { return a.index < b.index; });
  BenchReport report;
  report.config = config;
  report.total = static_cast<int64_t>(records.size());
  report.warmup =
      config.warmup.value_or(std::min(kDefaultWarmupMax, report.total / kDefaultWarmupDivisor));
  report.elapsed_s = static_cast<double>(elapsed_ns) / 1e9;
  if (elapsed_ns > 0) {
    report.throughput_per_second = static_cast<double>(report.total) / report.elapsed_s;
  }

  struct Samples {
    std::vector<double> client;
    std::vector<double> report_duration;
    std::vector<double> first_byte;
  };
  Samples warm;
  Samples cold;
  Samples unclassified;
  std::vector<double> init;
  std::vector<double> lag;
  int64_t warmup_left = report.warmup;
  for (const InvocationRecord& r : records) {
    if (config.open_loop) lag.push_back(MillisFromNanos(r.sent_ns - r.scheduled_ns));
    if (r.report) {
      report.billed_total_ms += r.report->billed_duration_ms;
      report.memory_size_mb = r.report->memory_size_mb;
      report.max_memory_used_mb = std::max(report.max_memory_used_mb, r.report->max_memory_used_mb);
    }
    switch (r.outcome) {
      case Outcome::kOk:
        break;
      case Outcome::kFunctionError:
        ++report.function_errors;
        break;
      case Outcome::kThrottled:
        ++report.throttled;
        break;
      case Outcome::kError:
        ++report.other_errors;
        break;
    }
    if (r.outcome != Outcome::kOk) {
      if (report.first_error.empty()) report.first_error = r.error;
      continue;
    }
    double latency = MillisFromNanos(r.latency_ns());
    Samples* group = nullptr;
    if (r.report && r.report->cold()) {
      group = &cold;
      ++report.cold;
      init.push_back(*r.report->init_duration_ms);
    } else if (warmup_left > 0) {
      --warmup_left;
      ++report.discarded;
      continue;
    } else if (config.tail && r.report) {
      group = &warm;
      ++report.warm;
    } else {
      group = &unclassified;
      ++report.unclassified;
    }
    group->client.push_back(latency);
    if (r.first_byte_ns > 0) {
      group->first_byte.push_back(MillisFromNanos(r.first_byte_ns - r.scheduled_ns));
    }
    if (r.report) group->report_duration.push_back(r.report->duration_ms);
  }

  auto summarize = [](std::vector<double> values, Summary& out) -> Status {
    THAW_ASSIGN_OR_RETURN(out, Summarize(std::move(values)));
    return Status::Ok();
  };
  auto summarize_group = [&summarize](Samples& samples, GroupStats& out) -> Status {
    THAW_RETURN_IF_ERROR(summarize(std::move(samples.client), out.client));
    THAW_RETURN_IF_ERROR(summarize(std::move(samples.first_byte), out.first_byte));
    return summarize(std::move(samples.report_duration), out.report_duration);
  };
  THAW_RETURN_IF_ERROR(summarize_group(warm, report.warm_stats));
  THAW_RETURN_IF_ERROR(summarize_group(cold, report.cold_stats));
  THAW_RETURN_IF_ERROR(summarize_group(unclassified, report.unclassified_stats));
  THAW_RETURN_IF_ERROR(summarize(std::move(init), report.init_duration));
  THAW_RETURN_IF_ERROR(summarize(std::move(lag), report.send_lag));
  return report;
}

nlohmann::json ToJson(const BenchReport& report) {
  const BenchConfig& c = report.config;
  nlohmann::json out;
  out["function"] = c.function;
  out["qualifier"] = c.qualifier;
  out["mode"] = c.open_loop ? "open" : "closed";
  out["concurrency"] = c.concurrency;
  out["rate_per_s"] = NullOr(c.rate_per_second, c.open_loop);
  out["seed"] = c.open_loop ? nlohmann::json(c.seed) : nlohmann::json(nullptr);
  out["tail"] = c.tail;
  out["payload_bytes"] = c.payload_bytes;
  out["requested"] = {
      {"count", c.requested_count > 0 ? nlohmann::json(c.requested_count) : nullptr},
      {"duration_s", NullOr(c.requested_duration_s, c.requested_duration_s > 0)}};
  out["warmup"] = report.warmup;
  out["elapsed_s"] = report.elapsed_s;
  out["throughput_per_s"] = report.throughput_per_second;
  out["invocations"] = {{"total", report.total},
                        {"warm", report.warm},
                        {"cold", report.cold},
                        {"unclassified", report.unclassified},
                        {"warmup_discarded", report.discarded}};
  out["errors"] = {{"total", report.errors()},
                   {"function", report.function_errors},
                   {"throttled", report.throttled},
                   {"other", report.other_errors},
                   {"first", report.first_error.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json(report.first_error)}};
  out["client_latency"] =
      GroupJson(report.warm_stats, report.cold_stats, report.unclassified_stats, true);
  out["report_duration"] =
      GroupJson(report.warm_stats, report.cold_stats, report.unclassified_stats, false);
  out["init_duration"] = ToJson(report.init_duration);
  out["billing"] = {{"billed_total_ms", report.billed_total_ms},
                    {"memory_size_mb", report.memory_size_mb},
                    {"max_memory_used_mb", report.max_memory_used_mb}};
  out["send_lag"] = c.open_loop ? ToJson(report.send_lag) : nlohmann::json(nullptr);
  out["time_to_first_byte"] = nullptr;
  if (c.stream) {
    out["time_to_first_byte"] = {{"warm", ToJson(report.warm_stats.first_byte)},
                                 {"cold", ToJson(report.cold_stats.first_byte)},
                                 {"unclassified", ToJson(report.unclassified_stats.first_byte)}};
  }
  return out;
}

std::string FormatText(const BenchReport& report) {
  const BenchConfig& c = report.config;
  std::string name = c.function + (c.qualifier.empty() ? "" : ":" + c.qualifier);
  std::string out = "thaw bench " + name + ": ";
  if (c.open_loop) {
    out += "open loop, Poisson arrivals at " + Printf("%g", c.rate_per_second) + "/s (seed " +
           std::to_string(c.seed) + "), at most " + std::to_string(c.concurrency) + " in flight";
  } else {
    out += "closed loop, " + Plural(c.concurrency, "client", "clients");
  }
  out += ", log tail " + std::string(c.tail ? "on" : "off") + "\n";
  out += Plural(report.total, "invocation", "invocations") + " in " +
         Printf("%.2f", report.elapsed_s) + " s: " + Printf("%.1f", report.throughput_per_second) +
         " invocations/s\n";
  out += "  ";
  if (c.tail) {
    out += std::to_string(report.warm) + " warm, " + std::to_string(report.cold) + " cold, ";
  }
  if (report.unclassified > 0 || !c.tail) {
    out += std::to_string(report.unclassified) + " unclassified (no REPORT line), ";
  }
  out += std::to_string(report.discarded) + " warm-up (left out), " +
         Plural(report.errors(), "error", "errors");
  if (report.errors() > 0) {
    out += " (" + std::to_string(report.function_errors) + " function, " +
           std::to_string(report.throttled) + " throttled, " + std::to_string(report.other_errors) +
           " other)";
  }
  out += "\n";
  if (!report.first_error.empty()) out += "  first error: " + report.first_error + "\n";

  std::vector<std::vector<std::string>> rows = {{"latency (ms)", "count", "min", "mean", "stddev"}};
  for (double p : SummaryOptions().percentiles) rows[0].push_back(PercentileLabel(p));
  rows[0].push_back("max");
  bool short_coverage = false;
  short_coverage |= AddRows(rows, "client, warm", report.warm_stats.client, true);
  short_coverage |= AddRows(rows, "client, cold", report.cold_stats.client, true);
  short_coverage |= AddRows(rows, "client, unclassified", report.unclassified_stats.client, true);
  if (c.stream) {
    short_coverage |= AddRows(rows, "first byte, warm", report.warm_stats.first_byte, true);
    short_coverage |= AddRows(rows, "first byte, cold", report.cold_stats.first_byte, true);
    short_coverage |=
        AddRows(rows, "first byte, unclassified", report.unclassified_stats.first_byte, true);
  }
  AddRows(rows, "REPORT Duration, warm", report.warm_stats.report_duration, false);
  AddRows(rows, "REPORT Duration, cold", report.cold_stats.report_duration, false);
  AddRows(rows, "REPORT Duration", report.unclassified_stats.report_duration, false);
  AddRows(rows, "Init Duration", report.init_duration, false);
  if (c.open_loop) AddRows(rows, "send lag", report.send_lag, false);
  if (rows.size() > 1) {
    out += "\n" + FormatColumns(rows);
    if (short_coverage) {
      out += "  * too few samples for 95%: the interval reaches the sample's min or max\n";
    }
    if (c.open_loop) {
      out +=
          "  client latency counts from each arrival's scheduled time; send lag is how late "
          "sends left\n";
    }
  }
  if (report.billed_total_ms > 0) {
    out += "\nbilled " + std::to_string(report.billed_total_ms) + " ms in total; Memory Size " +
           std::to_string(report.memory_size_mb) + " MB, Max Memory Used up to " +
           std::to_string(report.max_memory_used_mb) + " MB\n";
  }

  // The shape and histogram of the group that matters most.
  std::string label = "client, warm";
  const Summary* main = &report.warm_stats.client;
  if (main->count == 0 && report.unclassified_stats.client.count > 0) {
    label = "client, unclassified";
    main = &report.unclassified_stats.client;
  } else if (main->count == 0) {
    label = "client, cold";
    main = &report.cold_stats.client;
  }
  if (main->count > 0) {
    out += "\n" + ShapeText(label, *main) + "\n" + HistogramText(label, *main);
  }
  return out;
}

}  // namespace thaw::profile
