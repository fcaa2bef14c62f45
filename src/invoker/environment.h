// Environment: one Lambda execution environment — a process group running the function's
// bootstrap, its own Runtime API endpoint and its log stream — and its life cycle, which the
// transition table in env_state.h decides alone (docs/design.md draws it):
//
//   kCold --Invoke--> kColdInit --next--> kInvoking --response--> kResponded --next--> kIdle
//   kIdle --freeze--> kFrozen;  kIdle/kFrozen --Invoke--> kInvoking
//   failure or timeout --> kReset --Invoke--> kInvokeInit --next--> kInvoking
//   any live phase --Stop--> kStopping --exit--> kDead
//
// A reset (timeout, crash, init failure) kills the processes but keeps the log stream; the
// next invocation re-runs init inside its own timeout ("suppressed init"), as Lambda does.
// Processes come from a Spawner and timers from a TimerFactory on the injected Clock, so that
// environment_test.cc drives it without root, processes or real time. Loop thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "base/clock.h"
#include "base/lambda_error.h"
#include "base/status.h"
#include "http/server.h"
#include "invoker/env_state.h"
#include "invoker/invocation.h"
#include "invoker/spawner.h"
#include "invoker/timer.h"
#include "lambda/function.h"
#include "runtime_api/peer_check.h"
#include "runtime_api/runtime_session.h"
#include "sandbox/cgroup.h"
#include "sys/process_info.h"

namespace thaw::logs {
class LogStore;
}
namespace thaw::records {
class RecordStore;
}

namespace thaw::invoker {

struct EnvironmentOptions {
  std::string front_door_url = "http://127.0.0.1:9001";  // AWS_ENDPOINT_URL for functions
  std::string credential_key;  // the server's secret behind functions' credentials
  int64_t init_timeout_ms = 10000;
  int64_t shutdown_internal_ms = 500;   // shutdown budget with only internal extensions
  int64_t shutdown_external_ms = 2000;  // with external extensions
  bool verify_runtime_peer = true;      // check Runtime API clients belong to this environment
  bool freeze_idle = true;  // false only to measure the freezer's cost (not Lambda's behaviour)
  // Sandboxing, as the launcher reported it can (sys::LauncherFeature bits). Without
  // kFeatureNamespaces environments are plain process groups.
  uint32_t sandbox_features = 0;
  std::string host_path;        // thaw-host, for mechanisms other than the Runtime API's own
  std::string sandbox_tmp_dir;  // where /tmp images live (STATE/sandbox/tmp)
  // Where a dead environment's /tmp image is deleted: not the loop, since freeing a large
  // image's blocks takes a while. Null: images stay until the launcher stops.
  boost::asio::io_context* reclaim = nullptr;
  // For the Invoker's LauncherSpawner, which opens each sandbox's cgroup.
  const sandbox::CgroupLayout* cgroup_layout = nullptr;  // null: no cgroups
  std::string cgroup_parent;                             // the launcher's "thaw/i<pid>"
  records::RecordStore* records = nullptr;  // null: invocations leave no record (--no-records)
};

class Environment final : public runtime_api::Listener {
 public:
  struct Deps {
    boost::asio::io_context& io;
    Spawner& spawner;
    TimerFactory& timers;       // on `clock`
    logs::LogStore* log_store;  // may be null in tests
    const Clock& clock;
    const EnvironmentOptions& options;
  };
  // Called when an invocation has fully ended and the environment can take another.
  using ReleaseFn = std::function<void(Environment*)>;

  // `deps` members must outlive the environment.
  Environment(Deps deps, lambda::FunctionConfigPtr config, std::string version, ReleaseFn release);
  ~Environment() override;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Runs `invocation`. DCHECKs that state() is kCold or kIdle.
  void Invoke(std::unique_ptr<Invocation> invocation);
  // The launcher reports that `pid` exited, with its peak memory and OOM kills.
  void OnProcessExit(pid_t pid, int wait_status, int64_t max_memory_kib, int64_t oom_kills);
  // Ends the environment for good. With extensions registered the runtime gets SIGTERM and the
  // shutdown budget; otherwise SIGKILL at once (as Lambda). `done` runs when it is gone (at
  // once when it already is; a second Stop's `done` runs with the first's).
  void Stop(std::function<void()> done);

  EnvState state() const { return StateOf(phase_); }
  EnvPhase phase() const { return phase_; }
  pid_t pid() const { return pid_; }
  uint16_t runtime_api_port() const;
  const std::string& id() const { return id_; }
  const std::string& log_stream() const { return log_stream_; }
  const lambda::FunctionConfig& config() const { return *config_; }
  const std::string& version() const { return version_; }
  int64_t idle_since_ns() const { return idle_since_ns_; }
  int64_t invocation_count() const { return invocation_count_; }
  bool sandboxed() const;
  bool frozen() const { return phase_ == EnvPhase::kFrozen; }
  // An invocation waits for this environment to end its current one: it is not frozen in
  // between (the next event follows at once).
  void set_successor_waiting(bool waiting) { successor_waiting_ = waiting; }
  // From spawn to the runtime's first /next, the last time init ran here; 0 before.
  int64_t last_init_ns() const { return last_init_ns_; }
  // Max Memory Used over the environment's life (what REPORT shows) and over the last
  // invocation alone; CPU time of the last invocation (all processes of the environment).
  int64_t max_memory_kib() const { return max_rss_kib_; }
  int64_t last_invocation_memory_kib() const { return last_window_kib_; }
  int64_t last_cpu_ns() const { return last_cpu_ns_; }
  int64_t last_freeze_ns() const { return last_freeze_ns_; }
  int64_t last_thaw_ns() const { return last_thaw_ns_; }
  const std::string& current_request_id() const;
  // True when a process of this environment (its group, or its leader's children that lead
  // groups of their own) holds the socket with this inode. Scans /proc.
  bool OwnsSocket(uint64_t inode) const;

