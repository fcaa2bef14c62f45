#include "invoker/async_queue.h"

#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "base/log.h"

namespace thaw::invoker {

namespace asio = boost::asio;

AsyncQueue::AsyncQueue(asio::io_context& loop, asio::io_context& store, store::Database& db,
                       Invoker& invoker, const lambda::Registry& registry)
    : loop_(loop),
      store_(store),
      db_(db),
      invoker_(invoker),
      registry_(registry),
      retry_timer_(loop) {}

Status AsyncQueue::Open() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("CREATE TABLE IF NOT EXISTS async_events ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,"
               " function_name TEXT NOT NULL, qualifier TEXT NOT NULL, payload BLOB NOT NULL,"
               " trace_id TEXT NOT NULL, received_ms INTEGER NOT NULL)"));
  THAW_ASSIGN_OR_RETURN(
      auto stmt, db_.Prepare("SELECT id, request_id, function_name, qualifier, payload, trace_id,"
                             " received_ms FROM async_events ORDER BY id"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    QueuedEvent e;
    e.id = stmt.Int(0);
    e.request_id = stmt.Text(1);
    e.function_name = stmt.Text(2);
    e.qualifier = stmt.Text(3);
    e.payload = stmt.Text(4);
    e.trace_id = stmt.Text(5);
    e.received_ms = stmt.Int(6);
    ready_.push_back(std::move(e));
  }
  if (!ready_.empty()) {
    THAW_LOG(kInfo, "async") << "redelivering " << ready_.size() << " queued event(s)";
    asio::post(loop_, [this] { Pump(); });
  }
  return Status::Ok();
}

void AsyncQueue::Enqueue(QueuedEvent event, std::function<void(Status)> stored) {
  asio::post(store_, [this, event = std::move(event), stored = std::move(stored)]() mutable {
    Status status;
    auto stmt = db_.Prepare(
        "INSERT INTO async_events (request_id, function_name, qualifier, payload, trace_id,"
        " received_ms) VALUES (?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) {
      status = stmt.status();
    } else {
      stmt->Bind(1, event.request_id)
          .Bind(2, event.function_name)
          .Bind(3, event.qualifier)
          .BindBlob(4, event.payload)
          .Bind(5, event.trace_id)
          .Bind(6, event.received_ms);
      status = stmt->Run();
      if (status.ok()) event.id = db_.LastInsertId();
    }
    asio::post(loop_,
               [this, status, event = std::move(event), stored = std::move(stored)]() mutable {
                 stored(status);
                 if (!status.ok()) return;
                 ready_.push_back(std::move(event));
                 Pump();
               });
  });
}

void AsyncQueue::Pump() {
  if (stopping_) return;
  // One pass over what is ready now. A throttled event goes to the back for the retry timer
  // and must not hold up the events behind it: in Lambda one function's throttle does not
  // stop other functions' async events.
  for (size_t n = ready_.size(); n > 0 && !ready_.empty() && !stopping_; --n) {
    QueuedEvent event = std::move(ready_.front());
    ready_.pop_front();
    Run(std::move(event));
  }
}

void AsyncQueue::Run(QueuedEvent event) {
  auto resolved = registry_.Resolve(event.function_name, event.qualifier);
  if (!resolved.ok()) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << ": "
                             << resolved.status().message();
    Remove(event.id);
    return;
  }
  runtime_api::Event ev;
  ev.request_id = event.request_id;
  ev.payload = event.payload;
  ev.trace_id = event.trace_id;
  int64_t id = event.id;
  Status s = invoker_.Invoke(*resolved, std::move(ev), /*want_tail=*/false,
                             [this, id](const InvokeResult&) {
                               --in_flight_;
                               if (stopping_) return;
                               Remove(id);
                               Pump();
                             },
                             {.queued_ms = event.received_ms, .async = true});
  if (s.ok()) {
    ++in_flight_;
    return;
  }
  // Throttled (or shutting down): Lambda keeps throttled events and retries them with backoff.
  ++event.attempts;
  ready_.push_back(std::move(event));
  if (retry_armed_) return;
  retry_armed_ = true;
  retry_timer_.expires_after(std::chrono::milliseconds(200));
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    retry_armed_ = false;
    if (!ec) Pump();
  });
}

void AsyncQueue::Remove(int64_t id) {
  asio::post(store_, [this, id] {
    auto stmt = db_.Prepare("DELETE FROM async_events WHERE id = ?");
    if (!stmt.ok()) return;
    stmt->Bind(1, id);
    Status s = stmt->Run();
    if (!s.ok()) {
      THAW_LOG(kError, "async") << "cannot remove event: " << s.ToString();
    }
  });
}

}  // namespace thaw::invoker
