#include "invoker/environment.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lambda/managed_runtime.h"
#include "runtime_api/protocol.h"

namespace thaw::invoker {
namespace {

using P = EnvPhase;

struct FakeCgroupState {
  bool fail_freeze = false;
  int freezes = 0;
  int thaws = 0;
};

class FakeCgroup final : public SandboxCgroup {
 public:
  explicit FakeCgroup(std::shared_ptr<FakeCgroupState> state) : state_(std::move(state)) {}
  Status Freeze() override {
    ++state_->freezes;
    if (state_->fail_freeze) return Status::FailedPrecondition("freezer busy");
    return Status::Ok();
  }
  Status Thaw() override {
    ++state_->thaws;
    return Status::Ok();
  }
  StatusOr<std::vector<pid_t>> Procs() const override { return std::vector<pid_t>{}; }
  StatusOr<int64_t> MemoryPeakBytes() const override { return int64_t{64} << 20; }
  Status ResetMemoryPeak() override { return Status::Ok(); }
  StatusOr<int64_t> CpuUsageNanos() const override { return int64_t{1000}; }

 private:
  std::shared_ptr<FakeCgroupState> state_;
};

class FakeSpawner final : public Spawner {
 public:
  void Spawn(sys::SpawnSpec spec, int, SpawnDone done) override {
    specs.push_back(std::move(spec));
    if (gone) {  // as LauncherClient: the answer comes inside the call
      done(Status::Unavailable("thaw-launcher is not running"));
      return;
    }
    pending.push_back(std::move(done));
  }
  void Kill(pid_t pgid, int signal) override { kills.emplace_back(pgid, signal); }
  StatusOr<std::unique_ptr<SandboxCgroup>> OpenCgroup(const std::string& name) override {
    if (name.empty()) return std::unique_ptr<SandboxCgroup>();
    return std::unique_ptr<SandboxCgroup>(std::make_unique<FakeCgroup>(cgroup));
  }

  // Answers the oldest spawn with a process group of `pid`.
  void Reply(pid_t pid) {
    ASSERT_FALSE(pending.empty());
    auto done = std::move(pending.front());
    pending.pop_front();
    Spawned spawned;
    spawned.pid = pid;
    spawned.cgroup = "sandbox-1";
    done(std::move(spawned));
  }
  int KillsOf(pid_t pid, int signal) const {
    int n = 0;
    for (const auto& [p, s] : kills) n += p == pid && s == signal;
    return n;
  }

  bool gone = false;
  std::vector<sys::SpawnSpec> specs;
  std::deque<SpawnDone> pending;
  std::vector<std::pair<pid_t, int>> kills;
  std::shared_ptr<FakeCgroupState> cgroup = std::make_shared<FakeCgroupState>();
};

// Timers that fire when the test moves the FakeClock past them.
class FakeTimers final : public TimerFactory {
 public:
  struct Slot {
    bool armed = false;
    int64_t deadline_ns = 0;
    std::function<void()> fire;
  };
  class FakeTimer final : public Timer {
   public:
    explicit FakeTimer(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}
    ~FakeTimer() override { Cancel(); }
    void StartAt(int64_t deadline_ns, std::function<void()> fire) override {
      slot_->armed = true;
      slot_->deadline_ns = deadline_ns;
      slot_->fire = std::move(fire);
    }
    void Cancel() override {
      slot_->armed = false;
      slot_->fire = nullptr;
    }

   private:
    std::shared_ptr<Slot> slot_;
  };

  explicit FakeTimers(FakeClock& clock) : clock_(clock) {}
  std::unique_ptr<Timer> NewTimer() override {
    slots_.push_back(std::make_shared<Slot>());
    return std::make_unique<FakeTimer>(slots_.back());
  }
  // Moves the clock by `ms`, firing every timer that comes due, earliest first.
  void Advance(int64_t ms) {
    int64_t until = clock_.MonotonicNanos() + ms * 1000000;
    for (;;) {
      std::shared_ptr<Slot> next;
      for (auto& slot : slots_) {
        if (slot->armed && slot->deadline_ns <= until &&
            (!next || slot->deadline_ns < next->deadline_ns)) {
          next = slot;
        }
      }
      if (!next) break;
      if (next->deadline_ns > clock_.MonotonicNanos()) {
        clock_.Advance(next->deadline_ns - clock_.MonotonicNanos());
      }
      next->armed = false;
      auto fire = std::move(next->fire);
      fire();
    }
    clock_.Advance(until - clock_.MonotonicNanos());
  }

