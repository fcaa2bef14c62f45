#include "profile/html_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/xml.h"

namespace thaw::profile {

namespace {

using json = nlohmann::json;

constexpr char kNotRun[] = "not run";
constexpr char kDash[] = "\u2014";
// Groups of a bench report, in the order they are drawn.
constexpr const char* kGroups[] = {"warm", "cold", "unclassified"};
// Axes whose values span this ratio or more are drawn on a log scale.
constexpr double kLogScaleRatio = 20;
constexpr long kMaxBuckets = 1000;

// ---- Reading JSON without exceptions -----------------------------------------------------------

const json& Get(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::optional<double> Number(const json& value) {
  if (!value.is_number()) return std::nullopt;
  return value.get<double>();
}

std::string Text(const json& value) { return value.is_string() ? value.get<std::string>() : ""; }

const json& Array(const json& value) {
  static const json kEmpty = json::array();
  return value.is_array() ? value : kEmpty;
}

// ---- Formatting --------------------------------------------------------------------------------

// Three significant digits or so, no exponent: 0.212, 2.48, 15.5, 117, 2236.
std::string Fmt(std::optional<double> value) {
  if (!value) return kDash;
  double magnitude = std::fabs(*value);
  int digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", digits, *value);
  return text;
}

std::string FmtInt(std::optional<double> value) {
  if (!value) return kDash;
  char text[64];
  std::snprintf(text, sizeof(text), "%.0f", *value);
  return text;
}

// JSON inside <script type="application/json">: no '<', '>' or '&' may end the element early.
// Those characters occur only inside JSON strings, where \u escapes mean the same.
std::string ScriptJson(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

// Inline code may not contain its element's end tag, in any case; "<\/" means the same in
// JavaScript and CSS.
std::string InlineCode(std::string_view code, std::string_view tag) {
  std::string out;
  out.reserve(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    bool end_tag = code[i] == '<' && i + 1 + tag.size() < code.size() && code[i + 1] == '/';
    for (size_t j = 0; end_tag && j < tag.size(); ++j) {
      end_tag = std::tolower(static_cast<unsigned char>(code[i + 2 + j])) == tag[j];
    }
    out += end_tag ? "<\\" : std::string(1, code[i]);
  }
  return out;
}

// ---- Charts ------------------------------------------------------------------------------------

struct Axis {
  std::string label;
  std::string scale = "linear";  // Chart.js scale type: linear, logarithmic, category
};

struct Series {
  explicit Series(std::string series_name, std::string y_axis = "y")
      : name(std::move(series_name)), axis(std::move(y_axis)) {}
  std::string name;
  std::string axis;
  json points = json::array();  // [x, y] pairs
};

struct Chart {
  Chart(std::string chart_id, std::string chart_kind, std::string chart_title)
      : id(std::move(chart_id)), kind(std::move(chart_kind)), title(std::move(chart_title)) {}
  std::string id;
  std::string kind;  // bar or line
  std::string title;
  Axis x;
  Axis y;
  std::optional<Axis> y2;
  std::vector<std::string> categories;  // category x axes only
  bool stepped = false;
  std::vector<Series> series;
};

json AxisJson(const Axis& axis) { return {{"label", axis.label}, {"scale", axis.scale}}; }

// The chart's JSON, or null when nothing would be plotted. Each series' count is what Chart.js
// gets: the page draws exactly these points.
json ChartJson(const Chart& chart) {
  json series = json::array();
  size_t total = 0;
  for (const Series& s : chart.series) {
    if (s.points.empty()) continue;
    total += s.points.size();
    series.push_back(
        {{"name", s.name}, {"axis", s.axis}, {"points", s.points}, {"count", s.points.size()}});
  }
  if (total == 0) return nullptr;
  return {{"id", chart.id},
          {"kind", chart.kind},
          {"title", chart.title},
          {"x", AxisJson(chart.x)},
          {"y", AxisJson(chart.y)},
          {"y2", chart.y2 ? AxisJson(*chart.y2) : json(nullptr)},
          {"categories", chart.categories.empty() ? json(nullptr) : json(chart.categories)},
          {"stepped", chart.stepped},
          {"series", std::move(series)},
          {"points", total}};
}

// Column `index` (0: x, 1: y) of the points of the series on `axis` (of all series when empty).
std::vector<double> Column(const std::vector<Series>& series, size_t index,
                           std::string_view axis = {}) {
  std::vector<double> values;
  for (const Series& s : series) {
    if (!axis.empty() && s.axis != axis) continue;
    for (const json& point : s.points) values.push_back(point[index].get<double>());
  }
  return values;
}

// "logarithmic" when every value is positive and they span kLogScaleRatio, else "linear".
std::string ScaleFor(const std::vector<double>& values) {
  if (values.empty()) return "linear";
  auto [low, high] = std::minmax_element(values.begin(), values.end());
  return *low > 0 && *high / *low >= kLogScaleRatio ? "logarithmic" : "linear";
}

struct Table {
  Table(std::string table_title, std::vector<std::string> table_columns)
      : title(std::move(table_title)), columns(std::move(table_columns)) {}
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::optional<size_t> verdict_column;  // "pass" cells are marked good, others bad
  bool numeric = true;                   // cells after the first are numbers
};

json TableJson(const Table& table) {
  return {{"title", table.title},
          {"columns", table.columns},
          {"rows", table.rows},
          {"verdict_column", table.verdict_column ? json(*table.verdict_column) : json(nullptr)},
          {"numeric", table.numeric}};
}

struct Section {
  std::string id;
  std::string title;
  std::string note;
  bool run = true;
  std::vector<Chart> charts;
  std::vector<Table> tables;
};

json SectionJson(const Section& section) {
  json charts = json::array();
  for (const Chart& c : section.charts) {
    if (json j = ChartJson(c); !j.is_null()) charts.push_back(std::move(j));
  }
  json tables = json::array();
  for (const Table& t : section.tables) tables.push_back(TableJson(t));
  return {{"id", section.id},
          {"title", section.title},
          {"status", section.run ? "ok" : kNotRun},
          {"note", section.note},
          {"charts", std::move(charts)},
          {"tables", std::move(tables)}};
}

Section NotRun(std::string id, std::string title, const std::string& how) {
  Section s;
  s.id = std::move(id);
  s.title = std::move(title);
  s.run = false;
  s.note = "Not run: " + how;
  return s;
}

// ---- Bench -------------------------------------------------------------------------------------

std::optional<double> Stat(const json& summary, const std::string& stat) {
  if (stat == "min" || stat == "max" || stat == "mean") return Number(Get(summary, stat.c_str()));
  return Number(Get(Get(Get(summary, "percentiles"), stat.c_str()), "value"));
}

int64_t CountOf(const json& summary) {
  return static_cast<int64_t>(Number(Get(summary, "count")).value_or(0));
}

std::string WithCount(const std::string& name, const json& summary) {
  return name + " (n=" + std::to_string(CountOf(summary)) + ")";
}

// Histograms share edges 10^(k / buckets_per_decade): buckets of different groups line up by k.
Chart HistogramChart(const std::string& id, const std::string& function, const json& latency) {
  Chart chart(id, "bar", function + ": client latency histogram");
  chart.x = {"client latency (ms)", "category"};
  chart.y = {"invocations", "linear"};
  std::optional<double> per_decade;
  std::vector<std::pair<std::string, std::vector<std::pair<long, double>>>> groups;
  std::optional<long> low_k;
  std::optional<long> high_k;
  for (const char* group : kGroups) {
    const json& summary = Get(latency, group);
    const json& histogram = Get(summary, "histogram");
    std::optional<double> bpd = Number(Get(histogram, "buckets_per_decade"));
    if (CountOf(summary) == 0 || !bpd || *bpd <= 0) continue;
    if (per_decade && *per_decade != *bpd) continue;  // not on the same grid
    per_decade = bpd;
    std::vector<std::pair<long, double>> counts;
    for (const json& bucket : Array(Get(histogram, "buckets"))) {
      std::optional<double> low = Number(Get(bucket, "low"));
      std::optional<double> count = Number(Get(bucket, "count"));
      if (!low || !count || *low <= 0) continue;
      long k = std::lround(std::log10(*low) * *bpd);
      low_k = std::min(low_k.value_or(k), k);
      high_k = std::max(high_k.value_or(k), k);
      counts.emplace_back(k, *count);
    }
    if (!counts.empty()) groups.emplace_back(WithCount(group, summary), std::move(counts));
  }
  // A bench histogram is contiguous; a wider span means a file that is not one.
  if (groups.empty() || *high_k - *low_k >= kMaxBuckets) return chart;
  for (long k = *low_k; k <= *high_k; ++k) {
    double low = std::pow(10.0, static_cast<double>(k) / *per_decade);
    double high = std::pow(10.0, static_cast<double>(k + 1) / *per_decade);
    chart.categories.push_back(Fmt(low) + "\u2013" + Fmt(high));
  }
  for (auto& [name, counts] : groups) {
    Series series(name);
    std::vector<double> by_k(chart.categories.size(), 0);
    for (auto [k, count] : counts) by_k[static_cast<size_t>(k - *low_k)] += count;
    for (size_t i = 0; i < by_k.size(); ++i) {
      series.points.push_back({chart.categories[i], by_k[i]});
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

Section BenchSection(size_t index, const ReportInput& input) {
  const json& b = input.json;
  std::string function = Text(Get(b, "function"));
  std::string qualifier = Text(Get(b, "qualifier"));
  if (!qualifier.empty()) function += ":" + qualifier;
  Section s;
  s.id = "bench-" + std::to_string(index);
  s.title = "Function " + function;
  const json& latency = Get(b, "client_latency");
  const json& duration = Get(b, "report_duration");
  const json& init = Get(b, "init_duration");
  const json& invocations = Get(b, "invocations");
  const json& errors = Get(b, "errors");

  s.note = "thaw bench (" + input.source + "): " + FmtInt(Number(Get(invocations, "total"))) +
           " invocations, " + FmtInt(Number(Get(invocations, "warm"))) + " warm, " +
           FmtInt(Number(Get(invocations, "cold"))) + " cold, " +
           FmtInt(Number(Get(invocations, "warmup_discarded"))) + " warm-up left out; " +
           FmtInt(Number(Get(errors, "total"))) + " errors; " +
           Fmt(Number(Get(b, "throughput_per_s"))) + " invocations/s; " + Text(Get(b, "mode")) +
           " loop, concurrency " + FmtInt(Number(Get(b, "concurrency"))) + ".";
  if (std::string first = Text(Get(errors, "first")); !first.empty()) {
    s.note += " First error: " + first;
  }

  const std::vector<std::string> stats = {"min", "p50", "p90", "p99", "max"};
  Chart cold_warm(s.id + "-cold-warm", "bar", function + ": cold vs warm latency");
  cold_warm.x = {"", "category"};
  cold_warm.categories = stats;
  auto add_stats = [&](const std::string& name, const json& summary) {
    if (CountOf(summary) == 0) return;
    Series series(WithCount(name, summary));
    for (const std::string& stat : stats) {
      if (std::optional<double> v = Stat(summary, stat)) series.points.push_back({stat, *v});
    }
    cold_warm.series.push_back(std::move(series));
  };
  for (const char* group : kGroups) add_stats(std::string(group) + " client", Get(latency, group));
  add_stats("cold Init Duration", init);
  cold_warm.y = {"ms", ScaleFor(Column(cold_warm.series, 1, "y"))};
  s.charts.push_back(std::move(cold_warm));

  s.charts.push_back(HistogramChart(s.id + "-histogram", function, latency));

  Chart cdf(s.id + "-cdf", "line", function + ": client latency CDF");
  cdf.stepped = true;
  cdf.y = {"fraction of invocations", "linear"};
  for (const char* group : kGroups) {
    const json& summary = Get(latency, group);
    if (CountOf(summary) == 0) continue;
    Series series(WithCount(group, summary));
    for (const json& point : Array(Get(summary, "cdf"))) {
      std::optional<double> value = Number(Get(point, "value"));
      std::optional<double> fraction = Number(Get(point, "fraction"));
      if (value && fraction) series.points.push_back({*value, *fraction});
    }
    cdf.series.push_back(std::move(series));
  }
  cdf.x = {"client latency (ms)", ScaleFor(Column(cdf.series, 0))};
  s.charts.push_back(std::move(cdf));

  Table table(function + ": latency (ms)",
              {"", "n", "min", "mean", "p50", "p90", "p99", "p99.9", "max"});
  auto add_row = [&](const std::string& name, const json& summary) {
    if (CountOf(summary) == 0 && name.find("unclassified") != std::string::npos) return;
    std::vector<std::string> row = {name, std::to_string(CountOf(summary))};
    for (const char* stat : {"min", "mean", "p50", "p90", "p99", "p99.9", "max"}) {
      row.push_back(Fmt(Stat(summary, stat)));
    }
    table.rows.push_back(std::move(row));
  };
  for (const char* group : kGroups) add_row(std::string("client ") + group, Get(latency, group));
  for (const char* group : kGroups)
    add_row(std::string("REPORT Duration ") + group, Get(duration, group));
  add_row("Init Duration", init);
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Tune --------------------------------------------------------------------------------------

std::string Recommendation(const json& recommendations, const char* which) {
  const json& r = Get(recommendations, which);
  if (!r.is_object()) return std::string(which) + ": none";
  return std::string(which) + ": " + FmtInt(Number(Get(r, "memory_mb"))) + " MB (" +
         Fmt(Number(Get(r, "duration_ms"))) + " ms, $" + Fmt(Number(Get(r, "cost_per_million"))) +
         " per 1M)";
}

Section TuneSection(const ReportInput& input) {
  const json& t = input.json;
  std::string function = Text(Get(t, "function"));
  Section s;
  s.id = "tune";
  s.title = "Power tuning: " + function;
  const json& recommendations = Get(t, "recommendations");
  s.note = "thaw tune (" + input.source + "): " + FmtInt(Number(Get(t, "count"))) +
           " invocations per size, " + Text(Get(t, "architecture")) + ". Best " +
           Recommendation(recommendations, "cost") + "; " +
           Recommendation(recommendations, "speed") + "; " +
           Recommendation(recommendations, "balanced") + ".";

  Chart curve("tune-curve", "line", function + ": duration and cost vs memory");
  curve.x = {"memory (MB)", "linear"};
  curve.y2 = Axis{"$ per 1M invocations", "linear"};
  Series trimmed("duration, trimmed mean (ms)");
  Series p99("duration p99 (ms)");
  Series init("cold start Init Duration (ms)");
  Series cost("$ per 1M invocations", "y2");
  Table table(function + ": per memory size",
              {"memory MB", "vCPU", "warm", "p50 ms", "p90 ms", "p99 ms", "trimmed mean ms",
               "$ per 1M", "cold init ms", "max used MB", "errors"});
  for (const json& size : Array(Get(t, "sizes"))) {
    std::optional<double> memory = Number(Get(size, "memory_mb"));
    if (!memory) continue;
    const json& d = Get(size, "duration_ms");
    auto add = [&](Series& series, std::optional<double> v) {
      if (v) series.points.push_back({*memory, *v});
    };
    add(trimmed, Number(Get(d, "trimmed_mean")));
    add(p99, Number(Get(d, "p99")));
    add(init, Number(Get(Get(size, "cold_start"), "init_duration_ms")));
    add(cost, Number(Get(Get(size, "cost"), "per_million")));
    table.rows.push_back(
        {FmtInt(memory), Fmt(Number(Get(size, "vcpu"))), FmtInt(Number(Get(size, "warm"))),
         Fmt(Number(Get(d, "p50"))), Fmt(Number(Get(d, "p90"))), Fmt(Number(Get(d, "p99"))),
         Fmt(Number(Get(d, "trimmed_mean"))), Fmt(Number(Get(Get(size, "cost"), "per_million"))),
         Fmt(Number(Get(Get(size, "cold_start"), "init_duration_ms"))),
         FmtInt(Number(Get(size, "max_memory_used_mb"))), FmtInt(Number(Get(size, "errors")))});
  }
  curve.series = {std::move(trimmed), std::move(p99), std::move(init), std::move(cost)};
  curve.y = {"duration (ms)", ScaleFor(Column(curve.series, 1, "y"))};
  s.charts.push_back(std::move(curve));
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Compare -----------------------------------------------------------------------------------

Section CompareSection(const ReportInput& input) {
  const json& c = input.json;
  const json& config = Get(c, "config");
  Section s;
  s.id = "compare";
  s.title = "Mechanisms";
  s.note = "thaw compare (" + input.source + "): " + FmtInt(Number(Get(config, "cold"))) +
           " cold starts and " + FmtInt(Number(Get(config, "count"))) +
           " warm invocations per mechanism, throughput at concurrency " +
           FmtInt(Number(Get(config, "concurrency"))) + ", " +
           FmtInt(Number(Get(config, "memory_mb"))) + " MB." +
           (Get(c, "interrupted").is_boolean() && Get(c, "interrupted").get<bool>()
                ? " Interrupted: some mechanisms did not run."
                : "");

  Chart latency("compare-latency", "bar", "Cold vs warm per mechanism");
  latency.x = {"mechanism", "category"};
  Chart throughput("compare-throughput", "bar", "Throughput per mechanism");
  throughput.x = {"mechanism", "category"};
  Series init("cold Init Duration");
  Series cold_client("cold client");
  Series warm_p50("warm client p50");
  Series warm_p99("warm client p99");
  Series per_s("invocations/s");
  Table table("Mechanisms", {"mechanism", "cold n", "init ms", "cold client ms", "warm p50 ms",
                             "warm p99 ms", "x p50", "Duration p50 ms", "Duration p99 ms", "inv/s",
                             "max MiB", "+MiB", "CPU ms/inv", "errors"});
  for (const json& m : Array(Get(c, "mechanisms"))) {
    std::string name = Text(Get(m, "mechanism"));
    latency.categories.push_back(name);
    throughput.categories.push_back(name);
    const json& cold = Get(m, "cold");
    const json& warm = Get(m, "warm");
    auto add = [&](Series& series, std::optional<double> v) {
      if (v) series.points.push_back({name, *v});
    };
    add(init, Number(Get(cold, "init_ms")));
    add(cold_client, Number(Get(cold, "client_ms")));
    add(warm_p50, Number(Get(warm, "client_p50_ms")));
    add(warm_p99, Number(Get(warm, "client_p99_ms")));
    add(per_s, Number(Get(Get(m, "throughput"), "per_s")));
    auto mib = [](std::optional<double> kib) {
      return kib ? std::optional<double>(*kib / 1024) : std::nullopt;
    };
    const json& memory = Get(m, "memory");
    table.rows.push_back(
        {name, FmtInt(Number(Get(cold, "count"))), Fmt(Number(Get(cold, "init_ms"))),
         Fmt(Number(Get(cold, "client_ms"))), Fmt(Number(Get(warm, "client_p50_ms"))),
         Fmt(Number(Get(warm, "client_p99_ms"))), Fmt(Number(Get(Get(m, "ratios"), "warm_p50"))),
         Fmt(Number(Get(warm, "duration_p50_ms"))), Fmt(Number(Get(warm, "duration_p99_ms"))),
         FmtInt(Number(Get(Get(m, "throughput"), "per_s"))),
         Fmt(mib(Number(Get(memory, "max_kib")))), Fmt(mib(Number(Get(memory, "overhead_kib")))),
         Fmt(Number(Get(Get(m, "cpu"), "ms_per_invocation"))),
         FmtInt(Number(Get(Get(m, "errors"), "count")))});
  }
  latency.series = {std::move(init), std::move(cold_client), std::move(warm_p50),
                    std::move(warm_p99)};
  latency.y = {"ms", ScaleFor(Column(latency.series, 1, "y"))};
  throughput.series = {std::move(per_s)};
  throughput.y = {"invocations/s", ScaleFor(Column(throughput.series, 1, "y"))};
  s.charts.push_back(std::move(latency));
  s.charts.push_back(std::move(throughput));
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Latency experiment ------------------------------------------------------------------------

std::string Pct(std::optional<double> fraction) {
  return fraction ? Fmt(*fraction * 100) + "%" : std::string(kDash);
}

std::string WayName(const json& run) {
  return Text(Get(run, "via")) == "invoke" ? "A \u2192 B (invoke)" : "A \u2192 host (http)";
}

// Raw T2 - T1 and corrected, on the analysis's shared grid of equal buckets (bucket centres).
Chart DistributionChart(const std::string& id, const json& run) {
  const json& analysis = Get(run, "analysis");
  const json& h = Get(analysis, "histogram");
  Chart chart(id, "line", WayName(run) + ": T2 \u2212 T1, raw and corrected");
  chart.x = {"T2 \u2212 T1 (ms)", "linear"};
  chart.y = {"calls", "linear"};
  std::optional<double> low = Number(Get(h, "low"));
  std::optional<double> width = Number(Get(h, "width"));
  for (const char* which : {"raw", "corrected"}) {
    Series series(std::string(which) + " (" +
                  Pct(Number(Get(Get(analysis, which), "negative_fraction"))) + " negative)");
    size_t k = 0;
    for (const json& count : Array(Get(h, which))) {
      if (low && width && count.is_number()) {
        series.points.push_back({*low + (static_cast<double>(k) + 0.5) * *width, count});
      }
      ++k;
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

Chart CdfChart(const std::string& id, const json& run) {
  const json& analysis = Get(run, "analysis");
  Chart chart(id, "line", WayName(run) + ": CDF of T2 \u2212 T1");
  chart.stepped = true;
  chart.x = {"T2 \u2212 T1 (ms)", "linear"};
  chart.y = {"fraction of calls", "linear"};
  for (const char* which : {"raw", "corrected"}) {
    Series series(which);
    for (const json& point : Array(Get(Get(analysis, which), "cdf"))) {
      if (point.is_array() && point.size() == 2 && point[0].is_number() && point[1].is_number()) {
        series.points.push_back({point[0], point[1]});
      }
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

// The minimum-delay offset of each window, its bound, and the injected offset, over the run.
Chart DriftChart(const std::string& id, const json& run, std::optional<double> epoch_ns) {
  const json& drift = Get(Get(run, "analysis"), "drift");
  const json& injected = Get(run, "injected");
  Chart chart(id, "line", WayName(run) + ": offset estimate over time");
  chart.x = {"seconds since the first call", "linear"};
  chart.y = {"callee clock \u2212 caller clock (ms)", "linear"};
  Series estimate("min-delay offset per window");
  Series low("estimate \u2212 bound");
  Series high("estimate + bound");
  Series truth("injected");
  std::optional<double> ref = Number(Get(drift, "ref_ns"));
  std::optional<double> at_epoch = Number(Get(injected, "offset_ms_at_epoch"));
  std::optional<double> ppm = Number(Get(injected, "drift_ppm"));
  for (const json& w : Array(Get(drift, "windows"))) {
    std::optional<double> at = Number(Get(w, "at_ns"));
    std::optional<double> offset = Number(Get(w, "offset_ms"));
    std::optional<double> bound = Number(Get(w, "bound_ms"));
    if (!at || !offset || !bound || !ref) continue;
    double t = (*at - *ref) / 1e9;
    estimate.points.push_back({t, *offset});
    low.points.push_back({t, *offset - *bound});
    high.points.push_back({t, *offset + *bound});
    if (epoch_ns && at_epoch && ppm) {
      truth.points.push_back({t, *at_epoch + *ppm * (*at - *epoch_ns) / 1e12});
    }
  }
  chart.series = {std::move(estimate), std::move(low), std::move(high), std::move(truth)};
  return chart;
}

Section LatencySection(const ReportInput& input) {
  const json& l = input.json;
  Section s;
  s.id = "latency";
  s.title = "Latency experiment";
  s.note = "thaw latency (" + input.source + "), " + FmtInt(Number(Get(l, "calls"))) +
           " calls per way, " + Text(Get(l, "generated_at")) + ". " +
           (Get(l, "simulation").is_boolean() && Get(l, "simulation").get<bool>()
                ? Text(Get(l, "note"))
                : "Not marked as a simulation.") +
           " The seed's figures are its 2018 measurements on AWS.";
  Chart negative("latency-negative", "bar", "Negative T2 \u2212 T1: the seed's, raw, corrected");
  negative.x = {"", "category"};
  negative.y = {"% of calls", "linear"};
  Series seed("seed 2018 (AWS)");
  Series raw("raw (simulated skew)");
  Series corrected("corrected by the estimate");
  Chart offsets("latency-offsets", "bar", "Clock offset: injected vs estimated (\u00b1 bound)");
  offsets.x = {"", "category"};
  offsets.y = {"ms", "linear"};
  Series injected("injected");
  Series estimate("estimate");
  Series low("estimate \u2212 bound");
  Series high("estimate + bound");
  Table table("Clock offsets and negative fractions",
              {"way", "calls", "raw negative", "seed negative", "corrected negative",
               "estimate (ms)", "bound (ms)", "injected (ms)", "within bound", "drift fit (ppm)",
               "injected drift (ppm)", "HLC order violations"});
  std::optional<double> epoch_ns = Number(Get(l, "epoch_ns"));
  size_t index = 0;
  for (const json& run : Array(Get(l, "runs"))) {
    const json& analysis = Get(run, "analysis");
    if (!analysis.is_object()) continue;
    std::string way = WayName(run);
    std::string id = "latency-" + Text(Get(run, "via"));
    if (id == "latency-") id += std::to_string(index);
    ++index;
    negative.categories.push_back(way);
    offsets.categories.push_back(way);
    auto add = [&way](Series& series, std::optional<double> value, double scale = 1) {
      if (value) series.points.push_back({way, *value * scale});
    };
    std::optional<double> seed_fraction = Number(Get(Get(run, "seed"), "negative_fraction"));
    std::optional<double> raw_fraction = Number(Get(Get(analysis, "raw"), "negative_fraction"));
    std::optional<double> corrected_fraction =
        Number(Get(Get(analysis, "corrected"), "negative_fraction"));
    add(seed, seed_fraction, 100);
    add(raw, raw_fraction, 100);
    add(corrected, corrected_fraction, 100);
    const json& e = Get(analysis, "estimate");
    std::optional<double> offset = Number(Get(e, "offset_ms"));
    std::optional<double> bound = Number(Get(e, "bound_ms"));
    std::optional<double> truth = Number(Get(Get(run, "injected"), "offset_ms_at_estimate"));
    add(injected, truth);
    add(estimate, offset);
    if (offset && bound) {
      add(low, *offset - *bound);
      add(high, *offset + *bound);
    }
    const json& within = Get(run, "within_bound");
    const json& drift = Get(analysis, "drift");
    bool fitted = Get(drift, "fitted").is_boolean() && Get(drift, "fitted").get<bool>();
    table.rows.push_back({way, FmtInt(Number(Get(run, "calls"))), Pct(raw_fraction),
                          Pct(seed_fraction), Pct(corrected_fraction), Fmt(offset), Fmt(bound),
                          Fmt(truth),
                          within.is_boolean() ? (within.get<bool>() ? "yes" : "NO") : kDash,
                          fitted ? Fmt(Number(Get(drift, "ppm"))) : kDash,
                          Fmt(Number(Get(Get(run, "injected"), "drift_ppm"))),
                          FmtInt(Number(Get(Get(run, "hlc"), "violations"))) + " of " +
                              FmtInt(Number(Get(Get(run, "hlc"), "checked")))});
    s.charts.push_back(DistributionChart(id + "-distribution", run));
    s.charts.push_back(CdfChart(id + "-cdf", run));
    if (fitted) s.charts.push_back(DriftChart(id + "-drift", run, epoch_ns));
  }
  negative.series = {std::move(seed), std::move(raw), std::move(corrected)};
  offsets.series = {std::move(injected), std::move(estimate), std::move(low), std::move(high)};
  s.charts.insert(s.charts.begin(), std::move(offsets));
  s.charts.insert(s.charts.begin(), std::move(negative));
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Stream processing -------------------------------------------------------------------------

// The invocation list of `thaw invocations --json` (an array) or of GET /thaw/invocations.
const json& InvocationList(const json& input) {
  return input.is_array() ? input : Get(input, "invocations");
}

// Nearest rank of sorted `values`; nullopt when empty.
std::optional<double> Rank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nullopt;
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, i == 0 ? 0 : i - 1)];
}

constexpr size_t kMaxCdfPoints = 500;

Section StreamSection(const ReportInput& input) {
  struct Batch {
    double invoked_ms;
    std::string shard;  // "STREAM shardId" when there are several streams
    double size, attempt, age_ms, put_ms;
    bool bisected, failed;
  };
  std::vector<Batch> batches;
  std::vector<std::string> arns;
  for (const json& r : Array(InvocationList(input.json))) {
    const json& src = Get(r, "eventSource");
    std::string shard = Text(Get(src, "shardId"));
    std::optional<double> invoked = Number(Get(src, "invokedTime"));
    if (shard.empty() || !invoked) continue;  // not from a stream mapping
    std::string arn = Text(Get(src, "eventSourceArn"));
    if (std::find(arns.begin(), arns.end(), arn) == arns.end()) arns.push_back(arn);
    const json& bisected = Get(src, "bisected");
    batches.push_back(
        {*invoked, arn + " " + shard, Number(Get(src, "batchSize")).value_or(0),
         Number(Get(src, "attempt")).value_or(1), Number(Get(src, "iteratorAgeMs")).value_or(-1),
         Number(Get(src, "putToHandlerMs")).value_or(-1),
         bisected.is_boolean() && bisected.get<bool>(), Text(Get(r, "status")) != "success"});
  }
  Section s;
  s.id = "stream";
  s.title = "Stream processing";
  if (batches.empty()) {
    s.run = false;
    s.note = "Not run: " + input.source + " has no invocation of a stream mapping.";
    return s;
  }
  std::sort(batches.begin(), batches.end(),
            [](const Batch& a, const Batch& b) { return a.invoked_ms < b.invoked_ms; });
  // A shard is named by its id alone unless several streams are shown.
  for (Batch& b : batches) {
    if (arns.size() == 1) {
      b.shard = b.shard.substr(b.shard.rfind(' ') + 1);
    } else {
      b.shard = b.shard.substr(b.shard.rfind('/') + 1);  // "NAME shardId-..."
    }
  }
  const double start = batches.front().invoked_ms;
  std::vector<std::string> shards;
  for (const Batch& b : batches) {
    if (std::find(shards.begin(), shards.end(), b.shard) == shards.end()) {
      shards.push_back(b.shard);
    }
  }
  std::sort(shards.begin(), shards.end());

  Chart age("stream-iterator-age", "line", "Iterator age per shard over time");
  age.x = {"seconds since the first batch", "linear"};
  Chart sizes("stream-batch-size", "bar", "Batch sizes");
  sizes.x = {"records in the batch", "category"};
  sizes.y = {"invocations", "linear"};
  Chart attempts("stream-attempts", "bar", "Invocations by attempt (retries)");
  attempts.x = {"attempt", "category"};
  attempts.y = {"invocations", "linear"};
  Chart put("stream-put-to-handler", "line", "Put \u2192 handler latency (CDF)");
  put.y = {"fraction of batches", "linear"};
  put.stepped = true;
  Table table("Per shard", {"shard", "invocations", "records", "retries", "bisected halves",
                            "failed", "iterator age p50 (ms)", "iterator age max (ms)",
                            "put \u2192 handler p50 (ms)", "p99 (ms)", "max (ms)"});

  std::vector<double> all_put;
  std::vector<double> all_ages;
  std::map<double, std::pair<double, double>> by_attempt;  // attempt -> whole, bisected
  std::map<double, double> by_size;
  double records = 0;
  for (const std::string& shard : shards) {
    Series ages(shard);
    std::vector<double> shard_ages, shard_put;
    double n = 0, recs = 0, retries = 0, halves = 0, failed = 0;
    for (const Batch& b : batches) {
      if (b.shard != shard) continue;
      ++n;
      if (b.attempt <= 1 && !b.bisected) recs += b.size;
      retries += b.attempt > 1 ? 1 : 0;
      halves += b.bisected ? 1 : 0;
      failed += b.failed ? 1 : 0;
      if (b.age_ms >= 0) {
        ages.points.push_back({(b.invoked_ms - start) / 1000, b.age_ms});
        shard_ages.push_back(b.age_ms);
      }
      if (b.put_ms >= 0) shard_put.push_back(b.put_ms);
      auto& [whole, half] = by_attempt[b.attempt];
      (b.bisected ? half : whole) += 1;
      by_size[b.size] += 1;
    }
    records += recs;
    std::sort(shard_ages.begin(), shard_ages.end());
    std::sort(shard_put.begin(), shard_put.end());
    all_ages.insert(all_ages.end(), shard_ages.begin(), shard_ages.end());
    all_put.insert(all_put.end(), shard_put.begin(), shard_put.end());
    table.rows.push_back({shard, FmtInt(n), FmtInt(recs), FmtInt(retries), FmtInt(halves),
                          FmtInt(failed), Fmt(Rank(shard_ages, 0.5)), Fmt(Rank(shard_ages, 1)),
                          Fmt(Rank(shard_put, 0.5)), Fmt(Rank(shard_put, 0.99)),
                          Fmt(Rank(shard_put, 1))});
    age.series.push_back(std::move(ages));
  }
  age.y = {"iterator age (ms)", ScaleFor(all_ages)};

  Series size_series("invocations");
  for (const auto& [size, count] : by_size) {
    sizes.categories.push_back(FmtInt(size));
    size_series.points.push_back({FmtInt(size), count});
  }
  sizes.series.push_back(std::move(size_series));

  Series whole("whole batches");
  Series halves("bisected halves");
  for (const auto& [attempt, counts] : by_attempt) {
    std::string name = FmtInt(attempt);
    attempts.categories.push_back(name);
    whole.points.push_back({name, counts.first});
    halves.points.push_back({name, counts.second});
  }
  attempts.series = {std::move(whole), std::move(halves)};

  std::sort(all_put.begin(), all_put.end());
  put.x = {"put \u2192 handler (ms)", ScaleFor(all_put)};
  Series cdf("batches (n=" + std::to_string(all_put.size()) + ")");
  // At most kMaxCdfPoints steps: a long run is drawn from evenly spaced ranks.
  size_t step = std::max<size_t>(1, (all_put.size() + kMaxCdfPoints - 1) / kMaxCdfPoints);
  for (size_t i = 0; i < all_put.size(); i += step) {
    cdf.points.push_back(
        {all_put[i], static_cast<double>(i + 1) / static_cast<double>(all_put.size())});
  }
  if (!all_put.empty() && (all_put.size() - 1) % step != 0) {
    cdf.points.push_back({all_put.back(), 1.0});
  }
  put.series.push_back(std::move(cdf));

  std::string streams;
  for (const std::string& arn : arns) {
    streams += (streams.empty() ? "" : ", ") + arn.substr(arn.rfind(':') + 1);
  }
  s.note =
      "Invocation records (" + input.source + "): " + std::to_string(batches.size()) +
      " batches of " + FmtInt(records) + " records from " + streams + ", " +
      std::to_string(shards.size()) + " shard(s), over " +
      Fmt((batches.back().invoked_ms - start) / 1000) +
      " s. Iterator age: the batch's last record's age when the poller invoked (Lambda's "
      "IteratorAge). Put \u2192 handler: its first record's ApproximateArrivalTimestamp "
      "until the event went to the runtime. Records: the sizes of whole batches' first attempts.";
  s.charts = {std::move(age), std::move(sizes), std::move(attempts), std::move(put)};
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Stress ------------------------------------------------------------------------------------

Section StressSection(const ReportInput& input) {
  const json& st = input.json;
  Section s;
  s.id = "stress";
  s.title = "Stress suite";
  // --via event|sqs (absent in older files, "invoke" for direct invokes).
  std::string via = Text(Get(st, "via"));
  via = via.empty() || via == "invoke" ? "" : " --via " + via;
  s.note = "thaw stress" + via + " (" + input.source + "): " + FmtInt(Number(Get(st, "passed"))) +
           " passed, " + FmtInt(Number(Get(st, "failed"))) +
           " failed. Expected is what AWS Lambda does; a behaviour passes when thaw does the "
           "same and the function recovers.";
  Table table("Verdicts", {"behaviour", "expected (Lambda)", "observed", "recovered", "verdict",
                           "seconds", "details"});
  table.verdict_column = 4;
  table.numeric = false;
  for (const json& r : Array(Get(st, "results"))) {
    std::string details;
    for (const json& d : Array(Get(r, "details"))) {
      details += (details.empty() ? "" : "; ") + Text(d);
    }
    const json& recovered = Get(r, "recovered");
    table.rows.push_back({Text(Get(r, "behaviour")), Text(Get(r, "expected")),
                          Text(Get(r, "observed")),
                          recovered.is_boolean() ? (recovered.get<bool>() ? "yes" : "no") : kDash,
                          Text(Get(r, "verdict")), Fmt(Number(Get(r, "seconds"))), details});
  }
  s.tables.push_back(std::move(table));
  return s;
}

// ---- Checking inputs ---------------------------------------------------------------------------

Status Expect(const ReportInput& input, const char* key, bool want_array, const char* command) {
  const json& value = Get(input.json, key);
  if (want_array ? value.is_array() : value.is_object()) return Status::Ok();
  return Status::InvalidArgument(input.source + ": not the JSON of `" + command + "` (no \"" + key +
                                 "\" " + (want_array ? "array" : "object") + ")");
}

json SourceJson(const std::optional<ReportInput>& input) {
  return input ? json(input->source) : json(nullptr);
}

// ---- HTML --------------------------------------------------------------------------------------

void RenderTable(const json& table, std::string& out) {
  std::optional<double> verdict = Number(Get(table, "verdict_column"));
  bool numeric = Get(table, "numeric").is_boolean() && Get(table, "numeric").get<bool>();
  out += numeric ? "<table class=\"numeric\">" : "<table>";
  out += "<caption>" + XmlEscape(Text(Get(table, "title"))) + "</caption><thead><tr>";
  for (const json& column : Array(Get(table, "columns"))) {
    out += "<th>" + XmlEscape(Text(column)) + "</th>";
  }
  out += "</tr></thead><tbody>";
  for (const json& row : Array(Get(table, "rows"))) {
    out += "<tr>";
    size_t i = 0;
    for (const json& cell : Array(row)) {
      std::string text = Text(cell);
      if (verdict && static_cast<size_t>(*verdict) == i) {
        out += text == "pass" ? "<td class=\"pass\">" : "<td class=\"fail\">";
      } else {
        out += "<td>";
      }
      out += XmlEscape(text) + "</td>";
      ++i;
    }
    out += "</tr>";
  }
  out += "</tbody></table>\n";
}

}  // namespace

StatusOr<json> BuildReport(const ReportInputs& inputs) {
  if (inputs.bench.empty() && !inputs.tune && !inputs.stress && !inputs.compare &&
      !inputs.latency && !inputs.stream) {
    return Status::InvalidArgument(
        "no input: give at least one of bench, tune, stress, compare, "
        "latency or stream");
  }
  for (const ReportInput& b : inputs.bench) {
    THAW_RETURN_IF_ERROR(Expect(b, "client_latency", false, "thaw bench --json"));
  }
  if (inputs.tune) THAW_RETURN_IF_ERROR(Expect(*inputs.tune, "sizes", true, "thaw tune --json"));
  if (inputs.stress) {
    THAW_RETURN_IF_ERROR(Expect(*inputs.stress, "results", true, "thaw stress --json"));
  }
  if (inputs.compare) {
    THAW_RETURN_IF_ERROR(Expect(*inputs.compare, "mechanisms", true, "thaw compare --json"));
  }
  if (inputs.latency) {
    THAW_RETURN_IF_ERROR(Expect(*inputs.latency, "runs", true, "thaw latency --json"));
  }
  if (inputs.stream && !InvocationList(inputs.stream->json).is_array()) {
    return Status::InvalidArgument(inputs.stream->source +
                                   ": not the JSON of `thaw invocations --json` (no invocation "
                                   "list)");
  }

  std::vector<Section> sections;
  for (size_t i = 0; i < inputs.bench.size(); ++i) {
    sections.push_back(BenchSection(i, inputs.bench[i]));
  }
  if (inputs.bench.empty()) {
    sections.push_back(
        NotRun("bench", "Functions", "no --bench input (thaw bench NAME --json FILE)."));
  }
  sections.push_back(inputs.tune ? TuneSection(*inputs.tune)
                                 : NotRun("tune", "Power tuning",
                                          "no --tune input (thaw tune NAME --json FILE)."));
  sections.push_back(inputs.compare ? CompareSection(*inputs.compare)
                                    : NotRun("compare", "Mechanisms",
                                             "no --compare input (thaw compare --json FILE)."));
  sections.push_back(inputs.latency ? LatencySection(*inputs.latency)
                                    : NotRun("latency", "Latency experiment",
                                             "no --latency input (thaw latency --json FILE)."));
  sections.push_back(
      inputs.stream ? StreamSection(*inputs.stream)
                    : NotRun("stream", "Stream processing",
                             "no --stream input (thaw invocations --json -n 10000 > FILE after a "
                             "run with a Kinesis or DynamoDB Streams mapping)."));
  sections.push_back(inputs.stress ? StressSection(*inputs.stress)
                                   : NotRun("stress", "Stress suite",
                                            "no --stress input (thaw stress --json FILE)."));

  json bench_sources = json::array();
  for (const ReportInput& b : inputs.bench) bench_sources.push_back(b.source);
  json out;
  out["report"] = "thaw";
  out["version"] = 1;
  out["generated_at"] = inputs.generated_at;
  out["sources"] = {
      {"bench", std::move(bench_sources)},     {"tune", SourceJson(inputs.tune)},
      {"stress", SourceJson(inputs.stress)},   {"compare", SourceJson(inputs.compare)},
      {"latency", SourceJson(inputs.latency)}, {"stream", SourceJson(inputs.stream)}};
  out["sections"] = json::array();
  for (const Section& s : sections) out["sections"].push_back(SectionJson(s));
  return out;
}

std::string RenderHtml(const json& report, const ReportAssets& assets) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // An empty icon: a browser asks for none.
      "<link rel=\"icon\" href=\"data:,\">\n<title>thaw report</title>\n<style>\n";
  out += InlineCode(assets.report_css, "style");
  out += "</style>\n</head>\n<body>\n<header>\n<h1>thaw report</h1>\n";
  if (std::string at = Text(Get(report, "generated_at")); !at.empty()) {
    out += "<p class=\"meta\">Generated " + XmlEscape(at) + ".</p>\n";
  }
  out += "<nav><ul>\n";
  for (const json& section : Array(Get(report, "sections"))) {
    bool run = Text(Get(section, "status")) == "ok";
    out += "<li><a href=\"#" + XmlEscape(Text(Get(section, "id"))) + "\">" +
           XmlEscape(Text(Get(section, "title"))) + "</a>" +
           (run ? "" : " <span class=\"not-run\">not run</span>") + "</li>\n";
  }
  out += "</ul></nav>\n</header>\n<main>\n";
  for (const json& section : Array(Get(report, "sections"))) {
    bool run = Text(Get(section, "status")) == "ok";
    out += "<section id=\"" + XmlEscape(Text(Get(section, "id"))) + "\"" +
           (run ? "" : " class=\"not-run\"") + ">\n<h2>" + XmlEscape(Text(Get(section, "title"))) +
           "</h2>\n<p class=\"note\">" + XmlEscape(Text(Get(section, "note"))) + "</p>\n";
    const json& charts = Array(Get(section, "charts"));
    if (!charts.empty()) out += "<div class=\"charts\">\n";
    for (const json& chart : charts) {
      std::string title = XmlEscape(Text(Get(chart, "title")));
      out += "<figure class=\"chart\"><div class=\"plot\"><canvas id=\"";
      out += XmlEscape(Text(Get(chart, "id")));
      out += "\" role=\"img\" aria-label=\"" + title + "\"></canvas></div><figcaption>";
      out += title + " \u00b7 " + FmtInt(Number(Get(chart, "points"))) + " points";
      out += "</figcaption></figure>\n";
    }
    if (!charts.empty()) out += "</div>\n";
    for (const json& table : Array(Get(section, "tables"))) RenderTable(table, out);
    out += "</section>\n";
  }
  out +=
      "</main>\n<footer>Charts drawn with Chart.js (MIT License), inlined in this file with the "
      "data: the page reads offline and makes no network request. The data is also in "
      "report.json beside it.</footer>\n<script type=\"application/json\" id=\"thaw-report-data\">";
  out += ScriptJson(report);
  out += "</script>\n<script>\n";
  out += InlineCode(assets.chart_js, "script");
  out += "\n</script>\n<script>\n";
  out += InlineCode(assets.report_js, "script");
  out += "\n</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace thaw::profile
