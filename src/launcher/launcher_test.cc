// thaw-launcher, driven over its control socket the way LauncherClient drives it: first the
// real binary (LauncherTest), then a Launcher in this process over a socketpair, one loop step
// at a time (LauncherClassTest): spawns, malformed messages, the failed step of a spawn, kill,
// freeze and reap. The sandboxed cases need root, cgroups and loop devices, and skip without.
#include "launcher/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "sandbox/cgroup.h"
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

  // The next record; a spawn failure's text is kept in last_failure_.
  std::optional<FixedMsg> Receive(int timeout_ms = 10'000) {
    pollfd p{control_.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buf[kMaxReplyBytes];
    ssize_t n = recv(control_.get(), buf, sizeof buf, 0);
    if (n < static_cast<ssize_t>(sizeof(FixedMsg))) return std::nullopt;
    FixedMsg m{};
    std::memcpy(&m, buf, sizeof m);
    if (m.type == static_cast<uint32_t>(LauncherMsg::kSpawnFailed)) {
      auto failure = DecodeSpawnFailure(buf, static_cast<size_t>(n));
      if (!failure) return std::nullopt;
      last_failure_ = *failure;
    } else if (n != static_cast<ssize_t>(sizeof m)) {
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
  SpawnFailure last_failure_;
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
  EXPECT_EQ(last_failure_.step, SpawnStep::kExec);
  EXPECT_EQ(last_failure_.err, ENOENT);
  EXPECT_EQ(last_failure_.text, "execve /nonexistent/bootstrap");
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
    EXPECT_EQ(last_failure_.step, SpawnStep::kRequest) << id;
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

// ---- the Launcher class, in this process -----------------------------------------------------

struct Reply {
  FixedMsg m{};
  SpawnFailure failure;  // kSpawnFailed
};

class LauncherClassTest : public ::testing::Test {
 protected:
  void Start(launcher::LauncherOptions options) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    control_.Reset(sv[0]);
    theirs_.Reset(sv[1]);
    options.control_fd = theirs_.get();
    auto created = launcher::Launcher::Create(std::move(options));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    launcher_ = std::move(*created);
  }

  void Plain() {
    launcher::LauncherOptions options;
    options.sandbox = false;
    options.pool = 0;
    Start(options);
  }

  // Runs the launcher's loop until a reply is waiting, then reads it. nullopt after `timeout_ms`
  // or once the loop has stopped.
  std::optional<Reply> Next(int timeout_ms = 10'000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{control_.get(), POLLIN, 0};
      if (poll(&p, 1, 0) == 1) {
        char buf[kMaxReplyBytes];
        ssize_t n = recv(control_.get(), buf, sizeof buf, 0);
        if (n < static_cast<ssize_t>(sizeof(FixedMsg))) return std::nullopt;
        Reply r;
        std::memcpy(&r.m, buf, sizeof r.m);
        if (r.m.type == static_cast<uint32_t>(LauncherMsg::kSpawnFailed)) {
          auto failure = DecodeSpawnFailure(buf, static_cast<size_t>(n));
          if (!failure) return std::nullopt;
          r.failure = *failure;
        } else if (n != static_cast<ssize_t>(sizeof(FixedMsg))) {
          return std::nullopt;
        }
        return r;
      }
      if (!launcher_->Step(20)) return std::nullopt;
    }
    return std::nullopt;
  }

  void Send(const std::string& wire, int fd) {
    ASSERT_EQ(SendWithFd(control_.get(), wire.data(), wire.size(), fd),
              static_cast<ssize_t>(wire.size()));
  }
  void SendFixed(LauncherMsg type, uint64_t id, int64_t a) {
    FixedMsg m{static_cast<uint32_t>(type), 0, id, a, 0, 0};
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

  UniqueFd devnull_{open("/dev/null", O_WRONLY | O_CLOEXEC)};
  UniqueFd control_;
  UniqueFd theirs_;  // the launcher's end; outlives it
  std::unique_ptr<launcher::Launcher> launcher_;
};

TEST_F(LauncherClassTest, HelloSpawnAndReap) {
  Plain();
  launcher_->SendHello();
  auto hello = Next();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->m.type, static_cast<uint32_t>(LauncherMsg::kHello));
  EXPECT_EQ(hello->m.a, getpid());
  EXPECT_EQ(hello->m.extra & kFeatureNamespaces, 0u);  // --no-sandbox
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  Send(EncodeSpawn(Shell(7, "echo hello; exit 3")), out_write.get());
  out_write.Reset();
  auto spawned = Next();
  ASSERT_TRUE(spawned.has_value());
  ASSERT_EQ(spawned->m.type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  EXPECT_EQ(spawned->m.id, 7u);
  auto exited = Next();
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->m.type, static_cast<uint32_t>(LauncherMsg::kExited));
  EXPECT_EQ(exited->m.a, spawned->m.a);
  EXPECT_TRUE(WIFEXITED(exited->m.b) && WEXITSTATUS(exited->m.b) == 3) << exited->m.b;
  char buf[16] = {};
  EXPECT_EQ(read(out_read.get(), buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "hello\n");
}

TEST_F(LauncherClassTest, FailedSpawnsNameTheirStep) {
  Plain();
  SpawnSpec missing = Shell(8, "");
  missing.path = "/nonexistent/bootstrap";
  SpawnSpec bad_cwd = Shell(9, "");
  bad_cwd.cwd = "/nonexistent";
  const struct {
    SpawnSpec spec;
    SpawnStep step;
    int err;
    std::string text;
  } cases[] = {
      {missing, SpawnStep::kExec, ENOENT, "execve /nonexistent/bootstrap"},
      {bad_cwd, SpawnStep::kWorkingDir, ENOENT, "chdir /nonexistent"},
  };
  for (const auto& c : cases) {
    Send(EncodeSpawn(c.spec), devnull_.get());
    auto reply = Next();
    ASSERT_TRUE(reply.has_value()) << c.text;
    ASSERT_EQ(reply->m.type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed));
    EXPECT_EQ(reply->failure.id, c.spec.id);
    EXPECT_EQ(reply->failure.step, c.step);
    EXPECT_EQ(reply->failure.err, c.err);
    EXPECT_EQ(reply->failure.text, c.text);
  }
  EXPECT_FALSE(Next(100).has_value());  // a child that never ran is reaped, not reported
}

// Malformed spawns are answered to their own id as a kRequest failure, other junk is ignored,
// and the launcher keeps serving.
TEST_F(LauncherClassTest, MalformedMessages) {
  Plain();
  std::string good = EncodeSpawn(Shell(11, "exit 0"));
  SpawnSpec low_memory = Shell(14, "exit 0");
  low_memory.sandbox.memory_mb = 1;
  std::string bad_bool = EncodeSpawn(Shell(15, "exit 0"));
  // The sandbox flag follows the env list; a bool is 0 or 1.
  SpawnSpec s = Shell(15, "exit 0");
  size_t enabled_at = 4 + 8 + 4 + s.path.size() + 4 + s.cwd.size() + 4;
  for (const auto& a : s.argv) enabled_at += 4 + a.size();
  enabled_at += 4 + 4 + s.env[0].size();
  bad_bool[enabled_at] = '\2';
  std::string huge_count = good;
  uint32_t count = 1u << 30;
  std::memcpy(huge_count.data() + 4 + 8 + 4 + s.path.size() + 4 + s.cwd.size(), &count, 4);
  const std::pair<uint64_t, std::string> cases[] = {
      {11, good + "x"},               // trailing bytes
      {11, good.substr(0, 30)},       // truncated
      {11, huge_count},               // a count beyond the bytes that follow
      {14, EncodeSpawn(low_memory)},  // out of range
      {15, bad_bool},                 // a bool that is neither 0 nor 1
  };
  for (const auto& [id, wire] : cases) {
    Send(wire, devnull_.get());
    auto reply = Next();
    ASSERT_TRUE(reply.has_value()) << id;
    ASSERT_EQ(reply->m.type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed)) << id;
    EXPECT_EQ(reply->failure.id, id);
    EXPECT_EQ(reply->failure.step, SpawnStep::kRequest) << id;
    EXPECT_EQ(reply->failure.err, EINVAL) << id;
  }
  Send(good, -1);  // no output fd
  auto reply = Next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->failure.step, SpawnStep::kRequest);
  EXPECT_EQ(reply->failure.text, "no output fd attached");
  // Too short for any record, a record of the wrong size, an unknown type: no answer.
  ASSERT_EQ(send(control_.get(), "xy", 2, 0), 2);
  std::string long_kill(sizeof(FixedMsg) + 1, '\0');
  long_kill[0] = static_cast<char>(LauncherMsg::kKill);
  ASSERT_EQ(send(control_.get(), long_kill.data(), long_kill.size(), 0),
            static_cast<ssize_t>(long_kill.size()));
  SendFixed(static_cast<LauncherMsg>(999), 0, 0);
  SendFixed(LauncherMsg::kSpawned, 11, 1);  // a reply type, sent the wrong way
  EXPECT_FALSE(Next(200).has_value());
  Send(good, devnull_.get());
  reply = Next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->m.type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  ASSERT_TRUE(Next().has_value());  // its exit
}

