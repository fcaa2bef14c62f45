#include "logs/logs_api.h"

#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"
#include "logs/log_operations.h"
#include "logs/log_params.h"

namespace thaw::logs {

namespace {
constexpr std::string_view kTargetPrefix = "Logs_20140328.";
constexpr std::string_view kContentType = "application/x-amz-json-1.1";
// A 1,048,576-byte batch as JSON: escaping can double the messages, and each of up to 10,000
// events adds its braces, keys and timestamp.
constexpr uint64_t kMaxPutLogEventsBytes = 2 * 1048576 + 10000 * 64;
constexpr uint64_t kMaxOtherBytes = 256 * 1024;

// The operation name of a CloudWatch Logs request, or nullopt when it is not one.
std::optional<std::string_view> LogsOperation(const http::Request& request) {
  auto target = request.headers.Get("X-Amz-Target");
  auto content_type = request.headers.Get("Content-Type");
  if (!target || !target->starts_with(kTargetPrefix)) return std::nullopt;
  if (!content_type || !content_type->starts_with(kContentType)) return std::nullopt;
  if (request.method != "POST" || request.path != "/") return std::nullopt;
  return target->substr(kTargetPrefix.size());
}
}  // namespace

// The writer thread's way back to the loop. Nulled when the API goes away, so a query that
// finishes later does not post into an io_context that may be gone too.
struct LogsApi::Poster {
  std::mutex mu;
  boost::asio::io_context* loop = nullptr;  // guarded by mu

  template <typename Fn>
  void Post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu);
    if (loop) boost::asio::post(*loop, std::forward<Fn>(fn));
  }
};

LogsApi::LogsApi(boost::asio::io_context& loop, LogStore& store)
    : store_(store), poster_(std::make_shared<Poster>()), waiting_(std::make_shared<WriterMap>()) {
  poster_->loop = &loop;
}

LogsApi::~LogsApi() {
  std::lock_guard<std::mutex> lock(poster_->mu);
  poster_->loop = nullptr;
}

std::optional<uint64_t> LogsApi::BodyLimit(const http::Request& head) const {
  auto operation = LogsOperation(head);
  if (!operation) return std::nullopt;
  return *operation == "PutLogEvents" ? kMaxPutLogEventsBytes : kMaxOtherBytes;
}

namespace {
bool IsLogsRequest(const http::Request& request) {
  auto target = request.headers.Get("X-Amz-Target");
  return target && target->starts_with(kTargetPrefix);
}
}  // namespace

std::optional<auth::Operation> LogsApi::Describe(const http::Request& request) const {
  if (!IsLogsRequest(request)) return std::nullopt;
  std::string operation(request.headers.Get("X-Amz-Target")->substr(kTargetPrefix.size()));
  auth::Operation op;
  op.action = "logs:" + operation;
  // A function's role may write its logs (AWSLambdaBasicExecutionRole), not read any.
  bool write = operation == "CreateLogGroup" || operation == "CreateLogStream" ||
               operation == "PutLogEvents";
  op.plane = write ? auth::Operation::Plane::kData : auth::Operation::Plane::kControl;
  const std::string account = request.account.empty() ? auth::kAccount : request.account;
  op.resource = "arn:aws:logs:us-east-1:" + account + ":log-group:*";
  auto input = nlohmann::json::parse(request.body, nullptr, false);
  if (input.is_object() && input.contains("logGroupName") && input["logGroupName"].is_string()) {
    op.resource = "arn:aws:logs:us-east-1:" + account +
                  ":log-group:" + input["logGroupName"].get<std::string>();
  }
  return op;
}

std::optional<http::Response> LogsApi::Refusal(const http::Request& request, int status,
                                               std::string_view type,
                                               std::string_view message) const {
  (void)request;
  // JSON 1.1 services answer a bad signature or a denied action with 400, as CloudWatch Logs.
  if (type != "MissingAuthenticationTokenException") status = 400;
  return http::JsonRpcError(status, type, message);
}

bool LogsApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto target_operation = LogsOperation(request);
  if (!target_operation) return false;

  auto reply_now = [&writer](http::Response response) {
    response.headers.Set("x-amzn-RequestId", NewUuid());
    writer.Send(std::move(response));
    return true;
  };
  std::string operation(*target_operation);
  if (!IsLogsOperation(operation)) {
    return reply_now(http::JsonRpcError(400, "UnknownOperationException",
                                        "Unknown operation " + Printable(operation)));
  }
  if (request.oversized) {
    return reply_now(http::JsonRpcError(413, "SerializationException", "Request body too large"));
  }
  // botocore always sends at least "{}"; tolerate an empty body all the same.
  auto input = request.body.empty() ? nlohmann::json::object()
                                    : nlohmann::json::parse(request.body, nullptr, false);
  if (input.is_discarded() || !input.is_object()) {
    return reply_now(
        http::JsonRpcError(400, "SerializationException", "The request body is not a JSON object"));
  }

  uint64_t id = next_id_++;
  std::weak_ptr<WriterMap> weak_waiting = waiting_;
  const Clock& clock = store_.clock();
  bool queued =
      store_.Query([poster = poster_, weak_waiting, id, operation, input = std::move(input), &clock,
                    account = request.account](store::Database& db) {
        // On the writer thread: run the operation, then hand the response to the loop thread.
        http::Response response =
            RunLogsOperation(operation, input, db, clock.RealtimeMillis(), account);
        poster->Post([weak_waiting, id, response = std::move(response)]() mutable {
          if (auto waiting = weak_waiting.lock()) Finish(*waiting, id, std::move(response));
        });
      });
  if (!queued) {
    return reply_now(
        http::JsonRpcError(503, "ServiceUnavailableException", "The log store is stopped"));
  }
  // Parking the writer after queueing is safe: the answer is posted to this very thread, so
  // it cannot run before Handle returns.
  waiting_->emplace(id, std::move(writer));
  return true;
}

void LogsApi::Finish(WriterMap& waiting, uint64_t id, http::Response response) {
  auto it = waiting.find(id);
  if (it == waiting.end()) return;
  http::ResponseWriter w = std::move(it->second);
  waiting.erase(it);
  response.headers.Set("x-amzn-RequestId", NewUuid());
  w.Send(std::move(response));
}

}  // namespace thaw::logs
