#include "invoker/invoker.h"

#include <boost/asio/post.hpp>

#include "base/log.h"
#include "invoker/launcher_client.h"
#include "lambda/function.h"
#include "records/record_store.h"
#include "sys/launcher_protocol.h"

namespace thaw::invoker {

namespace asio = boost::asio;

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
  int64_t& fn_busy = busy_by_function_[config.key()];
  bool unreserved = !target.reserved_concurrency.has_value();
  if (!unreserved) {
    if (fn_busy >= *target.reserved_concurrency) {
      return Status::ResourceExhausted("ReservedFunctionConcurrentInvocationLimitExceeded");
    }
  } else {
    int64_t unreserved_limit = options_.account_concurrency - registry_.TotalReserved();
    if (unreserved_busy_ >= unreserved_limit) {
      return Status::ResourceExhausted("ConcurrentInvocationLimitExceeded");
    }
  }
  if (total_busy_ >= options_.account_concurrency) {
    return Status::ResourceExhausted("ConcurrentInvocationLimitExceeded");
  }

  Pool& pool = PoolFor(config.key(), target.executed_version);
  Environment* env = nullptr;
  while (!pool.idle.empty()) {
    Environment* candidate = pool.idle.back();
    pool.idle.pop_back();
    if (candidate->config().generation == config.generation &&
        (candidate->state() == EnvState::kIdle || candidate->state() == EnvState::kCold)) {
      env = candidate;
      break;
    }
    Destroy(candidate);  // an older generation of the function
  }
  if (!env) {
    Environment::Deps deps{io_, spawner_, timers_, log_store_, clock_, options_.environment};
    auto fresh = std::make_unique<Environment>(deps, target.config, target.executed_version,
                                               [this](Environment* e) { Release(e); });
    env = fresh.get();
    pool.envs.push_back(std::move(fresh));
  }
  ++fn_busy;
  ++total_busy_;
  if (unreserved) ++unreserved_busy_;
  busy_[env] = unreserved;

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
  env->Invoke(std::move(invocation));
  return Status::Ok();
}

void Invoker::Release(Environment* env) {
  auto it = busy_.find(env);
  if (it != busy_.end()) {
    --busy_by_function_[env->config().key()];
    --total_busy_;
    if (it->second) --unreserved_busy_;
    busy_.erase(it);
  }
  // RetireFunction marks busy environments of a changed function, so no registry lookup is
  // needed here, on every invocation's path.
  bool retire = retiring_.erase(env) > 0 || shutting_down_;
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
  reap_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
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
