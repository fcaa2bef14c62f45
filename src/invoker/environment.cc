#include "invoker/environment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/codec.h"
#include "base/lambda_error.h"
#include "base/log.h"
#include "invoker/invocation_record.h"
#include "invoker/launcher_client.h"
#include "invoker/runtime_env.h"
#include "invoker/spawn_error.h"
#include "lambda/managed_runtime.h"
#include "logs/log_params.h"
#include "logs/log_store.h"
#include "logs/platform_lines.h"
#include "records/record_store.h"
#include "runtime_api/protocol.h"
#include "sys/launcher_protocol.h"
#include "sys/process_info.h"
#include "sys/unique_fd.h"

namespace thaw::invoker {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxLineBytes = size_t{256} * 1024;  // CloudWatch's largest event
constexpr size_t kTailCap = size_t{64} * 1024;  // keep at most this much of an invocation's log
constexpr size_t kTailBytes = 4096;             // X-Amz-Log-Result carries the last 4 KB
// A runtime and its extensions need a few connections each; a sandbox opening more only
// costs itself (the oldest waiting one is dropped), not the server's descriptors.
constexpr size_t kMaxRuntimeApiConnections = 64;

std::string ErrorBody(const std::string& type, const std::string& message) {
  nlohmann::json j = {{"errorType", type}, {"errorMessage", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Go's exec.ExitError text, which Lambda quotes: "exit status 3", "signal: killed".
std::string ExitText(int wait_status) {
  if (WIFEXITED(wait_status)) {
    if (WEXITSTATUS(wait_status) == 0) return "";
    return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* name = sig == SIGKILL   ? "killed"
                       : sig == SIGSEGV ? "segmentation fault"
                       : sig == SIGABRT ? "aborted"
                       : sig == SIGTERM ? "terminated"
                                        : nullptr;
    return std::string("signal: ") + (name ? name : strsignal(sig));
  }
  return "exit status 1";
}

std::string RuntimeExitMessage(int wait_status) {
  std::string text = ExitText(wait_status);
  if (text.empty()) return "Runtime exited without providing a reason";
  return "Runtime exited with error: " + text;
}

// "provided.al2023" -> "provided:al2023.v1"; "python3.12" -> "python:3.12.v1".
std::string RuntimeVersion(const std::string& runtime) {
  size_t dot = runtime.find('.');
  if (runtime.rfind("provided", 0) == 0) {
    if (dot == std::string::npos) return "provided:al1.v1";
    return "provided:" + runtime.substr(dot + 1) + ".v1";
  }
  size_t digit = runtime.find_first_of("0123456789");
  if (digit == std::string::npos) return runtime + ":v1";
  return runtime.substr(0, digit) + ":" + runtime.substr(digit) + ".v1";
}

}  // namespace

Environment::Environment(Deps deps, lambda::FunctionConfigPtr config, std::string version,
                         ReleaseFn release)
    : deps_(deps),
      config_(std::move(config)),
      version_(std::move(version)),
      release_(std::move(release)),
      id_(RandomHex(16)),
      native_(config_->mechanism == "runtime-api"),
      network_none_(config_->network == "none"),
      session_(this, {config_->name, version_, config_->handler}),
      peer_check_(deps.io, [this] { return RuntimeProcesses(); }),
      init_timer_(deps.timers.NewTimer()),
      deadline_timer_(deps.timers.NewTimer()),
      kill_timer_(deps.timers.NewTimer()) {
  log_group_ = logs::GroupKey(config_->account, "/aws/lambda/" + config_->name);
  log_stream_ = FormatLogDate(deps_.clock.RealtimeMillis()) + "/[" + version_ + "]" + id_;
}

Environment::~Environment() {
  if (pid_ > 0) deps_.spawner.Kill(pid_, SIGKILL);
  if (current_) {
    current_->Answer(
        {ErrorBody(Name(LambdaError::kSandboxFailure), "The execution environment was shut down"),
         "application/json", true, version_, "", ""});
  }
}

uint16_t Environment::runtime_api_port() const { return endpoint_ ? endpoint_->port() : 0; }

const std::string& Environment::current_request_id() const {
  static const std::string kNone;
  return current_ ? current_->event.request_id : kNone;
}

Status Environment::OpenEndpoint() {
  if (endpoint_) return Status::Ok();
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.body_limit = runtime_api::kMaxResponseBytes;
  options.max_connections = kMaxRuntimeApiConnections;
  options.max_connections_per_peer = kMaxRuntimeApiConnections;
  // The runtime's kept-alive connections sit idle while the environment is frozen; closing
  // them would make its next /response fail. The cap bounds what the sandbox can hold.
  options.idle_timeout_ms = 0;
  options.accept_check = [this](const http::ConnectionInfo& info, std::function<void(bool)> done) {
    AcceptPeer(info, std::move(done));
  };
  THAW_ASSIGN_OR_RETURN(endpoint_, http::Server::Start(deps_.io, std::move(options), &session_));
  return Status::Ok();
}

// The Runtime API must answer only this environment's processes: knowing the port (and even a
// request id) is not enough. The connecting socket must be held by one of our processes.
// Asynchronous: a runtime may connect before the spawn's answer has told us its pid.
void Environment::AcceptPeer(const http::ConnectionInfo& info, std::function<void(bool)> done) {
  if (!deps_.options.verify_runtime_peer) return done(true);
  peer_check_.Check(info, [peer = info.peer_address + ":" + std::to_string(info.peer_port),
                           id = id_, done = std::move(done)](bool ok) {
    if (!ok) {
      THAW_LOG(kWarn, "env") << "refused a Runtime API connection from " << peer
                             << " that is not from environment " << id;
    }
    done(ok);
  });
}

std::vector<pid_t> Environment::RuntimeProcesses() const {
  if (pid_ <= 0) return {};
  if (cgroup_) {
    auto procs = cgroup_->Procs();
    if (procs.ok() && !procs->empty()) return *procs;
  }
  return sys::ProcessTree(pid_);
}

bool Environment::OwnsSocket(uint64_t inode) const {
  for (pid_t member : RuntimeProcesses()) {
    if (sys::ProcessHoldsSocket(member, inode)) return true;
  }
  return false;
}

bool Environment::Enter(EnvEvent event, EnvPhase* from, EnvAction* action) {
  auto next = NextPhase(phase_, event);
  if (!next.ok()) {
    THAW_LOG(kWarn, "env") << id_ << ": " << next.status().message() << "; ignored";
    return false;
  }
  *from = phase_;
  *action = next->action;
  phase_ = next->next;
  return true;
}

void Environment::Fire(EnvEvent event) { Fire(event, Failure()); }

void Environment::Fire(EnvEvent event, const Failure& failure) {
  EnvPhase from;
  EnvAction action;
  if (Enter(event, &from, &action)) Run(from, action, failure);
}

// The actions whose data comes with their event (a spawn's reply, the runtime's answer) run
// in that event's handler instead.
void Environment::Run(EnvPhase from, EnvAction action, const Failure& failure) {
  switch (action) {
    case EnvAction::kNone:
      return;
    case EnvAction::kStartColdInit:
      Spawn(/*cold=*/true);
      return;
    case EnvAction::kStartInvokeInit:
      // A reset environment: init runs inside this invocation and counts against its timeout.
      StartInvokePhase(/*readings_current=*/false);
      Spawn(/*cold=*/false);
      return;
    case EnvAction::kDeliver:
      InitDone(from);
      return;
    case EnvAction::kDeliverWarm:
      // Ready at once: no extra clock read.
      current_->ready_ns = current_->received_ns;
      DeliverEvent(/*readings_current=*/false);
      return;
    case EnvAction::kDeliverThawed: {
      // Nothing ran since the last invocation's end, whose readings stand (with a counter).
      bool readings_current = cpu_end_ns_ > 0;
      Thaw();
      // Ready once thawed: the thaw's own timing serves, no extra clock read.
      current_->ready_ns = current_->received_ns + last_thaw_ns_;
      DeliverEvent(readings_current);
      return;
    }
    case EnvAction::kRetryInit:
      RetryInit(failure);
      return;
    case EnvAction::kFailInvoke:
      FailInvoke(failure);
      return;
    case EnvAction::kEndInvocation:
      EndInvocation(EndStatus::kSuccess, "");
      return;
    case EnvAction::kTimeOut:
      TimeOut();
      return;
    case EnvAction::kCrash:
      Crash(failure);
      return;
    case EnvAction::kForgetProcess:
      // Died while idle: the next invocation re-initializes.
      ResetProcess();
      return;
    case EnvAction::kBeginStop:
      BeginStop(from);
      return;
    case EnvAction::kFinishStop:
      FinishStop();
      return;
    case EnvAction::kGiveUpStop:
      THAW_LOG(kWarn, "env") << "no exit reported for pid " << pid_ << "; giving up";
      FinishStop();
      return;
    case EnvAction::kAdoptProcess:
    case EnvAction::kKeepResult:
    case EnvAction::kAnswerTooLarge:
      THAW_CHECK(false) << EnvActionName(action) << " runs in its event's handler";
      return;
  }
}

void Environment::Invoke(std::unique_ptr<Invocation> invocation) {
  THAW_DCHECK(invocation != nullptr);
  THAW_DCHECK(state() == EnvState::kCold || state() == EnvState::kIdle) << EnvPhaseName(phase_);
  THAW_DCHECK(current_ == nullptr);
  ++invocation_count_;
  current_ = std::move(invocation);
  current_->cold = state() != EnvState::kIdle;
  EnvPhase from;
  EnvAction action;
  if (!Enter(EnvEvent::kInvoke, &from, &action)) {
    AnswerError(Name(LambdaError::kSandboxFailure), "The execution environment is not available");
    current_.reset();
    return;
  }
  Run(from, action, {});
}

void Environment::Spawn(bool cold) {
  init_started_ns_ = deps_.clock.MonotonicNanos();
  // A managed runtime (python3.x) runs its own tree's bootstrap, never the zip's.
  const lambda::ManagedRuntime* managed =
      native_ ? lambda::HostManagedRuntime(lambda::ManagedFamily(config_->runtime)) : nullptr;
  if (cold) {
    std::string version = managed && managed->ok() ? lambda::ManagedRuntimeVersion(*managed)
                                                   : RuntimeVersion(config_->runtime);
    Log(logs::FormatInitStart(version, "arn:aws:lambda:us-east-1::runtime:" + Sha256Hex(version)));
    init_timer_->StartAt(init_started_ns_ + deps_.options.init_timeout_ms * 1000000, [this] {
      Failure failure;
      failure.timed_out = true;
      Fire(EnvEvent::kInitTimeout, failure);
    });
  }
  // Other mechanisms run thaw-host, which checks the handler's file itself and says what to fix.
  const bool native = native_;
  std::string bootstrap = config_->code_dir + "/bootstrap";
  std::string sandbox_bootstrap = "/var/task/bootstrap";
  struct stat st {};
  if (managed) {
    bootstrap = managed->dir + "/bootstrap";
    sandbox_bootstrap = "/var/runtime/bootstrap";
  } else if (native && sandboxed() && !config_->opt_dir.empty() &&
             (stat(bootstrap.c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
    // Lambda's second choice: a bootstrap from a layer.
    bootstrap = config_->opt_dir + "/bootstrap";
    sandbox_bootstrap = "/opt/bootstrap";
  }
  if (!sandboxed() && !config_->layers.empty() && cold) {
    THAW_LOG(kWarn, "env") << config_->name
                           << ": layers are NOT mounted at /opt and their extensions do not run "
                              "(no sandbox here: run thaw serve as root)";
  }
  if (managed && !managed->ok()) {
    // Checked at CreateFunction; a function stored before the tree went away ends here.
    PostInitFailure(LambdaError::kRuntimeInvalidEntrypoint,
                    config_->runtime + " is not available on this host: " + managed->problem);
    return;
  }
  if (managed && cold) {
    if (std::string note = lambda::VersionNote(config_->runtime, *managed); !note.empty()) {
      THAW_LOG(kInfo, "env") << config_->name << ": " << note;
    }
  }
  if (native && (stat(bootstrap.c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
    PostInitFailure(LambdaError::kRuntimeInvalidEntrypoint,
                    "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
    return;
  }
  // thaw:network=none: the shell listens in the sandbox's own network namespace and the launcher
  // hands that socket over with the spawn's reply (OnSpawned). Without namespaces it cannot be.
  const bool no_network = network_none_;
  const bool isolated = sandboxed() && no_network;
  if (!sandboxed() && no_network && cold) {
    THAW_LOG(kWarn, "env") << config_->name
                           << ": thaw:network=none is NOT enforced (no namespaces here); the "
                              "function shares the host's network";
  }
  if (Status s = isolated ? Status::Ok() : OpenEndpoint(); !s.ok()) {
    THAW_LOG(kError, "env") << "cannot open Runtime API endpoint: " << s.ToString();
    PostInitFailure(LambdaError::kRuntimeUnknown, "Runtime API unavailable");
    return;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    PostInitFailure(LambdaError::kRuntimeUnknown, "cannot create a pipe");
    return;
  }
  sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
  fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  output_ = std::make_unique<asio::posix::stream_descriptor>(deps_.io, read_end.Release());
  partial_line_.clear();
  StartReading();

  RuntimeEnvInputs inputs;
  inputs.config = config_.get();
  inputs.version = version_;
  inputs.log_stream = log_stream_;
  inputs.runtime_api =
      "127.0.0.1:" + std::to_string(isolated ? sys::kIsolatedRuntimeApiPort : endpoint_->port());
  inputs.endpoint_url = deps_.options.front_door_url;
  inputs.credential_key = deps_.options.credential_key;
  inputs.task_root = config_->code_dir;
  if (managed) inputs.runtime_dir = managed->dir;
  sys::SpawnSpec spec;
  if (sandboxed()) {
    inputs.task_root = "/var/task";
    spec.path = native ? sandbox_bootstrap : "/var/runtime/thaw-host";
    spec.cwd = "/var/task";
    spec.sandbox.enabled = true;
    spec.sandbox.code_dir = config_->code_dir;
    spec.sandbox.tmp_image = deps_.options.sandbox_tmp_dir + "/" + id_ + ".img";
    spec.sandbox.tmp_mb = config_->ephemeral_mb;
    spec.sandbox.memory_mb = config_->memory_mb;
    spec.sandbox.isolated_network = isolated;
    spec.sandbox.opt_dir = config_->opt_dir;
    spec.sandbox.extensions = config_->extensions;
    if (managed) {
      inputs.runtime_dir = "/var/runtime";
      spec.sandbox.runtime_dir = managed->dir;
    }
  } else {
    spec.path = native ? bootstrap : deps_.options.host_path;
    spec.cwd = config_->code_dir;
  }
  spec.argv = {spec.path};
  spec.env = BuildRuntimeEnv(inputs);
  session_.ExpectExtensions(sandboxed() ? config_->extensions : std::vector<std::string>{});
  if (!native) {
    spec.argv.push_back(config_->mechanism);
    spec.env.push_back("THAW_MECHANISM=" + config_->mechanism);
  }
  uint64_t epoch = epoch_;
  // The spawner holds its own copy of write_end once Spawn returns; ours closes here. Its
  // answer may come inside the call: nothing here may run after it.
  deps_.spawner.Spawn(
      std::move(spec), write_end.get(),
      [this, epoch](StatusOr<Spawner::Spawned> r) { OnSpawned(epoch, std::move(r)); });
}

void Environment::PostInitFailure(LambdaError type, std::string message) {
  // Posted, so that the failure unwinds like any other asynchronous init failure.
  asio::post(deps_.io, [this, epoch = epoch_, type, message = std::move(message)] {
    if (epoch != epoch_) return;
    Fire(EnvEvent::kInitFailed, {Name(type), message, "", false});
  });
}

void Environment::OnSpawned(uint64_t epoch, StatusOr<Spawner::Spawned> result) {
  if (epoch != epoch_ || phase_ == EnvPhase::kDead) {
    if (result.ok()) deps_.spawner.Kill(result->pid, SIGKILL);
    // Stopped while this spawn was under way: the launcher may have made the image since.
    if (phase_ == EnvPhase::kDead) ReclaimTmp();
    return;
  }
  if (!result.ok()) {
    SpawnError error = ClassifySpawnFailure(result.status(), config_->mechanism);
    if (error.type == LambdaError::kSandboxFailure) {
      THAW_LOG(kWarn, "env") << config_->name << ": " << error.detail;
    }
    Fire(EnvEvent::kInitFailed, {Name(error.type), error.message, "", false});
    return;
  }
  EnvPhase from;
  EnvAction action;
  if (!Enter(EnvEvent::kSpawned, &from, &action)) {
    deps_.spawner.Kill(result->pid, SIGKILL);
    return;
  }
  AdoptProcess(std::move(*result));
}

void Environment::AdoptProcess(Spawner::Spawned spawned) {
  pid_ = spawned.pid;
  if (spawned.runtime_listener.valid()) {
    // Only this sandbox's processes live in its network namespace: no peer check is needed.
    http::ServerOptions options;
    options.adopt_fd = spawned.runtime_listener.Release();
    options.body_limit = runtime_api::kMaxResponseBytes;
    options.max_connections = kMaxRuntimeApiConnections;
    options.max_connections_per_peer = kMaxRuntimeApiConnections;
    options.idle_timeout_ms = 0;  // see OpenEndpoint
    auto endpoint = http::Server::Start(deps_.io, std::move(options), &session_);
    if (!endpoint.ok()) {
      THAW_LOG(kError, "env") << "cannot serve the Runtime API: " << endpoint.status().ToString();
      Fire(EnvEvent::kInitFailed,
           {Name(LambdaError::kRuntimeUnknown), "Runtime API unavailable", "", false});
      return;
    }
    endpoint_ = std::move(*endpoint);
  } else if (sandboxed() && network_none_) {
    Fire(EnvEvent::kInitFailed,
         {Name(LambdaError::kRuntimeUnknown),
          "the sandbox's network namespace has no Runtime API socket", "", false});
    return;
  }
  auto cgroup = deps_.spawner.OpenCgroup(spawned.cgroup);
  if (!cgroup.ok()) {
    THAW_LOG(kWarn, "env") << "cannot open the sandbox cgroup: " << cgroup.status().ToString();
  } else if (*cgroup) {
    cgroup_ = std::move(*cgroup);
  } else {
    rss_reader_ = sys::PeakRssReader(pid_);
  }
  peer_check_.ProcessesKnown();
}

// Init is done: the runtime (and every extension) asked for the first event.
void Environment::InitDone(EnvPhase from) {
  THAW_DCHECK(current_ != nullptr);
  init_timer_->Cancel();
  int64_t now = deps_.clock.MonotonicNanos();
  double init_ms = static_cast<double>(now - init_started_ns_) / 1e6;
  current_->ready_ns = now;
  current_->init_ns = now - init_started_ns_;
  last_init_ns_ = current_->init_ns;
  // Measure now: a runtime that later crashes or times out is gone before any response, and
  // its REPORT must still show the memory it used, as Lambda's does (never 0 MB).
  SampleMemory();
  if (from == EnvPhase::kColdInit) report_init_ms_ = init_ms;
  DeliverEvent(/*readings_current=*/false);
}

void Environment::OnRuntimeNext() { Fire(EnvEvent::kRuntimeNext); }

// The invoke phase starts: Duration and the function timeout run from here, and START is logged.
// `readings_current`: a thawed environment ran nothing since the last invocation's end, whose
// readings stand; only after init (or without a freezer) are fresh ones needed. Saves two
// reads per invoke.
void Environment::StartInvokePhase(bool readings_current) {
  if (cgroup_) {
    if (!readings_current) SampleMemory();  // init's use stays in the environment's max
    (void)cgroup_->ResetMemoryPeak();
  }
  cpu_start_ns_ = readings_current ? cpu_end_ns_ : CpuNanos();
  int64_t now = deps_.clock.MonotonicNanos();
  current_->delivered_ns = now;
  current_->deadline_ns = now + config_->timeout_s * 1000000000;
  deadline_timer_->StartAt(current_->deadline_ns, [this] { OnDeadline(); });
  Log(logs::FormatStart(current_->event.request_id, version_));
}

void Environment::DeliverEvent(bool readings_current) {
  DrainOutput();
  if (current_->delivered_ns == 0) StartInvokePhase(readings_current);
  int64_t now = deps_.clock.MonotonicNanos();
  runtime_api::Event& kept = current_->event;
  kept.deadline_ms = deps_.clock.RealtimeMillis() + (current_->deadline_ns - now) / 1000000;
  // The payload (up to 6 MB) moves on to the runtime; only the small fields are copied.
  std::string payload = std::move(kept.payload);
  runtime_api::Event event = kept;
  event.payload = std::move(payload);
  if (current_->hlc) {
    event.trace_id =
        trace::ForCallee(current_->caller, trace::SpanIdFor(kept.request_id), current_->hlc->Now());
  }
  session_.Deliver(std::move(event));
}

void Environment::OnInvocationResponse(std::string body, std::string content_type) {
  EnvPhase from;
  EnvAction action;
  if (!Enter(EnvEvent::kResponse, &from, &action)) return;
  // Without the tail the answer goes out now, and Answer's stamp serves for both.
  if (current_->want_tail) current_->Stamp(current_->responded_ns);
  current_->result =
      InvokeResult{std::move(body), std::move(content_type), false, version_, "", ""};
  if (!current_->want_tail) current_->Answer(std::move(*current_->result));
}

void Environment::OnInvocationError(std::string body, std::string error_type) {
  EnvPhase from;
  EnvAction action;
  if (!Enter(EnvEvent::kResponse, &from, &action)) return;
  if (current_->want_tail) current_->Stamp(current_->responded_ns);
  if (current_->clock) current_->error_type = ErrorTypeOf(error_type, body);
  if (body.empty()) {
    body = ErrorBody(error_type.empty() ? Name(LambdaError::kRuntimeUnknown) : error_type, "");
  }
  current_->result = InvokeResult{std::move(body), "application/json", true, version_, "", ""};
  if (!current_->want_tail) current_->Answer(std::move(*current_->result));
}

void Environment::OnResponseTooLarge() {
  EnvPhase from;
  EnvAction action;
  if (!Enter(EnvEvent::kResponseTooLarge, &from, &action)) return;
  AnswerError(Name(LambdaError::kFunctionResponseSizeTooLarge),
              "Response payload size exceeded maximum allowed payload size (" +
                  std::to_string(runtime_api::kMaxResponseBytes) + " bytes).");
}

void Environment::OnStreamStart(std::string content_type) {
  if (!current_ || current_->result) return;
  current_->streamed = true;
  if (current_->sink) return current_->sink->OnStart(content_type);
  current_->stream_content_type = std::move(content_type);
}

void Environment::OnStreamChunk(std::string data) {
  if (!current_ || current_->result) return;
  if (current_->sink) return current_->sink->OnChunk(std::move(data));
  // A plain Invoke of a streaming function gets the whole, within the buffered limit.
  if (current_->stream_body.size() + data.size() > runtime_api::kMaxResponseBytes) {
    current_->stream_too_large = true;
    current_->stream_body.clear();
  }
  if (!current_->stream_too_large) current_->stream_body += data;
}

void Environment::OnStreamEnd(std::string error_type, std::string error_body) {
  if (!current_ || current_->result) return;
  if (!error_type.empty()) return OnInvocationError(std::move(error_body), std::move(error_type));
  if (current_->stream_too_large) return OnResponseTooLarge();
  OnInvocationResponse(std::move(current_->stream_body),
                       current_->sink ? "application/octet-stream" : current_->stream_content_type);
}

// The session has filtered the type already: FromRuntime for the runtime's, FromExtension for
// an extension's (which keeps Extension.*).
void Environment::OnInitError(std::string body, std::string error_type) {
  Fire(EnvEvent::kInitError, {std::move(error_type), "", std::move(body), false});
}

void Environment::AnswerError(const std::string& error_type, const std::string& message) {
  if (!current_ || current_->result) return;
  current_->result =
      InvokeResult{ErrorBody(error_type, message), "application/json", true, version_, "", ""};
  if (!current_->want_tail) current_->Answer(std::move(*current_->result));
}

// The cold init failed: Lambda retries init inside the invoke phase, within the function's
// timeout. Every later init of this environment is such a suppressed init.
void Environment::RetryInit(const Failure& failure) {
  init_timer_->Cancel();
  double init_ms = static_cast<double>(deps_.clock.MonotonicNanos() - init_started_ns_) / 1e6;
  KillProcesses();
  ResetProcess();
  Log(logs::FormatInitReport(
      init_ms, "init", EndStatusName(failure.timed_out ? EndStatus::kTimeout : EndStatus::kError),
      failure.timed_out ? "" : failure.type));
  StartInvokePhase(/*readings_current=*/false);
  Spawn(/*cold=*/false);
}

// Init inside the invocation failed: the invocation fails with it.
void Environment::FailInvoke(const Failure& failure) {
  THAW_DCHECK(current_ != nullptr);
  double init_ms = static_cast<double>(deps_.clock.MonotonicNanos() - init_started_ns_) / 1e6;
  KillProcesses();
  ResetProcess();
  Log(logs::FormatInitReport(init_ms, "invoke", EndStatusName(EndStatus::kError), failure.type));
  const std::string& id = current_->event.request_id;
  if (!failure.body.empty()) {
    if (!current_->result) {
      current_->result = InvokeResult{failure.body, "application/json", true, version_, "", ""};
      if (!current_->want_tail) current_->Answer(std::move(*current_->result));
    }
  } else {
    Log("RequestId: " + id + " Error: " + failure.message);
    Log(failure.type);
    AnswerError(failure.type, "RequestId: " + id + " Error: " + failure.message);
  }
  EndInvocation(EndStatus::kError, failure.type);
}

void Environment::OnDeadline() { Fire(EnvEvent::kDeadline); }

void Environment::TimeOut() {
  THAW_DCHECK(current_ != nullptr);
  const std::string& id = current_->event.request_id;
  double timeout_s = static_cast<double>(config_->timeout_s);
  Log(logs::FormatTimeoutLine(deps_.clock.RealtimeMillis(), id, timeout_s));
  KillProcesses();  // first: the processes must be gone soon after the deadline
  char seconds[32];
  snprintf(seconds, sizeof seconds, "%.2f", timeout_s);
  AnswerError(Name(LambdaError::kSandboxTimedout),
              "RequestId: " + id + " Error: Task timed out after " + seconds + " seconds");
  init_timer_->Cancel();
  ResetProcess();
  EndInvocation(EndStatus::kTimeout, "");
}

void Environment::OnProcessExit(pid_t pid, int wait_status, int64_t max_memory_kib,
                                int64_t oom_kills) {
  if (pid != pid_) return;
  max_rss_kib_ = std::max(max_rss_kib_, max_memory_kib);
  last_window_kib_ = std::max(last_window_kib_, max_memory_kib);
  cgroup_.reset();  // the launcher removes it
  cpu_end_ns_ = 0;
  // The cgroup's OOM killer ended the runtime: Lambda's Runtime.OutOfMemory.
  bool oom = oom_kills > 0 && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL;
  LambdaError exit_type = oom ? LambdaError::kRuntimeOutOfMemory : LambdaError::kRuntimeExitError;
  std::string message = RuntimeExitMessage(wait_status);
  if (sys::IsExtensionExit(wait_status)) {
    // An external extension exited outside a shutdown; the shell ended the sandbox.
    size_t index = sys::ExtensionExitIndex(wait_status);
    int status = sys::ExtensionExitStatus(wait_status);
    std::string name = index < config_->extensions.size() ? config_->extensions[index] : "?";
    std::string text = ExitText(status);
    exit_type = LambdaError::kExtensionCrash;
    message = "Extension " + name + " exited" + (text.empty() ? "" : " with error: " + text);
  }
  // Output still in the pipe belongs before what follows the exit.
  DrainOutput();
  pid_ = -1;
  Fire(EnvEvent::kProcessExit, {Name(exit_type), std::move(message), "", false});
}

// The process died during the invocation.
void Environment::Crash(const Failure& failure) {
  THAW_DCHECK(current_ != nullptr);
  const std::string& id = current_->event.request_id;
  Log("RequestId: " + id + " Error: " + failure.message);
  Log(failure.type);
  AnswerError(failure.type, "RequestId: " + id + " Error: " + failure.message);
  ResetProcess();
  EndInvocation(EndStatus::kError, failure.type);
}

void Environment::EndInvocation(EndStatus status, const std::string& error_type) {
  THAW_DCHECK(current_ != nullptr);
  DrainOutput();
  deadline_timer_->Cancel();
  int64_t now = deps_.clock.MonotonicNanos();
  Invocation& inv = *current_;
  int64_t end_ns = status == EndStatus::kTimeout ? inv.deadline_ns : now;
  double duration_ms = static_cast<double>(end_ns - inv.delivered_ns) / 1e6;
  SampleMemory();
  if (int64_t cpu = CpuNanos(); cpu > 0) {
    last_cpu_ns_ = cpu - cpu_start_ns_;
    cpu_end_ns_ = cpu;
  }
  Log(logs::FormatEnd(inv.event.request_id));
  logs::ReportFields report;
  report.request_id = inv.event.request_id;
  report.duration_ms = duration_ms;
  report.init_duration_ms = report_init_ms_;
  report_init_ms_.reset();
  report.billed_ms = logs::BilledMillis(duration_ms, report.init_duration_ms);
  report.memory_mb = config_->memory_mb;
  report.max_memory_used_mb = (max_rss_kib_ + 1023) / 1024;
  // Under a memory limit the cgroup's peak can pass it by the kernel's last page charges
  // before the OOM kill; Lambda never reports more than Memory Size.
  if (sandboxed() && (deps_.options.sandbox_features & sys::kFeatureMemory)) {
    report.max_memory_used_mb = std::min(report.max_memory_used_mb, config_->memory_mb);
  }
  report.status = EndStatusName(status);
  report.error_type = error_type;
  Log(logs::FormatReport(report));
  if (!inv.result) {
    inv.result =
        InvokeResult{ErrorBody(Name(LambdaError::kRuntimeUnknown),
                               "RequestId: " + inv.event.request_id + " Error: no response"),
                     "application/json",
                     true,
                     version_,
                     "",
                     ""};
  }
  if (!inv.answered) {
    InvokeResult result = std::move(*inv.result);
    if (inv.want_tail) {
      const std::string& text = inv.log_text;
      result.log_tail = text.size() > kTailBytes ? text.substr(text.size() - kTailBytes) : text;
    }
    inv.Answer(std::move(result));
  }
  // Lambda freezes an environment between invocations: nothing in it runs while idle. A
  // failed one was reset: its processes are gone and init re-runs on the next invoke.
  if (phase_ == EnvPhase::kIdle && !successor_waiting_) Freeze();
  if (deps_.options.records && inv.clock) {  // after the freeze, whose time it records
    deps_.options.records->Add(
        MakeRecord(inv, {*config_, version_, id_, EndStatusName(status), error_type, now,
                         end_ns - inv.delivered_ns, report.billed_ms, report.max_memory_used_mb,
                         last_cpu_ns_, phase_ == EnvPhase::kFrozen ? last_freeze_ns_ : 0}));
  }
  current_.reset();
  idle_since_ns_ = now;
  release_(this);  // may destroy this
}

void Environment::KillProcesses() {
  if (pid_ <= 0) return;
  SampleMemory();  // the last chance: the REPORT of a timeout or failed init needs it
  deps_.spawner.Kill(pid_, SIGKILL);
}

void Environment::ResetProcess() {
  DrainOutput();
  if (!partial_line_.empty()) Log(std::move(partial_line_));
  ++epoch_;
  pid_ = -1;
  peer_check_.ProcessesGone();
  rss_reader_ = sys::PeakRssReader();
  cgroup_.reset();
  cpu_end_ns_ = 0;  // a new process gets a new cgroup and counter
  session_.Reset();
  // A fresh endpoint, so nothing the killed process had in flight reaches the next one.
  if (endpoint_) endpoint_->Stop();
  endpoint_.reset();
  output_.reset();
  partial_line_.clear();
}

void Environment::Stop(std::function<void()> done) {
  if (phase_ == EnvPhase::kDead) {
    done();
    return;
  }
  stop_done_.push_back(std::move(done));
  Fire(EnvEvent::kStop);
}

void Environment::BeginStop(EnvPhase from) {
  init_timer_->Cancel();
  deadline_timer_->Cancel();
  if (current_)
    AnswerError(Name(LambdaError::kSandboxFailure), "The execution environment was shut down");
  if (current_ && !current_->answered && current_->result)
    current_->Answer(std::move(*current_->result));
  if (pid_ <= 0) {
    // Nothing runs (or its spawn is still under way, and the reset makes its reply kill it).
    ResetProcess();
    Fire(EnvEvent::kProcessExit);
    return;
  }
  if (from == EnvPhase::kFrozen) Thaw();  // a frozen runtime could not handle SIGTERM or SHUTDOWN
  int64_t budget_ms = 0;
  if (session_.has_extensions()) {
    budget_ms = session_.only_internal_extensions() ? deps_.options.shutdown_internal_ms
                                                    : deps_.options.shutdown_external_ms;
    session_.SendShutdown("spindown", deps_.clock.RealtimeMillis() + budget_ms);
    deps_.spawner.Kill(pid_, SIGTERM);
  } else {
    deps_.spawner.Kill(pid_, SIGKILL);
  }
  // SIGKILL at the end of the budget; and if no exit is ever reported, give up.
  StopSchedule schedule = StopScheduleFor(budget_ms);
  int64_t start = deps_.clock.MonotonicNanos();
  kill_timer_->StartAt(start + schedule.kill_ms * 1000000, [this, start, schedule] {
    if (pid_ > 0) deps_.spawner.Kill(pid_, SIGKILL);
    kill_timer_->StartAt(start + schedule.give_up_ms * 1000000,
                         [this] { Fire(EnvEvent::kStopTimeout); });
  });
}

void Environment::FinishStop() {
  DrainOutput();
  pid_ = -1;
  ReclaimTmp();
  kill_timer_->Cancel();
  std::vector<std::function<void()>> done = std::move(stop_done_);
  stop_done_.clear();
  for (auto& callback : done) callback();
}

void Environment::ReclaimTmp() {
  if (!sandboxed() || !deps_.options.reclaim || deps_.options.sandbox_tmp_dir.empty()) return;
  // The image, or the directory the launcher uses instead without loop devices. A sandbox
  // still dying keeps the image's blocks until its loop device detaches; the name goes now.
  std::string image = deps_.options.sandbox_tmp_dir + "/" + id_ + ".img";
  asio::post(*deps_.options.reclaim, [image = std::move(image)] {
    std::error_code ec;
    std::filesystem::remove(image, ec);
    std::filesystem::remove_all(image + ".d", ec);
  });
}

bool Environment::sandboxed() const {
  return (deps_.options.sandbox_features & sys::kFeatureNamespaces) != 0;
}

// Max Memory Used: the sandbox cgroup's peak (everything the environment's processes use,
// page cache included, as in Lambda's VM), else the runtime process's VmHWM. The kernel's peak
// is reset at each invocation start, so it measures that invocation; REPORT shows the maximum
// over the environment's life, as Lambda's does.
void Environment::SampleMemory() {
  if (pid_ <= 0) return;
  if (cgroup_) {
    auto bytes = cgroup_->MemoryPeakBytes();
    if (!bytes.ok()) return;
    last_window_kib_ = *bytes / 1024;
    max_rss_kib_ = std::max(max_rss_kib_, last_window_kib_);
    return;
  }
  auto kib = rss_reader_.Read();
  if (kib.ok() && *kib > max_rss_kib_) max_rss_kib_ = *kib;
  if (kib.ok()) last_window_kib_ = *kib;
}

int64_t Environment::CpuNanos() const {
  if (cgroup_) {
    auto ns = cgroup_->CpuUsageNanos();
    if (ns.ok()) return *ns;
  }
  return 0;
}

// The freezer's cost is the write itself; the kernel completes the freeze asynchronously.
// A failed freeze leaves the environment idle and running, as without a freezer.
void Environment::Freeze() {
  THAW_DCHECK(phase_ == EnvPhase::kIdle) << EnvPhaseName(phase_);
  if (!deps_.options.freeze_idle || !cgroup_ || pid_ <= 0) return;
  int64_t start = deps_.clock.MonotonicNanos();
  Status s = cgroup_->Freeze();
  if (!s.ok()) {
    THAW_LOG(kWarn, "env") << "freeze failed: " << s.ToString();
    return;
  }
  last_freeze_ns_ = deps_.clock.MonotonicNanos() - start;
  Fire(EnvEvent::kFrozen);
}

// Only for an environment that was frozen: the caller knows, from the phase it left.
void Environment::Thaw() {
  if (!cgroup_) return;
  int64_t start = deps_.clock.MonotonicNanos();
  Status s = cgroup_->Thaw();
  if (!s.ok()) THAW_LOG(kWarn, "env") << "thaw failed: " << s.ToString();
  last_thaw_ns_ = deps_.clock.MonotonicNanos() - start;
}

void Environment::StartReading() {
  if (!output_) return;
  output_->async_read_some(asio::buffer(read_buf_),
                           [this, fd = output_.get()](boost::system::error_code ec, size_t n) {
                             if (ec == asio::error::operation_aborted) return;
                             if (output_.get() != fd) return;
                             if (n > 0) ConsumeOutput(read_buf_, n);
                             if (ec) return;  // EOF: every writer closed
                             StartReading();
                           });
}

void Environment::DrainOutput() {
  if (!output_) return;
  for (;;) {
    ssize_t n = ::read(output_->native_handle(), read_buf_, sizeof read_buf_);
    if (n <= 0) break;
    ConsumeOutput(read_buf_, static_cast<size_t>(n));
  }
}

void Environment::ConsumeOutput(const char* data, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    if (data[i] != '\n') continue;
    partial_line_.append(data + start, i - start + 1);
    Log(std::move(partial_line_));
    partial_line_.clear();
    start = i + 1;
  }
  partial_line_.append(data + start, n - start);
  if (partial_line_.size() >= kMaxLineBytes) {
    Log(std::move(partial_line_));
    partial_line_.clear();
  }
}

void Environment::Log(std::string message) {
  if (message.empty() || message.back() != '\n') message.push_back('\n');
  if (current_) {
    current_->log_text += message;
    if (current_->log_text.size() > kTailCap) {
      current_->log_text.erase(0, current_->log_text.size() - kTailBytes);
    }
  }
  if (deps_.log_store) {
    deps_.log_store->Append(
        {log_group_, log_stream_, deps_.clock.RealtimeMillis(), std::move(message)});
  }
}

}  // namespace thaw::invoker