 private:
  FakeClock& clock_;
  std::vector<std::shared_ptr<Slot>> slots_;
};

constexpr pid_t kPid = 2'000'001;  // beyond any real pid: nothing here touches processes
constexpr pid_t kPid2 = 2'000'002;

class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/thaw-envtest-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/bootstrap") << "#!/bin/sh\n";
    options_.verify_runtime_peer = false;
    options_.init_timeout_ms = 10000;
    auto config = std::make_shared<lambda::FunctionConfig>();
    config->name = "f";
    config->runtime = "provided.al2023";
    config->handler = "bootstrap";
    config->code_dir = dir_;
    config->timeout_s = 3;
    config_ = config;
    env_ = std::make_unique<Environment>(
        Environment::Deps{io_, spawner_, timers_, nullptr, clock_, options_}, config_, "$LATEST",
        [this](Environment*) { ++released_; });
  }
  void TearDown() override {
    env_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Hands the environment an invocation; its answer lands in answers_[id].
  void Invoke(const std::string& id) {
    auto inv = std::make_unique<Invocation>();
    inv->event.request_id = id;
    inv->event.payload = "{}";
    inv->received_ns = clock_.MonotonicNanos();
    inv->done = [this, id](InvokeResult r) { answers_[id] = std::move(r); };
    env_->Invoke(std::move(inv));
  }
  // The errorType of an answer, "" for a success.
  std::string ErrorType(const std::string& id) {
    auto it = answers_.find(id);
    if (it == answers_.end()) return "(no answer)";
    if (!it->second.function_error) return "";
    return nlohmann::json::parse(it->second.body).value("errorType", "?");
  }
  std::string ErrorMessage(const std::string& id) {
    return nlohmann::json::parse(answers_.at(id).body).value("errorMessage", "?");
  }
  // A cold start through init to the first event with the runtime.
  void StartInvoking(const std::string& id) {
    Invoke(id);
    ASSERT_EQ(env_->phase(), P::kColdInit);
    spawner_.Reply(kPid);
    env_->OnRuntimeNext();
    ASSERT_EQ(env_->phase(), P::kInvoking);
  }
  // Through a successful invocation to idle (frozen, with the freezer working).
  void InvokeOk(const std::string& id) {
    env_->OnInvocationResponse("\"ok\"", "application/json");
    EXPECT_EQ(env_->phase(), P::kResponded);
    EXPECT_EQ(answers_[id].body, "\"ok\"");
    env_->OnRuntimeNext();
  }

  // Sends one HTTP request to the environment's Runtime API and runs the loop until the
  // answer's status line and headers are in.
  std::string RuntimeApiRequest(const std::string& request) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(env_->runtime_api_port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      for (int i = 0; i < 5000 && reply.find("\r\n\r\n") == std::string::npos; ++i) {
        io_.restart();
        io_.poll();
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          reply.append(buf, static_cast<size_t>(n));
        } else {
          usleep(1000);
        }
      }
    }
    close(fd);
    return reply;
  }

  boost::asio::io_context io_;
  FakeClock clock_;
  FakeSpawner spawner_;
  FakeTimers timers_{clock_};
  EnvironmentOptions options_;
  std::string dir_;
  lambda::FunctionConfigPtr config_;
  std::unique_ptr<Environment> env_;
  int released_ = 0;
  std::map<std::string, InvokeResult> answers_;
};

TEST_F(EnvironmentTest, ColdThenWarmInvocations) {
  EXPECT_EQ(env_->state(), EnvState::kCold);
  StartInvoking("r1");
  EXPECT_EQ(spawner_.specs.size(), 1u);
  EXPECT_EQ(env_->pid(), kPid);
  EXPECT_EQ(env_->current_request_id(), "r1");
  InvokeOk("r1");
  EXPECT_EQ(env_->phase(), P::kFrozen);
  EXPECT_TRUE(env_->frozen());
  EXPECT_EQ(env_->state(), EnvState::kIdle);
  EXPECT_EQ(released_, 1);

  Invoke("r2");  // warm: no spawn, thawed first
  EXPECT_EQ(env_->phase(), P::kInvoking);
  EXPECT_EQ(spawner_.specs.size(), 1u);
  EXPECT_EQ(spawner_.cgroup->thaws, 1);
  InvokeOk("r2");
  EXPECT_EQ(env_->phase(), P::kFrozen);
  EXPECT_EQ(released_, 2);
  EXPECT_EQ(env_->invocation_count(), 2);
}

