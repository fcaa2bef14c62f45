// `thaw serve`: the server. Threads: the main thread runs the event loop (front door, Runtime
// APIs, environments); one control thread owns the state databases; the log store and the
// invocation records have a writer thread each; thaw-launcher is a separate process that forks
// function processes.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "cli/callers.h"
#include "cli/command.h"
#include "cli/front_door.h"
#include "invoker/async_queue.h"
#include "invoker/invoke_api.h"
#include "invoker/invoker.h"
#include "invoker/launcher_client.h"
#include "lambda/control_api.h"
#include "logs/log_store.h"
#include "logs/logs_api.h"
#include "records/record_store.h"
#include "records/records_api.h"
#include "sandbox/cgroup.h"
#include "sqs/queue_store.h"
#include "sqs/sqs_api.h"
#include "store/sqlite.h"
#include "sys/launcher_protocol.h"
#include "sys/unique_fd.h"

namespace thaw::cli {

namespace asio = boost::asio;

namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:9001";
  std::string state_dir = "./.thaw";
  int64_t account_concurrency = 1000;
  int64_t idle_timeout_s = 600;
  bool verbose = false;
  bool no_sandbox = false;
  bool no_freeze = false;
  bool no_records = false;
  int sandbox_pool = 4;
  int64_t max_event_age_s = invoker::kDefaultMaxEventAgeSeconds;  // hidden, for tests
  std::vector<std::string> allow_origins;
  bool functions_may_manage = false;
};

// One line for the operator: what is enforced, and plainly what is not.
std::string DescribeSandbox(uint32_t f) {
  std::vector<std::string> on, off;
  auto item = [&](uint32_t bit, const char* name) { ((f & bit) ? on : off).emplace_back(name); };
  item(sys::kFeatureNamespaces, "namespaces+read-only root");
  item(sys::kFeatureUnprivileged, "unprivileged uid");
  item(sys::kFeatureSeccomp, "seccomp");
  item(sys::kFeatureMemory, "memory limit");
  item(sys::kFeatureCpu, "cpu share");
  item(sys::kFeaturePids, "pids limit");
  item(sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1, "freeze between invocations");
  item(sys::kFeatureTmpLimit, "/tmp size limit");
  std::string text;
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  if (!on.empty()) text += "enforced: " + join(on);
  if (!off.empty()) text += std::string(text.empty() ? "" : "; ") + "NOT enforced: " + join(off);
  if (f & sys::kFeatureFreezeV2) text += " (freezer: cgroup v2)";
  if (f & sys::kFeatureFreezeV1) text += " (freezer: cgroup v1)";
  return text;
}

StatusOr<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen must be HOST:PORT, got " + listen);
  }
  auto port = ParseInt(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return Status::InvalidArgument("--listen has a bad port: " + listen);
  }
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(*port));
}

// One server per state directory: an flock that dies with the process, even on kill -9.
StatusOr<sys::UniqueFd> LockStateDir(const std::string& dir) {
  std::string path = dir + "/thaw.lock";
  sys::UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
  if (fchmod(fd.get(), 0600) != 0) return ErrnoStatus("fchmod", path, errno);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return Status::FailedPrecondition("another thaw server is using state dir " + dir +
                                      " (stop it, or pass a different --state-dir)");
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd.get(), 0) == 0) {
    ssize_t n = write(fd.get(), pid.data(), pid.size());
    (void)n;
  }
  return fd;
}

// Every connection and environment costs descriptors; the soft limit (often 1,024) is far
// below what the connection caps allow. Raised after the launcher started, so functions keep
// the limit they had.
void RaiseDescriptorLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  rlim_t before = files.rlim_cur;
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
    THAW_LOG(kWarn, "serve") << "cannot raise the descriptor limit from " << before << ": "
                             << strerror(errno);
  }
}

