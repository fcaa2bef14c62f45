#include "invoker/invoker.h"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/lambda_error.h"
#include "base/log.h"
#include "invoker/launcher_client.h"
#include "lambda/function.h"
#include "records/record_store.h"
#include "sandbox/cgroup.h"
#include "sys/launcher_protocol.h"

namespace thaw::invoker {

namespace asio = boost::asio;

namespace {

constexpr int64_t kMbPerVcpu = 1769;  // Lambda: 1,769 MB buys one vCPU
constexpr int64_t kMaxHandoffWaitNs = 100'000'000;

std::string ErrorBody(const std::string& type, const std::string& message) {
  nlohmann::json j = {{"errorType", type}, {"errorMessage", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Invoker::Invoker(asio::io_context& io, LauncherClient& launcher, logs::LogStore* log_store,
                 const lambda::Registry& registry, const Clock& clock, InvokerOptions options)
    : io_(io),
      launcher_(launcher),
      spawner_(launcher, options.environment.cgroup_layout, options.environment.cgroup_parent),
      timers_(io, clock),
      log_store_(log_store),
      registry_(registry),
      clock_(clock),
      hlc_(clock),
      options_(std::move(options)),
      reap_timer_(io) {
  launcher_.set_exit_handler([this](const LauncherClient::Exit& exit) { OnProcessExit(exit); });
  ScheduleReap();
}

Invoker::~Invoker() {
  reap_timer_.cancel();
  launcher_.set_exit_handler(nullptr);
}

Invoker::Pool& Invoker::PoolFor(const std::string& name, const std::string& version) {
  return pools_[name][version];
}

Status Invoker::Invoke(const lambda::Resolved& target, runtime_api::Event event, bool want_tail,
                       ResultCallback done, InvokeOrigin origin,
                       std::shared_ptr<ResponseSink> sink) {
  if (shutting_down_) return Status::Unavailable("thaw is shutting down");
  const lambda::FunctionConfig& config = *target.config;
  // Every event source's header comes through here (the seam for SNS and streams too).
  trace::TraceContext caller = trace::ParseTraceHeader(event.trace_id);
  // Recursive loop detection, before concurrency: a dropped event takes no environment.
  std::string& hash = lineage_hashes_[config.key()];
  if (hash.empty()) hash = trace::LineageHash(lambda::FunctionArn(config.key()));
  const int count = trace::LineageCount(caller.lineage, hash);
  if (count >= trace::kMaxRecursiveInvocations && !target.allow_recursive_loop) {
    ++recursive_drops_[config.key()];
    THAW_LOG(kWarn, "invoker") << "dropping invocation " << event.request_id << " of "
                               << config.name << ": recursive loop detected (" << count
                               << " invocations in its lineage)";
    return Status::FailedPrecondition(
        "Lambda has detected your function being invoked in a recursive loop with other AWS "
        "resources and stopped your function's invocation.");
  }
  caller.lineage = trace::SetLineageCount(caller.lineage, hash, count + 1);
  const std::string throttle = ThrottleReason(config.key(), target.reserved_concurrency);
  Pool& pool = PoolFor(config.key(), target.executed_version);
  Environment* env = throttle.empty() ? TakeIdle(pool, config.generation) : nullptr;
  // With concurrency full, an environment that has answered still lets its successor in: the
  // two never overlap.
  Environment* answered = env ? nullptr : Answered(pool, config.generation);
  if (!throttle.empty() && (!answered || target.reserved_concurrency == 0)) {
    return Status::ResourceExhausted(throttle);
  }

  auto invocation = std::make_unique<Invocation>();
  invocation->event = std::move(event);
  invocation->event.invoked_function_arn = target.invoked_arn;
  invocation->executed_version = target.executed_version;
  invocation->want_tail = want_tail;
  invocation->done = std::move(done);
  if (!invocation->done && sink) {
    invocation->done = [sink](InvokeResult r) { sink->OnEnd(std::move(r)); };
  }
  invocation->event.stream_response = sink != nullptr;
  invocation->sink = std::move(sink);
  invocation->received_ns = clock_.MonotonicNanos();
  invocation->hlc = &hlc_;
  invocation->caller = std::move(caller);
  if (invocation->caller.hlc) {
    invocation->hlc_arrived = hlc_.Receive(*invocation->caller.hlc);
    invocation->caller.hlc.reset();
  } else {
    invocation->hlc_arrived = hlc_.Now();
  }
  // Without the Hlc, with the new Lineage count.
  invocation->event.trace_id = trace::FormatTraceHeader(invocation->caller);
  if (options_.environment.records && options_.environment.records->enabled()) {
    invocation->clock = &clock_;  // stamps and a record for this invocation
    invocation->async = origin.async;
    invocation->source = std::move(origin.source);
    invocation->arrived_ns = origin.arrived_ns ? origin.arrived_ns : invocation->received_ns;
    if (origin.queued_ms > 0) {
      int64_t waited_ms = std::max<int64_t>(0, clock_.RealtimeMillis() - origin.queued_ms);
      invocation->arrived_ns = invocation->received_ns - waited_ms * 1000000;
    }
  }
  const bool unreserved = !target.reserved_concurrency.has_value();
  if (answered) {
    Wait(answered, Waiter{std::move(invocation), target.config, target.executed_version,
                          target.reserved_concurrency, nullptr});
    return Status::Ok();
  }
  if (!env) env = NewEnvironment(pool, target.config, target.executed_version);
  Start(env, std::move(invocation), unreserved);
  return Status::Ok();
}

std::string Invoker::ThrottleReason(const std::string& function,
                                    const std::optional<int64_t>& reserved_concurrency) const {
  auto busy = busy_by_function_.find(function);
  const int64_t fn_busy = busy == busy_by_function_.end() ? 0 : busy->second;
  if (reserved_concurrency) {
    if (fn_busy >= *reserved_concurrency) {
      return "ReservedFunctionConcurrentInvocationLimitExceeded";
    }
  } else if (unreserved_busy_ >= options_.account_concurrency - registry_.TotalReserved()) {
    return "ConcurrentInvocationLimitExceeded";
  }
  if (total_busy_ >= options_.account_concurrency) return "ConcurrentInvocationLimitExceeded";
  return "";
}

Environment* Invoker::TakeIdle(Pool& pool, uint64_t generation) {
  while (!pool.idle.empty()) {
    Environment* candidate = pool.idle.back();
    pool.idle.pop_back();
    if (candidate->config().generation == generation &&
        (candidate->state() == EnvState::kIdle || candidate->state() == EnvState::kCold)) {
      return candidate;
    }
    Destroy(candidate);  // an older generation of the function
  }
  return nullptr;
}

Environment* Invoker::Answered(const Pool& pool, uint64_t generation) const {
  for (const auto& env : pool.envs) {
    Environment* e = env.get();
    if (e->phase() == EnvPhase::kResponded && e->config().generation == generation &&
        !waiters_.count(e) && !retiring_.count(e)) {
      return e;
    }
  }
  return nullptr;
}

Environment* Invoker::NewEnvironment(Pool& pool, lambda::FunctionConfigPtr config,
                                     const std::string& version) {
  Environment::Deps deps{io_, spawner_, timers_, log_store_, clock_, options_.environment};
  auto fresh = std::make_unique<Environment>(deps, std::move(config), version,
                                             [this](Environment* e) { Release(e); });
  Environment* env = fresh.get();
  pool.envs.push_back(std::move(fresh));
  return env;
}

void Invoker::Start(Environment* env, std::unique_ptr<Invocation> invocation, bool unreserved) {
  ++busy_by_function_[env->config().key()];
  ++total_busy_;
  if (unreserved) ++unreserved_busy_;
  busy_[env] = unreserved;
  env->Invoke(std::move(invocation));
}

void Invoker::Wait(Environment* env, Waiter waiter) {
  const bool bounded = ThrottleReason(waiter.config->key(), waiter.reserved_concurrency).empty();
  if (bounded) {
    int64_t wait_ns = options_.handoff_wait_ns;
    // Under 1,769 MB the runtime has less than a CPU: having spent its quota on the answer, it
    // sleeps out the CFS period, or two when it overran (the debt carries over).
    if ((options_.environment.sandbox_features & sys::kFeatureCpu) &&
        env->config().memory_mb < kMbPerVcpu && env->sandboxed()) {
      wait_ns += 2 * sandbox::kCpuPeriodUs * 1000;
    }
    // A cold start takes longer on a loaded machine, and so does the runtime's next ask: the
    // wait is at least this environment's own last init (up to 100 ms), the time a new
    // environment would cost anyway.
    wait_ns = std::max(wait_ns, std::min(env->last_init_ns(), kMaxHandoffWaitNs));
    waiter.timer = timers_.NewTimer();
    waiter.timer->StartAt(clock_.MonotonicNanos() + wait_ns, [this, env] { WaitExpired(env); });
  }
  env->set_successor_waiting(true);  // no freeze between the two
  waiters_.emplace(env, std::move(waiter));
}

void Invoker::WaitExpired(Environment* env) {
  auto it = waiters_.find(env);
  if (it == waiters_.end()) return;
  Waiter& waiter = it->second;
  waiter.timer.reset();
  // Concurrency filled up meanwhile: keep waiting, since this environment is sure to come.
  if (!ThrottleReason(waiter.config->key(), waiter.reserved_concurrency).empty()) return;
  Waiter taken = std::move(waiter);
  waiters_.erase(it);
  env->set_successor_waiting(false);
  Restart(std::move(taken));
}

void Invoker::Restart(Waiter waiter) {
  if (shutting_down_) {
    waiter.invocation->Answer(
        {ErrorBody(Name(LambdaError::kSandboxFailure), "The execution environment was shut down"),
         "application/json", true, waiter.version, "", ""});
    return;
  }
  Pool& pool = PoolFor(waiter.config->key(), waiter.version);
  const bool unreserved = !waiter.reserved_concurrency.has_value();
  Start(NewEnvironment(pool, waiter.config, waiter.version), std::move(waiter.invocation),
        unreserved);
}

// Runs after the environment's own call stack has unwound (it released from inside it).
void Invoker::HandOff(Environment* env) {
  auto it = waiters_.find(env);
  if (it == waiters_.end()) return;
  Waiter waiter = std::move(it->second);
  waiters_.erase(it);
  if (waiter.timer) waiter.timer->Cancel();
  env->set_successor_waiting(false);
  if (shutting_down_) {
    Unbusy(env);
    return Restart(std::move(waiter));
  }
  // The busy slot passes from the last invocation to this one.
  env->Invoke(std::move(waiter.invocation));
}

void Invoker::Unbusy(Environment* env) {
  auto it = busy_.find(env);
  if (it == busy_.end()) return;
  --busy_by_function_[env->config().key()];
  --total_busy_;
  if (it->second) --unreserved_busy_;
  busy_.erase(it);
}

void Invoker::Release(Environment* env) {
  // RetireFunction marks busy environments of a changed function, so no registry lookup is
  // needed here, on every invocation's path.
  bool retire = retiring_.erase(env) > 0 || shutting_down_;
  auto waiter = waiters_.find(env);
  if (waiter != waiters_.end() && !retire && env->state() != EnvState::kDead &&
      env->state() != EnvState::kStopping) {
    asio::post(io_, [this, env] { HandOff(env); });
    return;
  }
  Unbusy(env);
  if (waiter != waiters_.end()) {
    // Its environment is going: the waiter starts a new one, in the slot this one leaves.
    Waiter taken = std::move(waiter->second);
    waiters_.erase(waiter);
    if (taken.timer) taken.timer->Cancel();
    env->set_successor_waiting(false);
    asio::post(io_, [this, taken = std::make_shared<Waiter>(std::move(taken))]() mutable {
      Restart(std::move(*taken));
    });
  }
  if (retire) {
    // Not from inside the environment's own call stack.
    asio::post(io_, [this, env] { Destroy(env); });
    return;
  }
  PoolFor(env->config().key(), env->version()).idle.push_back(env);
}

void Invoker::Destroy(Environment* env) {
  std::string name = env->config().key();
  std::string version = env->version();
  Pool& pool = PoolFor(name, version);
  std::erase(pool.idle, env);
  env->Stop([this, env, name, version] {
    asio::post(io_, [this, env, name, version] {
      Pool& p = PoolFor(name, version);
      std::erase_if(p.envs, [env](const auto& e) { return e.get() == env; });
    });
  });
}

void Invoker::RetireFunction(const std::string& name) {
  auto fn = pools_.find(name);
  if (fn == pools_.end()) return;
  for (auto& [version, pool] : fn->second) {
    std::vector<Environment*> idle = pool.idle;
    for (Environment* env : idle) Destroy(env);
    for (auto& env : pool.envs) {
      if (busy_.count(env.get())) retiring_[env.get()] = true;
    }
  }
}

void Invoker::OnProcessExit(const LauncherClient::Exit& exit) {
  for (auto& [name, versions] : pools_) {
    for (auto& [version, pool] : versions) {
      for (auto& env : pool.envs) {
        if (env->pid() == exit.pid) {
          env->OnProcessExit(exit.pid, exit.wait_status, exit.max_memory_kib, exit.oom_kills);
          return;
        }
      }
    }
  }
}

void Invoker::ScheduleReap() {
  int64_t period = std::clamp<int64_t>(options_.idle_timeout_ms / 4, 50, 1000);
  reap_timer_.expires_after(std::chrono::milliseconds(period));
  reap_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    Reap();
    ScheduleReap();
  });
}

void Invoker::Reap() {
  int64_t now = clock_.MonotonicNanos();
  int64_t limit = options_.idle_timeout_ms * 1000000;
  for (auto& [name, versions] : pools_) {
    for (auto& [version, pool] : versions) {
      std::vector<Environment*> expired;
      for (Environment* env : pool.idle) {
        if (now - env->idle_since_ns() >= limit) expired.push_back(env);
      }
      for (Environment* env : expired) Destroy(env);
    }
  }
}

void Invoker::Shutdown(std::function<void()> done) {
  shutting_down_ = true;
  reap_timer_.cancel();
  std::map<Environment*, Waiter> waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [env, waiter] : waiters) {
    if (waiter.timer) waiter.timer->Cancel();
    env->set_successor_waiting(false);
    Restart(std::move(waiter));  // answered: thaw is shutting down
  }
  auto remaining = std::make_shared<int>(0);
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  std::vector<Environment*> all;
  for (auto& [name, versions] : pools_) {
    for (auto& [version, pool] : versions) {
      pool.idle.clear();
      for (auto& env : pool.envs) all.push_back(env.get());
    }
  }
  *remaining = static_cast<int>(all.size());
  if (all.empty()) {
    (*finish)();
    return;
  }
  for (Environment* env : all) {
    env->Stop([remaining, finish] {
      if (--*remaining == 0) (*finish)();
    });
  }
}

bool Invoker::RunsAsServer(const Environment& env) const {
  return !env.sandboxed() ||
         (options_.environment.sandbox_features & sys::kFeatureUnprivileged) == 0;
}

const Environment* Invoker::SandboxedEnvironmentOf(pid_t pgrp, pid_t group_parent) const {
  for (const auto& [name, versions] : pools_) {
    for (const auto& [version, pool] : versions) {
      for (const auto& env : pool.envs) {
        if (env->pid() > 0 && env->sandboxed() &&
            (env->pid() == pgrp || env->pid() == group_parent)) {
          return env.get();
        }
      }
    }
  }
  return nullptr;
}

const Environment* Invoker::UnsandboxedEnvironmentHolding(uint64_t inode) const {
  for (const auto& [name, versions] : pools_) {
    for (const auto& [version, pool] : versions) {
      for (const auto& env : pool.envs) {
        if (RunsAsServer(*env) && env->OwnsSocket(inode)) return env.get();
      }
    }
  }
  return nullptr;
}

bool Invoker::HasUnsandboxedEnvironments() const {
  for (const auto& [name, versions] : pools_) {
    for (const auto& [version, pool] : versions) {
      for (const auto& env : pool.envs) {
        if (env->pid() > 0 && RunsAsServer(*env)) return true;
      }
    }
  }
  return false;
}

std::vector<EnvironmentInfo> Invoker::Snapshot() const {
  std::vector<EnvironmentInfo> out;
  for (const auto& [name, versions] : pools_) {
    for (const auto& [version, pool] : versions) {
      for (const auto& env : pool.envs) {
        EnvironmentInfo info;
        info.function = name;
        info.version = version;
        info.id = env->id();
        info.state = EnvStateName(env->state());
        info.pid = env->pid();
        info.runtime_api_port = env->runtime_api_port();
        info.log_stream = env->log_stream();
        info.request_id = env->current_request_id();
        info.invocations = env->invocation_count();
        info.sandboxed = env->sandboxed();
        info.mechanism = env->config().mechanism;
        info.frozen = env->frozen();
        info.max_memory_kib = env->max_memory_kib();
        info.last_invocation_memory_kib = env->last_invocation_memory_kib();
        info.last_cpu_ns = env->last_cpu_ns();
        info.last_freeze_ns = env->last_freeze_ns();
        info.last_thaw_ns = env->last_thaw_ns();
        out.push_back(std::move(info));
      }
    }
  }
  return out;
}

}  // namespace thaw::invoker
