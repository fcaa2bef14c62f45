// Micro-benchmarks of pieces on the invoke path: the per-invocation formatting and encoding
// work, and handing a log line to the log store.
#include <unistd.h>

#include <filesystem>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "invoker/runtime_env.h"
#include "logs/log_store.h"
#include "logs/platform_lines.h"
#include "sys/process_info.h"

namespace thaw {
namespace {

void BM_FormatStartEndReport(benchmark::State& state) {
  std::string id = NewUuid();
  logs::ReportFields r{id, 1.234, 2, 1769, 12, std::nullopt, "", ""};
  for (auto _ : state) {
    std::string s = logs::FormatStart(id, "$LATEST");
    s += logs::FormatEnd(id);
    s += logs::FormatReport(r);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_FormatStartEndReport);

void BM_NewRequestIdAndTrace(benchmark::State& state) {
  for (auto _ : state) {
    std::string id = NewUuid();
    std::string trace = RandomHex(12) + RandomHex(8);
    benchmark::DoNotOptimize(id);
    benchmark::DoNotOptimize(trace);
  }
}
BENCHMARK(BM_NewRequestIdAndTrace);

void BM_JsonAcceptPayload(benchmark::State& state) {
  std::string payload = "{\"items\":[";
  while (payload.size() < static_cast<size_t>(state.range(0)))
    payload += "{\"k\":\"value\",\"n\":1},";
  payload += "{}]}";
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::accept(payload));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}
BENCHMARK(BM_JsonAcceptPayload)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Base64Tail(benchmark::State& state) {
  std::string tail(4096, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Base64Encode(tail));
}
BENCHMARK(BM_Base64Tail);

void BM_BuildRuntimeEnv(benchmark::State& state) {
  lambda::FunctionConfig c;
  c.name = "fn";
  c.runtime = "provided.al2023";
  c.handler = "bootstrap";
  c.environment = {{"A", "1"}, {"B", "2"}};
  invoker::RuntimeEnvInputs in{
      &c,      "$LATEST", "2024/01/01/[$LATEST]x", "127.0.0.1:1", "http://127.0.0.1:9001",
      "/code", "key"};
  for (auto _ : state) benchmark::DoNotOptimize(invoker::BuildRuntimeEnv(in));
}
BENCHMARK(BM_BuildRuntimeEnv);

void BM_PeakRssRead(benchmark::State& state) {
  sys::PeakRssReader reader(getpid());
  for (auto _ : state) benchmark::DoNotOptimize(reader.Read());
}
BENCHMARK(BM_PeakRssRead);

void BM_LogStoreAppend(benchmark::State& state) {
  std::string dir = std::filesystem::temp_directory_path() / ("thaw-bench-" + RandomHex(4));
  std::filesystem::create_directories(dir);
  logs::LogStore::Options options;
  options.path = dir + "/logs.db";
  auto store = logs::LogStore::Open(options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  std::string line = "START RequestId: " + NewUuid() + " Version: $LATEST\n";
  for (auto _ : state) {
    (*store)->Append({"/aws/lambda/bench", "stream", 1700000000000, line});
  }
  (*store)->Stop();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogStoreAppend)->Iterations(50000);

}  // namespace
}  // namespace thaw
