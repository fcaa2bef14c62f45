#include "profile/clock_sync.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace thaw::profile {

namespace {

using json = nlohmann::json;

double Ms(double ns) { return ns / 1e6; }

OffsetEstimate EstimateFrom(const std::vector<Exchange>& exchanges, size_t index) {
  const Exchange& e = exchanges[index];
  OffsetEstimate out;
  out.index = index;
  out.offset_ms = Ms(ExchangeOffsetNs(e));
  out.delay_ms = Ms(static_cast<double>(ExchangeDelayNs(e)));
  out.bound_ms = out.delay_ms / 2;
  out.at_ns = e.t1 + (e.t4 - e.t1) / 2;
  return out;
}

// The minimum-delay exchange among [begin, end): NTP's clock filter keeps the sample with the
// least delay, whose offset error (half the one-way delay difference) is bounded the tightest.
size_t MinDelayIndex(const std::vector<Exchange>& exchanges, size_t begin, size_t end) {
  size_t best = begin;
  for (size_t i = begin + 1; i < end; ++i) {
    if (ExchangeDelayNs(exchanges[i]) < ExchangeDelayNs(exchanges[best])) best = i;
  }
  return best;
}

DriftFit FitDrift(const std::vector<Exchange>& exchanges, size_t windows) {
  DriftFit fit;
  fit.ref_ns = exchanges.front().t1;
  windows = std::min(windows, exchanges.size() / 4);
  if (windows < 2) return fit;
  for (size_t w = 0; w < windows; ++w) {
    size_t begin = exchanges.size() * w / windows;
    size_t end = exchanges.size() * (w + 1) / windows;
    fit.windows.push_back(EstimateFrom(exchanges, MinDelayIndex(exchanges, begin, end)));
  }
  // Least squares of offset (ms) on time since ref (ms).
  double n = static_cast<double>(fit.windows.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const OffsetEstimate& p : fit.windows) {
    double x = Ms(static_cast<double>(p.at_ns - fit.ref_ns));
    sx += x;
    sy += p.offset_ms;
    sxx += x * x;
    sxy += x * p.offset_ms;
  }
  double denominator = n * sxx - sx * sx;
  if (!(denominator > 0)) {
    fit.windows.clear();
    return fit;
  }
  double slope = (n * sxy - sx * sy) / denominator;  // ms per ms
  fit.fitted = true;
  fit.ppm = slope * 1e6;
  fit.offset_ms_at_ref = (sy - slope * sx) / n;
  for (const OffsetEstimate& p : fit.windows) {
    double residual = p.offset_ms - fit.OffsetMsAt(p.at_ns, 0);
    fit.max_residual_ms = std::max(fit.max_residual_ms, std::fabs(residual));
  }
  return fit;
}

Distribution Describe(std::vector<double> values, size_t max_cdf_points) {
  Distribution d;
  d.count = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) {
    sum += v;
    if (v < 0) ++d.negative;
  }
  d.negative_fraction = static_cast<double>(d.negative) / static_cast<double>(d.count);
  d.min = values.front();
  d.max = values.back();
  d.mean = sum / static_cast<double>(d.count);
  for (double p : kPercentiles) {
    d.percentiles.emplace_back(p, values[NearestRankIndex(values.size(), p)]);
  }
  d.cdf = EmpiricalCdf(values, max_cdf_points);
  return d;
}

double Quantile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[NearestRankIndex(values.size(), p)];
}

PairedHistogram Pair(const std::vector<double>& raw, const std::vector<double>& corrected,
                     size_t buckets) {
  PairedHistogram h;
  double low = std::min(Quantile(raw, kHistogramTail), Quantile(corrected, kHistogramTail));
  double high =
      std::max(Quantile(raw, 1 - kHistogramTail), Quantile(corrected, 1 - kHistogramTail));
  h.low = low;
  h.width = high > low ? (high - low) / static_cast<double>(buckets) : 1e-3;
  h.raw.assign(buckets, 0);
  h.corrected.assign(buckets, 0);
  auto add = [&](const std::vector<double>& values, std::vector<int64_t>& counts,
                 int64_t& outside) {
    for (double v : values) {
      double k = std::floor((v - h.low) / h.width);
      // The top edge belongs to the last bucket.
      if (v == high) k = static_cast<double>(buckets - 1);
      if (k < 0 || k >= static_cast<double>(buckets)) {
        ++outside;
      } else {
        ++counts[static_cast<size_t>(k)];
      }
    }
  };
  add(raw, h.raw, h.raw_outside);
  add(corrected, h.corrected, h.corrected_outside);
  return h;
}

json DistributionJson(const Distribution& d) {
  json percentiles = json::object();
  for (const auto& [p, value] : d.percentiles) percentiles[PercentileLabel(p)] = value;
  json cdf = json::array();
  for (const CdfPoint& point : d.cdf) cdf.push_back({point.value, point.fraction});
  return {{"unit", "ms"},           {"count", d.count},
          {"negative", d.negative}, {"negative_fraction", d.negative_fraction},
          {"min", d.min},           {"mean", d.mean},
          {"max", d.max},           {"percentiles", std::move(percentiles)},
          {"cdf", std::move(cdf)}};
}

json EstimateJson(const OffsetEstimate& e) {
  return {{"index", e.index},
          {"offset_ms", e.offset_ms},
          {"bound_ms", e.bound_ms},
          {"delay_ms", e.delay_ms},
          {"at_ns", e.at_ns}};
}

}  // namespace

