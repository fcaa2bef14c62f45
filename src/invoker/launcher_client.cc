#include "invoker/launcher_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "base/log.h"
#include "invoker/spawn_error.h"
#include "sys/fd_passing.h"

extern char** environ;

namespace thaw::invoker {

namespace asio = boost::asio;
using sys::FixedMsg;
using sys::LauncherMsg;

class LauncherClient::Impl {
 public:
  Impl(asio::io_context& io, sys::UniqueFd socket, pid_t pid)
      : stream_(io, socket.Release()), pid_(pid) {}

  void Arm(LauncherClient* owner) {
    owner_ = owner;
    WaitReadable();
  }

  void Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done) {
    spec.id = next_id_++;
    // The launcher would refuse it too, but only after a round trip.
    if (std::string problem = sys::SpawnProblem(spec); !problem.empty()) {
      done(Status::InvalidArgument("cannot start the function process: " + problem));
      return;
    }
    std::string wire = sys::EncodeSpawn(spec);
    if (wire.size() > sys::kMaxSpawnBytes) {
      done(Status::InvalidArgument("cannot start the function process: the request is too large"));
      return;
    }
    pending_[spec.id] = std::move(done);
    if (!SendPacket(wire.data(), wire.size(), output_fd)) {
      auto cb = std::move(pending_[spec.id]);
      pending_.erase(spec.id);
      cb(Status::Unavailable("thaw-launcher is not running"));
    }
  }

  void Kill(pid_t pgid, int signal) {
    FixedMsg m{
        static_cast<uint32_t>(LauncherMsg::kKill), 0, static_cast<uint64_t>(pgid), signal, 0, 0};
    SendPacket(&m, sizeof m, -1);
  }

  void Poll(int wait_ms) {
    pollfd p{stream_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms) > 0) Drain();
  }

  void Shutdown() {
    if (pid_ <= 0) return;
    stopping_ = true;
    FixedMsg m{static_cast<uint32_t>(LauncherMsg::kShutdown), 0, 0, 0, 0, 0};
    queue_.clear();  // spawns not yet sent no longer matter
    if (TrySend(&m, sizeof m, -1) != 0) {
      // A full socket: closing our end tells the launcher just as well.
      boost::system::error_code ec;
      stream_.close(ec);
    }
    // The launcher kills and reaps everything, then exits; bound the wait.
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    boost::system::error_code ec;
    stream_.close(ec);
  }

 private:
  // Sends one packet, or queues it (with a duplicate of `fd`) while the socket is full: the
  // launcher may be busy cloning sandboxes during a burst, and the loop must not block.
  bool SendPacket(const void* data, size_t len, int fd) {
    if (queue_.empty()) {
      int r = TrySend(data, len, fd);
      if (r == 0) return true;
      if (r != EAGAIN) return false;
    }
    Outgoing out;
    out.data.assign(static_cast<const char*>(data), len);
    if (fd >= 0) out.fd.Reset(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    queue_.push_back(std::move(out));
    if (queue_.size() == 1) WaitWritable();
    return true;
  }

  // 0, EAGAIN, or another errno (logged).
  int TrySend(const void* data, size_t len, int fd) {
    if (sys::SendWithFd(stream_.native_handle(), data, len, fd, MSG_DONTWAIT) >= 0) return 0;
    if (errno == EAGAIN) return EAGAIN;
    int err = errno;
    THAW_LOG(kError, "launcher") << "send to thaw-launcher failed: " << std::strerror(err);
    return err;
  }

  void WaitWritable() {
    stream_.async_wait(asio::posix::stream_descriptor::wait_write,
                       [this](boost::system::error_code ec) {
                         if (ec) return;
                         while (!queue_.empty()) {
                           Outgoing& out = queue_.front();
                           int r = TrySend(out.data.data(), out.data.size(), out.fd.get());
                           if (r == EAGAIN) {
                             WaitWritable();
                             return;
                           }
                           queue_.pop_front();  // sent, or failed for good (the launcher died)
                         }
                       });
  }

  void WaitReadable() {
    stream_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         if (ec) return;
                         if (!Drain()) return;
                         WaitReadable();
                       });
  }

  // Returns false once the launcher is gone.
  bool Drain() {
    for (;;) {
      char buf[sys::kMaxReplyBytes];
      // A kSpawned reply may carry the Runtime API socket of an isolated network namespace.
      int received = -1;
      ssize_t n =
          sys::ReceiveWithFd(stream_.native_handle(), buf, sizeof buf, &received, MSG_DONTWAIT);
      sys::UniqueFd fd(received);
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) {
        if (!stopping_) THAW_LOG(kError, "launcher") << "thaw-launcher exited unexpectedly";
        FailPending();
        return false;
      }
      auto len = static_cast<size_t>(n);
      if (auto failure = sys::DecodeSpawnFailure(buf, len)) {
        Fail(*failure);
        continue;
      }
      FixedMsg m;
      if (len != sizeof m) continue;
      std::memcpy(&m, buf, sizeof m);
      Dispatch(m, std::move(fd));
    }
  }

  void Fail(const sys::SpawnFailure& failure) {
    auto it = pending_.find(failure.id);
    if (it == pending_.end()) return;
    auto done = std::move(it->second);
    pending_.erase(it);
    done(SpawnFailureStatus(failure));
  }

  void Dispatch(const FixedMsg& m, sys::UniqueFd fd) {
    switch (static_cast<LauncherMsg>(m.type)) {
      case LauncherMsg::kSpawned: {
        auto it = pending_.find(m.id);
        if (it == pending_.end()) return;
        auto done = std::move(it->second);
        pending_.erase(it);
        Spawned spawned;
        spawned.pid = static_cast<pid_t>(m.a);
        if (m.b > 0) spawned.cgroup = "s" + std::to_string(m.b);
        spawned.runtime_listener = std::move(fd);
        done(std::move(spawned));
        return;
      }
      case LauncherMsg::kExited:
        if (owner_->exit_handler_) {
          owner_->exit_handler_(Exit{static_cast<pid_t>(m.a), static_cast<int>(m.b), m.extra, m.c});
        }
        return;
      default:
        return;
    }
  }

  void FailPending() {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [_, done] : pending) done(Status::Unavailable("thaw-launcher exited"));
  }

  asio::posix::stream_descriptor stream_;
  pid_t pid_;
  LauncherClient* owner_ = nullptr;
  uint64_t next_id_ = 1;
  std::map<uint64_t, SpawnDone> pending_;
  struct Outgoing {
    std::string data;
    sys::UniqueFd fd;
  };
  std::deque<Outgoing> queue_;
  bool stopping_ = false;
};

