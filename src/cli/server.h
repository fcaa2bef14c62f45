// Server: the thaw server's composition root. It owns every subsystem of `thaw serve` and the
// order in which they start and stop; serve_command.cc only turns flags into Options and
// signals into Stop.
//
// Start, in this order:
//  1. the state directory (created, 0700, flock'ed: one server per directory);
//  2. the stores: state.db, events.db, the log store, the invocation records, the SQS
//     queues and the SNS topics (each of the last four starts its writer thread);
//  3. thaw-launcher, forked before the descriptor limit is raised so functions keep the limit
//     they had, and before anything else needs its sandbox features;
//  4. the invoker, then the control plane, which loads every function into the registry;
//  5. the async queue, which loads the Events stored by a past run (they start once the loop
//     runs);
//  5b. the event source mappings, loaded from state.db; their pollers start once the loop runs;
//  5c. SNS, whose deliveries left by a past run resume once the loop runs;
//  5d. EventBridge rules and Scheduler schedules, loaded from state.db; their timers run with
//      the loop;
//  6. the front door and its HTTP listener, last: a request can arrive as soon as it listens,
//     and everything it may reach is ready by then;
//  7. the control thread, which runs the control plane's and the queue's SQLite work.
// Stop, on the loop: the listener first (no new requests), then the queue and the event source
// mappings' pollers (no new dispatch), then the environments (their invocations end), then the
// launcher, then the loop. Run then joins the control thread (queued writes finish) and stops the
// log and record writers last, so that every line and record of the last invocations is kept.
//
// Threads: Start, then Run on the thread that becomes the loop thread (not concurrently); Stop
// on the loop thread (a handler on loop()). The destructor finishes what Run did not.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "base/status.h"
#include "invoker/async_queue.h"
#include "lambda/registry.h"
#include "sandbox/cgroup.h"
#include "sys/unique_fd.h"

namespace thaw::delivery {
class Destinations;
class ServerSinks;
}  // namespace thaw::delivery
namespace thaw::dynamodb {
class DynamoDbApi;
class TableStore;
}  // namespace thaw::dynamodb
namespace thaw::events {
class EventsApi;
class SchedulerApi;
class Schedules;
}  // namespace thaw::events
namespace thaw::esm {
class EsmApi;
class Checkpoints;
}  // namespace thaw::esm
namespace thaw::kinesis {
class KinesisApi;
class StreamStore;
}  // namespace thaw::kinesis
namespace thaw::sns {
class SnsApi;
class SnsService;
class TopicStore;
}  // namespace thaw::sns
namespace thaw::http {
class Server;
}
namespace thaw::httpfront {
class UrlApi;
class ApiRoutes;
}  // namespace thaw::httpfront
namespace thaw::invoker {
class InvokeApi;
class Invoker;
class StreamApi;
class LauncherClient;
}  // namespace thaw::invoker
namespace thaw::lambda {
class ControlApi;
}
namespace thaw::logs {
class LogStore;
class LogsApi;
}  // namespace thaw::logs
namespace thaw::records {
class RecordStore;
class RecordsApi;
}  // namespace thaw::records
namespace thaw::sqs {
class QueueStore;
class SqsApi;
}  // namespace thaw::sqs
namespace thaw::store {
class Database;
}

namespace thaw::cli {

class Callers;
class FrontDoor;

class Server {
 public:
  struct Options {
    std::string listen_host = "127.0.0.1";
    uint16_t port = 9001;  // 0: any free port (see port()), though functions are told 0
    std::string state_dir = "./.thaw";
    int64_t account_concurrency = 1000;
    int64_t idle_timeout_s = 600;  // an idle environment is reaped after this
    bool sandbox = true;           // false: functions run as plain processes
    bool freeze = true;            // freeze idle environments
    bool records = true;           // keep invocation records
    int sandbox_pool = 4;          // sandbox shells kept ready
    int64_t max_event_age_s = invoker::kDefaultMaxEventAgeSeconds;  // of Event invokes
    // Multiplies every retry and backoff delay of Event invokes (and of later triggers); tests
    // make Lambda's minutes into milliseconds with a small value.
    double retry_delay_scale = 1.0;
    // Multiplies the wait to each schedule's next run (EventBridge rules, Scheduler); for tests.
    double schedule_time_scale = 1.0;
    int64_t esm_transition_ms = 2000;  // how long an event source mapping's Creating etc. last
    // How often a stream mapping reads each shard; 0: as soon as records are committed (thaw's
    // default, faster than AWS's 4 reads a second for DynamoDB, 1 for Kinesis).
    int64_t poll_interval_ms = 0;
    // DynamoDB: how long a table stays CREATING, UPDATING or DELETING (0: the next loop turn);
    // how often a stream's open shard is closed and a child opened (AWS: about 4 h).
    int64_t dynamodb_status_delay_ms = 0;
    int64_t dynamodb_shard_rollover_ms = 4 * 3600 * 1000;
    // Kinesis: how long a stream stays CREATING, UPDATING or DELETING (0: ACTIVE at once);
    // whether per-shard throughput limits are enforced.
    int64_t kinesis_status_delay_ms = 0;
    bool kinesis_enforce_limits = false;
    std::vector<std::string> allow_origins;  // web origins the front door accepts
    bool functions_may_manage = false;       // every function may use the control plane
    std::string accounts_file;       // named keys and their accounts (auth/accounts.h); "" for none
    bool verify_signatures = false;  // only the file's keys (and functions'), signatures checked
    std::string launcher_path;       // empty: thaw-launcher beside this program
    std::string host_path;           // empty: thaw-host beside this program
    // The API routes' listener (--api-listen); api_port -1: none, 0: any free port.
    std::string api_listen_host = "127.0.0.1";
    int api_port = -1;
  };