TEST_F(LauncherClassTest, KillsOnlyRealGroups) {
  Plain();
  Send(EncodeSpawn(Shell(21, "sleep 100 & wait")), devnull_.get());
  auto spawned = Next();
  ASSERT_TRUE(spawned.has_value());
  ASSERT_EQ(spawned->m.type, static_cast<uint32_t>(LauncherMsg::kSpawned));
  auto pgid = static_cast<pid_t>(spawned->m.a);
  EXPECT_EQ(getsid(pgid), pgid);
  SendFixed(LauncherMsg::kKill, 1, SIGKILL);
  SendFixed(LauncherMsg::kKill, 0, SIGKILL);
  SendFixed(LauncherMsg::kKill, static_cast<uint64_t>(pgid), 0);
  SendFixed(LauncherMsg::kKill, static_cast<uint64_t>(pgid), 1000);
  SendFixed(LauncherMsg::kKill, uint64_t{1} << 40 | static_cast<uint64_t>(pgid), SIGKILL);
  EXPECT_FALSE(Next(200).has_value());
  EXPECT_EQ(kill(pgid, 0), 0);
  SendFixed(LauncherMsg::kKill, static_cast<uint64_t>(pgid), SIGKILL);
  auto exited = Next();
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->m.type, static_cast<uint32_t>(LauncherMsg::kExited));
  EXPECT_EQ(exited->m.a, pgid);
  EXPECT_TRUE(WIFSIGNALED(exited->m.b) && WTERMSIG(exited->m.b) == SIGKILL) << exited->m.b;
}

