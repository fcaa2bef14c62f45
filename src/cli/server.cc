#include "cli/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <boost/asio/post.hpp>

#include "base/check.h"
#include "base/codec.h"
#include "base/log.h"
#include "cli/callers.h"
#include "cli/front_door.h"
#include "delivery/destinations.h"
#include "dynamodb/ddb_api.h"
#include "dynamodb/table_store.h"
#include "esm/checkpoints.h"
#include "esm/esm_api.h"
#include "esm/invoke.h"
#include "esm/sqs_source.h"
#include "esm/stream_source.h"
#include "events/events_api.h"
#include "events/scheduler_api.h"
#include "events/schedules.h"
#include "http/server.h"
#include "httpfront/api_routes.h"
#include "httpfront/url_api.h"
#include "invoker/invoke_api.h"
#include "invoker/invoker.h"
#include "invoker/launcher_client.h"
#include "invoker/stream_api.h"
#include "kinesis/kinesis_api.h"
#include "kinesis/stream_store.h"
#include "lambda/control_api.h"
#include "lambda/managed_runtime.h"
#include "logs/log_store.h"
#include "logs/logs_api.h"
#include "records/record_store.h"
#include "records/records_api.h"
#include "sns/service.h"
#include "sns/sns_api.h"
#include "sns/topic_store.h"
#include "sqs/queue_store.h"
#include "sqs/sqs_api.h"
#include "store/sqlite.h"
#include "sys/launcher_protocol.h"

