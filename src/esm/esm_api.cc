#include "esm/esm_api.h"

#include <utility>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "base/codec.h"
#include "base/log.h"
#include "http/aws_error.h"
#include "lambda/api_error.h"
#include "lambda/function.h"
#include "lambda/pagination.h"

namespace thaw::esm {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr char kPrefix[] = "/2015-03-31/event-source-mappings";
constexpr uint64_t kBodyLimit = 1 << 20;

enum class Op { kCreate, kList, kGet, kUpdate, kDelete, kUnknown };

struct Route {
  Op op = Op::kUnknown;
  std::string uuid;
};

constexpr char kStatsPath[] = "/thaw/esm";

std::optional<Route> Match(std::string_view method, std::string_view path) {
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(sizeof(kPrefix) - 1);
  if (!rest.empty() && rest[0] != '/') return std::nullopt;
  if (!rest.empty()) rest.remove_prefix(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return std::nullopt;
  Route r;
  if (rest.empty()) {
    if (method == "POST") r.op = Op::kCreate;
    if (method == "GET") r.op = Op::kList;
    return r;
  }
  r.uuid = std::string(rest);
  if (method == "GET") r.op = Op::kGet;
  if (method == "PUT") r.op = Op::kUpdate;
  if (method == "DELETE") r.op = Op::kDelete;
  return r;
}

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kCreate:
      return "CreateEventSourceMapping";
    case Op::kList:
      return "ListEventSourceMappings";
    case Op::kGet:
      return "GetEventSourceMapping";
    case Op::kUpdate:
      return "UpdateEventSourceMapping";
    case Op::kDelete:
      return "DeleteEventSourceMapping";
    case Op::kUnknown:
      break;
  }
  return "UnknownOperation";
}

http::Response NotFound() {
  return lambda::ErrorResponse(Status::NotFound("The resource you requested does not exist."));
}

http::Response InUse() {
  return http::RestJsonError(400, "ResourceInUseException",
                             "Cannot update the event source mapping because it is in use.");
}

// The caller's account (the front door's; empty is 000000000000).
std::string AccountOf(const http::Request& request) {
  return request.account.empty() ? std::string(lambda::kAccount) : request.account;
}

// True when `m` belongs to `account`: a mapping is its function's.
bool InAccount(const Mapping& m, const std::string& account) {
  std::string own = auth::ArnAccount(m.function_arn);
  return (own.empty() ? std::string(lambda::kAccount) : own) == account;
}

// The FunctionKey of a mapping's FunctionArn.
std::string KeyOf(const std::string& function_arn) {
  auto ref = lambda::ParseFunctionRef(function_arn);
  return ref ? ref->KeyIn("") : function_arn;
}

// The function's name in a FunctionName or FunctionArn ("f", "f:1", "arn:...:function:f:1").
std::string FunctionNameOf(std::string_view ref) {
  if (ref.starts_with("arn:")) {
    size_t at = ref.find(":function:");
    if (at == std::string_view::npos) return std::string(ref);
    ref.remove_prefix(at + 10);
  }
  return std::string(ref.substr(0, ref.find(':')));
}

}  // namespace

EsmApi::EsmApi(Options options)
    : loop_(options.loop),
      control_(options.control),
      db_(options.db),
      registry_(options.registry),
      clock_(options.clock),
      transition_(options.transition) {}

EsmApi::~EsmApi() {
  // Readers stop before the sources (and the queue store behind them) go.
  mappings_.clear();
}

void EsmApi::AddSource(std::unique_ptr<Source> source) { sources_.push_back(std::move(source)); }

Source* EsmApi::SourceFor(std::string_view arn) const {
  for (const auto& s : sources_) {
    if (s->Reads(arn)) return s.get();
  }
  return nullptr;
}

