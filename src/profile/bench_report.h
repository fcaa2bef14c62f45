// The result of a load run (`thaw bench`): per-invocation records in, a report out. Records
// are classified cold or warm by the REPORT line of their log tail, the warm-up is dropped,
// and each group is summarized (client latency, REPORT Duration, Init Duration), with error
// counts, throughput, JSON and a text rendering. Pure functions over values: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "profile/report_line.h"
#include "profile/stats.h"

namespace thaw::profile {

enum class Outcome {
  kOk,             // 2xx without X-Amz-Function-Error
  kFunctionError,  // 2xx with X-Amz-Function-Error (Unhandled, Sandbox.Timedout, ...)
  kThrottled,      // 429 TooManyRequestsException
  kError,          // any other HTTP status, or no answer at all
};

struct InvocationRecord {
  int64_t index = 0;          // issue order, from 0
  int64_t scheduled_ns = 0;   // when it was due (open loop) or sent (closed loop), from the start
  int64_t sent_ns = 0;        // when the request was handed to the connection
  int64_t done_ns = 0;        // when the whole answer was read
  int64_t first_byte_ns = 0;  // streamed (--stream): when the first body byte came; else 0
  Outcome outcome = Outcome::kOk;
  int http_status = 0;           // 0 without an answer
  std::optional<Report> report;  // parsed from the log tail, when asked for and present
  std::string error;             // one line, for anything but kOk

  // Client-side latency: from the due time, so a late send (every client busy) counts against
  // the system instead of vanishing (no coordinated omission).
  int64_t latency_ns() const { return done_ns - scheduled_ns; }
};

struct BenchConfig {
  std::string function;
  std::string qualifier;
  bool open_loop = false;
  int concurrency = 1;          // closed loop: clients; open loop: most invocations in flight
  double rate_per_second = 0;   // open loop only
  uint64_t seed = 0;            // open loop only
  int64_t requested_count = 0;  // 0 when the run was bounded by time only
  double requested_duration_s = 0;
  // Warm invocations to leave out, counted in issue order; nullopt: 10% of all invocations, at
  // most 100. Cold invocations are never left out.
  std::optional<int64_t> warmup;
  bool tail = true;  // X-Amz-Log-Type: Tail, which the cold/warm split needs
  int64_t payload_bytes = 0;
  bool stream = false;  // InvokeWithResponseStream: time to first byte is measured too
};

// Summaries of one group of successful invocations.
struct GroupStats {
  Summary client;           // client-side latency
  Summary report_duration;  // the REPORT line's Duration (samples with a REPORT line only)
  Summary first_byte;       // client-side time to first byte (streamed runs only)
};

struct BenchReport {
  BenchConfig config;
  int64_t warmup = 0;  // the warm-up actually applied
  int64_t total = 0;   // invocations issued and answered (or failed)
  int64_t warm = 0;    // after the warm-up
  int64_t cold = 0;
  int64_t unclassified = 0;  // successes with no REPORT line to tell (always, without Tail)
  int64_t discarded = 0;     // warm-up invocations left out
  int64_t function_errors = 0;
  int64_t throttled = 0;
  int64_t other_errors = 0;
  std::string first_error;
  double elapsed_s = 0;
  double throughput_per_second = 0;  // total / elapsed_s
  GroupStats warm_stats;
  GroupStats cold_stats;
  GroupStats unclassified_stats;
  Summary init_duration;  // REPORT Init Duration of the cold invocations
  // Over every REPORT line of the run (warm-up and errors included): what the run was billed.
  int64_t billed_total_ms = 0;
  int64_t memory_size_mb = 0;
  int64_t max_memory_used_mb = 0;
  Summary send_lag;  // open loop: sent - scheduled, every invocation

  int64_t errors() const { return function_errors + throttled + other_errors; }
};

// Classifies and summarizes. records may be in any order; elapsed_ns is the wall time of the
// whole run. InvalidArgument only if a summary cannot be computed (it cannot with finite
// clock readings).
StatusOr<BenchReport> Aggregate(const BenchConfig& config, std::vector<InvocationRecord> records,
                                int64_t elapsed_ns);

// {"function","qualifier","mode":"closed"|"open","concurrency","rate_per_s","seed","tail",
//  "payload_bytes","requested":{"count","duration_s"},"warmup","elapsed_s","throughput_per_s",
//  "invocations":{"total","warm","cold","unclassified","warmup_discarded"},
//  "errors":{"total","function","throttled","other","first"},
//  "client_latency":{"warm","cold","unclassified"},"report_duration":{"warm","cold",
//  "unclassified"},"init_duration","billing":{"billed_total_ms","memory_size_mb",
//  "max_memory_used_mb"},"send_lag","time_to_first_byte":{"warm","cold","unclassified"}} with each
//  latency a stats.h ToJson(Summary). rate_per_s, seed and send_lag are null in a closed loop,
//  time_to_first_byte without --stream; unclassified is {"count":0,...} with Tail.
nlohmann::json ToJson(const BenchReport& report);

// The human rendering: a header, a table (count, min, mean, stddev, p50, p90, p99, p99.9, max
// and the 95% intervals of the percentiles), billing and errors, the shape of the main group
// (skewness, excess kurtosis, normality verdict) and its histogram in ASCII. Ends with '\n'.
std::string FormatText(const BenchReport& report);

}  // namespace thaw::profile
