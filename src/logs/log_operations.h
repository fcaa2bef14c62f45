// The CloudWatch Logs (Logs_20140328) operations thaw serves, run against logs.db: JSON 1.1
// request body in, finished HTTP response out (success or a JSON 1.1 error such as
// ResourceNotFoundException). Pagination tokens:
//   DescribeLogGroups / DescribeLogStreams nextToken "o/<offset>";
//   GetLogEvents "f/<event id>" (events after it) and "b/<event id>" (events before it); an
//     empty page repeats the request's token, which is where the AWS CLI stops paging;
//   FilterLogEvents nextToken "<timestamp>/<event id>", present only when more events match.
// Thread-compatible: runs on the LogStore writer thread (see LogStore::Query).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "http/message.h"
#include "store/sqlite.h"

namespace thaw::logs {

// True for the operations below; anything else is an UnknownOperationException.
bool IsLogsOperation(std::string_view operation);

// Runs DescribeLogGroups, DescribeLogStreams, GetLogEvents, FilterLogEvents, CreateLogGroup,
// DeleteLogGroup, CreateLogStream or PutLogEvents. `input` is the parsed request body (an
// object); `now_ms` stamps creation and ingestion times. Log groups belong to an account: the
// operation sees only `account`'s (the caller's; empty is 000000000000), by GroupKey.
http::Response RunLogsOperation(std::string_view operation, const nlohmann::json& input,
                                store::Database& db, int64_t now_ms,
                                const std::string& account = "");

// A JSON 1.1 body with Content-Type application/x-amz-json-1.1. Invalid UTF-8 in strings is
// replaced rather than thrown on.
http::Response JsonOk(const nlohmann::json& body);

}  // namespace thaw::logs