Status EsmApi::Start() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("CREATE TABLE IF NOT EXISTS event_source_mappings ("
               " uuid TEXT PRIMARY KEY, config TEXT NOT NULL)"));
  std::vector<Mapping> loaded;
  {
    THAW_ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT config FROM event_source_mappings"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      auto m = Load(stmt.Text(0));
      if (!m.ok()) {
        THAW_LOG(kWarn, "esm") << "skipping a stored mapping: " << m.status().ToString();
        continue;
      }
      loaded.push_back(std::move(*m));
    }
  }
  for (Mapping& m : loaded) {
    // A change that was settling when the server stopped has settled.
    if (Transitional(m.state)) {
      std::optional<State> next = Settle(m);
      if (!next) {
        THAW_ASSIGN_OR_RETURN(auto del,
                              db_.Prepare("DELETE FROM event_source_mappings WHERE uuid = ?"));
        del.Bind(1, m.uuid);
        THAW_RETURN_IF_ERROR(del.Run());
        continue;
      }
      m.state = *next;
      THAW_ASSIGN_OR_RETURN(
          auto put, db_.Prepare("INSERT OR REPLACE INTO event_source_mappings VALUES (?, ?)"));
      put.Bind(1, m.uuid).Bind(2, Store(m));
      THAW_RETURN_IF_ERROR(put.Run());
    }
    Source* source = SourceFor(m.event_source_arn);
    if (!source) {
      THAW_LOG(kWarn, "esm") << "mapping " << m.uuid << ": no source reads " << m.event_source_arn;
      continue;
    }
    Entry& e = mappings_[m.uuid];
    e.mapping = std::move(m);
    e.source = source;
    Apply(e);
  }
  return Status::Ok();
}

void EsmApi::Stop() {
  stopped_ = true;
  for (auto& [uuid, e] : mappings_) {
    e.reader.reset();
    e.settle.reset();
  }
}

std::optional<uint64_t> EsmApi::BodyLimit(const http::Request& head) const {
  if (head.path == kStatsPath && head.method == "GET") return kBodyLimit;
  if (!Match(head.method, head.path)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> EsmApi::Describe(const http::Request& request) const {
  if (request.path == kStatsPath && request.method == "GET") {
    return auth::Operation{auth::Operation::Plane::kThaw, "thaw:GetEventSourceMappingStats", "*",
                           ""};
  }
  auto route = Match(request.method, request.path);
  if (!route) return std::nullopt;
  auth::Operation op;
  op.plane = auth::Operation::Plane::kControl;
  op.action = "lambda:" + std::string(OpName(route->op));
  op.resource = route->uuid.empty() ? "*"
                                    : "arn:aws:lambda:us-east-1:" + AccountOf(request) +
                                          ":event-source-mapping:" + route->uuid;
  return op;
}

bool EsmApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path == kStatsPath && request.method == "GET") {
    writer.Send(http::Response::Json(200, Stats().dump()));
    return true;
  }
  if (!Match(request.method, request.path)) return false;
  auto shared = std::make_shared<http::ResponseWriter>(std::move(writer));
  return Serve(request, [shared](http::Response response) { shared->Send(std::move(response)); });
}

bool EsmApi::Serve(const http::Request& request, std::function<void(http::Response)> send) {
  auto route = Match(request.method, request.path);
  if (!route) return false;
  Done done = [send = std::move(send), request_id = NewUuid()](http::Response response) {
    response.headers.Set("x-amzn-RequestId", request_id);
    send(std::move(response));
  };
  if (request.oversized) {
    done(lambda::ErrorResponse(Status::ResourceExhausted(
        "Request must be smaller than " + std::to_string(kBodyLimit) + " bytes for the " +
        std::string(OpName(route->op)) + " operation")));
    return true;
  }
  // Another account's mapping is not there for this caller.
  if (auto it = mappings_.find(route->uuid);
      it != mappings_.end() && !InAccount(it->second.mapping, AccountOf(request))) {
    done(NotFound());
    return true;
  }
  std::optional<http::Response> now;
  switch (route->op) {
    case Op::kCreate:
      now = Create(request, done);
      break;
    case Op::kList:
      now = List(request);
      break;
    case Op::kGet:
      now = Get(route->uuid);
      break;
    case Op::kUpdate:
      now = Update(route->uuid, request, done);
      break;
    case Op::kDelete:
      now = Delete(route->uuid, done);
      break;
    case Op::kUnknown:
      now = http::RestJsonError(405, "UnknownOperationException",
                                "Unknown operation: " + request.method + " " + request.path);
      break;
  }
  // A write answers once committed; everything else answers now.
  if (now) done(std::move(*now));
  return true;
}

