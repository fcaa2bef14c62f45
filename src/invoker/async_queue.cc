#include "invoker/async_queue.h"

#include <boost/asio/post.hpp>

#include "base/log.h"

namespace thaw::invoker {

namespace asio = boost::asio;

InvokerTarget::InvokerTarget(Invoker& invoker, const lambda::Registry& registry, const Clock& clock,
                             int64_t max_event_age_s)
    : invoker_(invoker), registry_(registry), clock_(clock), max_event_age_s_(max_event_age_s) {}

AsyncTarget::Outcome InvokerTarget::Start(const QueuedEvent& event, std::function<void()> done) {
  auto resolved = registry_.Resolve(event.function_name, event.qualifier);
  if (!resolved.ok()) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << ": "
                             << resolved.status().message();
    return Outcome::kDrop;
  }
  // Per function at run time: PutFunctionEventInvokeConfig's MaximumEventAgeInSeconds goes here.
  const int64_t max_age_s = max_event_age_s_;
  const int64_t age_ms = clock_.RealtimeMillis() - event.received_ms;
  if (age_ms > max_age_s * 1000) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << " for function "
                             << event.function_name << ": EventAgeExceeded (" << age_ms / 1000
                             << " s old, MaximumEventAgeInSeconds " << max_age_s << ")";
    return Outcome::kDrop;
  }
  runtime_api::Event ev;
  ev.request_id = event.request_id;
  ev.payload = event.payload;  // a copy: a throttled event stays queued
  ev.trace_id = event.trace_id;
  Status s = invoker_.Invoke(*resolved, std::move(ev), /*want_tail=*/false,
                             [done = std::move(done)](const InvokeResult&) { done(); },
                             {.queued_ms = event.received_ms, .async = true});
  return s.ok() ? Outcome::kStarted : Outcome::kThrottled;
}

AsyncQueue::AsyncQueue(asio::io_context& loop, asio::io_context& store, store::Database& db,
                       AsyncTarget& target, Options options)
    : loop_(loop), store_(store), db_(db), target_(target), options_(options), retry_timer_(loop) {}

StatusOr<AsyncQueue::Page> AsyncQueue::LoadPage(store::Database& db, int64_t after,
                                                size_t max_events, size_t max_bytes) {
  THAW_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("SELECT id, request_id, function_name, qualifier, trace_id, received_ms,"
                 " length(payload), payload FROM async_events WHERE id > ? ORDER BY id LIMIT ?"));
  // One row more than asked, to know whether more follow.
  stmt.Bind(1, after).Bind(2, static_cast<int64_t>(max_events) + 1);
  Page page;
  size_t bytes = 0;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const auto size = static_cast<size_t>(stmt.Int(6));
    // The first always fits, so one event larger than the budget cannot stall the queue.
    if (page.events.size() == max_events || (!page.events.empty() && bytes + size > max_bytes)) {
      page.more = true;
      break;
    }
    QueuedEvent e;
    e.id = stmt.Int(0);
    e.request_id = stmt.Text(1);
    e.function_name = stmt.Text(2);
    e.qualifier = stmt.Text(3);
    e.trace_id = stmt.Text(4);
    e.received_ms = stmt.Int(5);
    e.payload = stmt.Text(7);
    bytes += size;
    page.events.push_back(std::move(e));
  }
  stmt.Reset();
  return page;
}

Status AsyncQueue::Open() {
  THAW_RETURN_IF_ERROR(
      db_.Exec("CREATE TABLE IF NOT EXISTS async_events ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,"
               " function_name TEXT NOT NULL, qualifier TEXT NOT NULL, payload BLOB NOT NULL,"
               " trace_id TEXT NOT NULL, received_ms INTEGER NOT NULL)"));
  {
    THAW_ASSIGN_OR_RETURN(auto count, db_.Prepare("SELECT COUNT(*) FROM async_events"));
    THAW_ASSIGN_OR_RETURN(bool row, count.Step());
    pending_ = row ? count.Int(0) : 0;
  }
  THAW_ASSIGN_OR_RETURN(Page page, LoadPage(db_, 0, options_.window_events, options_.window_bytes));
  for (auto& e : page.events) {
    loaded_through_ = e.id;
    PushReady(std::move(e));
  }
  spilled_ = page.more;
  if (!ready_.empty()) {
    THAW_LOG(kInfo, "async") << "redelivering " << pending_ << " queued event(s) (" << ready_.size()
                             << " in memory, the rest paged in as these run)";
    asio::post(loop_, [this] { Pump(); });
  }
  return Status::Ok();
}

void AsyncQueue::Enqueue(QueuedEvent event, std::function<void(Status)> stored) {
  batch_.push_back({std::move(event), std::move(stored)});
  if (!committing_) Commit();
}

void AsyncQueue::Remove(int64_t id) {
  --pending_;
  removals_.push_back(id);
  if (!committing_) Commit();
}