TEST_F(EnvironmentTest, FreezeFailureLeavesItIdleAndRunning) {
  spawner_.cgroup->fail_freeze = true;
  StartInvoking("r1");
  InvokeOk("r1");
  EXPECT_EQ(env_->phase(), P::kIdle);
  EXPECT_FALSE(env_->frozen());
  EXPECT_EQ(spawner_.cgroup->freezes, 1);
  Invoke("r2");  // nothing to thaw
  EXPECT_EQ(env_->phase(), P::kInvoking);
  EXPECT_EQ(spawner_.cgroup->thaws, 0);
  InvokeOk("r2");
  EXPECT_EQ(released_, 2);
}

TEST_F(EnvironmentTest, InitTimeoutRetriesInitInsideTheInvocation) {
  Invoke("r1");
  spawner_.Reply(kPid);
  timers_.Advance(options_.init_timeout_ms);
  // The cold init is over: killed, and init runs again within the invocation's timeout.
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);
  EXPECT_EQ(env_->phase(), P::kInvokeInit);
  ASSERT_EQ(spawner_.specs.size(), 2u);
  EXPECT_EQ(answers_.count("r1"), 0u);
  spawner_.Reply(kPid2);
  env_->OnRuntimeNext();
  EXPECT_EQ(env_->phase(), P::kInvoking);
  InvokeOk("r1");
  EXPECT_EQ(released_, 1);
}

TEST_F(EnvironmentTest, TimeoutDuringInvokeInitResets) {
  Invoke("r1");
  spawner_.Reply(kPid);
  timers_.Advance(options_.init_timeout_ms);
  spawner_.Reply(kPid2);
  timers_.Advance(config_->timeout_s * 1000);
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "Sandbox.Timedout");
  EXPECT_EQ(spawner_.KillsOf(kPid2, SIGKILL), 1);
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(env_->state(), EnvState::kCold);  // reusable: the next invoke re-runs init
}

// The deadline kills the processes once (it used to kill them twice).
TEST_F(EnvironmentTest, TimeoutKillsOnceAndAnswersTimedout) {
  StartInvoking("r1");
  timers_.Advance(config_->timeout_s * 1000);
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);
  EXPECT_EQ(ErrorType("r1"), "Sandbox.Timedout");
  EXPECT_NE(ErrorMessage("r1").find("Task timed out after 3.00 seconds"), std::string::npos);
  EXPECT_EQ(released_, 1);
  // The killed process's exit comes later and finds nothing to do.
  env_->OnProcessExit(kPid, SIGKILL, 0, 0);
  EXPECT_EQ(env_->phase(), P::kReset);

  // Suppressed init: no INIT_START, and the invocation's timeout covers it.
  Invoke("r2");
  EXPECT_EQ(env_->phase(), P::kInvokeInit);
  EXPECT_EQ(spawner_.specs.size(), 2u);
  spawner_.Reply(kPid2);
  env_->OnRuntimeNext();
  InvokeOk("r2");
  EXPECT_EQ(env_->phase(), P::kFrozen);
}

TEST_F(EnvironmentTest, CrashDuringInvokeAnswersExitError) {
  StartInvoking("r1");
  env_->OnProcessExit(kPid, 2 << 8, 0, 0);  // exit status 2
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "Runtime.ExitError");
  EXPECT_NE(ErrorMessage("r1").find("Runtime exited with error: exit status 2"), std::string::npos);
  EXPECT_EQ(released_, 1);
  EXPECT_EQ(env_->pid(), -1);
}

TEST_F(EnvironmentTest, OomKillAnswersOutOfMemory) {
  StartInvoking("r1");
  env_->OnProcessExit(kPid, SIGKILL, 130000, 1);
  EXPECT_EQ(ErrorType("r1"), "Runtime.OutOfMemory");
  EXPECT_EQ(env_->max_memory_kib(), 130000);
}

