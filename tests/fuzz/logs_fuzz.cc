// Fuzzes the CloudWatch Logs API's request handling: the JSON 1.1 body decoded as LogsApi::Handle
// does, then the operation run against a fresh in-memory logs database holding a few events, so
// every member decoder, nextToken, filter pattern and query is reached. Input: the operation name
// (the part after "Logs_20140328."), "\n", then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "logs/log_operations.h"
#include "logs/log_queries.h"
#include "logs/log_store.h"
#include "store/sqlite.h"

namespace logs = thaw::logs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string_view operation = input.substr(0, newline);
  std::string_view body = input.substr(newline + 1);
  if (!logs::IsLogsOperation(operation)) return 0;
  auto json = body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return 0;

  auto db = thaw::store::Database::Open(":memory:");
  if (!db.ok() || !logs::CreateSchema(**db).ok()) std::abort();
  const std::string group = "/aws/lambda/fn";
  if (!logs::InsertEvents(**db,
                          {{group, "a", 100, "START RequestId: 1 Version: $LATEST\n"},
                           {group, "b", 150, "ERROR connection reset by peer\n"},
                           {group, "a", 200, "ERROR timeout talking to db\n"},
                           {group, "b", 250, "WARN slow\n"}},
                          1000)
           .ok()) {
    std::abort();
  }
  thaw::http::Response response = logs::RunLogsOperation(operation, json, **db, 2000);
  if (response.status == 200 &&
      nlohmann::json::parse(response.body, nullptr, false).is_discarded()) {
    std::abort();  // a success must be a JSON body the SDKs can read
  }
  return 0;
}
