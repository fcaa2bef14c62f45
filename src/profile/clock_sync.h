// Clock synchronisation analysis for the latency experiment (docs/latency.md): from NTP-style
// four-timestamp exchanges (T1 and T4 on the caller's clock, T2 and T3 on the callee's) it gives
// the raw one-way difference T2 - T1 and its negative fraction, NTP's offset estimate with its
// error bound (the minimum-delay sample, as NTP's clock filter picks), a drift fit over time,
// and the difference corrected by the estimate. It also checks the hybrid logical clock stamps
// for causal order. Pure functions over values: thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "profile/stats.h"

namespace thaw::profile {

// The seed's section 3.3: negative timestamp differences in 10,000-call runs.
inline constexpr double kSeedLambdaToLambdaNegative = 669.0 / 10008;  // two Python functions
inline constexpr double kSeedLambdaToEc2Negative = 4656.0 / 10038;    // Go function -> EC2 host

// One exchange, Unix nanoseconds: t1 caller sends, t2 callee receives, t3 callee answers,
// t4 caller receives the answer. t1, t4 read the caller's clock; t2, t3 the callee's.
struct Exchange {
  int64_t t1 = 0;
  int64_t t2 = 0;
  int64_t t3 = 0;
  int64_t t4 = 0;
};

// NTP's offset of the callee's clock relative to the caller's: ((t2 - t1) + (t3 - t4)) / 2.
double ExchangeOffsetNs(const Exchange& e);
// NTP's round-trip delay without the callee's time: (t4 - t1) - (t3 - t2).
int64_t ExchangeDelayNs(const Exchange& e);

// A clock's configured error: offset at the epoch plus drift since (as skewclock in the Go code).
struct SkewConfig {
  int64_t offset_ns = 0;
  double drift_ppm = 0;
  int64_t epoch_ns = 0;
  int64_t ErrorNs(int64_t true_ns) const;
};
// The callee's clock minus the caller's at true time true_ns: what the estimate should find.
int64_t RelativeSkewNs(const SkewConfig& caller, const SkewConfig& callee, int64_t true_ns);

struct OffsetEstimate {
  size_t index = 0;      // the exchange used
  double offset_ms = 0;  // its NTP offset
  // delay/2: if both one-way delays are >= 0, the true offset is within offset_ms +/- bound_ms
  // (the offset is off by half the difference of the two one-way delays).
  double bound_ms = 0;
  double delay_ms = 0;
  int64_t at_ns = 0;  // the exchange's midpoint (t1 + t4) / 2 on the caller's clock
};

// Offset against time through the minimum-delay sample of each window of consecutive exchanges.
struct DriftFit {
  bool fitted = false;  // needs two windows at different times
  double ppm = 0;       // slope: callee's clock gains this many ns per ms of the caller's
  int64_t ref_ns = 0;   // the first exchange's t1
  double offset_ms_at_ref = 0;
  double max_residual_ms = 0;  // of the window points around the line
  // The correction followed the line (else the constant estimate): the fitted drift moves the
  // offset over the run by more than twice the estimate's bound.
  bool used = false;
  std::vector<OffsetEstimate> windows;  // the points fitted
  // The fitted offset at caller time ns (the constant estimate's value when not fitted).
  double OffsetMsAt(int64_t ns, double fallback_ms) const;
};

// A sample of differences (ms) that may be negative.
struct Distribution {
  int64_t count = 0;
  int64_t negative = 0;  // values < 0
  double negative_fraction = 0;
  double min = 0;
  double mean = 0;
  double max = 0;
  std::vector<std::pair<double, double>> percentiles;  // (p, nearest-rank value), kPercentiles
  std::vector<CdfPoint> cdf;
};

// Raw and corrected differences on one grid of equal buckets, so they can be drawn together.
// The grid spans the lower kHistogramTail to the upper one of both samples; values outside are
// counted in below/above instead of a bucket.
struct PairedHistogram {
  double low = 0;
  double width = 0;
  std::vector<int64_t> raw;
  std::vector<int64_t> corrected;
  int64_t raw_outside = 0;
  int64_t corrected_outside = 0;
};

// One HLC reading: l (Unix ns) and the counter c.
struct HlcStamp {
  int64_t l = 0;
  uint32_t c = 0;
  friend bool operator<(const HlcStamp& a, const HlcStamp& b) {
    return a.l < b.l || (a.l == b.l && a.c < b.c);
  }
};
// "<l>.<c>" (c may be omitted); nullopt for anything else.
std::optional<HlcStamp> ParseHlc(std::string_view text);

struct ClockSyncOptions {
  size_t windows = 20;  // for the drift fit; fewer when there are fewer than 4 samples each
  size_t histogram_buckets = 60;
  size_t max_cdf_points = 200;
};

inline constexpr double kPercentiles[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
inline constexpr double kHistogramTail = 0.005;

struct ClockSyncAnalysis {
  int64_t count = 0;
  OffsetEstimate estimate;
  DriftFit drift;
  Distribution raw;        // t2 - t1
  Distribution corrected;  // t2 - t1 - offset(t): the drift line when drift.used, else estimate
  Distribution delay;      // NTP delay
  PairedHistogram histogram;
};

// InvalidArgument for no exchanges or options out of range (windows 0, buckets 0, cdf < 2).
StatusOr<ClockSyncAnalysis> AnalyzeClockSync(const std::vector<Exchange>& exchanges,
                                             const ClockSyncOptions& options = {});

// Causal order of each exchange's four HLC stamps: stamp(t1) < stamp(t2) < stamp(t3) < stamp(t4)
// must hold whatever the clocks' error.
struct HlcCheck {
  int64_t checked = 0;
  int64_t violations = 0;
};
HlcCheck CheckHlcOrder(const std::vector<std::array<HlcStamp, 4>>& stamps);

// {"count","estimate":{"offset_ms","bound_ms","delay_ms","at_ns","index"},"drift":{"fitted",
// "used","ppm","ref_ns","offset_ms_at_ref","max_residual_ms","windows":[{"at_ns","offset_ms",
// "bound_ms"}]},"raw"|"corrected"|"delay":{"unit":"ms","count","negative","negative_fraction",
// "min","mean","max","percentiles":{"p50":v,...},"cdf":[[value,fraction],...]},"histogram":{
// "low","width","raw":[...],"corrected":[...],"raw_outside","corrected_outside"}}
nlohmann::json ToJson(const ClockSyncAnalysis& analysis);

}  // namespace thaw::profile