namespace thaw::cli {

namespace asio = boost::asio;

namespace {

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

}  // namespace

Server::Server(Options options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

Server::~Server() { Finish(); }

Status Server::Start() {
  THAW_RETURN_IF_ERROR(OpenStateDir());
  THAW_RETURN_IF_ERROR(OpenStores());
  THAW_RETURN_IF_ERROR(StartLauncher());
  THAW_RETURN_IF_ERROR(StartInvoker());
  THAW_RETURN_IF_ERROR(control_api_->Start());
  THAW_RETURN_IF_ERROR(queue_->Open());
  THAW_RETURN_IF_ERROR(StartEventSourceMappings());
  THAW_RETURN_IF_ERROR(StartSchedules());
  THAW_RETURN_IF_ERROR(StartFrontDoor());
  control_guard_.emplace(asio::make_work_guard(control_));
  control_thread_ = std::thread([this] { control_.run(); });
  return Status::Ok();
}

Status Server::OpenStateDir() {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec) {
    return Status::IoError("cannot create state dir " + options_.state_dir + ": " + ec.message());
  }
  state_dir_ = std::filesystem::absolute(options_.state_dir).lexically_normal().string();
  // The server's user alone: state.db holds every function's environment variables. Also
  // tightens a state dir made by an older thaw or by hand. Sandboxes reach code trees inside
  // through bind mounts, which do not need search permission on this directory.
  if (chmod(state_dir_.c_str(), 0700) != 0) {
    return Status::IoError("cannot chmod state dir " + state_dir_ + ": " + strerror(errno));
  }
  THAW_ASSIGN_OR_RETURN(lock_, LockStateDir(state_dir_));
  return Status::Ok();
}

Status Server::OpenStores() {
  THAW_ASSIGN_OR_RETURN(state_db_, store::Database::Open(state_dir_ + "/state.db"));
  THAW_ASSIGN_OR_RETURN(events_db_, store::Database::Open(state_dir_ + "/events.db"));
  logs::LogStore::Options log_options;
  log_options.path = state_dir_ + "/logs.db";
  log_options.clock = &clock_;
  THAW_ASSIGN_OR_RETURN(log_store_, logs::LogStore::Open(log_options));
  if (options_.records) {
    THAW_ASSIGN_OR_RETURN(
        record_store_,
        records::RecordStore::Open({.path = state_dir_ + "/invocations.db", .clock = &clock_}));
  }
  THAW_ASSIGN_OR_RETURN(
      sqs_store_, sqs::QueueStore::Open(loop_, {.path = state_dir_ + "/sqs.db", .clock = &clock_}));
  THAW_ASSIGN_OR_RETURN(
      sns_store_, sns::TopicStore::Open(loop_, {.path = state_dir_ + "/sns.db", .clock = &clock_}));
  THAW_ASSIGN_OR_RETURN(ddb_store_,
                        dynamodb::TableStore::Open(
                            loop_, {.path = state_dir_ + "/dynamodb.db",
                                    .clock = &clock_,
                                    .status_delay_ms = options_.dynamodb_status_delay_ms,
                                    .shard_rollover_ms = options_.dynamodb_shard_rollover_ms}));
  ddb_store_->Start();
  THAW_ASSIGN_OR_RETURN(
      kinesis_store_,
      kinesis::StreamStore::Open(loop_, {.path = state_dir_ + "/kinesis.db",
                                         .clock = &clock_,
                                         .status_delay_ms = options_.kinesis_status_delay_ms,
                                         .enforce_limits = options_.kinesis_enforce_limits}));
  kinesis_store_->Start();
  return Status::Ok();
}

Status Server::StartLauncher() {
  invoker::LauncherClient::Options launcher_options;
  launcher_options.path =
      options_.launcher_path.empty() ? invoker::DefaultLauncherPath() : options_.launcher_path;
  launcher_options.state_dir = state_dir_;
  launcher_options.sandbox = options_.sandbox;
  launcher_options.pool = options_.sandbox_pool;
  THAW_ASSIGN_OR_RETURN(launcher_, invoker::LauncherClient::Start(loop_, launcher_options));
  RaiseDescriptorLimit();
  return Status::Ok();
}

Status Server::StartInvoker() {
  const uint32_t features = launcher_->features();
  // Managed runtimes' interpreters are probed once, first thing on the control thread: the probes
  // take ~0.2-0.4 s and the server answers without them (issue 19: ready in <= 10 ms). Control
  // work that needs them runs after on the same thread; a loop caller in that window waits.
  asio::post(control_, [] {
    for (const lambda::ManagedRuntime* runtime : lambda::HostManagedRuntimes()) {
      THAW_LOG(kInfo, "server") << "runtime " << runtime->family << ": "
                                << (runtime->ok() ? runtime->version + " at " + runtime->dir
                                                  : runtime->problem);
    }
  });
  if (auto layout = sandbox::DetectCgroupLayout(); layout.ok()) {
    cgroup_layout_ = std::move(*layout);
  }
  invoker::InvokerOptions invoker_options;
  invoker_options.account_concurrency = options_.account_concurrency;
  invoker_options.idle_timeout_ms = options_.idle_timeout_s * 1000;
  invoker_options.environment.front_door_url =
      "http://" + options_.listen_host + ":" + std::to_string(options_.port);
  invoker_options.environment.sandbox_features = features;
  invoker_options.environment.credential_key = credential_key_;
  invoker_options.environment.freeze_idle = options_.freeze;
  invoker_options.environment.host_path =
      options_.host_path.empty() ? invoker::DefaultHostPath() : options_.host_path;
  invoker_options.environment.records = record_store_.get();
  invoker_options.environment.sandbox_tmp_dir = state_dir_ + "/sandbox/tmp";
  invoker_options.environment.reclaim = &control_;
  if (cgroup_layout_ &&
      (features & (sys::kFeatureMemory | sys::kFeatureFreezeV2 | sys::kFeatureFreezeV1))) {
    invoker_options.environment.cgroup_layout = &*cgroup_layout_;
    invoker_options.environment.cgroup_parent =
        "thaw/i" + std::to_string(launcher_->launcher_pid());
  }
  invoker_ = std::make_unique<invoker::Invoker>(loop_, *launcher_, log_store_.get(), registry_,
                                                clock_, std::move(invoker_options));
  control_api_ = std::make_unique<lambda::ControlApi>(lambda::ControlApi::Options{
      .state_dir = state_dir_,
      .loop = loop_,
      .control = control_,
      .db = *state_db_,
      .registry = registry_,
      .clock = clock_,
      .account_concurrency_limit = options_.account_concurrency,
      .unreserved_minimum = 100,
      .on_function_changed =
          [this](const std::string& name) {
            asio::post(loop_, [this, name] {
              invoker_->RetireFunction(name);
              if (esm_api_) esm_api_->FunctionChanged(name);
            });
          },
      // Code.Location names the configured address, never the caller's Host header.
      .endpoint_host = options_.listen_host,
      .endpoint_port = options_.port,
  });
  async_target_ =
      std::make_unique<invoker::InvokerTarget>(*invoker_, registry_, options_.max_event_age_s);
  queue_ = std::make_unique<invoker::AsyncQueue>(
      loop_, control_, *events_db_, *async_target_,
      invoker::AsyncQueue::Options{.delay_scale = options_.retry_delay_scale, .clock = &clock_});
  sinks_ = std::make_unique<delivery::ServerSinks>(*sqs_store_, *queue_, clock_);
  destinations_ = std::make_unique<delivery::Destinations>(registry_, *sinks_, clock_,
                                                           &invoker_->delivery_counts());
  queue_->SetSink(destinations_.get());
  sinks_->SetRegistry(&registry_);
  THAW_ASSIGN_OR_RETURN(auto signer, sns::Signer::Create(state_dir_ + "/sns-signing-key.pem"));
  sns_service_ = std::make_unique<sns::SnsService>(
      *sns_store_, *sinks_,
      sns::SnsService::Options{
          .delay_scale = options_.retry_delay_scale,
          .endpoint = "http://" + options_.listen_host + ":" + std::to_string(options_.port),
          .signer = std::move(signer)});
  sinks_->SetTopics(sns_service_.get());
  return Status::Ok();
}

Status Server::StartEventSourceMappings() {
  esm_api_ = std::make_unique<esm::EsmApi>(esm::EsmApi::Options{
      .loop = loop_,
      .control = control_,
      .db = *state_db_,
      .registry = registry_,
      .clock = clock_,
      .transition = std::chrono::milliseconds(options_.esm_transition_ms),
  });
  esm_api_->AddSource(std::make_unique<esm::SqsSource>(
      loop_, *sqs_store_, esm::InvokerFn(loop_, *invoker_, registry_, clock_),
      esm::SqsPoller::Options::Scaled(options_.retry_delay_scale)));
  esm_checkpoints_ = std::make_unique<esm::Checkpoints>(loop_, control_, *state_db_);
  THAW_RETURN_IF_ERROR(esm_checkpoints_->Load());
  // A stream mapping's OnFailure record: to an SQS queue or an SNS topic.
  esm::FailureFn fail = [this](const std::string& destination, std::string message,
                               std::function<void(Status)> done) {
    if (destination.starts_with("arn:aws:sns:")) {
      sinks_->PublishToTopic(destination, std::move(message), {}, std::move(done));
    } else {
      sinks_->SendToQueue(destination, std::move(message), {}, std::move(done));
    }
  };
  const esm::StreamPoller::Options stream_options{
      .poll_interval_ms = options_.poll_interval_ms,
      .retry_delay_ms =
          std::max<int64_t>(1, static_cast<int64_t>(1000.0 * options_.retry_delay_scale)),
  };
  esm_api_->AddSource(std::make_unique<esm::DdbStreamSource>(
      loop_, *ddb_store_, *esm_checkpoints_, esm::InvokerFn(loop_, *invoker_, registry_, clock_),
      fail, clock_, stream_options));
  esm_api_->AddSource(std::make_unique<esm::KinesisStreamSource>(
      loop_, *kinesis_store_, registry_, *esm_checkpoints_,
      esm::InvokerFn(loop_, *invoker_, registry_, clock_), fail, clock_, stream_options));
  return esm_api_->Start();
}

Status Server::StartSchedules() {
  schedules_ = std::make_unique<events::Schedules>(events::Schedules::Options{
      .loop = loop_,
      .control = control_,
      .db = *state_db_,
      .sinks = *sinks_,
      .clock = clock_,
      .time_scale = options_.schedule_time_scale,
  });
  events_api_ = std::make_unique<events::EventsApi>(*schedules_);
  scheduler_api_ = std::make_unique<events::SchedulerApi>(*schedules_);
  return schedules_->Start();
}

Status Server::StartFrontDoor() {
  invoke_api_ = std::make_unique<invoker::InvokeApi>(*invoker_, *queue_, registry_, clock_);
  url_api_ = std::make_unique<httpfront::UrlApi>(*invoker_, registry_, clock_);
  stream_api_ = std::make_unique<invoker::StreamApi>(*invoker_, registry_, clock_);
  api_routes_ = std::make_unique<httpfront::ApiRoutes>(*invoker_, registry_, clock_, loop_,
                                                       control_, state_db_.get());
  THAW_RETURN_IF_ERROR(api_routes_->Start(state_dir_ + "/api-routes.json"));
  logs_api_ = std::make_unique<logs::LogsApi>(loop_, *log_store_);
  records_api_ = std::make_unique<records::RecordsApi>(loop_, record_store_.get());
  sqs_api_ = std::make_unique<sqs::SqsApi>(*sqs_store_);
  sns_api_ = std::make_unique<sns::SnsApi>(*sns_service_);
  ddb_api_ = std::make_unique<dynamodb::DynamoDbApi>(*ddb_store_,
                                                     dynamodb::DynamoDbApi::Service::kDynamoDb);
  ddb_streams_api_ = std::make_unique<dynamodb::DynamoDbApi>(
      *ddb_store_, dynamodb::DynamoDbApi::Service::kStreams);
  kinesis_api_ = std::make_unique<kinesis::KinesisApi>(*kinesis_store_);
  callers_ =
      std::make_unique<Callers>(*invoker_, options_.listen_host, options_.functions_may_manage);
  auth::Accounts accounts;
  if (!options_.accounts_file.empty()) {
    THAW_ASSIGN_OR_RETURN(accounts, auth::Accounts::Load(options_.accounts_file));
  }
  front_door_ =
      std::make_unique<FrontDoor>(FrontDoorOptions{.listen_host = options_.listen_host,
                                                   .port = options_.port,
                                                   .allowed_origins = options_.allow_origins,
                                                   .accounts = std::move(accounts),
                                                   .verify_signatures = options_.verify_signatures,
                                                   .function_key = credential_key_,
                                                   .clock = &clock_},
                                  [callers = callers_.get()](const http::Request& request) {
                                    return callers->Identify(request);
                                  });
  front_door_->SetUrlApi(url_api_.get());  // function URLs, before the front door's checks
  // Each service's APIs (http/dispatch.h names them). thaw's own /thaw/* routes: environments
  // (invoker), invocation records and traces (records), code downloads (control plane).
  front_door_->Add("lambda", invoke_api_.get());
  front_door_->Add("lambda", stream_api_.get());
  front_door_->Add("lambda", esm_api_.get());
  front_door_->Add("lambda", control_api_.get());
  front_door_->Add("logs", logs_api_.get());
  front_door_->Add("xray", records_api_.get());
  front_door_->Add("sqs", sqs_api_.get());
  front_door_->Add("sns", sns_api_.get());
  front_door_->Add("dynamodb", ddb_api_.get());
  front_door_->Add("dynamodbstreams", ddb_streams_api_.get());
  front_door_->Add("kinesis", kinesis_api_.get());
  front_door_->Add("events", events_api_.get());
  front_door_->Add("scheduler", scheduler_api_.get());
  front_door_->Add("thaw", invoke_api_.get());
  front_door_->Add("thaw", records_api_.get());
  front_door_->Add("thaw", control_api_.get());
  front_door_->Add("thaw", sns_api_.get());
  front_door_->Add("thaw", esm_api_.get());        // GET /thaw/esm (thaw esm)
  front_door_->Add("thaw", scheduler_api_.get());  // GET /thaw/schedules (thaw schedules)
  front_door_->Add("thaw", api_routes_.get());     // /thaw/api-routes (thaw deploy)
  http::ServerOptions server_options;
  server_options.host = options_.listen_host;
  server_options.port = options_.port;
  // Each API sets its routes' limits (FrontDoor::BodyLimit); this is only the ceiling.
  server_options.body_limit = 80ull << 20;
  server_options.max_connections = 2048;
  server_options.max_connections_per_peer = 1024;
  THAW_ASSIGN_OR_RETURN(http_, http::Server::Start(loop_, server_options, front_door_.get()));
  front_door_->set_port(http_->port());
  // Port 0 picked a free port: functions must be told the real one.
  invoker_->SetFrontDoorUrl("http://" + options_.listen_host + ":" + std::to_string(http_->port()));
  sns_service_->set_endpoint("http://" + options_.listen_host + ":" +
                             std::to_string(http_->port()));
  sns_service_->Start();
  if (options_.api_port >= 0) {
    http::ServerOptions api_options;
    api_options.host = options_.api_listen_host;
    api_options.port = static_cast<uint16_t>(options_.api_port);
    api_options.body_limit = 10ull << 20;  // API Gateway's payload limit
    THAW_ASSIGN_OR_RETURN(api_http_,
                          http::Server::Start(loop_, api_options, &api_routes_->listener()));
    api_routes_->set_listener_url("http://" + options_.api_listen_host + ":" +
                                  std::to_string(api_http_->port()));
  }
  return Status::Ok();
}

void Server::Run() {
  THAW_CHECK(control_thread_.joinable()) << "Run once, after a successful Start";
  loop_.run();
  Finish();
  THAW_LOG(kInfo, "serve") << "stopped";
}

void Server::Stop() {
  if (stopping_) return;
  stopping_ = true;
  if (http_) http_->Stop();
  if (api_http_) api_http_->Stop();
  if (queue_) queue_->Stop();
  if (esm_api_) esm_api_->Stop();
  if (schedules_) schedules_->Stop();
  if (!invoker_) {
    loop_.stop();
    return;
  }
  invoker_->Shutdown([this] {
    launcher_->Shutdown();
    loop_.stop();
  });
}

void Server::Finish() {
  if (control_thread_.joinable()) {
    control_guard_.reset();
    control_thread_.join();
  }
  if (log_store_) log_store_->Stop();
  if (record_store_) record_store_->Stop();
}

uint16_t Server::port() const { return http_ ? http_->port() : 0; }

uint16_t Server::api_port() const { return api_http_ ? api_http_->port() : 0; }

uint32_t Server::sandbox_features() const { return launcher_ ? launcher_->features() : 0; }

}  // namespace thaw::cli