std::optional<http::Response> EsmApi::Create(const http::Request& request, const Done& done) {
  auto parsed = ParseMappingRequest(request.body, /*create=*/true);
  if (!parsed.ok()) return lambda::ErrorResponse(parsed.status());
  MappingRequest& r = *parsed;
  Source* source = SourceFor(*r.event_source_arn);
  if (!source) {
    return lambda::ErrorResponse(Status::InvalidArgument(
        "Unrecognized event source, must be kinesis, dynamodb stream or sqs."));
  }
  auto resolved = registry_.Resolve(*r.function_name, "", AccountOf(request));
  if (!resolved.ok()) {
    if (resolved.status().code() == StatusCode::kNotFound) {
      return lambda::ErrorResponse(Status::InvalidArgument("Function does not exist"));
    }
    return lambda::ErrorResponse(resolved.status());
  }
  Mapping m;
  m.uuid = NewUuid();
  m.kind = source->kind();
  m.event_source_arn = *r.event_source_arn;
  m.function_arn = resolved->invoked_arn;
  m.batch_size = source->default_batch_size();
  if (m.IsStream()) m.state_reason = "User action";
  ApplySettings(r, m);
  if (Status s = ValidateRequest(m, r, true); !s.ok()) return lambda::ErrorResponse(s);
  if (m.IsStream() && m.starting_position.empty()) {
    // AWS's validation text, but as InvalidParameterValueException.
    return http::RestJsonError(400, "InvalidParameterValueException",
                               "1 validation error detected: Value null at 'startingPosition' "
                               "failed to satisfy constraint: Member must not be null.");
  }
  if (Status s = source->Validate(m, resolved->config->timeout_s); !s.ok())
    return lambda::ErrorResponse(s);
  if (auto conflict = Conflict(m)) return *conflict;
  m.state = State::kCreating;
  m.last_modified_ms = NowMs();
  Entry& e = mappings_[m.uuid];
  e.mapping = m;
  e.source = source;
  Apply(e);
  Persist(m, false, [done, m](Status s) {
    if (!s.ok()) return done(lambda::ErrorResponse(s));
    done(http::Response::Json(202, ToJson(m).dump()));
  });
  return std::nullopt;
}

std::optional<http::Response> EsmApi::Conflict(const Mapping& m) const {
  for (const auto& [uuid, e] : mappings_) {
    if (uuid != m.uuid && e.mapping.function_arn == m.function_arn &&
        e.mapping.event_source_arn == m.event_source_arn) {
      if (m.IsStream()) {
        return lambda::ErrorResponse(Status::AlreadyExists(
            "The event source arn (\" " + m.event_source_arn + " \") and function (\" " +
            FunctionNameOf(m.function_arn) +
            " \") provided mapping already exists. Please update or delete the existing mapping "
            "with UUID " +
            uuid));
      }
      return lambda::ErrorResponse(Status::AlreadyExists(
          "An event source mapping with SQS arn (\" " + m.event_source_arn +
          " \") and function (\" " + FunctionNameOf(m.function_arn) +
          " \") already exists. Please update or delete the existing mapping with UUID " + uuid));
    }
  }
  return std::nullopt;
}