// A shutdown, or the server's end closing, stops the loop; the Launcher's end kills what is
// left, including a daemon that left the group.
TEST_F(LauncherClassTest, ShutdownAndServerGoneKillEverything) {
  Plain();
  Send(EncodeSpawn(Shell(31, "sleep 100")), devnull_.get());
  auto spawned = Next();
  ASSERT_TRUE(spawned.has_value());
  auto pgid = static_cast<pid_t>(spawned->m.a);
  SendFixed(LauncherMsg::kShutdown, 0, 0);
  EXPECT_FALSE(launcher_->Step(1000));
  launcher_.reset();
  EXPECT_NE(kill(pgid, 0), 0);
  EXPECT_EQ(errno, ESRCH);

  Plain();
  control_.Reset();
  EXPECT_FALSE(launcher_->Step(1000));
}

// ---- sandboxed, as root ------------------------------------------------------------------------

class SandboxedLauncherTest : public LauncherClassTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "sandboxed spawns need root";
    if (access("/dev/loop-control", R_OK | W_OK) != 0) GTEST_SKIP() << "no loop devices";
    // Other launchers remove "thaw/i<pid>" cgroups whose process is not named thaw-launcher.
    prctl(PR_GET_NAME, name_);
    prctl(PR_SET_NAME, "thaw-launcher");
    char dir[] = "/tmp/launcher-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    state_ = dir;
    code_ = state_ + "/code/fn";
    std::filesystem::create_directories(code_);
    ASSERT_EQ(chmod(state_.c_str(), 0755), 0);
    launcher::LauncherOptions options;
    options.state_dir = state_;
    options.pool = 1;
    Start(options);
    if (!(launcher_->features() & kFeatureNamespaces) ||
        !(launcher_->features() & kFeatureTmpLimit)) {
      GTEST_SKIP() << "no namespaces or /tmp images on this host";
    }
  }
  void TearDown() override {
    launcher_.reset();
    if (!state_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(state_, ignored);
    }
    prctl(PR_SET_NAME, name_);
  }

  void WriteBootstrap(const std::string& script, mode_t mode) {
    std::string path = code_ + "/bootstrap";
    std::ofstream(path) << script;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }

  SpawnSpec Sandboxed(uint64_t id) {
    SpawnSpec s;
    s.id = id;
    s.path = "/var/task/bootstrap";
    s.cwd = "/var/task";
    s.argv = {s.path};
    s.env = {"PATH=/usr/bin:/bin"};
    s.sandbox.enabled = true;
    s.sandbox.code_dir = code_;
    s.sandbox.tmp_image = state_ + "/sandbox/tmp/env" + std::to_string(id) + ".img";
    return s;
  }

  char name_[16] = {};
  std::string state_, code_;
};

