#include "invoker/async_queue.h"

#include <algorithm>
#include <cmath>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/check.h"
#include "base/log.h"

namespace thaw::invoker {

namespace asio = boost::asio;

namespace {

std::chrono::milliseconds Scaled(int64_t ms, double scale) {
  return std::chrono::milliseconds(std::llround(static_cast<double>(ms) * scale));
}

}  // namespace

std::chrono::milliseconds FunctionErrorDelay(int attempts, double scale) {
  // Lambda: about a minute before the first retry, about two before the second.
  return Scaled(attempts <= 1 ? 60'000 : 120'000, scale);
}

std::chrono::milliseconds ThrottleDelay(int throttles, double scale,
                                        std::chrono::milliseconds first) {
  int64_t ms = first.count();
  for (int i = 1; i < throttles && ms < 300'000; ++i) ms *= 2;
  return Scaled(std::min<int64_t>(ms, 300'000), scale);
}

std::string_view ConditionName(Condition condition) {
  switch (condition) {
    case Condition::kSuccess:
      return "Success";
    case Condition::kRetriesExhausted:
      return "RetriesExhausted";
    case Condition::kEventAgeExceeded:
      return "EventAgeExceeded";
  }
  return "Success";
}

InvokerTarget::InvokerTarget(Invoker& invoker, const lambda::Registry& registry,
                             int64_t max_event_age_s)
    : invoker_(invoker), registry_(registry), max_event_age_s_(max_event_age_s) {}

std::optional<EventPolicy> InvokerTarget::Policy(const QueuedEvent& event) {
  auto entry = registry_.Get(event.function_name);
  if (!entry) return std::nullopt;
  EventPolicy policy;
  policy.max_age_s = max_event_age_s_;
  const std::string qualifier = event.qualifier.empty() ? lambda::kLatest : event.qualifier;
  if (auto it = entry->event_invoke_configs.find(qualifier);
      it != entry->event_invoke_configs.end()) {
    policy.max_retries = it->second.retries();
    if (it->second.max_event_age_s) policy.max_age_s = *it->second.max_event_age_s;
  }
  return policy;
}

AsyncTarget::Outcome InvokerTarget::Start(const QueuedEvent& event,
                                          std::function<void(AttemptResult)> done) {
  auto resolved = registry_.Resolve(event.function_name, event.qualifier);
  if (!resolved.ok()) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << ": "
                             << resolved.status().message();
    return Outcome::kDrop;
  }
  runtime_api::Event ev;
  ev.request_id = event.request_id;
  ev.payload = event.payload;  // a copy: a throttled event stays queued
  ev.trace_id = event.trace_id;
  auto finished = [done = std::move(done)](const InvokeResult& r) {
    AttemptResult a;
    a.function_error = r.function_error;
    a.response = r.body;
    a.executed_version = r.executed_version;
    if (r.function_error) {
      auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) {
        if (auto t = j.find("errorType"); t != j.end() && t->is_string()) a.error_type = *t;
        if (auto m = j.find("errorMessage"); m != j.end() && m->is_string()) a.error_message = *m;
      }
    }
    done(std::move(a));
  };
  Status s = invoker_.Invoke(
      *resolved, std::move(ev), /*want_tail=*/false, std::move(finished),
      {.queued_ms = event.attempts > 0 ? event.next_attempt_ms : event.received_ms, .async = true});
  if (IsRecursiveInvocation(s)) return Outcome::kRecursive;
  return s.ok() ? Outcome::kStarted : Outcome::kThrottled;
}

AsyncQueue::AsyncQueue(asio::io_context& loop, asio::io_context& store, store::Database& db,
                       AsyncTarget& target, Options options)
    : loop_(loop),
      store_(store),
      db_(db),
      target_(target),
      options_(options),
      clock_(options.clock ? options.clock : &SystemClock::Get()),
      wait_timer_(loop),
      retry_timer_(loop) {}

StatusOr<AsyncQueue::Page> AsyncQueue::LoadPage(store::Database& db, int64_t after,
                                                size_t max_events, size_t max_bytes) {
  THAW_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("SELECT id, request_id, function_name, qualifier, trace_id, received_ms,"
                 " length(payload), payload, attempts, next_attempt_ms FROM async_events"
                 " WHERE id > ? ORDER BY id LIMIT ?"));
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
    e.attempts = static_cast<int>(stmt.Int(8));
    e.next_attempt_ms = stmt.Int(9);
    bytes += size;
    page.events.push_back(std::move(e));
  }
  stmt.Reset();
  return page;
}

