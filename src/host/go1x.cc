// The go1.x mechanism: AWS Lambda's legacy go1.x runtime. thaw-host starts the handler binary with
// _LAMBDA_SERVER_PORT set, which makes aws-lambda-go's lambda.Start serve Go net/rpc there, and
// calls Function.Ping once and Function.Invoke per event (go1x_rpc.h).
//
// Init's error types (InitErrorType): Runtime.InvalidEntrypoint when the binary is missing, not
// executable or cannot be executed; Runtime.ExitError when it exits before answering Ping (Lambda's
// type for a runtime that exits during init); Runtime.InitError when it runs but does not serve
// Function.Ping within 9 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/lambda_error.h"
#include "host/go1x_rpc.h"
#include "host/mechanism.h"
#include "host/process.h"
#include "sys/unique_fd.h"

extern char** environ;

namespace thaw::host {
namespace {

// Connecting and Ping share this budget, so that thaw's 10 s init timeout is not what fires.
constexpr int64_t kStartMillis = 9000;
// How long a function whose connection broke gets to finish exiting before it is killed.
constexpr int64_t kExitGraceMillis = 2000;
// After a panic aws-lambda-go's own Runtime API loop ends in log.Fatalf: exit status 1.
const int kPanicExitStatus = ExitedWith(1);

void SleepMillis(int64_t ms) {
  timespec ts{.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int64_t NowMillis() { return SystemClock::Get().MonotonicNanos() / 1000000; }

// The function's process. Killed and reaped on destruction unless it was reaped already.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  // Its wait status if it has exited (reaping it), else nullopt.
  std::optional<int> TryWait() {
    if (!status_) Wait(WNOHANG);
    return status_;
  }

  // Waits up to `ms` for it to exit on its own, then kills it. Returns its wait status.
  int WaitFor(int64_t ms) {
    for (int64_t deadline = NowMillis() + ms; !TryWait() && NowMillis() < deadline;) {
      SleepMillis(2);
    }
    return Kill();
  }

  int Kill() {
    if (!status_) {
      kill(pid_, SIGKILL);
      Wait(0);
    }
    return *status_;
  }

 private:
  void Wait(int flags) {
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid_, &status, flags)) < 0 && errno == EINTR) {
    }
    if (r == pid_) status_ = status;
    if (r < 0) status_ = ExitedWith(1);  // ECHILD: reaped elsewhere, its status is lost
  }

  pid_t pid_;
  std::optional<int> status_;
};

// Starts `path` with this environment plus _LAMBDA_SERVER_PORT, minus AWS_LAMBDA_RUNTIME_API: a
// binary built with -tags lambda.norpc then stops at once ("expected AWS Lambda environment
// variables ...") instead of taking thaw-host's invocations from the Runtime API. posix_spawn
// reports exec failures (a binary for another architecture) as errors, and resets signal
// dispositions (thaw-host ignores SIGPIPE) and the mask.
StatusOr<pid_t> Spawn(const std::string& path, int port) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("_LAMBDA_SERVER_PORT=") && !kv.starts_with("AWS_LAMBDA_RUNTIME_API=")) {
      env.emplace_back(kv);
    }
  }
  env.push_back("_LAMBDA_SERVER_PORT=" + std::to_string(port));
  std::vector<char*> envp;
  for (std::string& kv : env) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int err = posix_spawn(&pid, path.c_str(), nullptr, &attr, argv, envp.data());
  posix_spawnattr_destroy(&attr);
  if (err != 0) return Status::FailedPrecondition(std::strerror(err));
  return pid;
}

// aws-lambda-go listens on "localhost:port": Go picks 127.0.0.1, or ::1 without IPv4 loopback.
std::optional<sys::UniqueFd> TryConnect(int port) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<uint16_t>(port));
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4.sin_port;
  v6.sin6_addr = in6addr_loopback;
  for (auto [family, addr, len] :
       {std::tuple{AF_INET, reinterpret_cast<sockaddr*>(&v4), socklen_t{sizeof(v4)}},
        std::tuple{AF_INET6, reinterpret_cast<sockaddr*>(&v6), socklen_t{sizeof(v6)}}}) {
    sys::UniqueFd fd(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.valid() && connect(fd.get(), addr, len) == 0) return fd;
  }
  return std::nullopt;
}