LauncherClient::LauncherClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LauncherClient::~LauncherClient() { Shutdown(); }

StatusOr<std::unique_ptr<LauncherClient>> LauncherClient::Start(asio::io_context& io,
                                                                const Options& options) {
  const std::string& path = options.path;
  if (access(path.c_str(), X_OK) != 0) return ErrnoStatus("access", path, errno);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus("socketpair", "launcher", errno);
  }
  sys::UniqueFd ours(sv[0]), theirs(sv[1]);
  // dup2 onto itself would keep CLOEXEC, so make sure the fd is not already 3.
  if (theirs.get() == 3) theirs.Reset(fcntl(3, F_DUPFD_CLOEXEC, 4));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  std::vector<std::string> args = {"thaw-launcher"};
  if (!options.state_dir.empty()) args.insert(args.end(), {"--state-dir", options.state_dir});
  if (!options.sandbox) args.emplace_back("--no-sandbox");
  args.insert(args.end(), {"--pool", std::to_string(options.pool)});
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return ErrnoStatus("posix_spawn", path, rc);
  // The hello comes once the launcher has set up (and cleaned up after an earlier one).
  FixedMsg hello{};
  pollfd p{ours.get(), POLLIN, 0};
  ssize_t n = -1;
  if (::poll(&p, 1, 30'000) > 0) n = recv(ours.get(), &hello, sizeof hello, 0);
  if (n != static_cast<ssize_t>(sizeof hello) ||
      hello.type != static_cast<uint32_t>(LauncherMsg::kHello)) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Status::Unavailable("thaw-launcher did not start");
  }
  auto impl = std::make_unique<Impl>(io, std::move(ours), pid);
  std::unique_ptr<LauncherClient> client(new LauncherClient(std::move(impl)));
  client->features_ = hello.extra;
  client->launcher_pid_ = pid;
  client->impl_->Arm(client.get());
  return client;
}

void LauncherClient::Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done) {
  impl_->Spawn(std::move(spec), output_fd, std::move(done));
}

void LauncherClient::Kill(pid_t pgid, int signal) { impl_->Kill(pgid, signal); }

void LauncherClient::Shutdown() { impl_->Shutdown(); }

void LauncherClient::Poll(int wait_ms) { impl_->Poll(wait_ms); }

namespace {
std::string Beside(const char* name) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return name;
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}
}  // namespace

std::string DefaultLauncherPath() { return Beside("thaw-launcher"); }

std::string DefaultHostPath() { return Beside("thaw-host"); }

}  // namespace thaw::invoker
