// Kinesis's operations over a StreamStore: JSON 1.1 input in, output or an AWS error out.
// Parsing and validation give AWS's messages; the store holds the state. Loop thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/message.h"
#include "kinesis/stream_store.h"

namespace thaw::kinesis {

struct Error {
  int status = 400;
  std::string type;  // ResourceNotFoundException, InvalidArgumentException, ...
  std::string message;
};

struct Outcome {
  std::optional<Error> error;
  json output = json::object();
};

struct Context {
  std::string account;
};

using Reply = std::function<void(Outcome)>;

// Lookups in client JSON that never throw: "" or 0 when absent or of another type.
std::string Str(const json& j, const char* key);
std::optional<int64_t> Int(const json& j, const char* key);

Error Invalid(std::string message);     // InvalidArgumentException
Error Validation(std::string message);  // ValidationException
Error StreamNotFound(std::string_view name, std::string_view account);
Outcome Fail(Error e);

// The stream a request names by StreamName or StreamARN (either is accepted), or the error.
struct Found {
  Stream* stream = nullptr;
  std::optional<Error> error;
};
Found FindStream(StreamStore& store, const Context& ctx, const json& input);

bool IsOperation(std::string_view op);
void Execute(StreamStore& store, const Context& ctx, std::string_view op, const json& input,
             Reply reply);

// The wire: JSON 1.1 bodies, errors as {"__type": "<type>", "message": ...}.
http::Response RenderOutcome(const Outcome& outcome);

// Internal: stream (stream_ops.cc) and record (record_ops.cc) operations; false when `op` is
// not theirs.
bool ExecuteStreamOp(StreamStore& store, const Context& ctx, std::string_view op, const json& input,
                     Reply& reply);
bool ExecuteRecordOp(StreamStore& store, const Context& ctx, std::string_view op, const json& input,
                     Reply& reply);
// Epoch seconds with a fraction, as JSON 1.1 timestamps are written; and back to milliseconds
// (clamped to [0, year 9999], so no input overflows).
json EpochSeconds(int64_t ms);
int64_t EpochMillis(const json& seconds);

}  // namespace thaw::kinesis
