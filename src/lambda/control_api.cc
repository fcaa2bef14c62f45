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
      service_(ServiceOptions{
          .state_dir = std::move(options.state_dir),
          .db = options.db,
          .registry = options.registry,
          .clock = options.clock,
          .account_concurrency_limit = options.account_concurrency_limit,
          .unreserved_minimum = options.unreserved_minimum,
          .on_function_changed = std::move(options.on_function_changed),
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
  boost::asio::post(
      control_, [this, route = std::move(*route), request = std::move(request),
                 writer = std::move(writer), request_id = std::move(request_id)]() mutable {
        http::Response response = service_.Handle(route, request);
        response.headers.Set("x-amzn-RequestId", request_id);
        // The writer is loop-thread only: send from there.
        boost::asio::post(loop_,
                          [writer = std::move(writer), response = std::move(response)]() mutable {
                            writer.Send(std::move(response));
                          });
      });
  return true;
}

}  // namespace thaw::lambda
