#include "cli/invoke_batch.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "cli/aws_errors.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "profile/report_line.h"

namespace thaw::cli {

namespace {

constexpr size_t kMaxErrorChars = 300;
constexpr int kPollIntervalMs = 10;
constexpr int kMaxPolls = 6000;  // 60 s for an update to settle

// Set by SIGINT, read by every invoking thread: a lock-free atomic is safe in both places.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnBatchInterrupt(int) { g_interrupted.store(true); }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = OnBatchInterrupt;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &previous_);
}

InterruptGuard::~InterruptGuard() { ::sigaction(SIGINT, &previous_, nullptr); }

bool Interrupted() { return g_interrupted.load(); }

Status ClassifyAnswer(const StatusOr<http::Response>& response, bool tail,
                      profile::InvocationRecord& record) {
  if (!response.ok()) {
    record.outcome = profile::Outcome::kError;
    record.error = response.status().message();
    return response.status();
  }
  record.http_status = response->status;
  if (response->status >= 200 && response->status < 300) {
    if (tail) {
      if (auto log = response->headers.Get("X-Amz-Log-Result")) {
        if (std::optional<std::string> text = Base64Decode(*log)) {
          if (StatusOr<profile::Report> report = profile::FindReport(*text); report.ok()) {
            record.report = std::move(report).value();
          }
        }
      }
    }
    if (auto error = response->headers.Get("X-Amz-Function-Error")) {
      record.outcome = profile::Outcome::kFunctionError;
      record.error = "function error (" + std::string(*error) +
                     "): " + OneLine(response->body, kMaxErrorChars);
    }
    return Status::Ok();
  }
  record.error = FormatAwsError(ParseAwsError(*response));
  if (response->status == 429) {
    record.outcome = profile::Outcome::kThrottled;
    return Status::Ok();
  }
  record.outcome = profile::Outcome::kError;
  if (response->status == 400 || response->status == 404 || response->status == 413) {
    return ResponseStatus(*response);
  }
  return Status::Ok();
}

Status RunBatch(std::vector<std::unique_ptr<http::Client>>& clients, const BatchSpec& spec,
                std::vector<profile::InvocationRecord>& out, int64_t* elapsed_ns) {
  const Clock& clock = SystemClock::Get();
  int64_t count = spec.duration_ns > 0 ? INT64_MAX : spec.count;
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status fatal;  // guarded by mu
  size_t threads = spec.threads == 0 ? clients.size() : spec.threads;
  threads = std::min({threads, clients.size(), static_cast<size_t>(std::max<int64_t>(count, 0))});
  std::vector<std::vector<profile::InvocationRecord>> per_client(threads);
  const int64_t start = clock.MonotonicNanos();
  auto work = [&](size_t i) {
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("X-Amz-Invocation-Type", "RequestResponse");
    headers.Set("X-Amz-Log-Type", "Tail");
    while (!stop.load() && !Interrupted()) {
      profile::InvocationRecord record;
      record.index = next.fetch_add(1);
      if (record.index >= count) return;
      record.sent_ns = clock.MonotonicNanos();
      if (spec.duration_ns > 0 && record.sent_ns - start >= spec.duration_ns) return;
      record.scheduled_ns = record.sent_ns;
      // No timeout: a function may run for up to 900 s.
      StatusOr<http::Response> response =
          Send(*clients[i], "POST", spec.target, spec.payload, headers, /*timeout_ms=*/0);
      record.done_ns = clock.MonotonicNanos();
      Status status = ClassifyAnswer(response, /*tail=*/true, record);
      per_client[i].push_back(std::move(record));
      if (!status.ok()) {
        std::lock_guard lock(mu);
        if (fatal.ok()) fatal = status;
        stop.store(true);
        return;
      }
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (size_t i = 0; i < threads; ++i) pool.emplace_back(work, i);
    for (std::thread& t : pool) t.join();
  }
  if (elapsed_ns != nullptr) *elapsed_ns = clock.MonotonicNanos() - start;
  size_t first = out.size();
  for (auto& records : per_client) {
    for (auto& r : records) out.push_back(std::move(r));
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  std::lock_guard lock(mu);
  return fatal;
}

Status WaitSettled(http::Client& client, const std::string& name,
                   std::optional<int64_t> memory_mb) {
  std::string target = FunctionTarget(name, "/configuration");
  for (int i = 0; i < kMaxPolls; ++i) {
    THAW_ASSIGN_OR_RETURN(nlohmann::json config, CallJson(client, "GET", target));
    std::string update = JsonString(config, "LastUpdateStatus");
    if (update == "Failed") {
      return Status::FailedPrecondition("update of " + name +
                                        " failed: " + JsonString(config, "LastUpdateStatusReason"));
    }
    bool memory_ok = !memory_mb || JsonInt(config, "MemorySize", -1) == *memory_mb;
    if (update != "InProgress" && JsonString(config, "State") != "Pending" && memory_ok) {
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  return Status::FailedPrecondition("the configuration of " + name + " did not settle in " +
                                    std::to_string(kMaxPolls * kPollIntervalMs / 1000) + " s");
}

}  // namespace thaw::cli
