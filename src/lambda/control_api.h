// ControlApi: the Lambda control plane (CreateFunction, GetFunction, versions, aliases,
// concurrency, tags, account settings) served on the front door as an http::Api.
// Handle runs on the loop thread and only routes: a control-plane request moves, with its
// ResponseWriter, to the control thread, where ControlService does the SQLite and zip work; the
// finished response is posted back to the loop, the only thread that may Send it.
// Code of replaced configurations is collected once nobody holds them: a loop-thread timer
// (which never keeps the loop from stopping) asks the control thread to look again.
// Threading: Handle on the loop thread only; Start before `control` runs, or on its thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "http/api.h"
#include "lambda/control_service.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::lambda {

class ControlApi final : public http::Api {
 public:
  struct Options {
    std::string state_dir;             // code lives in STATE_DIR/code
    boost::asio::io_context& loop;     // runs the HTTP front door
    boost::asio::io_context& control;  // one thread; owns `db`
    store::Database& db;               // used only on the control thread
    Registry& registry;                // kept in sync after every committed change
    const Clock& clock;
    int64_t account_concurrency_limit = 1000;
    int64_t unreserved_minimum = 100;
    // Runs on the control thread after a committed change to a function's code or
    // configuration, or a deletion (of the function or one version); the invoker uses it to
    // retire warm environments. Must not block for long.
    std::function<void(const std::string& name)> on_function_changed;
    // The configured listen address, for Code.Location (see ServiceOptions).
    std::string endpoint_host = "127.0.0.1";
    uint16_t endpoint_port = 0;
    // While a replaced configuration is still held (by a running environment), its code is
    // kept; the control thread looks again this often.
    std::chrono::milliseconds gc_retry{2000};
  };

  // Everything `options` references must outlive this object, and this object must outlive
  // every handler it posted (stop and drain `loop` and `control` before destroying it).
  explicit ControlApi(Options options);
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // Creates the tables and loads every stored function into the Registry.
  Status Start();

  // Code uploads (CreateFunction, UpdateFunctionCode, PublishLayerVersion) carry a base64 zip of
  // up to 50 MB; every other operation a small JSON document.
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;

  // Loop thread. Returns false for paths that are not control-plane routes (the invoke path
  // POST /2015-03-31/functions/{name}/invocations among them).
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  // Loop thread: arms the retry timer unless it is armed.
  void ScheduleGc();

  boost::asio::io_context& loop_;
  boost::asio::io_context& control_;
  std::chrono::milliseconds gc_retry_;
  boost::asio::steady_timer gc_timer_;                     // loop thread only
  bool gc_armed_ = false;                                  // loop thread only
  ControlService service_;                                 // control thread only
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // expires with this object
};

}  // namespace thaw::lambda
