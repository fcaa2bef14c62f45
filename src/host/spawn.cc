// The spawn mechanism: one process per invocation, the seed's Node.js child_process model. The
// event goes in on stdin and the response comes out on stdout; a non-zero exit is the failure,
// explained by stderr. stderr is also copied to the log as it arrives. The environment itself
// stays warm: only the per-request process starts and ends.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <nlohmann/json.hpp>

#include "base/lambda_error.h"
#include "host/go_panic.h"
#include "host/mechanism.h"
#include "host/process.h"
#include "sys/unique_fd.h"

namespace thaw::host {

namespace {

// More than Lambda's 6 MB response limit, so thaw still sees (and reports) an oversized one.
constexpr size_t kMaxStdout = 6 * 1024 * 1024 + 1024;
constexpr size_t kStderrTail = 64 * 1024;

struct Pipe {
  sys::UniqueFd read, write;
};

StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", "spawn", errno);
  return Pipe{sys::UniqueFd(fds[0]), sys::UniqueFd(fds[1])};
}

class SpawnMechanism : public Mechanism {
 public:
  Status Init() override {
    path_ = EntryPath();
    return CheckExecutable(path_, "spawn: the executable");
  }
  std::string InitErrorType() const override {
    return Name(LambdaError::kRuntimeInvalidEntrypoint);
  }

  Outcome Invoke(const Invocation& inv) override {
    StatusOr<Outcome> out = Run(inv);
    if (out.ok()) return std::move(*out);
    Outcome failed;
    failed.kind = Outcome::Kind::kError;
    failed.error_type = Name(LambdaError::kRuntimeSpawnError);
    failed.body = ErrorJson(failed.error_type, "spawn: " + out.status().message());
    return failed;
  }

 private:
  StatusOr<Outcome> Run(const Invocation& inv) {
    THAW_ASSIGN_OR_RETURN(Pipe in, MakePipe());
    THAW_ASSIGN_OR_RETURN(Pipe out, MakePipe());
    THAW_ASSIGN_OR_RETURN(Pipe err, MakePipe());
    std::vector<std::string> env = {
        "THAW_REQUEST_ID=" + inv.request_id,
        "THAW_DEADLINE_MS=" + std::to_string(inv.deadline_ms),
        "THAW_FUNCTION_ARN=" + inv.function_arn,
        "_X_AMZN_TRACE_ID=" + inv.trace_id,
    };
    THAW_ASSIGN_OR_RETURN(
        pid_t pid, StartProcess(path_, env, in.read.get(), out.write.get(), err.write.get()));
    in.read.Reset();
    out.write.Reset();
    err.write.Reset();
    fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
    std::string stdout_text, stderr_tail;
    size_t sent = 0;
    // stdin, stdout and stderr together, so a child that writes before it reads cannot deadlock.
    while (out.read.valid() || err.read.valid()) {
      pollfd fds[3] = {
          {in.write.get(), POLLOUT, 0}, {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("poll", "spawn", errno);
      }
      if (in.write.valid() && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n = write(in.write.get(), inv.payload.data() + sent, inv.payload.size() - sent);
        if (n > 0) sent += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN) sent = inv.payload.size();  // EPIPE: it stopped reading
        if (sent == inv.payload.size()) in.write.Reset();
      }
      char buf[65536];
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(out.read.get(), buf, sizeof buf);
        if (n <= 0) {
          out.read.Reset();
        } else if (stdout_text.size() < kMaxStdout) {
          stdout_text.append(buf,
                             std::min(static_cast<size_t>(n), kMaxStdout - stdout_text.size()));
        }
      }
      if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(err.read.get(), buf, sizeof buf);
        if (n <= 0) {
          err.read.Reset();
        } else {
          (void)!write(STDERR_FILENO, buf, static_cast<size_t>(n));
          stderr_tail.append(buf, static_cast<size_t>(n));
          if (stderr_tail.size() > kStderrTail)
            stderr_tail.erase(0, stderr_tail.size() - kStderrTail);
        }
      }
    }
    in.write.Reset();
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    Outcome result;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      result.body = std::move(stdout_text);
      return result;
    }
    // SIGKILL is the memory limit (or thaw) ending it: end the environment the same way, so that
    // thaw reads the cgroup's OOM count and reports Runtime.OutOfMemory.
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      result.kind = Outcome::Kind::kExited;
      result.wait_status = status;
      return result;
    }
    result.kind = Outcome::Kind::kError;
    if (std::optional<std::string> panic = ParseGoPanic(stderr_tail)) {
      result.error_type = "panic";
      result.body = std::move(*panic);
      return result;
    }
    result.error_type = Name(LambdaError::kRuntimeExitError);
    // The stderr's last lines go in the stackTrace, as a Python runtime lists its frames.
    nlohmann::json lines = nlohmann::json::array();
    size_t from = stderr_tail.size();
    for (int n = 0; n < 20 && from > 0; ++n) {
      size_t end = stderr_tail[from - 1] == '\n' ? from - 1 : from;
      size_t begin = stderr_tail.rfind('\n', end == 0 ? 0 : end - 1);
      begin = begin == std::string::npos ? 0 : begin + 1;
      lines.insert(lines.begin(), stderr_tail.substr(begin, end - begin));
      from = begin;
    }
    result.body = ErrorJson(result.error_type,
                            "RequestId: " + inv.request_id +
                                " Error: Runtime exited with error: " + DescribeWaitStatus(status),
                            lines.empty() ? "" : lines.dump());
    return result;
  }

  std::string path_;
};

}  // namespace

std::unique_ptr<Mechanism> NewSpawnMechanism() { return std::make_unique<SpawnMechanism>(); }

}  // namespace thaw::host
