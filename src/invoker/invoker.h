// Invoker: runs invocations on execution environments. It keeps a pool of environments per
// function version, warm ones first; when none is idle, an invocation waits a few ms for one
// that has answered and is about to ask for its next event (a sequential caller's next request
// lands in that window here, never on AWS, whose network round trip is longer), and only then
// starts a new one (cold); enforces
// reserved and account concurrency (throttling, never queueing, as Lambda does); reaps idle
// environments; retires environments whose function changed. Loop thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "invoker/environment.h"
#include "invoker/invocation.h"
#include "invoker/launcher_client.h"
#include "invoker/spawner.h"
#include "invoker/timer.h"
#include "lambda/registry.h"
#include "records/record.h"
#include "trace/hlc.h"

namespace thaw::logs {
class LogStore;
}

namespace thaw::invoker {

struct InvokerOptions {
  int64_t account_concurrency = 1000;
  int64_t idle_timeout_ms = int64_t{10} * 60 * 1000;  // Lambda keeps idle environments ~5-15 min
  // How long an invocation that finds no idle environment waits for one that has answered and
  // not yet asked for its next event, before a new environment starts. A runtime asks within
  // tens of microseconds of its 202; a cold start costs milliseconds. Under a CPU quota (below
  // 1,769 MB) two CFS periods (40 ms) are added: a runtime that spent its quota sleeps that
  // long. And it waits at least as long as the environment's own last init took (at most
  // 100 ms): the cold start it would otherwise pay.
  int64_t handoff_wait_ns = 5'000'000;
  EnvironmentOptions environment;
};

// Where an invoke came from, for its invocation record.
struct InvokeOrigin {
  records::EventSource source = {};  // an event source mapping's batch, when a poller invokes
  int64_t arrived_ns = 0;            // monotonic arrival at the Invoke API; 0: now
  int64_t queued_ms = 0;  // Event invokes: Unix ms when it was queued (may be a past run's)
  bool async = false;
};

struct EnvironmentInfo {
  std::string function;
  std::string version;
  std::string id;
  std::string state;
  pid_t pid = -1;
  uint16_t runtime_api_port = 0;
  std::string log_stream;
  std::string request_id;
  int64_t invocations = 0;
  bool sandboxed = false;
  std::string mechanism;
  bool frozen = false;
  int64_t max_memory_kib = 0;              // over the environment's life (REPORT's figure)
  int64_t last_invocation_memory_kib = 0;  // peak during the last invocation alone
  int64_t last_cpu_ns = 0;
  int64_t last_freeze_ns = 0;
  int64_t last_thaw_ns = 0;
};

// The event went past trace::kMaxRecursiveInvocations invocations of one function whose
// recursion config is Terminate: Lambda drops it. A synchronous caller gets
// RecursiveInvocationException; an async event or a trigger's batch goes to its on-failure
// destination or DLQ, never retried.
inline bool IsRecursiveInvocation(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition;
}

// Lambda's async delivery failure metrics, per function name: a send to the dead-letter queue
// (DeadLetterErrors) or to a destination (DestinationDeliveryFailures) that failed.
struct DeliveryCounts {
  std::map<std::string, int64_t> dead_letter_errors;
  std::map<std::string, int64_t> destination_delivery_failures;
};

class Invoker {
 public:
  // Every reference must outlive the invoker.
  Invoker(boost::asio::io_context& io, LauncherClient& launcher, logs::LogStore* log_store,
          const lambda::Registry& registry, const Clock& clock, InvokerOptions options);
  ~Invoker();
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  // Starts `event` on an environment of `target`. Returns ResourceExhausted (with the throttle
  // reason as message) when concurrency is exhausted, and FailedPrecondition (see
  // IsRecursiveInvocation) when recursive loop detection drops the event; otherwise `done` runs
  // later, once. The function sees the event's Lineage with its own count raised by one.
  // `sink` takes a streamed response as it arrives (see ResponseSink); with a sink, an empty
  // `done` means sink->OnEnd.
  Status Invoke(const lambda::Resolved& target, runtime_api::Event event, bool want_tail,
                ResultCallback done, InvokeOrigin origin = {},
                std::shared_ptr<ResponseSink> sink = nullptr);
  // The function's code or configuration changed, or it was deleted: idle environments stop
  // now, busy ones after their invocation.
  void RetireFunction(const std::string& name);
  // Stops every environment; `done` runs when all are gone.
  void Shutdown(std::function<void()> done);