TEST_F(EnvironmentTest, CrashAfterTheResponseKeepsTheResponse) {
  StartInvoking("r1");
  env_->OnInvocationResponse("\"ok\"", "application/json");
  env_->OnProcessExit(kPid, 1 << 8, 0, 0);
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "");
  EXPECT_EQ(released_, 1);
}

TEST_F(EnvironmentTest, IdleProcessDeathResetsWithoutAnAnswer) {
  StartInvoking("r1");
  InvokeOk("r1");
  env_->OnProcessExit(kPid, SIGKILL, 0, 0);
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(released_, 1);
}

// LauncherClient answers a spawn inside the call when the launcher is gone: the cold init is
// retried once, and the invocation fails with the retry.
TEST_F(EnvironmentTest, LauncherGoneFailsTheInvocation) {
  spawner_.gone = true;
  Invoke("r1");
  EXPECT_EQ(spawner_.specs.size(), 2u);
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "Runtime.InvalidEntrypoint");
  EXPECT_NE(ErrorMessage("r1").find("thaw-launcher is not running"), std::string::npos);
  EXPECT_EQ(released_, 1);
}

TEST_F(EnvironmentTest, MissingBootstrapFailsAsynchronously) {
  std::filesystem::remove(dir_ + "/bootstrap");
  Invoke("r1");
  EXPECT_EQ(env_->phase(), P::kColdInit);
  EXPECT_TRUE(spawner_.specs.empty());
  io_.poll();  // the cold failure, then the retry's
  io_.restart();
  io_.poll();
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "Runtime.InvalidEntrypoint");
  EXPECT_NE(ErrorMessage("r1").find("Couldn't find valid bootstrap(s)"), std::string::npos);
}

// python3.x runs the runtime tree's bootstrap (here a fake tree named by THAW_RUNTIMES_DIR,
// read by the first probe in this process), never the zip's.
TEST_F(EnvironmentTest, ManagedPythonRunsTheRuntimeTreesBootstrap) {
  const std::string root = dir_ + "-runtimes";
  std::filesystem::create_directories(root + "/python/bin");
  std::ofstream(root + "/python/bootstrap") << "#!/bin/sh\n";
  std::ofstream(root + "/python/bin/python3") << "#!/bin/sh\necho 3.9.7\n";
  for (const char* f : {"/python/bootstrap", "/python/bin/python3"}) {
    std::filesystem::permissions(root + f, std::filesystem::perms::owner_all);
  }
  setenv("THAW_RUNTIMES_DIR", root.c_str(), 1);
  const lambda::ManagedRuntime* host = lambda::HostManagedRuntime("python");
  if (host->dir != root + "/python") {
    std::filesystem::remove_all(root);
    GTEST_SKIP() << "the host's runtime was probed earlier in this process";
  }
  ASSERT_TRUE(host->ok()) << host->problem;
  auto config = std::make_shared<lambda::FunctionConfig>(*config_);
  config->runtime = "python3.12";
  config->handler = "app.handler";
  std::filesystem::remove(dir_ + "/bootstrap");  // a managed runtime needs none
  env_ = std::make_unique<Environment>(
      Environment::Deps{io_, spawner_, timers_, nullptr, clock_, options_}, config, "$LATEST",
      [this](Environment*) { ++released_; });
  StartInvoking("r1");
  ASSERT_EQ(spawner_.specs.size(), 1u);
  const sys::SpawnSpec& spec = spawner_.specs[0];
  EXPECT_EQ(spec.path, root + "/python/bootstrap");
  auto has = [&](const std::string& kv) {
    return std::find(spec.env.begin(), spec.env.end(), kv) != spec.env.end();
  };
  EXPECT_TRUE(has("LAMBDA_RUNTIME_DIR=" + root + "/python"));
  EXPECT_TRUE(has("PYTHONPATH=" + root + "/python"));
  EXPECT_TRUE(has("_HANDLER=app.handler"));
  EXPECT_TRUE(has("AWS_EXECUTION_ENV=AWS_Lambda_python3.12"));
  EXPECT_EQ(spec.sandbox.runtime_dir, "");  // not sandboxed here
  InvokeOk("r1");
  std::filesystem::remove_all(root);
}

