// Evaluation of parsed expressions (expression.h) against an Item: conditions and filters to a
// bool, projections to a partial Item, updates to a new Item, key conditions on a sort key.
// DynamoDB's rules: a comparison with a missing attribute or between different types is false
// (<> is true when exactly one side is missing or the types differ); SET operands all read the
// item as it was before the update. Stateless functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "dynamodb/expression.h"
#include "dynamodb/value.h"

namespace thaw::dynamodb {

// The value at `path`, or nullptr when a step is missing, out of range or of the wrong type.
const AttributeValue* Lookup(const Item& item, const Path& path);

bool Evaluate(const Condition& condition, const Item& item);

// The item cut down to `paths` (nested maps keep only the named keys, lists only the indexed
// elements, in index order); paths that do not resolve are left out.
Item Project(const Item& item, const std::vector<Path>& paths);

struct UpdateResult {
  Item item;
  // Top-level attributes that some action names, sorted (for ReturnValues UPDATED_OLD and
  // UPDATED_NEW, and for refusing updates of key attributes).
  std::vector<std::string> changed_attributes;
  // Every action's path, in expression order: Project(old or new item, updated_paths) is
  // UPDATED_OLD or UPDATED_NEW.
  std::vector<Path> updated_paths;
};

// ValidationExceptions: "The provided expression refers to an attribute that does not exist in
// the item", "An operand in the update expression has an incorrect data type", "The document
// path provided in the update expression is invalid for update", a Number's range or precision
// texts, "Item size to update has exceeded the maximum allowed size".
// `item_exists` false: `item` holds only the key of an item UpdateItem is creating; DynamoDB
// then ignores a REMOVE whose parent path is missing (on an existing item it is an error).
StatusOr<UpdateResult> ApplyUpdate(const UpdateExpression& update, const Item& item,
                                   bool item_exists = true);

// Whether a sort key value satisfies a key condition's sort part (false for another type).
bool MatchesSortCondition(const KeyCondition::SortCondition& condition,
                          const AttributeValue& value);

}  // namespace thaw::dynamodb