// Group commit: one transaction (one fsync) for everything that arrived since the last one.
void AsyncQueue::Commit() {
  if (batch_.empty() && removals_.empty()) return;
  committing_ = true;
  asio::post(store_, [this, batch = std::move(batch_), removals = std::move(removals_)]() mutable {
    auto run = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(db_));
      THAW_ASSIGN_OR_RETURN(
          auto insert,
          db_.Prepare("INSERT INTO async_events (request_id, function_name, qualifier, payload,"
                      " trace_id, received_ms) VALUES (?, ?, ?, ?, ?, ?)"));
      for (Pending& p : batch) {
        const QueuedEvent& e = p.event;
        insert.Bind(1, e.request_id)
            .Bind(2, e.function_name)
            .Bind(3, e.qualifier)
            .BindBlob(4, e.payload)
            .Bind(5, e.trace_id)
            .Bind(6, e.received_ms);
        THAW_RETURN_IF_ERROR(insert.Run());
        p.event.id = db_.LastInsertId();
      }
      THAW_ASSIGN_OR_RETURN(auto remove, db_.Prepare("DELETE FROM async_events WHERE id = ?"));
      for (int64_t id : removals) {
        remove.Bind(1, id);
        THAW_RETURN_IF_ERROR(remove.Run());
      }
      return tx->Commit();
    };
    Status status = run();
    if (!status.ok()) {
      THAW_LOG(kError, "async") << "cannot commit " << batch.size() << " new and "
                                << removals.size() << " run event(s): " << status.ToString();
    }
    asio::post(loop_, [this, status, batch = std::move(batch)]() mutable {
      committing_ = false;
      for (Pending& p : batch) {
        p.stored(status);
        if (!status.ok()) continue;
        ++pending_;
        Admit(std::move(p.event));
      }
      Commit();  // what arrived meanwhile
      Pump();
    });
  });
}

bool AsyncQueue::WindowHasRoom(size_t payload_bytes) const {
  if (ready_.empty()) return true;
  return ready_.size() < options_.window_events &&
         ready_bytes_ + payload_bytes <= options_.window_bytes;
}

// A newly stored event joins the window only if nothing older waits in the database (order)
// and it fits; otherwise it is paged in later.
void AsyncQueue::Admit(QueuedEvent event) {
  if (!spilled_ && WindowHasRoom(event.payload.size())) {
    loaded_through_ = event.id;
    PushReady(std::move(event));
    return;
  }
  spilled_ = true;
}

void AsyncQueue::PushReady(QueuedEvent event) {
  ready_bytes_ += event.payload.size();
  ready_.push_back(std::move(event));
}

QueuedEvent AsyncQueue::PopReady() {
  QueuedEvent event = std::move(ready_.front());
  ready_.pop_front();
  ready_bytes_ -= event.payload.size();
  return event;
}

// Refills the window from the database once it is half empty.
void AsyncQueue::MaybePage() {
  if (!spilled_ || paging_ || stopping_) return;
  if (ready_.size() > options_.window_events / 2 || ready_bytes_ > options_.window_bytes / 2) {
    return;
  }
  paging_ = true;
  size_t max_events = options_.window_events - ready_.size();
  size_t max_bytes = options_.window_bytes - ready_bytes_;
  asio::post(store_, [this, after = loaded_through_, max_events, max_bytes] {
    auto page = LoadPage(db_, after, max_events, max_bytes);
    // Commits that ran before this query are in the page; their completions reach the loop
    // before it (both contexts are FIFO), and found `spilled_` set, so none is in memory twice.
    asio::post(loop_, [this, page = std::move(page)]() mutable {
      paging_ = false;
      if (!page.ok()) {
        THAW_LOG(kError, "async") << "cannot read queued events: " << page.status().ToString();
        ArmRetry();  // the next Pump pages again
        return;
      }
      for (auto& e : page->events) {
        loaded_through_ = e.id;
        PushReady(std::move(e));
      }
      spilled_ = page->more;
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
    Run(PopReady());
  }
  MaybePage();
}

void AsyncQueue::Run(QueuedEvent event) {
  const int64_t id = event.id;
  switch (target_.Start(event, [this, id] {
    --in_flight_;
    if (stopping_) return;
    Remove(id);
    Pump();
  })) {
    case AsyncTarget::Outcome::kStarted:
      ++in_flight_;
      return;
    case AsyncTarget::Outcome::kDrop:
      Remove(id);
      return;
    case AsyncTarget::Outcome::kThrottled:
      break;
  }
  // Throttled (or shutting down): Lambda keeps throttled events and retries them with backoff.
  ++event.attempts;
  PushReady(std::move(event));
  ArmRetry();
}

void AsyncQueue::ArmRetry() {
  if (retry_armed_) return;
  retry_armed_ = true;
  retry_timer_.expires_after(options_.retry_delay);
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the queue is being destroyed
    retry_armed_ = false;
    Pump();
  });
}

}  // namespace thaw::invoker