// nodejs* runs the Node tree's bootstrap the same way, with NODE_PATH as Lambda sets it.
TEST_F(EnvironmentTest, ManagedNodeRunsTheRuntimeTreesBootstrap) {
  const std::string root = dir_ + "-node-runtimes";
  std::filesystem::create_directories(root + "/nodejs/bin");
  std::ofstream(root + "/nodejs/bootstrap") << "#!/bin/sh\n";
  std::ofstream(root + "/nodejs/bin/node") << "#!/bin/sh\necho 22.23.5\n";
  for (const char* f : {"/nodejs/bootstrap", "/nodejs/bin/node"}) {
    std::filesystem::permissions(root + f, std::filesystem::perms::owner_all);
  }
  setenv("THAW_RUNTIMES_DIR", root.c_str(), 1);
  const lambda::ManagedRuntime* host = lambda::HostManagedRuntime("nodejs");
  if (host->dir != root + "/nodejs") {
    std::filesystem::remove_all(root);
    GTEST_SKIP() << "the host's runtime was probed earlier in this process";
  }
  ASSERT_TRUE(host->ok()) << host->problem;
  auto config = std::make_shared<lambda::FunctionConfig>(*config_);
  config->runtime = "nodejs20.x";
  config->handler = "src/app.handler";
  std::filesystem::remove(dir_ + "/bootstrap");  // a managed runtime needs none
  env_ = std::make_unique<Environment>(
      Environment::Deps{io_, spawner_, timers_, nullptr, clock_, options_}, config, "$LATEST",
      [this](Environment*) { ++released_; });
  StartInvoking("r1");
  ASSERT_EQ(spawner_.specs.size(), 1u);
  const sys::SpawnSpec& spec = spawner_.specs[0];
  EXPECT_EQ(spec.path, root + "/nodejs/bootstrap");
  auto has = [&](const std::string& kv) {
    return std::find(spec.env.begin(), spec.env.end(), kv) != spec.env.end();
  };
  const std::string tree = root + "/nodejs";
  EXPECT_TRUE(has("LAMBDA_RUNTIME_DIR=" + tree));
  EXPECT_TRUE(has("NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:" + tree +
                  "/node_modules:" + tree + ":" + config->code_dir));
  EXPECT_TRUE(has("_HANDLER=src/app.handler"));
  EXPECT_TRUE(has("AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x"));
  EXPECT_EQ(lambda::ManagedRuntimeVersion(*host), "nodejs:22.v1");
  InvokeOk("r1");
  std::filesystem::remove_all(root);
}

TEST_F(EnvironmentTest, InitErrorFromTheRuntime) {
  Invoke("r1");
  spawner_.Reply(kPid);
  env_->OnInitError(R"({"errorType":"Runtime.Bad","errorMessage":"no"})", "Runtime.Bad");
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);  // once (it used to be twice)
  EXPECT_EQ(env_->phase(), P::kInvokeInit);
  spawner_.Reply(kPid2);
  env_->OnInitError(R"({"errorType":"Runtime.Bad","errorMessage":"again"})", "Runtime.Bad");
  EXPECT_EQ(env_->phase(), P::kReset);
  EXPECT_EQ(ErrorType("r1"), "Runtime.Bad");
  EXPECT_EQ(ErrorMessage("r1"), "again");
  EXPECT_EQ(released_, 1);
}

// The session filters init-error types (FromRuntime, FromExtension); the environment keeps
// them, so an extension's Extension.* type reaches the caller.
TEST_F(EnvironmentTest, InitErrorKeepsAnExtensionsType) {
  Invoke("r1");
  spawner_.Reply(kPid);
  env_->OnInitError("", "Extension.ConfigInvalid");
  spawner_.Reply(kPid2);
  env_->OnInitError("", "Extension.ConfigInvalid");
  EXPECT_EQ(ErrorType("r1"), "Extension.ConfigInvalid");
}

TEST_F(EnvironmentTest, ResponseTooLarge) {
  StartInvoking("r1");
  env_->OnResponseTooLarge();
  EXPECT_EQ(env_->phase(), P::kResponded);
  EXPECT_EQ(ErrorType("r1"), "Function.ResponseSizeTooLarge");
  env_->OnRuntimeNext();
  EXPECT_EQ(env_->phase(), P::kFrozen);
  EXPECT_EQ(released_, 1);
}

