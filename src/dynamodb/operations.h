// DynamoDB's and DynamoDB Streams' operations over a TableStore: JSON 1.0 input in, output or an
// AWS error out. Parsing and validation give AWS's messages; the store holds the state.
// Loop thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dynamodb/table_store.h"
#include "http/message.h"

namespace thaw::dynamodb {

struct Error {
  int status = 400;
  std::string type;  // ValidationException, ResourceNotFoundException, ...
  std::string message;
  json extra = json::object();  // more members of the body (Item, CancellationReasons)
};

struct Outcome {
  std::optional<Error> error;
  json output = json::object();
};

struct Context {
  std::string account;
};

using Reply = std::function<void(Outcome)>;

// Lookups in client JSON that never throw: null, "", false or 0 when absent or of another type.
const json& At(const json& j, const char* key);
std::string Str(const json& j, const char* key);
bool Bool(const json& j, const char* key);
int64_t Int(const json& j, const char* key);

Error Validation(std::string message);
Error NotFound(std::string message = "Requested resource not found");

bool IsOperation(std::string_view op);
bool IsStreamsOperation(std::string_view op);
void Execute(TableStore& store, const Context& ctx, std::string_view op, const json& input,
             Reply reply);
void ExecuteStreams(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                    Reply reply);

// The wire: JSON 1.0 bodies, errors as {"__type": "<namespace>#<type>", "message": ...}.
http::Response RenderOutcome(const Outcome& outcome);
http::Response RenderError(const Error& error);

// Internal: the table operations (table_ops.cc), item operations (item_ops.cc) and streams
// (stream_ops.cc); each returns false when `op` is not theirs.
bool ExecuteTableOp(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                    Reply& reply);
bool ExecuteItemOp(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                   Reply& reply);
json DescribeTable(TableStore& store, Table& table);

}  // namespace thaw::dynamodb