Status AsyncQueue::Open() {
  THAW_RETURN_IF_ERROR(db_.Exec(
      "CREATE TABLE IF NOT EXISTS async_events ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,"
      " function_name TEXT NOT NULL, qualifier TEXT NOT NULL, payload BLOB NOT NULL,"
      " trace_id TEXT NOT NULL, received_ms INTEGER NOT NULL,"
      " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0)"));
  // events.db of an older thaw: add the retry columns.
  for (const char* column : {"attempts", "next_attempt_ms"}) {
    Status added = db_.Exec(std::string("ALTER TABLE async_events ADD COLUMN ") + column +
                            " INTEGER NOT NULL DEFAULT 0");
    if (!added.ok() && added.message().find("duplicate column") == std::string::npos) {
      return added;
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto count, db_.Prepare("SELECT COUNT(*) FROM async_events"));
    THAW_ASSIGN_OR_RETURN(bool row, count.Step());
    pending_ = row ? count.Int(0) : 0;
  }
  {
    // Ids are given on the loop, so an event can run before its commit; never reused
    // (AUTOINCREMENT keeps the largest ever given in sqlite_sequence).
    THAW_ASSIGN_OR_RETURN(
        auto last, db_.Prepare("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM async_events UNION ALL"
                               " SELECT seq FROM sqlite_sequence WHERE name = 'async_events')"));
    THAW_ASSIGN_OR_RETURN(bool row, last.Step());
    next_id_ = (row ? last.Int(0) : 0) + 1;
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
  event.id = next_id_++;
  // Nothing queued ahead of it, in memory, in the database or in a commit: it runs now, while
  // its commit runs, rather than after it. The caller's 202 still waits for that commit; a crash
  // before it loses an event whose caller was never answered (it may have run: at-least-once).
  const bool early =
      !stopping_ && !spilled_ && ready_.empty() && batch_.empty() && committing_events_ == 0;
  std::optional<QueuedEvent> run;
  if (early) run = event;
  // Its commit starts first (the 202 waits for it, and starting the function wakes threads that
  // compete for the CPU); a removal the run causes goes into a later commit than the insert.
  batch_.push_back({std::move(event), std::move(stored), early});
  if (!committing_) Commit();
  if (early) {
    ++pending_;
    Run(std::move(*run));
  }
}

void AsyncQueue::Remove(int64_t id) {
  --pending_;
  removals_.push_back(id);
  if (!committing_) Commit();
}

void AsyncQueue::Finish(QueuedEvent event, FinalOutcome outcome) {
  const int64_t id = event.id;
  if (outcome.condition != Condition::kSuccess) {
    THAW_LOG(kInfo, "async") << "event " << event.request_id << " of " << event.function_name
                             << ": " << ConditionName(outcome.condition) << " after "
                             << event.attempts << " invocation(s)";
  }
  if (!sink_) {
    Remove(id);
    return;
  }
  sink_->Finish(event, outcome, [this, id] {
    if (stopping_) return;  // stays stored: finished again next start
    Remove(id);
  });
}

// Group commit: one transaction (one fsync) for everything that arrived since the last one.
void AsyncQueue::Commit() {
  if (batch_.empty() && removals_.empty() && updates_.empty()) return;
  committing_ = true;
  committing_events_ = batch_.size();
  asio::post(store_, [this, batch = std::move(batch_), removals = std::move(removals_),
                      updates = std::move(updates_)]() mutable {
    auto run = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(db_));
      THAW_ASSIGN_OR_RETURN(
          auto insert,
          db_.Prepare("INSERT INTO async_events (id, request_id, function_name, qualifier,"
                      " payload, trace_id, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      for (const Pending& p : batch) {
        const QueuedEvent& e = p.event;
        insert.Bind(1, e.id)
            .Bind(2, e.request_id)
            .Bind(3, e.function_name)
            .Bind(4, e.qualifier)
            .BindBlob(5, e.payload)
            .Bind(6, e.trace_id)
            .Bind(7, e.received_ms);
        THAW_RETURN_IF_ERROR(insert.Run());
      }
      THAW_ASSIGN_OR_RETURN(auto remove, db_.Prepare("DELETE FROM async_events WHERE id = ?"));
      for (int64_t id : removals) {
        remove.Bind(1, id);
        THAW_RETURN_IF_ERROR(remove.Run());
      }
      THAW_ASSIGN_OR_RETURN(
          auto update,
          db_.Prepare("UPDATE async_events SET attempts = ?, next_attempt_ms = ? WHERE id = ?"));
      for (const Update& u : updates) {
        update.Bind(1, static_cast<int64_t>(u.attempts)).Bind(2, u.next_attempt_ms).Bind(3, u.id);
        THAW_RETURN_IF_ERROR(update.Run());
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
      committing_events_ = 0;
      for (Pending& p : batch) {
        p.stored(status);
        if (p.early) {
          // Already running (or throttled and in the window); it was counted when it started.
          // Everything before it was in memory, so the window now reaches it.
          if (!spilled_) loaded_through_ = std::max(loaded_through_, p.event.id);
          continue;
        }
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
  if (event.next_attempt_ms > Now()) {
    Wait(std::move(event));  // a retry stored by a past run, not due yet
    return;
  }
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
  std::optional<EventPolicy> policy = target_.Policy(event);
  if (!policy) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << ": function "
                             << event.function_name << " is gone";
    Remove(id);
    return;
  }
  const int64_t age_ms = Now() - event.received_ms;
  if (age_ms > policy->max_age_s * 1000) {
    THAW_LOG(kWarn, "async") << "dropping event " << event.request_id << " for function "
                             << event.function_name << ": EventAgeExceeded (" << age_ms / 1000
                             << " s old, MaximumEventAgeInSeconds " << policy->max_age_s << ")";
    Finish(std::move(event), {Condition::kEventAgeExceeded, std::nullopt});
    return;
  }
  switch (target_.Start(event, [this, id](AttemptResult result) {
    --in_flight_;
    if (stopping_) return;
    Attempted(id, std::move(result));
    Pump();
  })) {
    case AsyncTarget::Outcome::kStarted:
      ++in_flight_;
      throttle_rounds_ = 0;
      running_.emplace(id, std::move(event));
      return;
    case AsyncTarget::Outcome::kDrop:
      Remove(id);
      return;
    case AsyncTarget::Outcome::kRecursive: {
      // Lambda neither runs nor retries it; its DLQ and on-failure destination get it. AWS does
      // not document the record's condition for this case: RetriesExhausted is thaw's choice.
      AttemptResult dropped;
      dropped.function_error = true;
      dropped.error_type = "RecursiveInvocationException";
      dropped.error_message = "Recursive invocation detected";
      dropped.response =
          nlohmann::json{{"errorType", dropped.error_type}, {"errorMessage", dropped.error_message}}
              .dump();
      Finish(std::move(event), {Condition::kRetriesExhausted, std::move(dropped)});
      return;
    }
    case AsyncTarget::Outcome::kThrottled:
      break;
  }
  // Throttled: Lambda keeps the event and tries again with backoff. It is tried again sooner
  // when another event finishes (Pump), as capacity is free then.
  PushReady(std::move(event));
  ArmRetry();
}

void AsyncQueue::Attempted(int64_t id, AttemptResult result) {
  auto it = running_.find(id);
  THAW_CHECK(it != running_.end()) << "event " << id << " finished but was not running";
  QueuedEvent event = std::move(it->second);
  running_.erase(it);
  ++event.attempts;
  event.last_attempt_ms = Now();
  if (!result.function_error) {
    Finish(std::move(event), {Condition::kSuccess, std::move(result)});
    return;
  }
  std::optional<EventPolicy> policy = target_.Policy(event);
  if (!policy) {
    Remove(id);
    return;
  }
  if (event.attempts > policy->max_retries) {
    Finish(std::move(event), {Condition::kRetriesExhausted, std::move(result)});
    return;
  }
  event.next_attempt_ms = Now() + FunctionErrorDelay(event.attempts, options_.delay_scale).count();
  THAW_LOG(kInfo, "async") << "event " << event.request_id << " of " << event.function_name
                           << " failed (" << result.error_type << "); retry " << event.attempts
                           << " in " << event.next_attempt_ms - Now() << " ms";
  updates_.push_back({id, event.attempts, event.next_attempt_ms});
  if (!committing_) Commit();
  Wait(std::move(event));
}

void AsyncQueue::Wait(QueuedEvent event) {
  waiting_.emplace(std::make_pair(event.next_attempt_ms, event.id), std::move(event));
  ArmWait();
}

// One timer for the earliest waiting event; due events join the window's back.
void AsyncQueue::ArmWait() {
  if (waiting_.empty() || stopping_) return;
  const int64_t due = waiting_.begin()->first.first;
  if (wait_armed_for_ != 0 && wait_armed_for_ <= due) return;
  wait_armed_for_ = due;
  wait_timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, due - Now())));
  wait_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;  // cancelled, or the queue is gone
    wait_armed_for_ = 0;
    const int64_t now = Now();
    while (!waiting_.empty() && waiting_.begin()->first.first <= now) {
      QueuedEvent event = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
      ready_bytes_ += event.payload.size();
      ready_.push_back(std::move(event));
    }
    ArmWait();
    Pump();
  });
}

void AsyncQueue::ArmRetry() {
  if (retry_armed_) return;
  retry_armed_ = true;
  ++throttle_rounds_;
  retry_timer_.expires_after(
      ThrottleDelay(throttle_rounds_, options_.delay_scale, options_.retry_delay));
  retry_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;  // cancelled, or the queue is gone
    retry_armed_ = false;
    Pump();
  });
}

}  // namespace thaw::invoker