http::Response EsmApi::Get(const std::string& uuid) const {
  auto it = mappings_.find(uuid);
  if (it == mappings_.end()) return NotFound();
  return http::Response::Json(200, View(it->second).dump());
}

http::Response EsmApi::List(const http::Request& request) const {
  auto page = lambda::ReadPageRequest(request);
  if (!page.ok()) return lambda::ErrorResponse(page.status());
  std::optional<std::string> source = request.QueryParam("EventSourceArn");
  std::optional<std::string> function = request.QueryParam("FunctionName");
  std::vector<std::pair<std::string, json>> items;
  const std::string account = AccountOf(request);
  for (const auto& [uuid, e] : mappings_) {
    const Mapping& m = e.mapping;
    if (!InAccount(m, account)) continue;
    if (source && !source->empty() && m.event_source_arn != *source) continue;
    if (function && !function->empty()) {
      // A name matches every qualifier; a qualified name or ARN only its own.
      auto want = lambda::ParseFunctionRef(*function);
      auto have = lambda::ParseFunctionRef(m.function_arn);
      if (!want || !have || want->KeyIn(account) != have->KeyIn("") ||
          (!want->qualifier.empty() && want->qualifier != have->qualifier)) {
        continue;
      }
    }
    items.emplace_back(uuid, View(e));
  }
  return http::Response::Json(200, lambda::Paginate(items, *page, "EventSourceMappings").dump());
}

std::optional<http::Response> EsmApi::Update(const std::string& uuid, const http::Request& request,
                                             const Done& done) {
  auto it = mappings_.find(uuid);
  if (it == mappings_.end()) return NotFound();
  Entry& e = it->second;
  auto parsed = ParseMappingRequest(request.body, /*create=*/false);
  if (!parsed.ok()) return lambda::ErrorResponse(parsed.status());
  if (Transitional(e.mapping.state)) return InUse();
  Mapping m = e.mapping;
  if (parsed->function_name) {
    auto resolved = registry_.Resolve(*parsed->function_name, "", AccountOf(request));
    if (!resolved.ok()) {
      if (resolved.status().code() == StatusCode::kNotFound) {
        return lambda::ErrorResponse(Status::InvalidArgument("Function does not exist"));
      }
      return lambda::ErrorResponse(resolved.status());
    }
    m.function_arn = resolved->invoked_arn;
  }
  ApplySettings(*parsed, m);
  if (Status s = ValidateRequest(m, *parsed, false); !s.ok()) return lambda::ErrorResponse(s);
  if (auto conflict = Conflict(m)) return *conflict;
  auto target = registry_.Resolve(m.function_arn, "");
  if (!target.ok())
    return lambda::ErrorResponse(Status::InvalidArgument("Function does not exist"));
  if (Status s = e.source->Validate(m, target->config->timeout_s); !s.ok()) {
    return lambda::ErrorResponse(s);
  }
  m.state = AfterUpdate(e.mapping.enabled, m.enabled);
  m.last_modified_ms = NowMs();
  if (e.reader) {
    if (auto r = e.reader->last_result()) m.last_result = *r;
  }
  e.mapping = m;
  if (e.reader) e.reader->Update(m);
  Apply(e);
  Persist(m, false, [done, m](Status s) {
    if (!s.ok()) return done(lambda::ErrorResponse(s));
    done(http::Response::Json(202, ToJson(m).dump()));
  });
  return std::nullopt;
}

std::optional<http::Response> EsmApi::Delete(const std::string& uuid, const Done& done) {
  auto it = mappings_.find(uuid);
  if (it == mappings_.end()) return NotFound();
  Entry& e = it->second;
  if (e.mapping.state == State::kCreating || e.mapping.state == State::kUpdating ||
      e.mapping.state == State::kEnabling || e.mapping.state == State::kDisabling) {
    return InUse();
  }
  if (e.mapping.state != State::kDeleting) {
    e.mapping.state = State::kDeleting;
    Apply(e);
  }
  Mapping m = e.mapping;
  Persist(m, false, [done, m](Status s) {
    if (!s.ok()) return done(lambda::ErrorResponse(s));
    done(http::Response::Json(202, ToJson(m).dump()));
  });
  return std::nullopt;
}