// The step, errno and text of a failure inside the shell reach the server.
TEST_F(SandboxedLauncherTest, SetupAndExecFailuresKeepTheirStep) {
  WriteBootstrap("#!/bin/sh\nexit 0\n", 0644);  // not executable
  Send(EncodeSpawn(Sandboxed(41)), devnull_.get());
  auto reply = Next(30'000);
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->m.type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed));
  EXPECT_EQ(reply->failure.step, SpawnStep::kExec);
  EXPECT_EQ(reply->failure.err, EACCES);
  EXPECT_EQ(reply->failure.text, "execve /var/task/bootstrap");

  // An environment's own /tmp image that is not a file system: the mount fails.
  WriteBootstrap("#!/bin/sh\nexit 0\n", 0755);
  SpawnSpec broken = Sandboxed(42);
  std::ofstream(broken.sandbox.tmp_image) << std::string(1 << 16, '\0');
  Send(EncodeSpawn(broken), devnull_.get());
  reply = Next(30'000);
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->m.type, static_cast<uint32_t>(LauncherMsg::kSpawnFailed));
  EXPECT_EQ(reply->failure.step, SpawnStep::kTmp);
  EXPECT_EQ(reply->failure.err, EINVAL);
  EXPECT_NE(reply->failure.text.find("mount"), std::string::npos) << reply->failure.text;

  // A path outside the state directory is refused before any shell sees it.
  SpawnSpec outside = Sandboxed(43);
  outside.sandbox.code_dir = "/etc";
  Send(EncodeSpawn(outside), devnull_.get());
  reply = Next(30'000);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->failure.step, SpawnStep::kRequest);
  EXPECT_EQ(reply->failure.err, EPERM);
}

// A frozen sandbox still dies on a kill: the launcher thaws it (a v1-frozen task dies only once
// thawed), and its exit is reaped and reported.
TEST_F(SandboxedLauncherTest, FrozenSandboxIsKilledAndReaped) {
  WriteBootstrap("#!/bin/sh\nexec sleep 100\n", 0755);
  Send(EncodeSpawn(Sandboxed(51)), devnull_.get());
  auto spawned = Next(30'000);
  ASSERT_TRUE(spawned.has_value());
  ASSERT_EQ(spawned->m.type, static_cast<uint32_t>(LauncherMsg::kSpawned))
      << SpawnStepName(spawned->failure.step) << ": " << spawned->failure.text;
  auto pgid = static_cast<pid_t>(spawned->m.a);
  ASSERT_GT(spawned->m.b, 0);  // its cgroup's serial
  auto layout = sandbox::DetectCgroupLayout();
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  auto cgroup = sandbox::Cgroup::Open(*layout, "thaw/i" + std::to_string(getpid()),
                                      "s" + std::to_string(spawned->m.b));
  ASSERT_TRUE(cgroup.ok()) << cgroup.status().ToString();
  Status frozen = cgroup->Freeze();
  if (frozen.code() == StatusCode::kFailedPrecondition) GTEST_SKIP() << "no freezer";
  ASSERT_TRUE(frozen.ok()) << frozen.ToString();
  EXPECT_FALSE(Next(200).has_value());  // frozen, not gone
  EXPECT_EQ(kill(pgid, 0), 0);
  SendFixed(LauncherMsg::kKill, static_cast<uint64_t>(pgid), SIGKILL);
  auto exited = Next(10'000);
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->m.type, static_cast<uint32_t>(LauncherMsg::kExited));
  EXPECT_EQ(exited->m.a, pgid);
}

}  // namespace
}  // namespace thaw::sys
