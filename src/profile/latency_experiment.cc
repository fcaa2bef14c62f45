#include "profile/latency_experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "profile/table.h"

namespace thaw::profile {

namespace {

using json = nlohmann::json;

// The estimate may be off by the drift over one exchange and by rounding to whole ns.
constexpr double kBoundSlackMs = 1e-3;

std::optional<int64_t> Int(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

json SkewJson(const SkewConfig& s) {
  return {{"offset_ms", static_cast<double>(s.offset_ns) / 1e6}, {"drift_ppm", s.drift_ppm}};
}

std::string Fixed(double value, int digits, bool sign = false) {
  char text[64];
  std::snprintf(text, sizeof(text), sign ? "%+.*f" : "%.*f", digits, value);
  return text;
}

std::string Percent(const json& fraction) {
  return fraction.is_number() ? Fixed(fraction.get<double>() * 100, 2) + "%" : "-";
}

double Num(const json& object, const char* key) {
  auto it = object.is_object() ? object.find(key) : object.end();
  return it != object.end() && it->is_number() ? it->get<double>() : 0;
}

std::string Percentiles(const json& distribution) {
  const json& p = distribution["percentiles"];
  return Fixed(Num(p, "p1"), 3) + " / " + Fixed(Num(p, "p50"), 3) + " / " + Fixed(Num(p, "p99"), 3);
}

std::string Label(const std::string& via) {
  if (via == "api") return "Lambda -> API route -> Lambda (HTTP, as the seed called B)";
  return via == "invoke" ? "Lambda -> Lambda (Invoke API)" : "Lambda -> test host (HTTP)";
}

}  // namespace

StatusOr<LatencyAnswer> ParseLatencyAnswer(const json& body) {
  if (!body.is_object()) return Status::InvalidArgument("the answer is not a JSON object");
  LatencyAnswer a;
  std::optional<int64_t> t[4] = {Int(body, "t1"), Int(body, "t2"), Int(body, "t3"),
                                 Int(body, "t4")};
  static constexpr const char* kKeys[] = {"t1", "t2", "t3", "t4"};
  for (size_t i = 0; i < 4; ++i) {
    if (!t[i]) return Status::InvalidArgument(std::string("the answer has no integer ") + kKeys[i]);
  }
  a.exchange = {*t[0], *t[1], *t[2], *t[3]};
  auto hlc = body.find("hlc");
  if (hlc == body.end() || !hlc->is_object()) {
    return Status::InvalidArgument("the answer has no hlc object");
  }
  for (size_t i = 0; i < 4; ++i) {
    auto it = hlc->find(kKeys[i]);
    std::optional<HlcStamp> stamp;
    if (it != hlc->end() && it->is_string()) stamp = ParseHlc(it->get<std::string>());
    if (!stamp)
      return Status::InvalidArgument(std::string("the answer's hlc.") + kKeys[i] +
                                     " is not \"<l>.<c>\"");
    a.hlc[i] = *stamp;
  }
  auto from = body.find("answer_hlc");
  a.answer_hlc_from_header = from != body.end() && *from == "header";
  auto received = body.find("callee_received_hlc");
  a.callee_received_hlc = received != body.end() && *received == true;
  return a;
}

json LatencyJson(const LatencyConfig& config, const std::vector<LatencyRun>& runs) {
  json out_runs = json::array();
  for (const LatencyRun& run : runs) {
    json r;
    r["via"] = run.via;
    r["label"] = Label(run.via);
    r["caller"] = "latency-a";
    r["callee"] = run.callee;
    r["calls"] = run.answers.size();
    r["failed"] = run.failed;
    r["first_error"] = run.first_error;
    r["elapsed_s"] = run.elapsed_s;
    bool invoke = run.via == "invoke";
    r["seed"] = {
        {"negative_fraction", invoke ? kSeedLambdaToLambdaNegative : kSeedLambdaToEc2Negative},
        {"label", invoke ? "seed 2018: two Python Lambda functions, 669 of 10,008"
                         : "seed 2018: Go Lambda function -> EC2 host, 4,656 of 10,038"}};
    json injected = {
        {"offset_ms_at_epoch",
         static_cast<double>(run.callee_skew.offset_ns - run.caller_skew.offset_ns) / 1e6},
        {"drift_ppm", run.callee_skew.drift_ppm - run.caller_skew.drift_ppm},
        {"offset_ms_at_estimate", nullptr}};
    std::vector<Exchange> exchanges;
    std::vector<std::array<HlcStamp, 4>> stamps;
    int64_t from_header = 0;
    int64_t callee_received = 0;
    json raw = json::array();
    for (const LatencyAnswer& a : run.answers) {
      exchanges.push_back(a.exchange);
      stamps.push_back(a.hlc);
      from_header += a.answer_hlc_from_header ? 1 : 0;
      callee_received += a.callee_received_hlc ? 1 : 0;
      raw.push_back({a.exchange.t1, a.exchange.t2, a.exchange.t3, a.exchange.t4});
    }
    HlcCheck check = CheckHlcOrder(stamps);
    r["hlc"] = {{"checked", check.checked},
                {"violations", check.violations},
                {"answer_hlc_from_header", from_header},
                {"callee_received_hlc", callee_received}};
    r["analysis"] = nullptr;
    r["within_bound"] = nullptr;
    if (StatusOr<ClockSyncAnalysis> analysis = AnalyzeClockSync(exchanges); analysis.ok()) {
      const OffsetEstimate& e = analysis->estimate;
      // The estimate's moment in true time: the caller's clock minus its own error.
      int64_t true_ns = e.at_ns - run.caller_skew.ErrorNs(e.at_ns);
      double truth =
          static_cast<double>(RelativeSkewNs(run.caller_skew, run.callee_skew, true_ns)) / 1e6;
      injected["offset_ms_at_estimate"] = truth;
      r["within_bound"] = std::fabs(e.offset_ms - truth) <= e.bound_ms + kBoundSlackMs;
      r["analysis"] = ToJson(*analysis);
    }
    r["injected"] = std::move(injected);
    r["exchanges"] = std::move(raw);
    out_runs.push_back(std::move(r));
  }
  return {{"experiment", "latency"},
          {"version", 1},
          {"simulation", true},
          {"note", kSimulationNote},
          {"generated_at", config.generated_at},
          {"machine", config.machine},
          {"calls", config.calls},
          {"warmup", config.warmup},
          {"memory_mb", config.memory_mb},
          {"epoch_ns", config.epoch_ns},
          {"interrupted", config.interrupted},
          {"skew",
           {{"a", SkewJson(config.a)}, {"b", SkewJson(config.b)}, {"host", SkewJson(config.host)}}},
          {"runs", std::move(out_runs)}};
}

std::string FormatLatencyText(const json& report) {
  std::string out = "thaw latency: " + std::string(kSimulationNote) + "\n";
  const json& skew = report["skew"];
  auto hop = [&](const char* name, const char* key) {
    return std::string(name) + " " + Fixed(Num(skew[key], "offset_ms"), 3, true) + " ms " +
           Fixed(Num(skew[key], "drift_ppm"), 1, true) + " ppm";
  };
  out += "injected skew (offset at start, drift): " + hop("A", "a") + "; " + hop("B", "b") +
         "; host " + hop("", "host").substr(1) + "\n\n";
  std::vector<std::vector<std::string>> rows = {{""}};
  for (const json& run : report["runs"]) {
    rows[0].push_back(run["via"] == "invoke" ? "A -> B (invoke)"
                      : run["via"] == "api"  ? "A -> route -> B (api)"
                                             : "A -> host (http)");
  }
  auto row = [&](std::string name, auto cell) {
    std::vector<std::string> line = {std::move(name)};
    for (const json& run : report["runs"]) {
      line.push_back(run["analysis"].is_object() ? cell(run, run["analysis"]) : "-");
    }
    rows.push_back(std::move(line));
  };
  row("calls (failed)", [](const json& r, const json&) {
    return std::to_string(r["calls"].get<int64_t>()) + " (" +
           std::to_string(r["failed"].get<int64_t>()) + ")";
  });
  row("raw T2-T1 ms p1 / p50 / p99",
      [](const json&, const json& a) { return Percentiles(a["raw"]); });
  row("raw negative",
      [](const json&, const json& a) { return Percent(a["raw"]["negative_fraction"]); });
  row("seed 2018 negative", [](const json& r, const json&) {
    return Percent(r["seed"]["negative_fraction"]) +
           (r["via"] == "invoke" ? " (Python Lambda->Lambda)" : " (Go Lambda->EC2)");
  });
  row("offset estimate ms (+/- bound)", [](const json&, const json& a) {
    return Fixed(Num(a["estimate"], "offset_ms"), 3, true) + " +/- " +
           Fixed(Num(a["estimate"], "bound_ms"), 3);
  });
  row("injected offset ms (then)", [](const json& r, const json&) {
    return Fixed(Num(r["injected"], "offset_ms_at_estimate"), 3, true);
  });
  row("within bound", [](const json& r, const json&) {
    return r["within_bound"] == true ? std::string("yes") : std::string("NO");
  });
  row("drift fit / injected ppm", [](const json& r, const json& a) {
    std::string used = a["drift"]["used"] == true ? "" : " (not used)";
    return (a["drift"]["fitted"] == true ? Fixed(Num(a["drift"], "ppm"), 1, true) + used : "-") +
           " / " + Fixed(Num(r["injected"], "drift_ppm"), 1, true);
  });
  row("corrected ms p1 / p50 / p99",
      [](const json&, const json& a) { return Percentiles(a["corrected"]); });
  row("corrected negative",
      [](const json&, const json& a) { return Percent(a["corrected"]["negative_fraction"]); });
  row("round trip delay ms p50",
      [](const json&, const json& a) { return Fixed(Num(a["delay"]["percentiles"], "p50"), 3); });
  row("HLC order violations", [](const json& r, const json&) {
    return std::to_string(r["hlc"]["violations"].get<int64_t>()) + " of " +
           std::to_string(r["hlc"]["checked"].get<int64_t>());
  });
  out += FormatLeftAligned(rows);
  for (const json& run : report["runs"]) {
    if (!run["first_error"].get<std::string>().empty()) {
      out += "\n" + run["via"].get<std::string>() +
             ": first error: " + run["first_error"].get<std::string>() + "\n";
    }
  }
  return out;
}

}  // namespace thaw::profile
