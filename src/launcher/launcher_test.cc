// thaw-launcher itself, driven over its control socket the way LauncherClient drives it:
// unsandboxed spawns, malformed requests, kill and reap.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "sys/fd_passing.h"
#include "sys/launcher_protocol.h"
#include "sys/unique_fd.h"

namespace thaw::sys {
namespace {

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    control_.Reset(sv[0]);
    UniqueFd theirs(sv[1]);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(theirs.get(), 3);  // a dup2 to another number clears CLOEXEC
      execl(THAW_LAUNCHER_PATH, "thaw-launcher", "--no-sandbox", "--pool", "0", nullptr);
      _exit(127);
    }
    auto hello = Receive(10'000);
    ASSERT_TRUE(hello.has_value());
    ASSERT_EQ(hello->type, static_cast<uint32_t>(LauncherMsg::kHello));
    EXPECT_EQ(hello->a, pid_);
  }

  void TearDown() override {
    control_.Reset();  // the server is gone: the launcher kills everything and exits
    int status = 0;
    ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  std::optional<FixedMsg> Receive(int timeout_ms = 10'000) {
    pollfd p{control_.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    FixedMsg m{};
    if (recv(control_.get(), &m, sizeof m, 0) != static_cast<ssize_t>(sizeof m)) {
      return std::nullopt;
    }
    return m;
  }

  void SendSpawn(const std::string& wire, int output_fd) {
    ASSERT_EQ(SendWithFd(control_.get(), wire.data(), wire.size(), output_fd),
              static_cast<ssize_t>(wire.size()));
  }

  void SendKill(uint64_t pgid, int64_t signal) {
    FixedMsg m{static_cast<uint32_t>(LauncherMsg::kKill), 0, pgid, signal, 0, 0};
    ASSERT_EQ(send(control_.get(), &m, sizeof m, 0), static_cast<ssize_t>(sizeof m));
  }

  static SpawnSpec Shell(uint64_t id, const std::string& script) {
    SpawnSpec s;
    s.id = id;
    s.path = "/bin/sh";
    s.cwd = "/";
    s.argv = {"sh", "-c", script};
    s.env = {"PATH=/usr/bin:/bin"};
    return s;
  }

  UniqueFd control_;
  pid_t pid_ = -1;
};

std::string ReadAll(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_F(LauncherTest, SpawnsReportsAndReaps) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  SendSpawn(EncodeSpawn(Shell(7, "echo hello; exit 3")), out_write.get());
  out_write.Reset();
  auto spawned = Receive();
  ASSERT_TRUE(spawned.has_value());
  ASSERT_EQ(spawned->type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  EXPECT_EQ(spawned->id, 7u);
  auto exited = Receive();
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->type, static_cast<uint32_t>(LauncherMsg::kExited));
  EXPECT_EQ(exited->a, spawned->a);
  EXPECT_TRUE(WIFEXITED(exited->b) && WEXITSTATUS(exited->b) == 3) << exited->b;
  EXPECT_EQ(ReadAll(out_read.get()), "hello\n");
}

TEST_F(LauncherTest, ExecFailureIsReportedWithItsErrno) {
  SpawnSpec s = Shell(8, "");
  s.path = "/nonexistent/bootstrap";
  UniqueFd devnull(open("/dev/null", O_WRONLY | O_CLOEXEC));
  SendSpawn(EncodeSpawn(s), devnull.get());
  auto reply = Receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed));
  EXPECT_EQ(reply->id, 8u);
  EXPECT_EQ(reply->a, ENOENT);
}

// Malformed requests are refused with EINVAL, answered to the request's own id, and nothing runs.
TEST_F(LauncherTest, MalformedSpawnsAreRefused) {
  UniqueFd devnull(open("/dev/null", O_WRONLY | O_CLOEXEC));
  std::string good = EncodeSpawn(Shell(11, "exit 0"));
  SpawnSpec nul_env = Shell(13, "exit 0");
  nul_env.env = {std::string("A=1\0B", 5)};
  SpawnSpec low_memory = Shell(14, "exit 0");
  low_memory.sandbox.memory_mb = 1;
  const std::pair<uint64_t, std::string> cases[] = {
      {11, good + "x"},                                                   // trailing bytes
      {12, EncodeSpawn(Shell(12, "exit 0")).substr(0, good.size() - 3)},  // truncated
      {13, EncodeSpawn(nul_env)},
      {14, EncodeSpawn(low_memory)},
  };
  for (const auto& [id, wire] : cases) {
    SendSpawn(wire, devnull.get());
    auto reply = Receive();
    ASSERT_TRUE(reply.has_value()) << id;
    EXPECT_EQ(reply->type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed)) << id;
    EXPECT_EQ(reply->id, id);
    EXPECT_EQ(reply->a, EINVAL) << id;
  }
  // No output fd attached.
  SendSpawn(good, -1);
  auto reply = Receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed));
  EXPECT_EQ(reply->id, 11u);
  // A message too short for any record is ignored, and the launcher keeps serving.
  ASSERT_EQ(send(control_.get(), "xy", 2, 0), 2);
  SendSpawn(good, devnull.get());
  reply = Receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  ASSERT_TRUE(Receive().has_value());  // its exit
}

TEST_F(LauncherTest, KillsTheProcessGroup) {
  UniqueFd devnull(open("/dev/null", O_WRONLY | O_CLOEXEC));
  // The shell's child is in the same process group and must die with it.
  SendSpawn(EncodeSpawn(Shell(21, "sleep 100 & wait")), devnull.get());
  auto spawned = Receive();
  ASSERT_TRUE(spawned.has_value());
  ASSERT_EQ(spawned->type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  auto pgid = static_cast<pid_t>(spawned->a);
  EXPECT_EQ(getpgid(pgid), pgid);
  EXPECT_EQ(getsid(pgid), pgid);  // a session of its own, without our terminal
  // Out-of-range kills are ignored: group 1 (kill(-1) is everyone), signal 0 or 1000.
  SendKill(1, SIGKILL);
  SendKill(static_cast<uint64_t>(pgid), 0);
  SendKill(static_cast<uint64_t>(pgid), 1000);
  SendKill(uint64_t{1} << 40 | static_cast<uint64_t>(pgid), SIGKILL);
  EXPECT_FALSE(Receive(200).has_value());
  EXPECT_EQ(kill(pgid, 0), 0);
  SendKill(static_cast<uint64_t>(pgid), SIGKILL);
  auto exited = Receive();
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->type, static_cast<uint32_t>(LauncherMsg::kExited));
  EXPECT_EQ(exited->a, pgid);
  EXPECT_TRUE(WIFSIGNALED(exited->b) && WTERMSIG(exited->b) == SIGKILL) << exited->b;
}

}  // namespace
}  // namespace thaw::sys