void SetTimeouts(int fd, int64_t ms) {
  timeval tv{.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

GoInvokeError RpcError(std::string message) {
  GoInvokeError e;
  e.message = std::move(message);
  e.type = Name(LambdaError::kRuntimeGoRpcError);
  return e;
}

class Go1xMechanism final : public Mechanism {
 public:
  explicit Go1xMechanism(std::string binary) : binary_(std::move(binary)) {}

  Status Init() override {
    if (Status s = CheckExecutable(binary_, "go1.x: the handler"); !s.ok()) {
      return Fail(Name(LambdaError::kRuntimeInvalidEntrypoint), s.message());
    }
    // Held until Init returns, so no other process's free-port pick lands on it meanwhile.
    StatusOr<PortReservation> reservation = ReservePort();
    if (!reservation.ok()) {
      return Fail(Name(LambdaError::kRuntimeInitError), "go1.x: " + reservation.status().message());
    }
    const int port = reservation->port;
    port_ = "_LAMBDA_SERVER_PORT=" + std::to_string(port);
    StatusOr<pid_t> pid = Spawn(binary_, port);
    if (!pid.ok()) {
      return Fail(Name(LambdaError::kRuntimeInvalidEntrypoint),
                  "go1.x: cannot run " + binary_ + ": " + pid.status().message() +
                      "; build it for Linux on this machine's architecture (GOOS=linux, "
                      "GOARCH=amd64 or arm64)");
    }
    child_ = std::make_unique<ChildProcess>(*pid);

    int64_t deadline = NowMillis() + kStartMillis;
    std::optional<sys::UniqueFd> conn;
    while (!(conn = TryConnect(port))) {
      if (std::optional<int> status = child_->TryWait()) return ExitedBeforePing(*status);
      if (NowMillis() >= deadline) {
        return Fail(Name(LambdaError::kRuntimeInitError),
                    "go1.x: nothing accepted connections on " + port_ + " within " +
                        std::to_string(kStartMillis / 1000) + " s of starting " + binary_ +
                        "; main must call aws-lambda-go's lambda.Start (in a binary built "
                        "without -tags lambda.norpc) before any slow work");
      }
      SleepMillis(10);
    }
    SetTimeouts(conn->get(), std::max<int64_t>(deadline - NowMillis(), 100));
    client_ = std::make_unique<GoRpcClient>(std::move(*conn));
    if (Status ping = client_->Ping(); !ping.ok()) {
      if (ping.code() == StatusCode::kUnavailable) {
        return ExitedBeforePing(child_->WaitFor(kExitGraceMillis));  // it is most likely exiting
      }
      std::string what = ping.code() == StatusCode::kDeadlineExceeded
                             ? "got no answer within " + std::to_string(kStartMillis / 1000) + " s"
                             : "failed (" + ping.message() + ")";
      return Fail(Name(LambdaError::kRuntimeInitError),
                  "go1.x: Function.Ping on " + port_ + " " + what +
                      "; what listens there is not aws-lambda-go's "
                      "lambda.Start");
    }
    SetTimeouts(client_->fd(), 0);  // thaw bounds invocations by killing the whole sandbox
    return Status::Ok();
  }

  std::string InitErrorType() const override { return init_error_type_; }

  // Go's log.Printf: "2006/01/02 15:04:05 text" on stderr, in local time as Go's log package uses.
  static void GoLog(const std::string& text) {
    time_t now = time(nullptr);
    tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S ", &local);
    std::string line = stamp + text + "\n";
    (void)!write(STDERR_FILENO, line.data(), line.size());
  }

  Outcome Invoke(const Invocation& inv) override {
    Outcome out;
    if (client_ == nullptr) {
      out.kind = Outcome::Kind::kExited;
      out.wait_status = exit_status_;
      return out;
    }
    StatusOr<GoInvokeResponse> reply = client_->Invoke(ToRequest(inv));
    if (reply.ok() && !reply->error) {
      out.body = std::move(reply->payload);
      return out;
    }
    if (reply.ok()) {
      out.kind = Outcome::Kind::kError;
      out.body = GoErrorJson(*reply->error);
      out.error_type = reply->error->type;
      // The lines aws-lambda-go's Runtime API loop logs (reportFailure, then log.Fatalf after a
      // panic); in RPC mode the function logs neither, so the log would lack the trace.
      GoLog(out.body);
      if (reply->error->should_exit) {
        GoLog("calling the handler function resulted in a panic, the process should exit");
        // A panic. aws-lambda-go's own loop exits after reporting one; the process must not be
        // used again.
        Stop();
        out.kind = Outcome::Kind::kErrorThenExit;
        out.wait_status = kPanicExitStatus;
      }
      return out;
    }
    const Status& s = reply.status();
    if (s.code() == StatusCode::kFailedPrecondition) {
      out.kind = Outcome::Kind::kError;
      out.error_type = Name(LambdaError::kRuntimeGoRpcError);
      out.body =
          GoErrorJson(RpcError("go1.x: Go net/rpc rejected Function.Invoke: " + s.message()));
      return out;
    }
    if (s.code() == StatusCode::kUnavailable) {
      // The connection ended mid-call: the function exited or was killed (os.Exit, OOM), and
      // thaw-host ends the same way.
      out.kind = Outcome::Kind::kExited;
      out.wait_status = exit_status_ = child_->WaitFor(kExitGraceMillis);
      Stop();
      return out;
    }
    // A corrupt stream cannot be resynchronized: stop the function and say why.
    Stop();
    out.kind = Outcome::Kind::kErrorThenExit;
    out.error_type = Name(LambdaError::kRuntimeGoRpcError);
    out.body = GoErrorJson(
        RpcError("go1.x: the reply to Function.Invoke is not Go net/rpc: " + s.message()));
    out.wait_status = kPanicExitStatus;
    return out;
  }

 private:
  static GoInvokeRequest ToRequest(const Invocation& inv) {
    GoInvokeRequest req;
    req.payload = inv.payload;
    req.request_id = inv.request_id;
    req.trace_id = inv.trace_id;
    req.deadline_seconds = inv.deadline_ms / 1000;
    req.deadline_nanos = inv.deadline_ms % 1000 * 1000000;
    req.invoked_function_arn = inv.function_arn;
    req.client_context = inv.client_context;
    // Lambda-Runtime-Cognito-Identity: {"cognitoIdentityId":…,"cognitoIdentityPoolId":…}.
    auto identity = nlohmann::json::parse(inv.cognito_identity, nullptr, false);
    if (identity.is_object()) {
      auto get = [&identity](const char* key) {
        auto it = identity.find(key);
        return it != identity.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      req.cognito_identity_id = get("cognitoIdentityId");
      req.cognito_identity_pool_id = get("cognitoIdentityPoolId");
    }
    return req;
  }

  Status Fail(std::string type, const std::string& message) {
    init_error_type_ = std::move(type);
    Stop();
    return Status::FailedPrecondition(message);
  }

  Status ExitedBeforePing(int status) {
    return Fail(Name(LambdaError::kRuntimeExitError),
                "go1.x: the function exited before serving Function.Ping (" +
                    DescribeWaitStatus(status) +
                    "); is it built with aws-lambda-go's lambda.Start and without -tags "
                    "lambda.norpc?");
  }

  // Kills and reaps the function; Invoke then reports it gone with exit_status_.
  void Stop() {
    client_.reset();
    child_.reset();
  }

  std::string binary_;
  std::string port_;
  std::string init_error_type_ = Name(LambdaError::kRuntimeInitError);
  std::unique_ptr<ChildProcess> child_;
  std::unique_ptr<GoRpcClient> client_;
  int exit_status_ = kPanicExitStatus;
};

}  // namespace

std::unique_ptr<Mechanism> NewGo1xMechanism() {
  return std::make_unique<Go1xMechanism>(EntryPath());
}

}  // namespace thaw::host
