// AsyncQueue: Lambda's queue for asynchronous (Event) invocations. An event is durable (committed
// to SQLite) before the caller gets 202, so a kill -9 after the 202 does not lose it; it is
// removed only after the function has run it. Events left over from a previous run are
// delivered after a restart. Retries of failed events, destinations and DLQs are not here yet.
// Threads: Enqueue and the dispatcher run on the loop; SQLite work runs on the `store` context.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/status.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::invoker {

struct QueuedEvent {
  int64_t id = 0;  // row id, assigned when stored
  std::string request_id;
  std::string function_name;
  std::string qualifier;
  std::string payload;
  std::string trace_id;
  int64_t received_ms = 0;
  int attempts = 0;
};

class AsyncQueue {
 public:
  // `db` is used only on `store`; every reference must outlive the queue.
  AsyncQueue(boost::asio::io_context& loop, boost::asio::io_context& store, store::Database& db,
             Invoker& invoker, const lambda::Registry& registry);
  // Creates the table and loads events left by a previous run (call before serving).
  Status Open();
  // Stores `event` durably, then calls `stored` on the loop (with the error if it failed).
  void Enqueue(QueuedEvent event, std::function<void(Status)> stored);
  size_t pending() const { return ready_.size() + in_flight_; }
  // Server shutdown: events still running stay stored and are delivered again next start.
  void Stop() { stopping_ = true; }

 private:
  void Pump();
  void Run(QueuedEvent event);
  void Remove(int64_t id);

  boost::asio::io_context& loop_;
  boost::asio::io_context& store_;
  store::Database& db_;
  Invoker& invoker_;
  const lambda::Registry& registry_;
  std::deque<QueuedEvent> ready_;  // loop thread only
  size_t in_flight_ = 0;
  boost::asio::steady_timer retry_timer_;
  bool retry_armed_ = false;
  bool stopping_ = false;
};

}  // namespace thaw::invoker
