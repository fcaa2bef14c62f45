// The latency experiment's record (docs/latency.md): the answers of latency-a parsed into
// four-timestamp exchanges and HLC stamps, each run analysed (profile/clock_sync.h) beside the
// seed's negative fractions and the injected skew, and the whole written as JSON (the input of
// `thaw report --latency`) and as a text table. It is a simulation and says so in both.
// Pure functions over values: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "profile/clock_sync.h"

namespace thaw::profile {

inline constexpr char kSimulationNote[] =
    "SIMULATION: every hop runs on this one machine and reads its one clock; time namespaces "
    "cannot shift CLOCK_REALTIME, so the functions and the test host each add a configured "
    "offset and drift to their own timestamps. The clock error is injected, not measured; the "
    "delays are real.";

// One answer of latency-a.
struct LatencyAnswer {
  Exchange exchange;
  std::array<HlcStamp, 4> hlc{};
  bool answer_hlc_from_header = false;  // else from the callee's body
  bool callee_received_hlc = false;
};

// Parses {"t1".."t4":int,"hlc":{"t1".."t4":"l.c"},"answer_hlc":"header"|"body",
// "callee_received_hlc":bool}. InvalidArgument naming what is missing.
StatusOr<LatencyAnswer> ParseLatencyAnswer(const nlohmann::json& body);

struct LatencyRun {
  std::string via;     // "invoke" or "http"
  std::string callee;  // "latency-b" or the host's URL
  SkewConfig caller_skew;
  SkewConfig callee_skew;
  std::vector<LatencyAnswer> answers;
  int64_t failed = 0;
  std::string first_error;
  double elapsed_s = 0;
};

struct LatencyConfig {
  int64_t calls = 0;
  int64_t warmup = 0;
  int64_t memory_mb = 0;
  int64_t epoch_ns = 0;
  SkewConfig a;
  SkewConfig b;
  SkewConfig host;
  std::string generated_at;
  std::string machine;  // "N CPUs, kernel ..."
  bool interrupted = false;
};

// {"experiment":"latency","version":1,"simulation":true,"note","generated_at","machine",
//  "calls","warmup","memory_mb","epoch_ns","interrupted","skew":{"a"|"b"|"host":{"offset_ms",
//  "drift_ppm"}},"runs":[{"via","label","caller","callee","calls","failed","first_error",
//  "elapsed_s","seed":{"negative_fraction","label"},"injected":{"offset_ms_at_epoch",
//  "drift_ppm","offset_ms_at_estimate"},"within_bound","hlc":{"checked","violations",
//  "answer_hlc_from_header","callee_received_hlc"},"analysis":{clock_sync ToJson},
//  "exchanges":[[t1,t2,t3,t4],...]}]}. A run without answers has "analysis": null.
nlohmann::json LatencyJson(const LatencyConfig& config, const std::vector<LatencyRun>& runs);

// The table `thaw latency` prints, from LatencyJson's value.
std::string FormatLatencyText(const nlohmann::json& report);

}  // namespace thaw::profile