  // The front door's address as bound (with --listen HOST:0, known only once it listens), for
  // AWS_ENDPOINT_URL: set before the first invocation.
  void SetFrontDoorUrl(std::string url) { options_.environment.front_door_url = std::move(url); }

  int64_t busy() const { return total_busy_; }
  // RecursiveInvocationsDropped: invocations recursive loop detection dropped, per function.
  const std::map<std::string, int64_t>& recursive_drops() const { return recursive_drops_; }
  // DeadLetterErrors and DestinationDeliveryFailures, per function; delivery counts them.
  DeliveryCounts& delivery_counts() { return delivery_counts_; }
  // The server's hybrid logical clock (loop thread).
  trace::HlcClock& hlc() { return hlc_; }
  std::vector<EnvironmentInfo> Snapshot() const;
  // Finding which function sent a front-door request (loop thread). A sandboxed process belongs
  // to the environment whose leader leads its group or is its group leader's parent.
  const Environment* SandboxedEnvironmentOf(pid_t pgrp, pid_t group_parent) const;
  // An environment running as the server's own user (no sandbox, or no uid drop) whose
  // processes hold the socket (scans /proc per environment).
  const Environment* UnsandboxedEnvironmentHolding(uint64_t inode) const;
  bool HasUnsandboxedEnvironments() const;

 private:
  struct Pool {
    std::vector<std::unique_ptr<Environment>> envs;
    std::vector<Environment*> idle;  // most recently used last
  };

  // An invocation waiting for an environment that has answered (kResponded) to ask again.
  struct Waiter {
    std::unique_ptr<Invocation> invocation;
    lambda::FunctionConfigPtr config;
    std::string version;
    std::optional<int64_t> reserved_concurrency;
    std::unique_ptr<Timer> timer;  // null: waits for it without a limit (concurrency is full)
  };

  bool RunsAsServer(const Environment& env) const;
  // "" when one more invocation fits the function's and the account's concurrency, else the
  // throttle reason.
  std::string ThrottleReason(const std::string& function,
                             const std::optional<int64_t>& reserved_concurrency) const;
  // An idle environment of this generation (older ones found on the way are destroyed).
  Environment* TakeIdle(Pool& pool, uint64_t generation);
  // An environment of this generation that has answered and has no waiter yet.
  Environment* Answered(const Pool& pool, uint64_t generation) const;
  Environment* NewEnvironment(Pool& pool, lambda::FunctionConfigPtr config,
                              const std::string& version);
  // Counts `env` busy and runs `invocation` on it.
  void Start(Environment* env, std::unique_ptr<Invocation> invocation, bool unreserved);
  void Wait(Environment* env, Waiter waiter);
  void HandOff(Environment* env);
  void WaitExpired(Environment* env);
  // Runs a waiter whose environment went away on a new one.
  void Restart(Waiter waiter);
  // Takes `env` out of the busy counts.
  void Unbusy(Environment* env);
  void Release(Environment* env);
  void Destroy(Environment* env);
  void OnProcessExit(const LauncherClient::Exit& exit);
  void ScheduleReap();
  void Reap();
  Pool& PoolFor(const std::string& name, const std::string& version);

  boost::asio::io_context& io_;
  LauncherClient& launcher_;
  LauncherSpawner spawner_;  // launcher_ as environments see it
  AsioTimers timers_;
  logs::LogStore* log_store_;
  const lambda::Registry& registry_;
  const Clock& clock_;
  trace::HlcClock hlc_;
  InvokerOptions options_;
  std::map<std::string, std::map<std::string, Pool>> pools_;  // function -> version -> pool
  std::map<std::string, int64_t> busy_by_function_;
  std::map<std::string, int64_t> recursive_drops_;
  DeliveryCounts delivery_counts_;
  std::map<std::string, std::string> lineage_hashes_;  // by function name: a SHA-256 each
  std::map<Environment*, bool> retiring_;              // busy environments to stop when released
  std::map<Environment*, bool> busy_;                  // busy environment -> counted as unreserved
  std::map<Environment*, Waiter> waiters_;             // by the answered environment they wait for
  int64_t total_busy_ = 0;
  int64_t unreserved_busy_ = 0;
  boost::asio::steady_timer reap_timer_;
  // A timer handler queued before destruction still runs, with success: it checks this.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  bool shutting_down_ = false;
};

}  // namespace thaw::invoker
