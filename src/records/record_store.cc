#include "records/record_store.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <utility>

#include "base/log.h"
#include "records/record_codec.h"
#include "records/record_queries.h"

namespace thaw::records {

StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(Options options) {
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  THAW_RETURN_IF_ERROR(CreateSchema(*db));
  THAW_ASSIGN_OR_RETURN(BatchWriter batches, BatchWriter::Open(*db));
  std::unique_ptr<RecordStore> store(
      new RecordStore(std::move(options), std::move(db), std::move(batches)));
  store->writer_ = std::thread([raw = store.get()] { raw->Run(); });
  return store;
}

RecordStore::RecordStore(Options options, std::unique_ptr<store::Database> db, BatchWriter batches)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock::Get()),
      db_(std::move(db)),
      batches_(std::move(batches)),
      ring_(options_.capacity) {}

RecordStore::~RecordStore() { Stop(); }

bool RecordStore::Add(const InvocationRecord& r) {
  char* room = ring_.Reserve(MaxEncodedSize(r));
  if (!room) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The identity goes with the first record of each environment's run in the ring; the writer
  // puts it back where a batch starts without it. Environment ids are unique, and an
  // environment's identity never changes.
  bool same = !r.environment.empty() && r.environment.size() < sizeof last_environment_ &&
              r.environment == last_environment_;
  ring_.Commit(EncodeRecord(r, !same, room));
  size_t n = std::min(r.environment.size(), sizeof last_environment_ - 1);
  if (n > 0) memcpy(last_environment_, r.environment.data(), n);
  last_environment_[n] = '\0';
  return true;
}

bool RecordStore::Query(std::function<void(store::Database&)> fn) {
  MutexLock lock(&mu_);
  if (stopping_) return false;
  queries_.push_back(std::move(fn));
  cv_.Signal();
  return true;
}

bool RecordStore::Flush() {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> wait = done->get_future();
  if (!Query([done](store::Database&) { done->set_value(); })) return false;
  wait.wait();
  return true;
}

void RecordStore::Stop() {
  std::call_once(stop_once_, [this] {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      cv_.Signal();
    }
    if (writer_.joinable()) writer_.join();
    db_.reset();  // closed for good once batches_ finalizes its statement (close_v2)
  });
}

void RecordStore::Run() {
  pthread_setname_np(pthread_self(), "thaw-records");  // so profilers can tell it apart
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  auto count = CountRecords(*db_);
  records_ = count.ok() ? *count : 0;
  for (;;) {
    std::deque<std::function<void(store::Database&)>> queries;
    bool stop = false;
    {
      const auto deadline = std::chrono::steady_clock::now() + interval;
      MutexLock lock(&mu_);
      while (!stopping_ && queries_.empty() && cv_.WaitUntil(&mu_, deadline)) {
      }
      queries.swap(queries_);
      stop = stopping_;
    }
    Drain();  // before the queries: they must see every record added before them
    for (auto& query : queries) query(*db_);
    if (stop) return;
  }
}

void RecordStore::Drain() {
  // What the ring holds now, copied into one row in one transaction. Records that come in
  // meanwhile wait for the next period: a steady trickle must not become a transaction each.
  blob_.clear();
  size_t n = ring_.Consume([this, first = true](std::string_view record) mutable {
    std::string_view identity = IdentityOf(record);
    if (!identity.empty()) identity_.assign(identity);
    if (first) {
      AppendWithIdentity(record, identity_, blob_);  // a batch must stand alone
    } else {
      blob_.append(record);
    }
    first = false;
  });
  if (n == 0) return;
  Status s = [&]() -> Status {
    THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*db_));
    THAW_RETURN_IF_ERROR(batches_.Insert(blob_, static_cast<int64_t>(n), clock_->RealtimeNanos(),
                                         clock_->MonotonicNanos()));
    return tx->Commit();
  }();
  if (!s.ok()) {
    uint64_t dropped = dropped_.fetch_add(n, std::memory_order_relaxed) + n;
    THAW_LOG(kError, "records") << "writing " << n << " invocation records failed: " << s.ToString()
                                << " (" << dropped << " dropped so far)";
    return;
  }
  written_.fetch_add(n, std::memory_order_relaxed);
  records_ += static_cast<int64_t>(n);
  // Retention in steps of a tenth of the cap, not a little at every batch.
  if (records_ > options_.max_records + options_.max_records / 10) {
    auto left = PruneRecords(*db_, options_.max_records);
    if (left.ok()) {
      records_ = *left;
    } else {
      THAW_LOG(kWarn, "records") << "pruning old records failed: " << left.status().ToString();
    }
  }
}

}  // namespace thaw::records