  // runtime_api::Listener
  void OnRuntimeNext() override;
  void OnInvocationResponse(std::string body, std::string content_type) override;
  void OnInvocationError(std::string body, std::string error_type) override;
  void OnResponseTooLarge() override;
  void OnStreamStart(std::string content_type) override;
  void OnStreamChunk(std::string data) override;
  void OnStreamEnd(std::string error_type, std::string error_body) override;
  void OnInitError(std::string body, std::string error_type) override;

 private:
  // Why init or an invocation failed: the error type, and the message or the body posted.
  struct Failure {
    std::string type;
    std::string message;
    std::string body;
    bool timed_out = false;  // the cold init's timer
  };

  // Moves to the phase the table gives for `event`; false (and logged) when it refuses.
  bool Enter(EnvEvent event, EnvPhase* from, EnvAction* action);
  // Enter, then carry out the action.
  void Fire(EnvEvent event);
  void Fire(EnvEvent event, const Failure& failure);
  void Run(EnvPhase from, EnvAction action, const Failure& failure);

  Status OpenEndpoint();
  void AcceptPeer(const http::ConnectionInfo& info, std::function<void(bool)> done);
  // Host pids of the current runtime process and everything it started (for the peer check).
  std::vector<pid_t> RuntimeProcesses() const;
  void Spawn(bool cold);
  // Reports an init failure found before the spawn, asynchronously like every other.
  void PostInitFailure(LambdaError type, std::string message);
  void OnSpawned(uint64_t epoch, StatusOr<Spawner::Spawned> result);
  void AdoptProcess(Spawner::Spawned spawned);
  void InitDone(EnvPhase from);
  void RetryInit(const Failure& failure);
  void FailInvoke(const Failure& failure);
  void TimeOut();
  void Crash(const Failure& failure);
  void BeginStop(EnvPhase from);
  void FinishStop();
  void StartInvokePhase(bool readings_current);
  void DeliverEvent(bool readings_current);
  void OnDeadline();
  void EndInvocation(EndStatus status, const std::string& error_type);
  void AnswerError(const std::string& error_type, const std::string& message);
  void KillProcesses();
  void ReclaimTmp();  // deletes the /tmp image, off the loop; once the environment is dead
  void ResetProcess();
  void SampleMemory();
  void Freeze();
  void Thaw();
  int64_t CpuNanos() const;

  void StartReading();
  void DrainOutput();
  void ConsumeOutput(const char* data, size_t n);
  void Log(std::string message);  // one log event; also appended to the invocation's tail

  Deps deps_;
  lambda::FunctionConfigPtr config_;
  std::string version_;
  ReleaseFn release_;
  std::string id_;
  std::string log_group_;  // logs::GroupKey of /aws/lambda/NAME in the function's account
  std::string log_stream_;
  const bool native_;        // the Runtime API's own mechanism: no thaw-host in between
  const bool network_none_;  // thaw:network=none
  EnvPhase phase_ = EnvPhase::kCold;
  bool successor_waiting_ = false;
  int64_t last_init_ns_ = 0;
  runtime_api::RuntimeSession session_;
  runtime_api::PeerCheck peer_check_;
  std::unique_ptr<http::Server> endpoint_;
  pid_t pid_ = -1;
  // The process generation, bumped on every reset: a spawn's reply or a posted failure for an
  // earlier process compares and drops out.
  uint64_t epoch_ = 0;
  std::unique_ptr<boost::asio::posix::stream_descriptor> output_;
  char read_buf_[16384];
  std::string partial_line_;
  std::unique_ptr<Timer> init_timer_;
  std::unique_ptr<Timer> deadline_timer_;
  std::unique_ptr<Timer> kill_timer_;
  // Present from Invoke until the invocation ends: in kColdInit, kInvokeInit, kInvoking and
  // kResponded (and in kStopping when stopped during one).
  std::unique_ptr<Invocation> current_;
  int64_t init_started_ns_ = 0;
  std::optional<double> report_init_ms_;  // Init Duration for the first REPORT
  int64_t max_rss_kib_ = 0;
  sys::PeakRssReader rss_reader_;  // of the current process, opened when it starts (no cgroup)
  std::unique_ptr<SandboxCgroup> cgroup_;  // the current process's sandbox cgroup
  int64_t last_window_kib_ = 0;
  int64_t cpu_start_ns_ = 0;
  int64_t cpu_end_ns_ = 0;  // the cgroup's CPU counter at the last invocation's end
  int64_t last_cpu_ns_ = 0;
  int64_t last_freeze_ns_ = 0;
  int64_t last_thaw_ns_ = 0;
  int64_t idle_since_ns_ = 0;
  int64_t invocation_count_ = 0;
  std::vector<std::function<void()>> stop_done_;
};

}  // namespace thaw::invoker
