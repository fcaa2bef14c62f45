#include "logs/log_store.h"

#include <chrono>
#include <future>
#include <utility>

#include "base/log.h"
#include "logs/log_queries.h"

namespace thaw::logs {

StatusOr<std::unique_ptr<LogStore>> LogStore::Open(Options options) {
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  THAW_RETURN_IF_ERROR(CreateSchema(*db));
  THAW_ASSIGN_OR_RETURN(std::unique_ptr<EventWriter> events_writer, EventWriter::Open(*db));
  std::unique_ptr<LogStore> log_store(new LogStore(std::move(options), std::move(db)));
  log_store->events_writer_ = std::move(events_writer);
  // The connection is handed to the writer here; from now on only that thread touches it.
  log_store->writer_ = std::thread([raw = log_store.get()] { raw->Run(); });
  return log_store;
}

LogStore::LogStore(Options options, std::unique_ptr<store::Database> db)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock::Get()),
      db_(std::move(db)) {}

LogStore::~LogStore() { Stop(); }

void LogStore::Append(LogEvent event) {
  uint64_t dropped = 0;
  {
    MutexLock lock(&mu_);
    if (!stopping_ && events_.size() < options_.max_queue) {
      events_.push_back(std::move(event));
      // Wake the writer only when it sleeps with nothing to do; during its batching interval
      // it ignores events anyway, and a wake-up per line would cost the invoke path a futex
      // call and the machine a context switch.
      if (writer_idle_) {
        writer_idle_ = false;
        cv_.Signal();
      }
      return;
    }
    dropped = ++dropped_;
  }
  // Degraded mode is loud, but not one line per lost event.
  if (dropped == 1 || dropped % 10000 == 0) {
    THAW_LOG(kWarn, "logs") << "log store queue full or stopped; " << dropped
                            << " events dropped so far";
  }
}

bool LogStore::Query(std::function<void(store::Database&)> fn) {
  MutexLock lock(&mu_);
  if (stopping_) return false;
  queries_.push_back(std::move(fn));
  cv_.Signal();
  return true;
}

bool LogStore::Flush() {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> wait = done->get_future();
  if (!Query([done](store::Database&) { done->set_value(); })) return false;
  wait.wait();
  return true;
}

void LogStore::Stop() {
  std::call_once(stop_once_, [this] {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      cv_.Signal();
    }
    if (writer_.joinable()) writer_.join();
    events_writer_.reset();  // its statements before the connection
    db_.reset();
  });
}

uint64_t LogStore::dropped() const {
  MutexLock lock(&mu_);
  return dropped_;
}

void LogStore::Run() {
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  for (;;) {
    std::vector<LogEvent> batch;
    std::deque<std::function<void(store::Database&)>> queries;
    bool stop = false;
    {
      MutexLock lock(&mu_);
      writer_idle_ = true;
      while (!stopping_ && events_.empty() && queries_.empty()) cv_.Wait(&mu_);
      writer_idle_ = false;
      batch.swap(events_);
      queries.swap(queries_);
      stop = stopping_ && batch.empty() && queries.empty();
    }
    if (stop) return;
    // Events first: a query posted after an Append must see that event.
    if (!batch.empty()) WriteBatch(batch);
    for (auto& query : queries) query(*db_);
    if (batch.empty()) continue;
    // Batching: after a write, let events pile up for one interval. Queries and Stop cut the
    // wait short so that reads stay fast and shutdown prompt.
    const auto deadline = std::chrono::steady_clock::now() + interval;
    MutexLock lock(&mu_);
    while (!stopping_ && queries_.empty() && cv_.WaitUntil(&mu_, deadline)) {
    }
  }
}

void LogStore::WriteBatch(const std::vector<LogEvent>& batch) {
  Status status = events_writer_->Insert(batch, clock_->RealtimeMillis());
  if (status.ok()) return;
  uint64_t dropped = 0;
  {
    MutexLock lock(&mu_);
    dropped_ += batch.size();
    dropped = dropped_;
  }
  THAW_LOG(kError, "logs") << "writing " << batch.size()
                           << " log events failed: " << status.ToString() << " (" << dropped
                           << " dropped so far)";
}

}  // namespace thaw::logs
