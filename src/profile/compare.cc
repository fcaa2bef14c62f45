#include "profile/compare.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <utility>

#include "profile/stats.h"
#include "profile/table.h"

namespace thaw::profile {

namespace {

using json = nlohmann::json;

const SummaryOptions& CompareSummaryOptions() {
  static const SummaryOptions options = [] {
    SummaryOptions o;
    o.percentiles = {0.5, 0.99};
    o.max_cdf_points = 2;  // unused here; the minimum Summarize accepts
    return o;
  }();
  return options;
}

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

std::optional<double> Mean(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

std::optional<double> PercentileOf(const Summary& s, double p) {
  const PercentileEstimate* e = s.Percentile(p);
  if (s.count == 0 || e == nullptr) return std::nullopt;
  return e->value;
}

std::optional<double> Ratio(std::optional<double> value, std::optional<double> base) {
  if (!value || !base || *base <= 0) return std::nullopt;
  return *value / *base;
}

template <typename T>
json NullOr(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

std::string Cell(const std::optional<double>& value, const char* format) {
  return value ? Printf(format, *value) : "-";
}

std::string MiB(std::optional<int64_t> kib, bool sign = false) {
  if (!kib) return "-";
  return Printf(sign ? "%+.1f" : "%.1f", static_cast<double>(*kib) / 1024.0);
}

}  // namespace

StatusOr<std::vector<std::string>> ParseMechanismList(std::string_view text) {
  static const std::vector<std::string_view> kKnown = {
      "runtime-api", "go1.x", "spawn", "http-sidecar", "shim", "python", "nodejs"};
  std::vector<std::string> out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (std::find(kKnown.begin(), kKnown.end(), item) == kKnown.end()) {
      return Status::InvalidArgument("unknown mechanism '" + std::string(item) +
                                     "'; known: " + kDefaultMechanisms + ",python,nodejs");
    }
    if (std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

StatusOr<MechanismResult> SummarizeMechanism(const MechanismRun& run) {
  MechanismResult r;
  r.mechanism = run.mechanism;
  r.function = run.function;
  r.sandboxed = run.sandboxed;
  r.first_error = run.error;
  auto failed = [&r](const InvocationRecord& record) {
    if (record.outcome == Outcome::kOk) return false;
    ++r.errors;
    if (r.first_error.empty()) r.first_error = record.error;
    return true;
  };

  std::vector<double> init;
  std::vector<double> cold_client;
  for (const InvocationRecord& record : run.cold) {
    if (failed(record) || !record.report || !record.report->cold()) continue;
    init.push_back(*record.report->init_duration_ms);
    cold_client.push_back(MillisFromNanos(record.latency_ns()));
  }
  r.cold_starts = static_cast<int64_t>(init.size());
  r.init_ms = Mean(init);
  r.cold_client_ms = Mean(cold_client);

  std::vector<double> client;
  std::vector<double> duration;
  for (const InvocationRecord& record : run.warm) {
    // A cold start here would be an environment lost mid-run; it is no warm figure.
    if (failed(record) || (record.report && record.report->cold())) continue;
    client.push_back(MillisFromNanos(record.latency_ns()));
    if (record.report) duration.push_back(record.report->duration_ms);
  }
  r.warm = static_cast<int64_t>(client.size());
  THAW_ASSIGN_OR_RETURN(Summary client_summary,
                        Summarize(std::move(client), CompareSummaryOptions()));
  THAW_ASSIGN_OR_RETURN(Summary duration_summary,
                        Summarize(std::move(duration), CompareSummaryOptions()));
  r.warm_p50_ms = PercentileOf(client_summary, 0.5);
  r.warm_p99_ms = PercentileOf(client_summary, 0.99);
  r.duration_p50_ms = PercentileOf(duration_summary, 0.5);
  r.duration_p99_ms = PercentileOf(duration_summary, 0.99);

  for (const InvocationRecord& record : run.throughput) {
    if (failed(record)) continue;
    ++r.throughput_ok;
    if (record.report && record.report->cold()) ++r.throughput_cold;
  }
  if (r.throughput_ok > 0 && run.throughput_elapsed_ns > 0) {
    r.throughput_per_s = static_cast<double>(r.throughput_ok) /
                         (static_cast<double>(run.throughput_elapsed_ns) / 1e9);
  }

  // Without a sandbox the server has no cgroup to read: it reports 0 for both.
  if (run.max_memory_kib && *run.max_memory_kib > 0) r.max_memory_kib = run.max_memory_kib;
  std::vector<double> cpu;
  for (int64_t ns : run.cpu_ns) {
    if (ns > 0) cpu.push_back(MillisFromNanos(ns));
  }
  r.cpu_samples = static_cast<int64_t>(cpu.size());
  r.cpu_ms = Mean(cpu);
  return r;
}

StatusOr<CompareReport> BuildCompareReport(const CompareConfig& config,
                                           std::vector<MechanismRun> runs) {
  CompareReport report;
  report.config = config;
  for (const MechanismRun& run : runs) {
    THAW_ASSIGN_OR_RETURN(MechanismResult result, SummarizeMechanism(run));
    report.mechanisms.push_back(std::move(result));
  }
  auto base =
      std::find_if(report.mechanisms.begin(), report.mechanisms.end(),
                   [](const MechanismResult& m) { return m.mechanism == kBaselineMechanism; });
  report.baseline = base != report.mechanisms.end();
  if (!report.baseline) return report;
  MechanismResult baseline = *base;
  for (MechanismResult& m : report.mechanisms) {
    m.warm_p50_ratio = Ratio(m.warm_p50_ms, baseline.warm_p50_ms);
    m.warm_p99_ratio = Ratio(m.warm_p99_ms, baseline.warm_p99_ms);
    m.init_ratio = Ratio(m.init_ms, baseline.init_ms);
    m.throughput_ratio = Ratio(m.throughput_per_s, baseline.throughput_per_s);
    m.cpu_ratio = Ratio(m.cpu_ms, baseline.cpu_ms);
    if (m.max_memory_kib && baseline.max_memory_kib) {
      m.memory_overhead_kib = *m.max_memory_kib - *baseline.max_memory_kib;
    }
  }
  return report;
}

json ToJson(const CompareReport& report) {
  const CompareConfig& c = report.config;
  json mechanisms = json::array();
  for (const MechanismResult& m : report.mechanisms) {
    mechanisms.push_back({
        {"mechanism", m.mechanism},
        {"function", m.function},
        {"sandboxed", NullOr(m.sandboxed)},
        {"cold",
         {{"count", m.cold_starts},
          {"init_ms", NullOr(m.init_ms)},
          {"client_ms", NullOr(m.cold_client_ms)}}},
        {"warm",
         {{"count", m.warm},
          {"client_p50_ms", NullOr(m.warm_p50_ms)},
          {"client_p99_ms", NullOr(m.warm_p99_ms)},
          {"duration_p50_ms", NullOr(m.duration_p50_ms)},
          {"duration_p99_ms", NullOr(m.duration_p99_ms)}}},
        {"throughput",
         {{"count", m.throughput_ok},
          {"cold", m.throughput_cold},
          {"per_s", NullOr(m.throughput_per_s)}}},
        {"memory",
         {{"max_kib", NullOr(m.max_memory_kib)}, {"overhead_kib", NullOr(m.memory_overhead_kib)}}},
        {"cpu", {{"samples", m.cpu_samples}, {"ms_per_invocation", NullOr(m.cpu_ms)}}},
        {"ratios",
         {{"warm_p50", NullOr(m.warm_p50_ratio)},
          {"warm_p99", NullOr(m.warm_p99_ratio)},
          {"init", NullOr(m.init_ratio)},
          {"throughput", NullOr(m.throughput_ratio)},
          {"cpu", NullOr(m.cpu_ratio)}}},
        {"errors", {{"count", m.errors}, {"first", m.first_error}}},
    });
  }
  return {
      {"config",
       {{"count", c.count},
        {"cold", c.cold},
        {"concurrency", c.concurrency},
        {"throughput_s", c.throughput_s},
        {"warmup", c.warmup},
        {"cpu_samples", c.cpu_samples},
        {"memory_mb", c.memory_mb}}},
      {"baseline", report.baseline ? json(kBaselineMechanism) : json(nullptr)},
      {"interrupted", report.interrupted},
      {"notes",
       {{"ratios", "each figure over runtime-api's"},
        {"memory_overhead",
         "max_kib minus runtime-api's: the handler's own use cancels out, what is left is what "
         "the mechanism adds (thaw-host, a second process, a second Go runtime)"},
        {"cpu", "CPU time of the whole sandbox cgroup during one warm invocation, averaged"}}},
      {"mechanisms", mechanisms},
  };
}

std::string FormatText(const CompareReport& report) {
  const CompareConfig& c = report.config;
  std::string out = "thaw compare: " + std::to_string(c.cold) + " cold starts, " +
                    std::to_string(c.count) + " warm invocations at concurrency 1 (after " +
                    std::to_string(c.warmup) + " warm-up), throughput over " +
                    Printf("%g", c.throughput_s) + " s at concurrency " +
                    std::to_string(c.concurrency) + ", " + std::to_string(c.memory_mb) + " MB\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"", "cold", "", "warm client", "", "", "REPORT Duration", "", "throughput", "memory", "",
       "cpu", ""},
      {"mechanism", "init ms", "client ms", "p50 ms", "p99 ms", "x p50", "p50 ms", "p99 ms",
       "inv/s", "max MiB", "+MiB", "ms/inv", "errors"}};
  for (const MechanismResult& m : report.mechanisms) {
    rows.push_back({m.mechanism, Cell(m.init_ms, "%.2f"), Cell(m.cold_client_ms, "%.2f"),
                    Cell(m.warm_p50_ms, "%.3f"), Cell(m.warm_p99_ms, "%.3f"),
                    Cell(m.warm_p50_ratio, "%.2f"), Cell(m.duration_p50_ms, "%.3f"),
                    Cell(m.duration_p99_ms, "%.3f"), Cell(m.throughput_per_s, "%.0f"),
                    MiB(m.max_memory_kib), MiB(m.memory_overhead_kib, true), Cell(m.cpu_ms, "%.3f"),
                    std::to_string(m.errors)});
  }
  out += FormatColumns(rows);
  out += "\n";
  if (report.baseline) {
    out +=
        "x p50: warm client p50 over runtime-api's. +MiB: peak memory beyond runtime-api's, "
        "taken as the\nhandler's own use, so what the mechanism adds (thaw-host, another "
        "process, another Go runtime).\n";
  } else {
    out += "runtime-api was not run: no ratios and no memory overhead.\n";
  }
  out +=
      "init: REPORT Init Duration (thaw-host's start plus the function's, for the non-native "
      "mechanisms);\ncpu: CPU time of the whole sandbox per warm invocation.\n";
  bool unsandboxed = false;
  for (const MechanismResult& m : report.mechanisms) {
    if (m.sandboxed == false) unsandboxed = true;
    if (m.throughput_cold > 0) {
      out += m.mechanism + ": " + std::to_string(m.throughput_cold) +
             " cold starts during the throughput run (counted)\n";
    }
    if (!m.first_error.empty()) out += m.mechanism + ": first error: " + m.first_error + "\n";
  }
  if (unsandboxed) {
    out +=
        "unsandboxed environments (a server not run as root): no CPU figure, and memory is the "
        "processes' RSS, not the cgroup's peak\n";
  }
  if (report.interrupted) out += "interrupted: the figures cover what ran\n";
  return out;
}

}  // namespace thaw::profile
