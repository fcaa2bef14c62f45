// ApiRoutes: the API routes of deployed SAM stacks (Api and HttpApi events), kept by id (the
// route's physical name) and kept in state.db's api_routes table, each change committed on the
// control thread before it is answered. Two faces:
//   - on the front door, thaw's own PUT/DELETE /thaw/api-routes/{id} (thaw deploy) and
//     GET /thaw/api-routes (every route);
//   - on the --api-listen listener, the routes themselves: a request finds its route (routes.h),
//     becomes a payload 1.0 (payload_v1.h) or 2.0 (payload_v2.h) event, runs through the
//     invoker as an Invoke does, and the answer becomes the response (response_v1.h,
//     response_v2.h). A REST route answers at /<stage>/path, as execute-api does, and at /path,
//     as `sam local start-api` does; an HTTP API route with the $default stage at /path.
// Loop thread only; the database is used on the control thread once serving.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "http/api.h"
#include "http/server.h"
#include "httpfront/payload_v1.h"
#include "httpfront/payload_v2.h"
#include "httpfront/routes.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::httpfront {

inline constexpr char kApiRoutesPath[] = "/thaw/api-routes";

class ApiRoutes final : public http::Api {
 public:
  // Every reference must outlive this object. `db` (state.db) may be null: routes are then
  // kept in memory only. `control` is the one thread that uses `db` once serving.
  ApiRoutes(invoker::Invoker& invoker, const lambda::Registry& registry, const Clock& clock,
            boost::asio::io_context& loop, boost::asio::io_context& control, store::Database* db);
  ~ApiRoutes();
  ApiRoutes(const ApiRoutes&) = delete;
  ApiRoutes& operator=(const ApiRoutes&) = delete;

  // Before `control` runs: creates the table and reads the stored routes. A route that no
  // longer parses is skipped with a warning. `legacy_file` (api-routes.json, where routes were
  // kept before) is imported once and removed.
  Status Start(std::string legacy_file);

  // http::Api: the /thaw/api-routes control routes on the front door.
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

  // The --api-listen listener's handler.
  http::Handler& listener() { return listener_; }

  size_t size() const { return routes_.size(); }
  // The listener's base URL ("http://127.0.0.1:3000"), told to thaw deploy; "" without one.
  void set_listener_url(std::string url) { listener_url_ = std::move(url); }

 private:
  class Listener final : public http::Handler {
   public:
    explicit Listener(ApiRoutes& routes) : routes_(routes) {}
    std::optional<uint64_t> BodyLimit(const http::Request& head) override;
    void Handle(http::Request request, http::ResponseWriter writer) override;

   private:
    ApiRoutes& routes_;
  };

  void Dispatch(http::Request request, http::ResponseWriter writer);
  // Commits the route's JSON (nullopt: its removal) on the control thread; `done` on the loop.
  void Persist(const std::string& id, std::optional<std::string> stored,
               std::function<void(Status)> done);
  struct Pending;
  struct CachedAnswer {
    int64_t expires_ms = 0;
    nlohmann::json answer;
  };
  void Authorize(std::shared_ptr<Pending> p);
  void Authorized(std::shared_ptr<Pending> p, const nlohmann::json& answer,
                  const std::string& method_arn);
  void Invoke(std::shared_ptr<Pending> p, std::string authorizer);
  V1Context V1ContextOf(const Pending& p) const;
  V2Context V2ContextOf(const Pending& p) const;
  static http::Response AuthorizerError(const Pending& p);
  void Serve(const Route& route, std::map<std::string, std::string> path_parameters,
             std::string path, http::Request request, http::ResponseWriter writer);

  invoker::Invoker& invoker_;
  const lambda::Registry& registry_;
  const Clock& clock_;
  boost::asio::io_context& loop_;
  boost::asio::io_context& control_;
  store::Database* db_;
  std::string listener_url_;
  // Lambda authorizers' answers by API, authorizer and identity, until their TTL.
  std::map<std::string, CachedAnswer> auth_cache_;
  std::map<std::string, Route> routes_;  // by id
  std::vector<Route> list_;              // routes_' values, for matching
  Listener listener_{*this};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace thaw::httpfront