  explicit Server(Options options, const Clock& clock = SystemClock::Get());
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts every subsystem in the order above. On failure, what started is stopped by the
  // destructor.
  Status Start();
  // Runs the loop until Stop has finished, then stops the threads that outlive it.
  void Run();
  // Loop thread. Begins the orderly stop; Run returns once it is done. Idempotent.
  void Stop();

  boost::asio::io_context& loop() { return loop_; }
  // After Start.
  uint16_t port() const;
  uint16_t api_port() const;  // 0 without --api-listen
  const std::string& state_dir() const { return state_dir_; }
  // What the launcher can enforce (sys::kFeature*), before --no-freeze.
  uint32_t sandbox_features() const;

 private:
  Status OpenStateDir();
  Status OpenStores();
  Status StartLauncher();
  Status StartInvoker();
  Status StartEventSourceMappings();
  Status StartSchedules();
  Status StartFrontDoor();
  // After the loop: the control thread, then the log and record writers.
  void Finish();

  Options options_;
  const Clock& clock_;
  std::string state_dir_;  // absolute
  // Functions' injected credentials derive from it; the front door checks them with it.
  std::string credential_key_ = RandomHex(32);
  sys::UniqueFd lock_;  // released last
  boost::asio::io_context loop_{1};
  boost::asio::io_context control_{1};
  std::unique_ptr<store::Database> state_db_;
  std::unique_ptr<store::Database> events_db_;
  std::unique_ptr<logs::LogStore> log_store_;
  std::unique_ptr<records::RecordStore> record_store_;  // null with records off
  std::unique_ptr<sqs::QueueStore> sqs_store_;
  std::unique_ptr<sns::TopicStore> sns_store_;
  std::unique_ptr<dynamodb::TableStore> ddb_store_;
  std::unique_ptr<kinesis::StreamStore> kinesis_store_;
  std::unique_ptr<invoker::LauncherClient> launcher_;
  std::optional<sandbox::CgroupLayout> cgroup_layout_;
  lambda::Registry registry_;
  std::unique_ptr<invoker::Invoker> invoker_;
  std::unique_ptr<lambda::ControlApi> control_api_;
  std::unique_ptr<invoker::InvokerTarget> async_target_;
  std::unique_ptr<invoker::AsyncQueue> queue_;
  std::unique_ptr<delivery::ServerSinks> sinks_;
  std::unique_ptr<delivery::Destinations> destinations_;
  std::unique_ptr<sns::SnsService> sns_service_;
  std::unique_ptr<invoker::InvokeApi> invoke_api_;
  std::unique_ptr<httpfront::UrlApi> url_api_;
  std::unique_ptr<invoker::StreamApi> stream_api_;  // InvokeWithResponseStream
  std::unique_ptr<httpfront::ApiRoutes> api_routes_;
  std::unique_ptr<logs::LogsApi> logs_api_;
  std::unique_ptr<records::RecordsApi> records_api_;
  std::unique_ptr<sqs::SqsApi> sqs_api_;
  std::unique_ptr<sns::SnsApi> sns_api_;
  std::unique_ptr<dynamodb::DynamoDbApi> ddb_api_;
  std::unique_ptr<dynamodb::DynamoDbApi> ddb_streams_api_;
  std::unique_ptr<kinesis::KinesisApi> kinesis_api_;
  std::unique_ptr<esm::Checkpoints> esm_checkpoints_;  // stream mappings' checkpoints
  // After the invoker and the queue store: its pollers go first.
  std::unique_ptr<esm::EsmApi> esm_api_;
  // EventBridge rules and Scheduler schedules: after the sinks they deliver through.
  std::unique_ptr<events::Schedules> schedules_;
  std::unique_ptr<events::EventsApi> events_api_;
  std::unique_ptr<events::SchedulerApi> scheduler_api_;
  std::unique_ptr<Callers> callers_;
  std::unique_ptr<FrontDoor> front_door_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<http::Server> api_http_;  // --api-listen
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      control_guard_;
  std::thread control_thread_;
  bool stopping_ = false;
};

}  // namespace thaw::cli
