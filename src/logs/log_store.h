// LogStore: durable, CloudWatch-like storage of function log events in its own SQLite file
// (STATE_DIR/logs.db). One dedicated writer thread owns the connection: appends are queued and
// written in batches, and queries are posted to the same thread so they see every earlier write.
// Thread-safe: Append, Query, Flush and Stop may be called from any thread (Flush and Stop
// block, so not from the loop thread on a hot path, and never from inside a Query callback).
// Retention is out of scope: events are kept until their log group is deleted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>  // std::once_flag
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "store/sqlite.h"

namespace thaw::logs {

class EventWriter;

struct LogEvent {
  std::string group = {};   // "/aws/lambda/NAME"
  std::string stream = {};  // "2024/12/28/[$LATEST]<32 hex>"
  int64_t timestamp_ms = 0;
  std::string message = {};  // Lambda messages keep their trailing "\n"
};

class LogStore {
 public:
  struct Options {
    std::string path = {};         // the SQLite file; created when missing
    size_t max_queue = 100000;     // events waiting for the writer; more are dropped
    int flush_interval_ms = 20;    // at most one write transaction per interval
    const Clock* clock = nullptr;  // ingestion times; nullptr means SystemClock
  };

  // Opens (creating the schema) and starts the writer thread. IoError when the file cannot be
  // opened or the schema cannot be created.
  static StatusOr<std::unique_ptr<LogStore>> Open(Options options);
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;
  ~LogStore();  // Stop()

  // Queues one event; never blocks on I/O. When the queue is full, or the store is stopped,
  // the event is dropped and counted in dropped(). The group and stream rows are created
  // implicitly with the first event.
  void Append(LogEvent event);

  // Runs `fn` on the writer thread after the events queued before this call are committed.
  // `fn` may read and write the database (its own transactions) but must not call back into
  // this store's blocking methods. Returns false, without running or keeping `fn`, once the
  // store is stopped.
  bool Query(std::function<void(store::Database&)> fn);

  // Blocks until the events appended before the call are committed. False when stopped.
  bool Flush();

  // Writes everything queued, runs the pending queries and joins the writer. Idempotent.
  void Stop();

  // Events lost: queue full, appended after Stop, or a failed write transaction.
  uint64_t dropped() const;
  const Clock& clock() const { return *clock_; }

 private:
  LogStore(Options options, std::unique_ptr<store::Database> db);
  void Run();  // writer thread body
  void WriteBatch(const std::vector<LogEvent>& batch);

  const Options options_;
  const Clock* const clock_;
  std::unique_ptr<store::Database> db_;         // used only by the writer thread once started
  std::unique_ptr<EventWriter> events_writer_;  // the same; reset before db_

  mutable Mutex mu_;
  CondVar cv_;
  std::vector<LogEvent> events_ GUARDED_BY(mu_);
  std::deque<std::function<void(store::Database&)>> queries_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // The writer waits for work, not for its batching interval.
  bool writer_idle_ GUARDED_BY(mu_) = false;
  uint64_t dropped_ GUARDED_BY(mu_) = 0;

  std::once_flag stop_once_;
  std::thread writer_;
};

}  // namespace thaw::logs
