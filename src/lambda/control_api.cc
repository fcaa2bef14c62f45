#include "lambda/control_api.h"

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/function_request.h"
#include "lambda/route.h"

namespace thaw::lambda {

ControlApi::ControlApi(Options options)
    : loop_(options.loop),
      control_(options.control),
      gc_retry_(options.gc_retry),
      gc_timer_(options.loop),
      service_(ServiceOptions{
          .state_dir = std::move(options.state_dir),
          .db = options.db,
          .registry = options.registry,
          .clock = options.clock,
          .account_concurrency_limit = options.account_concurrency_limit,
          .unreserved_minimum = options.unreserved_minimum,
          .on_function_changed = std::move(options.on_function_changed),
          .endpoint_host = std::move(options.endpoint_host),
          .endpoint_port = options.endpoint_port,
      }) {}

Status ControlApi::Start() { return service_.Start(); }

namespace {
constexpr uint64_t kMaxSmallRequestBytes = 1 << 20;

uint64_t RouteBodyLimit(Op op) {
  switch (op) {
    case Op::kCreateFunction:
    case Op::kUpdateFunctionCode:
    case Op::kPublishLayerVersion:
      return kMaxCodeRequestBytes;
    default:
      return kMaxSmallRequestBytes;
  }
}
}  // namespace

std::optional<uint64_t> ControlApi::BodyLimit(const http::Request& head) const {
  std::optional<Route> route = MatchRoute(head.method, head.path);
  if (!route) return std::nullopt;
  return RouteBodyLimit(route->op);
}

std::optional<auth::Operation> ControlApi::Describe(const http::Request& request) const {
  using Plane = auth::Operation::Plane;
  std::optional<Route> route = MatchRoute(request.method, request.path);
  if (!route) return std::nullopt;
  auth::Operation op;
  op.action = "lambda:" + std::string(OpName(route->op));
  op.resource = "*";
  if (!route->function_name.empty()) {
    op.resource = auth::FunctionArn(route->function_name, route->alias, request.account);
  } else if (!route->layer.empty()) {
    op.resource = "arn:aws:lambda:us-east-1:" +
                  (request.account.empty() ? std::string(auth::kAccount) : request.account) +
                  ":layer:" + route->layer;
  } else if (route->op == Op::kListTags || route->op == Op::kTagResource ||
             route->op == Op::kUntagResource) {
    op.resource = route->resource;
  }
  switch (route->op) {
    case Op::kGetFunction:
    case Op::kGetFunctionConfiguration:
    case Op::kGetFunctionConcurrency:
    case Op::kGetFunctionRecursionConfig:
    case Op::kListVersionsByFunction:
    case Op::kListAliases:
    case Op::kGetAlias:
    case Op::kGetPolicy:
      op.plane = Plane::kReadFunction;
      op.function = route->function_name;
      break;
    case Op::kGetCodeZip:
      op.plane = Plane::kThaw;
      op.action = "thaw:GetCode";
      break;
    default:
      op.plane = Plane::kControl;
  }
  return op;
}

bool ControlApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  std::optional<Route> route = MatchRoute(request.method, request.path);
  if (!route) return false;
  std::string request_id = NewUuid();
  if (request.oversized) {
    // The server dropped the body; nothing for the control thread to do.
    http::Response response = ErrorResponse(Status::ResourceExhausted(
        "Request must be smaller than " + std::to_string(RouteBodyLimit(route->op)) +
        " bytes for the " + std::string(OpName(route->op)) + " operation"));
    response.headers.Set("x-amzn-RequestId", request_id);
    writer.Send(std::move(response));
    return true;
  }
  boost::asio::post(control_,
                    [this, route = std::move(*route), request = std::move(request),
                     writer = std::move(writer), request_id = std::move(request_id)]() mutable {
                      http::Response response = service_.Handle(route, request);
                      response.headers.Set("x-amzn-RequestId", request_id);
                      bool gc_pending = service_.HasDeferredGarbage();
                      // The writer is loop-thread only: send from there.
                      boost::asio::post(loop_, [this, gc_pending, writer = std::move(writer),
                                                response = std::move(response)]() mutable {
                        writer.Send(std::move(response));
                        if (gc_pending) ScheduleGc();
                      });
                    });
  return true;
}

void ControlApi::ScheduleGc() {
  if (gc_armed_) return;
  gc_armed_ = true;
  gc_timer_.expires_after(gc_retry_);
  // A cancelled wait still runs its handler, maybe after this object is gone: `alive` says.
  std::weak_ptr<int> alive = alive_;
  gc_timer_.async_wait([this, alive](boost::system::error_code ec) {
    if (alive.expired()) return;
    gc_armed_ = false;
    if (ec) return;
    boost::asio::post(control_, [this, alive] {
      if (alive.expired()) return;
      service_.CollectGarbage(/*only_if_released=*/true);
      if (!service_.HasDeferredGarbage()) return;
      boost::asio::post(loop_, [this, alive] {
        if (!alive.expired()) ScheduleGc();
      });
    });
  });
}

}  // namespace thaw::lambda
