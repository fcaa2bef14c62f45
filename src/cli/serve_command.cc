// `thaw serve`: the server. Threads: the main thread runs the event loop (front door, Runtime
// APIs, environments); one control thread owns the state databases; the log store has its
// writer thread; thaw-launcher is a separate process that forks function processes.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "cli/command.h"
#include "cli/front_door.h"
#include "invoker/async_queue.h"
#include "invoker/invoke_api.h"
#include "invoker/invoker.h"
#include "invoker/launcher_client.h"
#include "lambda/control_api.h"
#include "logs/log_store.h"
#include "logs/logs_api.h"
#include "store/sqlite.h"
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
};

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
  sys::UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
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

  auto launcher = invoker::LauncherClient::Start(loop, invoker::DefaultLauncherPath());
  if (!launcher.ok()) return fail(launcher.status());

  lambda::Registry registry;
  invoker::InvokerOptions invoker_options;
  invoker_options.account_concurrency = flags.account_concurrency;
  invoker_options.idle_timeout_ms = flags.idle_timeout_s * 1000;
  invoker_options.environment.front_door_url =
      "http://" + listen->first + ":" + std::to_string(listen->second);
  invoker::Invoker invoker(loop, **launcher, log_store->get(), registry, clock, invoker_options);

  lambda::ControlApi control_api(
      {state_dir, loop, control, **state_db, registry, clock, flags.account_concurrency, 100,
       [&loop, &invoker](const std::string& name) {
         asio::post(loop, [&invoker, name] { invoker.RetireFunction(name); });
       }});
  if (Status s = control_api.Start(); !s.ok()) return fail(s);
  invoker::AsyncQueue queue(loop, control, **events_db, invoker, registry);
  if (Status s = queue.Open(); !s.ok()) return fail(s);
  invoker::InvokeApi invoke_api(invoker, queue, registry, clock);
  logs::LogsApi logs_api(loop, **log_store);

  FrontDoor front_door;
  front_door.Add(&invoke_api);
  front_door.Add(&logs_api);
  front_door.Add(&control_api);
  http::ServerOptions server_options;
  server_options.host = listen->first;
  server_options.port = listen->second;
  server_options.body_limit = 80ull << 20;
  auto server = http::Server::Start(loop, server_options, &front_door);
  if (!server.ok()) return fail(server.status());

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
  cmd->callback([flags, &ctx] { ctx.exit_code = RunServer(*flags); });
}

}  // namespace thaw::cli