TEST_F(EnvironmentTest, ErrorPostedByTheRuntime) {
  StartInvoking("r1");
  env_->OnInvocationError(R"({"errorType":"Function.Oops","errorMessage":"x"})", "Function.Oops");
  EXPECT_EQ(ErrorType("r1"), "Function.Oops");
  env_->OnRuntimeNext();
  EXPECT_EQ(env_->phase(), P::kFrozen);
}

TEST_F(EnvironmentTest, StopDuringInvoke) {
  StartInvoking("r1");
  bool stopped = false;
  env_->Stop([&] { stopped = true; });
  EXPECT_EQ(env_->phase(), P::kStopping);
  EXPECT_EQ(ErrorType("r1"), "Sandbox.Failure");
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);  // no extensions: SIGKILL at once
  EXPECT_FALSE(stopped);
  bool second = false;
  env_->Stop([&] { second = true; });  // both callers hear of the end
  env_->OnProcessExit(kPid, SIGKILL, 0, 0);
  EXPECT_EQ(env_->phase(), P::kDead);
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(second);
  bool third = false;
  env_->Stop([&] { third = true; });
  EXPECT_TRUE(third);
}

TEST_F(EnvironmentTest, StopGivesUpWhenNoExitComes) {
  StartInvoking("r1");
  InvokeOk("r1");
  bool stopped = false;
  env_->Stop([&] { stopped = true; });
  EXPECT_EQ(spawner_.cgroup->thaws, 1);  // a frozen runtime is thawed to die
  timers_.Advance(4999);
  EXPECT_FALSE(stopped);
  timers_.Advance(1);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(env_->phase(), P::kDead);
}

// With an extension registered the runtime gets SIGTERM and the shutdown budget, then SIGKILL;
// the wait for an exit ends 5 s after the stop began (it used to be 5 s after the SIGKILL).
TEST_F(EnvironmentTest, StopWithExtensionsSignalsThenGivesUp) {
  options_.shutdown_internal_ms = 2000;
  Invoke("r1");
  spawner_.Reply(kPid);
  ASSERT_NE(env_->runtime_api_port(), 0);
  std::string reply = RuntimeApiRequest(std::string("POST ") + runtime_api::kExtensionRegisterPath +
                                        " HTTP/1.1\r\nHost: x\r\nLambda-Extension-Name: ext\r\n"
                                        "Content-Length: 21\r\n\r\n{\"events\":[\"INVOKE\"]}");
  ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  bool stopped = false;
  env_->Stop([&] { stopped = true; });
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGTERM), 1);
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 0);
  timers_.Advance(1999);
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 0);
  timers_.Advance(1);
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);
  timers_.Advance(2999);
  EXPECT_FALSE(stopped);
  timers_.Advance(1);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(env_->phase(), P::kDead);
}

// Stopped while its spawn is under way: the late reply's process is killed.
TEST_F(EnvironmentTest, StopDuringColdInitKillsTheLateProcess) {
  Invoke("r1");
  bool stopped = false;
  env_->Stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(env_->phase(), P::kDead);
  EXPECT_EQ(ErrorType("r1"), "Sandbox.Failure");
  spawner_.Reply(kPid);
  EXPECT_EQ(spawner_.KillsOf(kPid, SIGKILL), 1);
  EXPECT_EQ(env_->pid(), -1);
}

TEST_F(EnvironmentTest, StopWhenColdEndsAtOnce) {
  bool stopped = false;
  env_->Stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(env_->phase(), P::kDead);
  EXPECT_TRUE(spawner_.kills.empty());
}

// Events the table refuses change nothing.
TEST_F(EnvironmentTest, RefusedEventsAreIgnored) {
  env_->OnRuntimeNext();
  env_->OnInvocationResponse("x", "text/plain");
  env_->OnResponseTooLarge();
  EXPECT_EQ(env_->phase(), P::kCold);
  StartInvoking("r1");
  env_->OnInitError("{}", "Runtime.Late");  // init is over
  EXPECT_EQ(env_->phase(), P::kInvoking);
  env_->OnInvocationResponse("\"ok\"", "application/json");
  env_->OnInvocationResponse("\"twice\"", "application/json");
  EXPECT_EQ(answers_["r1"].body, "\"ok\"");
  env_->OnRuntimeNext();
  env_->OnRuntimeNext();
  EXPECT_EQ(env_->phase(), P::kFrozen);
  EXPECT_EQ(released_, 1);
}

}  // namespace
}  // namespace thaw::invoker
