// RecordStore: durable per-invocation records in their own SQLite file (STATE_DIR/invocations.db).
// The loop encodes each record (record_codec.h, ~80 bytes) straight into a lock-free ring: no
// lock, no allocation, no system call. A writer thread wakes on a timer (every
// flush_interval_ms; no wake-up per record), copies what the ring holds into one row and
// commits it in one transaction; it also runs queries, after draining, so they see every
// record added before them.
// Durability: a record is in the database within about one interval (plus the insert) and at
// Stop(). This is a profiling record, not acknowledged state: a kill -9 loses what was still in
// the ring, at most the last interval's records. A full ring drops records and counts them.
// The writer holds the file's lock for good (locking_mode=EXCLUSIVE): read it through the API.
// Threads: Add from one producer thread (the loop); Query, Flush, Stop, dropped(), written()
// from any (Flush and Stop block, so not on the loop's hot path).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>  // std::once_flag
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "records/record.h"
#include "records/record_queries.h"
#include "records/spsc_ring.h"
#include "store/sqlite.h"

namespace thaw::records {

class RecordStore {
 public:
  struct Options {
    std::string path = {};              // the SQLite file; created when missing
    size_t capacity = size_t{1} << 20;  // ring bytes: ~12,000 records between two drains
    int flush_interval_ms = 100;        // the writer's period
    int64_t max_records = 1'000'000;    // older records are deleted beyond this many
    const Clock* clock = nullptr;       // nullptr means SystemClock
  };

  // Opens (creating the schema) and starts the writer thread.
  static StatusOr<std::unique_ptr<RecordStore>> Open(Options options);
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;
  ~RecordStore();  // Stop()

  // Producer: encodes `r` into the ring. False, and counted in dropped(), when it is full.
  bool Add(const InvocationRecord& r);
  // Producer thread: recording can be paused, to measure its cost within one server. Invocations
  // that start while paused leave no record.
  bool enabled() const { return enabled_; }
  void set_enabled(bool enabled) { enabled_ = enabled; }

  // Runs `fn` on the writer thread once every record added before this call is written.
  // False, without keeping `fn`, once stopped.
  bool Query(std::function<void(store::Database&)> fn);
  // Blocks until the records added before the call are written. False when stopped.
  bool Flush();
  // Writes what is left, runs pending queries and joins the writer. Idempotent.
  void Stop();

  // Records lost: ring full, or a failed write transaction.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }

 private:
  RecordStore(Options options, std::unique_ptr<store::Database> db, BatchWriter batches);
  void Run();  // writer thread body
  void Drain();

  const Options options_;
  const Clock* const clock_;
  std::unique_ptr<store::Database> db_;  // writer thread only, once started
  BatchWriter batches_;                  // writer thread only, once started
  SpscRing ring_;
  bool enabled_ = true;             // producer thread only
  char last_environment_[64] = {};  // producer: the identity the last record in the ring had
  std::string identity_;            // writer: the identity bytes of the last record taken
  std::string blob_;                // writer: the batch being written
  int64_t records_ = 0;             // in the file; writer thread only

  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> written_{0};

  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void(store::Database&)>> queries_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;

  std::once_flag stop_once_;
  std::thread writer_;
};

}  // namespace thaw::records