void EsmApi::FunctionChanged(const std::string& name) {
  for (auto& [uuid, e] : mappings_) {
    if (KeyOf(e.mapping.function_arn) == name) Apply(e);
  }
}

void EsmApi::Apply(Entry& e) {
  if (stopped_) return;
  // A mapping whose function is gone stays as it is (Enabled, as on AWS) but reads nothing, so
  // its messages wait in the queue; it reads again once the function exists again.
  if (Polls(e.mapping) && registry_.Resolve(e.mapping.function_arn, "").ok()) {
    if (!e.reader) e.reader = e.source->Start(e.mapping);
  } else if (e.reader) {
    if (auto r = e.reader->last_result()) e.mapping.last_result = *r;
    e.reader.reset();
  }
  if (!Transitional(e.mapping.state) || e.settle) return;
  e.settle = std::make_unique<asio::steady_timer>(loop_, transition_);
  e.settle->async_wait([this, alive = std::weak_ptr<int>(alive_),
                        uuid = e.mapping.uuid](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    OnSettle(uuid);
  });
}

void EsmApi::OnSettle(const std::string& uuid) {
  auto it = mappings_.find(uuid);
  if (it == mappings_.end()) return;
  Entry& e = it->second;
  e.settle.reset();
  std::optional<State> next = Settle(e.mapping);
  if (!next) {
    Mapping gone = e.mapping;
    e.source->Deleted(gone.uuid);
    mappings_.erase(it);
    Persist(gone, true, [](Status) {});
    return;
  }
  e.mapping.state = *next;
  Apply(e);
  Persist(e.mapping, false, [](Status) {});
}

void EsmApi::Persist(const Mapping& m, bool remove, std::function<void(Status)> done) {
  asio::post(control_, [this, alive = std::weak_ptr<int>(alive_), uuid = m.uuid,
                        stored = remove ? std::string() : Store(m), remove,
                        done = std::move(done)]() mutable {
    if (alive.expired()) return;
    Status s = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(
          auto stmt,
          db_.Prepare(remove ? "DELETE FROM event_source_mappings WHERE uuid = ?"
                             : "INSERT OR REPLACE INTO event_source_mappings VALUES (?, ?)"));
      stmt.Bind(1, uuid);
      if (!remove) stmt.Bind(2, stored);
      return stmt.Run();
    }();
    if (!s.ok()) THAW_LOG(kError, "esm") << "storing mapping " << uuid << ": " << s.ToString();
    asio::post(loop_, [alive, s, done = std::move(done)] {
      if (!alive.expired()) done(s);
    });
  });
}

json EsmApi::View(const Entry& e) const {
  if (e.reader) {
    if (auto r = e.reader->last_result()) {
      Mapping m = e.mapping;
      m.last_result = *r;
      return ToJson(m);
    }
  }
  return ToJson(e.mapping);
}

json EsmApi::Stats() const {
  json out = json::array();
  for (const auto& [uuid, e] : mappings_) {
    json m = View(e);
    json item = {{"UUID", uuid},
                 {"FunctionArn", m["FunctionArn"]},
                 {"EventSourceArn", m["EventSourceArn"]},
                 {"State", m["State"]},
                 {"LastProcessingResult", m.value("LastProcessingResult", "")},
                 {"Shards", e.reader ? e.reader->Stats() : json(nullptr)}};
    out.push_back(std::move(item));
  }
  return {{"EventSourceMappings", out}};
}

const Mapping* EsmApi::Find(const std::string& uuid) const {
  auto it = mappings_.find(uuid);
  return it == mappings_.end() ? nullptr : &it->second.mapping;
}

}  // namespace thaw::esm
