// Micro-benchmarks of invocation records: what the loop pays per invocation (encode the ended
// invocation into the record ring), the writer's insert, and the whole cost with the writer
// thread's SQLite inserts amortized (process CPU time, every thread counted).
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/codec.h"
#include "invoker/invocation_record.h"
#include "records/record_codec.h"
#include "records/record_queries.h"
#include "records/record_store.h"
#include "store/sqlite.h"

namespace thaw {
namespace {

// An ended warm invocation as the environment holds it.
struct Ended {
  lambda::FunctionConfig config;
  invoker::Invocation inv;
  std::string env_id = RandomHex(16);
  Ended() {
    config.name = "noop";
    config.memory_mb = 1769;
    inv.event.request_id = NewUuid();
    inv.event.trace_id =
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=" + RandomHex(8) + ";Sampled=0";
    int64_t t = 1'000'000'000;
    inv.arrived_ns = t;
    inv.received_ns = t + 2'000;
    inv.ready_ns = t + 5'000;
    inv.delivered_ns = t + 20'000;
    inv.responded_ns = t + 80'000;
    inv.answered_ns = t + 90'000;
  }
  records::InvocationRecord Record() const {
    return invoker::MakeRecord(inv, {config, "$LATEST", env_id, "", "", inv.answered_ns + 30'000,
                                     70'000, 1, 20, 50'000, 4'000});
  }
};

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "thaw-records-XXXXXX").string();
  if (!mkdtemp(pattern.data())) return "";
  return pattern;
}

// The loop's share: build the record and encode it into the ring, which is emptied outside
// the timing.
void BM_RecordHotPath(benchmark::State& state) {
  Ended ended;
  records::SpscRing ring(size_t{1} << 20);
  size_t n = 0;
  for (auto _ : state) {
    records::InvocationRecord r = ended.Record();
    char* room = ring.Reserve(records::MaxEncodedSize(r));
    ring.Commit(records::EncodeRecord(r, false, room));
    if (++n == 4096) {
      state.PauseTiming();
      ring.Consume([](std::string_view) {});
      n = 0;
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_RecordHotPath);

// The writer's share alone: one transaction inserting a batch of `range(0)` encoded records,
// per record, with warm caches (the writer wakes with cold ones).
void BM_RecordInsert(benchmark::State& state) {
  std::string dir = TempDir();
  auto db = store::Database::Open(dir + "/invocations.db");
  if (!db.ok() || !records::CreateSchema(**db).ok()) {
    state.SkipWithError("cannot open the database");
    return;
  }
  auto writer = records::BatchWriter::Open(**db);
  if (!writer.ok()) {
    state.SkipWithError(writer.status().ToString().c_str());
    return;
  }
  Ended ended;
  std::string blob;
  char buf[1024];
  for (int64_t i = 0; i < state.range(0); ++i) {
    blob.append(buf, records::EncodeRecord(ended.Record(), i == 0, buf));
  }
  for (auto _ : state) {
    auto tx = store::Transaction::Begin(**db);
    Status s = writer->Insert(blob, state.range(0), 1'700'000'000'000'000'000, 2'000'000'000);
    if (s.ok() && tx.ok()) s = (*tx)->Commit();
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_record"] =
      static_cast<double>(blob.size()) / static_cast<double>(state.range(0));
  writer = Status::Internal("closed");
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecordInsert)->Arg(100)->Arg(1000);

// Everything: the loop's Add and the writer thread's drain and inserts, as process CPU time
// per record. Flush (a wake-up) every 1,000 records stands in for the writer's 100 ms timer
// at 10,000 invocations/s.
void BM_RecordEndToEnd(benchmark::State& state) {
  std::string dir = TempDir();
  auto store = records::RecordStore::Open({.path = dir + "/invocations.db"});
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  Ended ended;
  size_t n = 0;
  for (auto _ : state) {
    (*store)->Add(ended.Record());
    if (++n == 1000) {
      (*store)->Flush();
      n = 0;
    }
  }
  (*store)->Stop();
  state.counters["dropped"] = static_cast<double>((*store)->dropped());
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecordEndToEnd)->MeasureProcessCPUTime()->UseRealTime()->Iterations(200000);

}  // namespace
}  // namespace thaw
