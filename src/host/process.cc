#include "host/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/unique_fd.h"

extern char** environ;

namespace thaw::host {

StatusOr<pid_t> StartProcess(const std::string& path, const std::vector<std::string>& extra_env,
                             int in_fd, int out_fd, int err_fd) {
  // Built before fork: only async-signal-safe calls happen in the child.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const std::string& kv : extra_env) {
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(env_strings, [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    env_strings.push_back(kv);
  }
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};
  // exec's errno comes back through a close-on-exec pipe, so "Exec format error" is not lost
  // in an exit status.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", path, errno);
  sys::UniqueFd report_read(report[0]), report_write(report[1]);
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork", path, errno);
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);  // thaw-host ignores it; an ignored signal survives exec
    if (in_fd >= 0) dup2(in_fd, STDIN_FILENO);
    if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    execve(path.c_str(), argv, envp.data());
    int err = errno;
    (void)!write(report_write.get(), &err, sizeof err);
    _exit(127);
  }
  report_write.Reset();
  int err = 0;
  ssize_t n;
  while ((n = read(report_read.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n == sizeof err) {
    waitpid(pid, nullptr, 0);
    return ErrnoStatus("exec", path, err);
  }
  return pid;
}

namespace {

StatusOr<PortReservation> BindLoopbackPortZero(bool reuse) {
  PortReservation r;
  r.fd = sys::UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!r.fd.valid()) return ErrnoStatus("socket", "127.0.0.1:0", errno);
  int one = 1;
  if (reuse && setsockopt(r.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return ErrnoStatus("setsockopt SO_REUSEADDR", "127.0.0.1:0", errno);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(r.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoStatus("bind", "127.0.0.1:0", errno);
  }
  socklen_t len = sizeof addr;
  if (getsockname(r.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoStatus("getsockname", "127.0.0.1:0", errno);
  }
  r.port = static_cast<int>(ntohs(addr.sin_port));
  return r;
}

}  // namespace

StatusOr<int> PickFreePort() {
  THAW_ASSIGN_OR_RETURN(PortReservation r, BindLoopbackPortZero(/*reuse=*/false));
  return r.port;
}

StatusOr<PortReservation> ReservePort() { return BindLoopbackPortZero(/*reuse=*/true); }

Status CheckExecutable(const std::string& path, const std::string& what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::NotFound(what + " " + path + " does not exist; the function's Handler names it");
  }
  if (access(path.c_str(), X_OK) != 0) {
    return Status::PermissionDenied(what + " " + path +
                                    " is not executable (zip it with mode 0755)");
  }
  return Status::Ok();
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    // Go's os.ProcessState wording: lower-case strsignal.
    std::string name = strsignal(sig);
    for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return "signal: " + name;
  }
  return "unknown wait status " + std::to_string(wait_status);
}

void ExitLike(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
  }
  _exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1);
}

}  // namespace thaw::host
