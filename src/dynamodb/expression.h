// DynamoDB's expression language (ddb-dg Expressions): ConditionExpression and
// FilterExpression, ProjectionExpression, KeyConditionExpression and UpdateExpression, parsed
// by a tokenizer and a recursive-descent parser into the trees below. Evaluation against an
// Item is in expression_eval.h.
//
// A request's ExpressionAttributeNames (#n -> name) and ExpressionAttributeValues (:v -> value)
// live in one ExpressionContext shared by all its expressions; each parse marks what it uses,
// and CheckAllUsed() then refuses the leftovers, as AWS does.
//
// Parsing runs twice over the tokens: the first pass checks syntax only, so a syntax error is
// reported before an undefined #name or :value further left, as on AWS; the second resolves
// placeholders and checks operand types. Every Status is a ValidationException carrying AWS's
// text, prefixed "Invalid <Kind>Expression: " where AWS prefixes it.
//
// Values are plain data: thread-compatible.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "dynamodb/value.h"

namespace thaw::dynamodb {

enum class ExpressionKind { kCondition, kFilter, kKeyCondition, kProjection, kUpdate };
// "ConditionExpression", "FilterExpression", ...
std::string_view ExpressionKindName(ExpressionKind kind);

// A document path: a.b[2].#c, names resolved.
struct PathElement {
  bool is_index = false;
  std::string name;  // a map key or top-level attribute (when !is_index)
  size_t index = 0;  // a list index (when is_index)
  friend bool operator==(const PathElement&, const PathElement&) = default;
};
struct Path {
  std::vector<PathElement> elements;  // never empty; elements[0] is a name
  const std::string& top() const { return elements.front().name; }
  // As AWS prints paths in messages: "[a, b, [2]]".
  std::string ToString() const;
  friend bool operator==(const Path&, const Path&) = default;
};

class ExpressionContext {
 public:
  ExpressionContext() = default;
  ExpressionContext(std::map<std::string, std::string> names,
                    std::map<std::string, AttributeValue> values);
  // From a request's members (either may be null when absent). Refuses an empty map
  // ("ExpressionAttributeNames must not be empty"), a key that is not #name / :value, and
  // values that are not valid AttributeValues.
  static StatusOr<ExpressionContext> FromJson(const nlohmann::json* names,
                                              const nlohmann::json* values);

  // "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}", and
  // the same for values (names are checked first). Call after parsing every expression.
  Status CheckAllUsed() const;

  // Used by the parser.
  const std::string* Name(const std::string& placeholder);
  const AttributeValue* Value(const std::string& placeholder);

 private:
  std::map<std::string, std::string> names_;
  std::map<std::string, AttributeValue> values_;
  std::set<std::string> used_names_;
  std::set<std::string> used_values_;
};

// An operand of a condition: a path, a :value, or size(path).
struct Operand {
  enum class Kind { kPath, kValue, kSize };
  Kind kind = Kind::kValue;
  Path path;             // kPath, kSize
  AttributeValue value;  // kValue
};

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe };

struct Condition {
  enum class Kind {
    kCompare,             // operands[0] op operands[1]
    kBetween,             // operands[0] BETWEEN operands[1] AND operands[2]
    kIn,                  // operands[0] IN (operands[1..])
    kAnd,                 // children[0] AND children[1]
    kOr,                  // children[0] OR children[1]
    kNot,                 // NOT children[0]
    kAttributeExists,     // operands[0] is a path
    kAttributeNotExists,  // operands[0] is a path
    kAttributeType,       // (path, :type)
    kBeginsWith,          // (path, operand)
    kContains,            // (path, operand)
  };
  Kind kind = Kind::kCompare;
  Comparator op = Comparator::kEq;
  std::vector<Operand> operands;
  std::vector<Condition> children;
};

// A SET action's operand: a path, a :value, if_not_exists(path, operand) or
// list_append(operand, operand).
struct UpdateOperand {
  enum class Kind { kPath, kValue, kIfNotExists, kListAppend };
  Kind kind = Kind::kValue;
  Path path;                        // kPath, kIfNotExists
  AttributeValue value;             // kValue
  std::vector<UpdateOperand> args;  // kIfNotExists: {fallback}; kListAppend: {first, second}
};

struct SetAction {
  Path path;
  UpdateOperand left;
  char op = 0;  // 0 (left alone), '+' or '-'
  UpdateOperand right;
};

struct UpdateExpression {
  std::vector<SetAction> set;
  std::vector<Path> remove;
  struct ValueAction {
    Path path;
    AttributeValue value;
  };
  std::vector<ValueAction> add;
  std::vector<ValueAction> del;  // DELETE
};

// A Query's key condition, checked against the table's (or index's) key schema.
struct KeyCondition {
  std::string hash_name;
  AttributeValue hash_value;
  struct SortCondition {
    enum class Kind { kCompare, kBetween, kBeginsWith };
    Kind kind = Kind::kCompare;
    Comparator op = Comparator::kEq;  // kCompare: any but kNe
    std::string name;
    AttributeValue low;   // kCompare's value, BETWEEN's lower bound, begins_with's prefix
    AttributeValue high;  // BETWEEN's upper bound
  };
  std::optional<SortCondition> sort;
};

// kind is kCondition or kFilter (only the message prefix differs).
StatusOr<Condition> ParseCondition(std::string_view text, ExpressionKind kind,
                                   ExpressionContext& context);
StatusOr<std::vector<Path>> ParseProjection(std::string_view text, ExpressionContext& context);
StatusOr<UpdateExpression> ParseUpdate(std::string_view text, ExpressionContext& context);
// range_key is empty for a table without a sort key.
StatusOr<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext& context,
                                         const std::string& hash_key, const std::string& range_key);

}  // namespace thaw::dynamodb