double ExchangeOffsetNs(const Exchange& e) {
  return (static_cast<double>(e.t2 - e.t1) + static_cast<double>(e.t3 - e.t4)) / 2;
}

int64_t ExchangeDelayNs(const Exchange& e) { return (e.t4 - e.t1) - (e.t3 - e.t2); }

int64_t SkewConfig::ErrorNs(int64_t true_ns) const {
  return offset_ns + static_cast<int64_t>(
                         std::llround(static_cast<double>(true_ns - epoch_ns) * drift_ppm / 1e6));
}

int64_t RelativeSkewNs(const SkewConfig& caller, const SkewConfig& callee, int64_t true_ns) {
  return callee.ErrorNs(true_ns) - caller.ErrorNs(true_ns);
}

double DriftFit::OffsetMsAt(int64_t ns, double fallback_ms) const {
  if (!fitted) return fallback_ms;
  return offset_ms_at_ref + ppm / 1e6 * Ms(static_cast<double>(ns - ref_ns));
}

std::optional<HlcStamp> ParseHlc(std::string_view text) {
  HlcStamp stamp;
  size_t dot = text.find('.');
  std::string_view l = text.substr(0, dot);
  auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), stamp.l);
  if (ec != std::errc() || end != l.data() + l.size() || l.empty() || stamp.l < 0) {
    return std::nullopt;
  }
  if (dot != std::string_view::npos) {
    std::string_view c = text.substr(dot + 1);
    auto [c_end, c_ec] = std::from_chars(c.data(), c.data() + c.size(), stamp.c);
    if (c_ec != std::errc() || c_end != c.data() + c.size() || c.empty()) return std::nullopt;
  }
  return stamp;
}

StatusOr<ClockSyncAnalysis> AnalyzeClockSync(const std::vector<Exchange>& exchanges,
                                             const ClockSyncOptions& options) {
  if (exchanges.empty()) return Status::InvalidArgument("no exchanges to analyze");
  if (options.windows == 0 || options.histogram_buckets == 0 || options.max_cdf_points < 2) {
    return Status::InvalidArgument(
        "windows and histogram_buckets must be positive, max_cdf_points at least 2");
  }
  ClockSyncAnalysis a;
  a.count = static_cast<int64_t>(exchanges.size());
  a.estimate = EstimateFrom(exchanges, MinDelayIndex(exchanges, 0, exchanges.size()));
  a.drift = FitDrift(exchanges, options.windows);
  std::vector<double> raw;
  std::vector<double> corrected;
  std::vector<double> delay;
  raw.reserve(exchanges.size());
  corrected.reserve(exchanges.size());
  delay.reserve(exchanges.size());
  // The fitted line corrects only when the drift it found moves the offset over the run by more
  // than the estimate's own uncertainty; a short run's fit is mostly noise, and the constant
  // minimum-delay estimate is then the better correction.
  double span_ms = Ms(static_cast<double>(exchanges.back().t1 - exchanges.front().t1));
  a.drift.used = a.drift.fitted && std::fabs(a.drift.ppm) / 1e6 * span_ms > 2 * a.estimate.bound_ms;
  for (const Exchange& e : exchanges) {
    double difference = Ms(static_cast<double>(e.t2 - e.t1));
    raw.push_back(difference);
    corrected.push_back(difference -
                        (a.drift.used ? a.drift.OffsetMsAt(e.t1, 0) : a.estimate.offset_ms));
    delay.push_back(Ms(static_cast<double>(ExchangeDelayNs(e))));
  }
  a.histogram = Pair(raw, corrected, options.histogram_buckets);
  a.raw = Describe(std::move(raw), options.max_cdf_points);
  a.corrected = Describe(std::move(corrected), options.max_cdf_points);
  a.delay = Describe(std::move(delay), options.max_cdf_points);
  return a;
}

HlcCheck CheckHlcOrder(const std::vector<std::array<HlcStamp, 4>>& stamps) {
  HlcCheck check;
  for (const auto& s : stamps) {
    ++check.checked;
    if (!(s[0] < s[1] && s[1] < s[2] && s[2] < s[3])) ++check.violations;
  }
  return check;
}

json ToJson(const ClockSyncAnalysis& a) {
  json windows = json::array();
  for (const OffsetEstimate& w : a.drift.windows) {
    windows.push_back({{"at_ns", w.at_ns}, {"offset_ms", w.offset_ms}, {"bound_ms", w.bound_ms}});
  }
  return {{"count", a.count},
          {"estimate", EstimateJson(a.estimate)},
          {"drift",
           {{"fitted", a.drift.fitted},
            {"used", a.drift.used},
            {"ppm", a.drift.ppm},
            {"ref_ns", a.drift.ref_ns},
            {"offset_ms_at_ref", a.drift.offset_ms_at_ref},
            {"max_residual_ms", a.drift.max_residual_ms},
            {"windows", std::move(windows)}}},
          {"raw", DistributionJson(a.raw)},
          {"corrected", DistributionJson(a.corrected)},
          {"delay", DistributionJson(a.delay)},
          {"histogram",
           {{"low", a.histogram.low},
            {"width", a.histogram.width},
            {"raw", a.histogram.raw},
            {"corrected", a.histogram.corrected},
            {"raw_outside", a.histogram.raw_outside},
            {"corrected_outside", a.histogram.corrected_outside}}}};
}

}  // namespace thaw::profile