int RunServer(const ServeFlags& flags) {
  if (flags.verbose) SetLogLevel(LogLevel::kDebug);
  auto listen = ParseListen(flags.listen);
  if (!listen.ok()) {
    std::cerr << "thaw serve: " << listen.status().message() << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.state_dir, ec);
  if (ec) {
    std::cerr << "thaw serve: cannot create state dir " << flags.state_dir << ": " << ec.message()
              << "\n";
    return kExitFailure;
  }
  std::string state_dir = std::filesystem::absolute(flags.state_dir).lexically_normal().string();
  // The server's user alone: state.db holds every function's environment variables. Also
  // tightens a state dir made by an older thaw or by hand. Sandboxes reach code trees inside
  // through bind mounts, which do not need search permission on this directory.
  if (chmod(state_dir.c_str(), 0700) != 0) {
    std::cerr << "thaw serve: cannot chmod state dir " << state_dir << ": " << std::strerror(errno)
              << "\n";
    return kExitFailure;
  }
  auto lock = LockStateDir(state_dir);
  if (!lock.ok()) {
    std::cerr << "thaw serve: " << lock.status().message() << "\n";
    return kExitFailure;
  }
  auto fail = [](const Status& s) {
    std::cerr << "thaw serve: " << s.ToString() << "\n";
    return kExitFailure;
  };

  const Clock& clock = SystemClock::Get();
  asio::io_context loop(1);
  asio::io_context control(1);
  auto state_db = store::Database::Open(state_dir + "/state.db");
  if (!state_db.ok()) return fail(state_db.status());
  auto events_db = store::Database::Open(state_dir + "/events.db");
  if (!events_db.ok()) return fail(events_db.status());
  logs::LogStore::Options log_options;
  log_options.path = state_dir + "/logs.db";
  log_options.clock = &clock;
  auto log_store = logs::LogStore::Open(log_options);
  if (!log_store.ok()) return fail(log_store.status());
  std::unique_ptr<records::RecordStore> record_store;
  if (!flags.no_records) {
    auto opened =
        records::RecordStore::Open({.path = state_dir + "/invocations.db", .clock = &clock});
    if (!opened.ok()) return fail(opened.status());
    record_store = std::move(*opened);
  }

  invoker::LauncherClient::Options launcher_options;
  launcher_options.path = invoker::DefaultLauncherPath();
  launcher_options.state_dir = state_dir;
  launcher_options.sandbox = !flags.no_sandbox;
  launcher_options.pool = flags.sandbox_pool;
  auto launcher = invoker::LauncherClient::Start(loop, launcher_options);
  if (!launcher.ok()) return fail(launcher.status());
  RaiseDescriptorLimit();
  uint32_t features = (*launcher)->features();
  uint32_t enforced = features;
  if (flags.no_freeze) enforced &= ~(sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1);
  std::cerr << "thaw: sandbox: " << DescribeSandbox(enforced) << "\n";
  if (geteuid() == 0 && !(features & sys::kFeatureUnprivileged)) {
    bool color = isatty(STDERR_FILENO) != 0;
    std::cerr << (color ? "\033[1;31m" : "")
              << "thaw: WARNING: functions run as root (no sandbox, and its uid cannot reach the "
                 "state dir; see thaw-launcher's line above)"
              << (color ? "\033[0m" : "") << "\n";
  }
  auto cgroup_layout = sandbox::DetectCgroupLayout();

  lambda::Registry registry;
  invoker::InvokerOptions invoker_options;
  invoker_options.account_concurrency = flags.account_concurrency;
  invoker_options.idle_timeout_ms = flags.idle_timeout_s * 1000;
  invoker_options.environment.front_door_url =
      "http://" + listen->first + ":" + std::to_string(listen->second);
  invoker_options.environment.sandbox_features = features;
  invoker_options.environment.credential_key = RandomHex(32);
  invoker_options.environment.freeze_idle = !flags.no_freeze;
  invoker_options.environment.host_path = invoker::DefaultHostPath();
  invoker_options.environment.records = record_store.get();
  invoker_options.environment.sandbox_tmp_dir = state_dir + "/sandbox/tmp";
  invoker_options.environment.reclaim = &control;
  if (cgroup_layout.ok() &&
      (features & (sys::kFeatureMemory | sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1))) {
    invoker_options.environment.cgroup_layout = &*cgroup_layout;
    invoker_options.environment.cgroup_parent =
        "thaw/i" + std::to_string((*launcher)->launcher_pid());
  }
  invoker::Invoker invoker(loop, **launcher, log_store->get(), registry, clock, invoker_options);

  lambda::ControlApi control_api(
      {state_dir, loop, control, **state_db, registry, clock, flags.account_concurrency, 100,
       [&loop, &invoker](const std::string& name) {
         asio::post(loop, [&invoker, name] { invoker.RetireFunction(name); });
       },
       // Code.Location names the configured address, never the caller's Host header.
       listen->first, listen->second});
  if (Status s = control_api.Start(); !s.ok()) return fail(s);
  invoker::InvokerTarget async_target(invoker, registry, clock, flags.max_event_age_s);
  invoker::AsyncQueue queue(loop, control, **events_db, async_target);
  if (Status s = queue.Open(); !s.ok()) return fail(s);
  invoker::InvokeApi invoke_api(invoker, queue, registry, clock);
  logs::LogsApi logs_api(loop, **log_store);
  records::RecordsApi records_api(loop, record_store.get());
  auto sqs_store = sqs::QueueStore::Open(loop, {.path = state_dir + "/sqs.db", .clock = &clock});
  if (!sqs_store.ok()) return fail(sqs_store.status());
  sqs::SqsApi sqs_api(**sqs_store);

  Callers callers(invoker, listen->first, flags.functions_may_manage);
  FrontDoor front_door(
      {.listen_host = listen->first,
       .port = listen->second,
       .allowed_origins = flags.allow_origins},
      [&callers](const http::Request& request) { return callers.Identify(request); });
  front_door.Add(&invoke_api);
  front_door.Add(&logs_api);
  front_door.Add(&records_api);
  front_door.Add(&sqs_api);
  front_door.Add(&control_api);
  http::ServerOptions server_options;
  server_options.host = listen->first;
  server_options.port = listen->second;
  // Each API sets its routes' limits (FrontDoor::BodyLimit); this is only the ceiling.
  server_options.body_limit = 80ull << 20;
  server_options.max_connections = 2048;
  server_options.max_connections_per_peer = 1024;
  auto server = http::Server::Start(loop, server_options, &front_door);
  if (!server.ok()) return fail(server.status());
  front_door.set_port((*server)->port());

  auto control_guard = asio::make_work_guard(control);
  std::thread control_thread([&control] { control.run(); });

  asio::signal_set signals(loop, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](boost::system::error_code sig_ec, int signo) {
    if (sig_ec || stopping) return;
    stopping = true;
    THAW_LOG(kInfo, "serve") << "signal " << signo << ": shutting down";
    (*server)->Stop();
    queue.Stop();
    invoker.Shutdown([&] {
      (*launcher)->Shutdown();
      loop.stop();
    });
  });
  std::cerr << "thaw: listening on http://" << listen->first << ":" << (*server)->port()
            << " (state in " << state_dir << ")\n";
  loop.run();

  control_guard.reset();
  control_thread.join();
  (*log_store)->Stop();
  if (record_store) record_store->Stop();
  THAW_LOG(kInfo, "serve") << "stopped";
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve",
                                     "Run the thaw server (Lambda, Runtime and "
                                     "CloudWatch Logs APIs) until Ctrl-C or SIGTERM");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (loopback by default)")
      ->capture_default_str();
  cmd->add_option("--state-dir", flags->state_dir, "Where functions, code and logs are kept")
      ->capture_default_str();
  cmd->add_option("--account-concurrency", flags->account_concurrency,
                  "Account concurrency limit; more concurrent invokes get 429")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--idle-timeout", flags->idle_timeout_s,
                  "Seconds an idle environment is kept before it is reaped")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("-v,--verbose", flags->verbose, "Debug logging");
  cmd->add_flag("--no-freeze", flags->no_freeze,
                "Leave idle environments running (to measure the freezer's cost; Lambda freezes)");
  cmd->add_flag(
      "--no-records", flags->no_records,
      "Keep no invocation records (to measure their cost; `thaw invocations` reads them)");
  cmd->add_flag("--no-sandbox", flags->no_sandbox,
                "Run functions as plain processes: no namespaces, limits or freezing");
  cmd->add_option("--allow-origin", flags->allow_origins,
                  "A web origin (http://host:port) whose browser requests the front door accepts; "
                  "repeatable. Without it, any request with an Origin header is refused");
  cmd->add_flag("--functions-may-manage", flags->functions_may_manage,
                "Let every function use the control plane and /thaw/* (by default a function may "
                "only invoke, write logs and traces, and read its own configuration; the tag "
                "thaw:control-plane=allow grants it to one function)");
  cmd->add_option("--sandbox-pool", flags->sandbox_pool,
                  "Sandbox shells kept ready ahead of demand (namespaces, cgroups, /tmp)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  // Hidden: tests shorten Lambda's 6 h default to see events dropped for their age.
  cmd->add_option("--max-event-age", flags->max_event_age_s,
                  "Default MaximumEventAgeInSeconds of Event invokes")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}))
      ->group("");
  cmd->callback([flags, &ctx] { ctx.exit_code = RunServer(*flags); });
}

}  // namespace thaw::cli
